/**
 * Failover over several read endpoints. Every call goes to the healthiest endpoint; a fault
 * (timeout, HTTP error, garbage answer, node-side error, or a head more than K blocks behind the
 * best) demotes that endpoint and the call moves on to the next one, so one bad endpoint costs at
 * most one call timeout and never stalls the loop. A call that is merely slow is hedged: after
 * `hedgeAfterMs` the next healthy endpoint is asked too, and the first valid answer wins.
 *
 * The pool also tracks heads: each endpoint's `latest` block (never `pending`: since Denim it has no
 * equivalent on Base, BASE.md), the best head across endpoints, when it last advanced (for the breaker's
 * stale-head trigger) and the lag of the endpoint in use (for the `rpc_head_lag_blocks` gauge). Every
 * demotion, fault and restoration is reported through `onHealthEvent` (outage-monitor.ts turns them into
 * one log line per state change, readiness and alerts).
 *
 * Send endpoints are not here: transactions go to every private send endpoint at once
 * (keeper/submit/raw-tx-broadcaster.ts), which is a different policy from reads.
 */
import { checkResult, isHexQuantity } from "./answer-validation";
import { EndpointHealth, type EndpointHealthSnapshot } from "./endpoint-health";
import { EndpointProvider, type EndpointAnswer } from "./endpoint-provider";
import { PooledProvider, type RawRpcRequester } from "./pooled-provider";
import { AllRpcEndpointsFailedError, RpcAnswerError, RpcEndpointFault, isAnswerError } from "./rpc-errors";
import { errorMessage } from "../core/error-message";

export interface ReadEndpointConfig {
  readonly url: string;
  /** Printable name; defaults to the redacted URL. Never put a key in it. */
  readonly label?: string;
}

export interface ReadProviderPoolOptions {
  readonly chainId: number;
  readonly endpoints: readonly ReadEndpointConfig[];
  /** Deadline of one call to one endpoint. Default 2,000 ms. */
  readonly callTimeoutMs?: number;
  /** Ask the next healthy endpoint too when the current one has not answered after this long; null disables. Default 300 ms. */
  readonly hedgeAfterMs?: number | null;
  /** K: an endpoint whose latest head trails the best by more than this many blocks is demoted. Default 3. */
  readonly maxHeadLagBlocks?: number;
  /** How long a demoted endpoint waits before a probe may restore it (doubles on repeated faults, up to 8x). Default 15,000 ms. */
  readonly cooldownMs?: number;
  readonly clock?: () => number;
  /** Told whenever an endpoint is demoted or restored (for logs, metrics and alerts). */
  readonly onHealthEvent?: (event: EndpointHealthEvent) => void;
}

export type EndpointHealthEvent =
  | { readonly type: "demoted"; readonly endpoint: string; readonly reason: string }
  /** A fault of an endpoint already demoted (counted by the outage monitor, not logged one by one). */
  | { readonly type: "fault"; readonly endpoint: string; readonly reason: string }
  | { readonly type: "restored"; readonly endpoint: string };

/** What the pool knows about the chain head, in the shape the breaker and metrics read. */
export interface PoolHeads {
  /** Highest `latest` block any endpoint reported; null before the first answer. */
  readonly bestLatestBlock: number | null;
  /** Label of the endpoint calls go to first right now; null when none is healthy. */
  readonly preferredEndpoint: string | null;
  /** How far the preferred endpoint's latest head trails the best (the `rpc_head_lag_blocks` gauge). */
  readonly headLagBlocks: number | null;
  /** Epoch ms when the best head last advanced; a breaker compares it with now for a stale head. */
  readonly lastHeadAt: number | null;
}

interface PoolEntry {
  readonly endpoint: EndpointProvider;
  readonly health: EndpointHealth;
  /** Config order, the tie-breaker between equally healthy endpoints. */
  readonly index: number;
}

const DEFAULTS = { callTimeoutMs: 2_000, hedgeAfterMs: 300, maxHeadLagBlocks: 3, cooldownMs: 15_000 } as const;

function requirePositiveInteger(value: number, field: string, allowZero = false): number {
  if (!Number.isInteger(value) || value < 0 || (!allowZero && value === 0)) {
    throw new Error(`ReadProviderPool: ${field} must be a ${allowZero ? "non-negative" : "positive"} integer, got ${String(value)}`);
  }
  return value;
}

export class ReadProviderPool implements RawRpcRequester {
  readonly chainId: number;
  /** One ethers Provider over the whole pool; attach contracts to this. */
  readonly provider: PooledProvider;
  readonly #entries: readonly PoolEntry[];
  readonly #clock: () => number;
  readonly #hedgeAfterMs: number | null;
  readonly #maxHeadLagBlocks: number;
  readonly #onHealthEvent: (event: EndpointHealthEvent) => void;
  #bestLatestBlock: number | null = null;
  #lastHeadAt: number | null = null;
  #pollTimer: NodeJS.Timeout | null = null;

  constructor(options: ReadProviderPoolOptions) {
    if (options.endpoints.length === 0) {
      throw new Error("ReadProviderPool: endpoints must list at least one read RPC URL");
    }
    this.chainId = requirePositiveInteger(options.chainId, "chainId");
    const callTimeoutMs = requirePositiveInteger(options.callTimeoutMs ?? DEFAULTS.callTimeoutMs, "callTimeoutMs");
    const cooldownMs = requirePositiveInteger(options.cooldownMs ?? DEFAULTS.cooldownMs, "cooldownMs");
    this.#maxHeadLagBlocks = requirePositiveInteger(options.maxHeadLagBlocks ?? DEFAULTS.maxHeadLagBlocks, "maxHeadLagBlocks", true);
    const hedge = options.hedgeAfterMs === undefined ? DEFAULTS.hedgeAfterMs : options.hedgeAfterMs;
    this.#hedgeAfterMs = hedge === null ? null : requirePositiveInteger(hedge, "hedgeAfterMs");
    this.#clock = options.clock ?? Date.now;
    this.#onHealthEvent = options.onHealthEvent ?? (() => undefined);
    this.#entries = options.endpoints.map((config, index) => {
      let endpoint: EndpointProvider;
      try {
        endpoint = new EndpointProvider({ url: config.url, chainId: this.chainId, timeoutMs: callTimeoutMs, label: config.label });
      } catch (error) {
        // The URL itself may be the secret-bearing part: name the position, not the value.
        throw new Error(`ReadProviderPool: endpoints[${index}] is not a usable http(s) URL (${(error as Error).message.split(":")[0]})`);
      }
      return { endpoint, health: new EndpointHealth(endpoint.label, this.#clock, cooldownMs, callTimeoutMs), index };
    });
    const labels = this.#entries.map((entry) => entry.endpoint.label);
    const duplicate = labels.find((label, i) => labels.indexOf(label) !== i);
    if (duplicate !== undefined) {
      throw new Error(`ReadProviderPool: two endpoints share the label ${duplicate}; give them distinct labels`);
    }
    this.provider = new PooledProvider(this, this.chainId);
  }

  /** Labels in config order. */
  get endpointLabels(): string[] {
    return this.#entries.map((entry) => entry.endpoint.label);
  }

  /**
   * Sends one JSON-RPC call with failover and returns its result. Throws `RpcAnswerError` when the
   * chain answered with an error (a revert, say), `AllRpcEndpointsFailedError` when no endpoint
   * produced a valid answer.
   */
  async request<T = unknown>(method: string, params: readonly unknown[] = []): Promise<T> {
    const { answer, endpoint } = await this.#dispatch(method, params);
    if (!answer.ok) throw new RpcAnswerError(endpoint, method, answer.error);
    return answer.result as T;
  }

  /** Like `request`, but an answer error is returned rather than thrown (what the ethers provider needs). */
  async requestRaw(method: string, params: readonly unknown[]): Promise<EndpointAnswer> {
    return (await this.#dispatch(method, params)).answer;
  }

  /**
   * Asks every endpoint not cooling down for its `latest` head, demotes endpoints more than K blocks
   * behind the best, and restores demoted endpoints whose probe succeeds.
   */
  async refreshHeads(): Promise<PoolHeads> {
    const candidates = this.#entries.filter((entry) => !entry.health.demoted || entry.health.probeDue);
    const observed = await Promise.all(
      candidates.map(async (entry) => {
        // Captured before the calls: a fault during them demotes the entry, which is not a probe.
        const probing = entry.health.demoted;
        try {
          const latest = await this.#attempt(entry, "eth_blockNumber", []);
          if (!latest.ok) return null;
          return { entry, probing, latestBlock: Number(BigInt(latest.result as string)) };
        } catch {
          return null;
        }
      }),
    );
    for (const seen of observed) if (seen) seen.entry.health.recordHeads(seen.latestBlock);
    this.#updateBest();
    for (const seen of observed) {
      if (seen === null) continue;
      const { entry } = seen;
      if (this.#lagOf(entry) > this.#maxHeadLagBlocks) {
        this.#demote(entry, `lagging: head ${seen.latestBlock} is ${this.#lagOf(entry)} blocks behind the best (${this.#bestLatestBlock})`);
      } else if (seen.probing && entry.health.demoted) {
        entry.health.restore();
        this.#onHealthEvent({ type: "restored", endpoint: entry.endpoint.label });
      }
    }
    return this.heads();
  }

  heads(): PoolHeads {
    const preferred = this.#ranked().find((entry) => !entry.health.demoted) ?? null;
    const latest = preferred?.health.latestBlock ?? null;
    return {
      bestLatestBlock: this.#bestLatestBlock,
      preferredEndpoint: preferred?.endpoint.label ?? null,
      headLagBlocks: preferred === null || latest === null || this.#bestLatestBlock === null ? null : this.#lagOf(preferred),
      lastHeadAt: this.#lastHeadAt,
    };
  }

  /** Per-endpoint health, in config order (for /status and metrics). */
  health(): EndpointHealthSnapshot[] {
    return this.#entries.map((entry) => entry.health.snapshot(this.#bestLatestBlock));
  }

  /** Refreshes heads every `intervalMs` in the background (timer unref'd: it never keeps the process alive). */
  startHeadPolling(intervalMs: number): void {
    requirePositiveInteger(intervalMs, "head polling intervalMs");
    this.stopHeadPolling();
    this.#pollTimer = setInterval(() => {
      // A failed refresh is already reflected in endpoint health; the interval must keep running.
      this.refreshHeads().catch(() => undefined);
    }, intervalMs);
    this.#pollTimer.unref();
  }

  stopHeadPolling(): void {
    if (this.#pollTimer !== null) clearInterval(this.#pollTimer);
    this.#pollTimer = null;
  }

  /** Stops polling and releases every provider. */
  destroy(): void {
    this.stopHeadPolling();
    this.provider.destroy();
    for (const entry of this.#entries) entry.endpoint.destroy();
  }

  /** Healthy endpoints by score (config order breaks ties), then demoted ones soonest-to-recover first. */
  #ranked(): PoolEntry[] {
    return [...this.#entries].sort((a, b) => {
      if (a.health.demoted !== b.health.demoted) return a.health.demoted ? 1 : -1;
      if (a.health.demoted) {
        return (a.health.probeAfter ?? 0) - (b.health.probeAfter ?? 0) || a.index - b.index;
      }
      return a.health.score - b.health.score || a.index - b.index;
    });
  }

  /**
   * Runs one call across the ranked endpoints: the first is asked at once, the next healthy one
   * after `hedgeAfterMs` if still unanswered, and on each fault the next one (demoted endpoints
   * included, as a last resort). Resolves with the first valid answer; rejects once every endpoint
   * has faulted. Bounded: each attempt has its own deadline.
   */
  #dispatch(method: string, params: readonly unknown[]): Promise<{ answer: EndpointAnswer; endpoint: string }> {
    const order = this.#ranked();
    const healthyCount = order.filter((entry) => !entry.health.demoted).length;
    const faults: RpcEndpointFault[] = [];
    return new Promise((resolve, reject) => {
      let next = 0;
      let inFlight = 0;
      let settled = false;
      let hedgeTimer: NodeJS.Timeout | null = null;
      const finish = (outcome: () => void): void => {
        settled = true;
        if (hedgeTimer !== null) clearTimeout(hedgeTimer);
        outcome();
      };
      const armHedge = (): void => {
        if (hedgeTimer !== null) clearTimeout(hedgeTimer);
        hedgeTimer = null;
        if (this.#hedgeAfterMs === null || next >= healthyCount) return;
        hedgeTimer = setTimeout(() => {
          if (!settled) launch();
        }, this.#hedgeAfterMs);
      };
      const launch = (): boolean => {
        if (settled || next >= order.length) return false;
        const entry = order[next++];
        inFlight++;
        this.#attempt(entry, method, params).then(
          (answer) => {
            inFlight--;
            if (!settled) finish(() => resolve({ answer, endpoint: entry.endpoint.label }));
          },
          (fault: RpcEndpointFault) => {
            inFlight--;
            faults.push(fault);
            if (settled) return;
            if (launch()) return;
            if (inFlight === 0) finish(() => reject(new AllRpcEndpointsFailedError(method, faults)));
          },
        );
        armHedge();
        return true;
      };
      launch();
    });
  }

  /** One call to one endpoint, with the answer validated and the endpoint's health updated. */
  async #attempt(entry: PoolEntry, method: string, params: readonly unknown[]): Promise<EndpointAnswer> {
    const started = this.#clock();
    let answer: EndpointAnswer;
    try {
      answer = await entry.endpoint.rpcCall(method, params);
    } catch (error) {
      const fault =
        error instanceof RpcEndpointFault ? error : new RpcEndpointFault(entry.endpoint.label, method, "unreachable", errorMessage(error));
      this.#recordFault(entry, fault, this.#clock() - started);
      throw fault;
    }
    const latency = this.#clock() - started;
    if (!answer.ok) {
      if (isAnswerError(answer.error)) {
        entry.health.recordSuccess(latency);
        return answer;
      }
      const { code, message } = answer.error;
      const fault = new RpcEndpointFault(entry.endpoint.label, method, "node-error", `${code}: ${message}`, undefined, answer.error);
      this.#recordFault(entry, fault, latency);
      throw fault;
    }
    const problem = checkResult(method, answer.result, params);
    if (problem !== null) {
      const fault = new RpcEndpointFault(entry.endpoint.label, method, "invalid-result", problem);
      this.#recordFault(entry, fault, latency);
      throw fault;
    }
    const head = headIn(method, params, answer.result);
    if (head !== null) {
      entry.health.recordHeads(head);
      this.#updateBest();
      const lag = this.#lagOf(entry);
      if (lag > this.#maxHeadLagBlocks) {
        // A stale head is a wrong answer for "what is the latest block": fail over instead of using it.
        const fault = new RpcEndpointFault(
          entry.endpoint.label,
          method,
          "lagging",
          `head ${head} is ${lag} blocks behind the best known (${this.#bestLatestBlock}); limit ${this.#maxHeadLagBlocks}`,
        );
        this.#recordFault(entry, fault, latency);
        throw fault;
      }
    }
    entry.health.recordSuccess(latency);
    // Every endpoint demoted and this one answered: it is the best there is, so it is healthy again now rather
    // than after its cool-down (which can reach minutes) — the keeper is not "not ready" while its reads work.
    if (entry.health.demoted && this.#entries.every((candidate) => candidate.health.demoted)) {
      entry.health.restore();
      this.#onHealthEvent({ type: "restored", endpoint: entry.endpoint.label });
    }
    return answer;
  }

  #recordFault(entry: PoolEntry, fault: RpcEndpointFault, latencyMs: number): void {
    const wasDemoted = entry.health.demoted;
    entry.health.recordFault(fault.kind, fault.detail, latencyMs);
    this.#onHealthEvent({
      type: wasDemoted ? "fault" : "demoted",
      endpoint: entry.endpoint.label,
      reason: `${fault.method} ${fault.kind}: ${fault.detail}`,
    });
  }

  #demote(entry: PoolEntry, reason: string): void {
    const wasDemoted = entry.health.demoted;
    entry.health.demote(reason);
    if (!wasDemoted) this.#onHealthEvent({ type: "demoted", endpoint: entry.endpoint.label, reason });
  }

  #lagOf(entry: PoolEntry): number {
    const latest = entry.health.latestBlock;
    return latest === null || this.#bestLatestBlock === null ? 0 : Math.max(0, this.#bestLatestBlock - latest);
  }

  #updateBest(): void {
    for (const entry of this.#entries) {
      const latest = entry.health.latestBlock;
      if (latest !== null && (this.#bestLatestBlock === null || latest > this.#bestLatestBlock)) {
        this.#bestLatestBlock = latest;
        this.#lastHeadAt = this.#clock();
      }
    }
  }
}

function isBlockWithNumber(value: unknown): value is { number: string } {
  return typeof value === "object" && value !== null && isHexQuantity((value as { number?: unknown }).number);
}

/** The latest-head number an answer reveals: eth_blockNumber, or eth_getBlockByNumber("latest"). */
function headIn(method: string, params: readonly unknown[], result: unknown): number | null {
  if (method === "eth_blockNumber" && isHexQuantity(result)) return Number(BigInt(result));
  if (method === "eth_getBlockByNumber" && params[0] === "latest" && isBlockWithNumber(result)) return Number(BigInt(result.number));
  return null;
}
