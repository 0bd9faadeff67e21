/**
 * A real HTTP JSON-RPC proxy on 127.0.0.1 in front of an upstream node, which injects the faults a
 * keeper meets in production: JSON-RPC error objects, HTTP 500/429, requests that hang, bodies that
 * are not JSON, ill-typed results, a head that lags, and sends that are acknowledged but never
 * forwarded. Faults are rules (per method or for every method) applied on a count-based schedule
 * (`after` N matching requests, for `times` requests), so tests stay deterministic.
 *
 * Test double: it sits in front of a genuine node and rewrites only what a rule says; every request
 * is recorded for assertions. It is bounded: it stops itself after `maxLifetimeMs`, and stopping
 * answers nothing further and destroys every open connection (hung requests included).
 */
import type http from "node:http";
import { keccak256 } from "ethers";
import { closeNow, listenOnLoopback, readBody, respond } from "./loopback-http";

export type InjectedFault =
  /** Answer with a JSON-RPC error object instead of forwarding. */
  | { readonly kind: "rpc-error"; readonly code?: number; readonly message?: string }
  /** Answer with this HTTP status (500, 429, 403...) and a small body. */
  | { readonly kind: "http-status"; readonly status: number; readonly body?: string }
  /** Hold the request: for `ms` then forward normally (a slow node), or until the proxy stops. */
  | { readonly kind: "hang"; readonly ms?: number }
  /** Answer 200 with a body that is not JSON. */
  | { readonly kind: "malformed-json" }
  /** Forward, then replace the result with this value (e.g. a non-hex block number). */
  | { readonly kind: "garbage-result"; readonly result: unknown }
  /** Report a head `blocksBehind` blocks older: eth_blockNumber and eth_getBlockByNumber(tag) for the given tags. */
  | { readonly kind: "lagging-head"; readonly blocksBehind: number; readonly tags?: readonly ("latest" | "pending")[] }
  /** Acknowledge eth_sendRawTransaction with the right hash, but never forward it. */
  | { readonly kind: "drop-send" };

export interface FaultRule {
  /** JSON-RPC method to match; omitted = every method. */
  readonly method?: string;
  readonly fault: InjectedFault;
  /** Let this many matching requests through untouched first. Default 0. */
  readonly after?: number;
  /** Apply to this many matching requests, then stop. Default: every one. */
  readonly times?: number;
}

export interface RecordedProxyRequest {
  readonly method: string;
  readonly params: unknown;
  /** The fault applied to this request, or null when forwarded untouched. */
  readonly fault: InjectedFault["kind"] | null;
}

export interface FaultProxyOptions {
  readonly upstreamUrl: string;
  /** The proxy stops itself after this long. Default 120,000 ms. */
  readonly maxLifetimeMs?: number;
}

interface ActiveRule {
  readonly rule: FaultRule;
  seen: number;
  applied: number;
}

interface JsonRpcCall {
  readonly jsonrpc?: string;
  readonly id: unknown;
  readonly method: string;
  readonly params?: unknown[];
}

/** Faults that decide the whole HTTP response, even inside a batch. */
const WHOLE_RESPONSE_FAULTS = new Set<InjectedFault["kind"]>(["http-status", "hang", "malformed-json"]);

export class FaultProxy {
  readonly url: string;
  readonly requests: RecordedProxyRequest[] = [];
  /** Raw transactions acknowledged but swallowed by a "drop-send" fault. */
  readonly droppedSends: string[] = [];
  readonly #server: http.Server;
  readonly #upstreamUrl: string;
  readonly #lifetimeTimer: NodeJS.Timeout;
  readonly #hangTimers = new Set<NodeJS.Timeout>();
  #rules: ActiveRule[] = [];
  #stopped = false;

  private constructor(server: http.Server, url: string, upstreamUrl: string, maxLifetimeMs: number) {
    this.#server = server;
    this.#upstreamUrl = upstreamUrl;
    this.url = url;
    this.#lifetimeTimer = setTimeout(() => void this.stop(), maxLifetimeMs);
    this.#lifetimeTimer.unref();
    server.on("request", (req, res) => void this.#handle(req, res));
  }

  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const { server, url } = await listenOnLoopback();
    return new FaultProxy(server, url, options.upstreamUrl, options.maxLifetimeMs ?? 120_000);
  }

  /** Adds a rule; rules are checked in insertion order and the first that applies wins. */
  inject(rule: FaultRule): { remove(): void } {
    const active: ActiveRule = { rule, seen: 0, applied: 0 };
    this.#rules.push(active);
    return { remove: () => (this.#rules = this.#rules.filter((candidate) => candidate !== active)) };
  }

  clearFaults(): void {
    this.#rules = [];
  }

  /** Requests recorded for `method` (all when omitted). */
  requestsFor(method?: string): RecordedProxyRequest[] {
    return method === undefined ? [...this.requests] : this.requests.filter((request) => request.method === method);
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#lifetimeTimer);
    for (const timer of this.#hangTimers) clearTimeout(timer);
    this.#hangTimers.clear();
    await closeNow(this.#server);
  }

  #matchFault(method: string): InjectedFault | null {
    for (const active of this.#rules) {
      const { rule } = active;
      if (rule.method !== undefined && rule.method !== method) continue;
      active.seen++;
      if (active.seen <= (rule.after ?? 0)) continue;
      if (rule.times !== undefined && active.applied >= rule.times) continue;
      active.applied++;
      return rule.fault;
    }
    return null;
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      const body = await readBody(req);
      if (this.#stopped) return void res.destroy();
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        return void respond(res, 400, JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "parse error" } }));
      }
      const calls = (Array.isArray(parsed) ? parsed : [parsed]) as JsonRpcCall[];
      const faults = calls.map((call) => this.#matchFault(call.method));
      calls.forEach((call, i) => this.requests.push({ method: call.method, params: call.params, fault: faults[i]?.kind ?? null }));

      const whole = faults.find((fault) => fault !== null && WHOLE_RESPONSE_FAULTS.has(fault.kind)) ?? null;
      if (whole?.kind === "http-status") {
        return void respond(res, whole.status, whole.body ?? `injected HTTP ${whole.status}`, "text/plain");
      }
      if (whole?.kind === "malformed-json") {
        return void respond(res, 200, '{"jsonrpc":"2.0","id":1,"result":"0x1', "application/json");
      }
      if (whole?.kind === "hang") {
        if (whole.ms === undefined) return; // answered never; stop() destroys the socket
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            this.#hangTimers.delete(timer);
            resolve();
          }, whole.ms);
          this.#hangTimers.add(timer);
        });
        if (this.#stopped) return;
      }
      const answers = await Promise.all(calls.map((call, i) => this.#answer(call, faults[i])));
      if (this.#stopped) return void res.destroy();
      respond(res, 200, JSON.stringify(Array.isArray(parsed) ? answers : answers[0]));
    } catch (error) {
      if (!res.headersSent && !this.#stopped) respond(res, 502, `fault proxy: upstream failed: ${(error as Error).message}`, "text/plain");
    }
  }

  async #answer(call: JsonRpcCall, fault: InjectedFault | null): Promise<unknown> {
    const envelope = { jsonrpc: "2.0", id: call.id };
    switch (fault?.kind) {
      case "rpc-error":
        return { ...envelope, error: { code: fault.code ?? -32000, message: fault.message ?? "injected node error" } };
      case "drop-send": {
        const raw = call.params?.[0];
        if (call.method !== "eth_sendRawTransaction" || typeof raw !== "string") return this.#forward(call);
        this.droppedSends.push(raw);
        return { ...envelope, result: keccak256(raw) };
      }
      case "garbage-result": {
        const forwarded = (await this.#forward(call)) as Record<string, unknown>;
        return { ...forwarded, result: fault.result };
      }
      case "lagging-head":
        return this.#lagging(call, fault.blocksBehind, fault.tags ?? ["latest"]);
      default:
        return this.#forward(call);
    }
  }

  async #lagging(call: JsonRpcCall, blocksBehind: number, tags: readonly string[]): Promise<unknown> {
    const envelope = { jsonrpc: "2.0", id: call.id };
    if (call.method === "eth_blockNumber") {
      const head = await this.#upstreamHead();
      return { ...envelope, result: toHex(Math.max(0, head - blocksBehind)) };
    }
    const tag = call.params?.[0];
    if (call.method === "eth_getBlockByNumber" && typeof tag === "string" && tags.includes(tag)) {
      const head = await this.#upstreamHead();
      const older = toHex(Math.max(0, head - blocksBehind));
      return this.#forward({ ...call, params: [older, ...(call.params ?? []).slice(1)] });
    }
    return this.#forward(call);
  }

  async #upstreamHead(): Promise<number> {
    const answer = (await this.#forward({ jsonrpc: "2.0", id: 0, method: "eth_blockNumber", params: [] })) as { result?: string };
    if (typeof answer.result !== "string") throw new Error("upstream eth_blockNumber returned no result");
    return Number(BigInt(answer.result));
  }

  async #forward(call: JsonRpcCall): Promise<unknown> {
    const response = await fetch(this.#upstreamUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: call.id, method: call.method, params: call.params ?? [] }),
    });
    return response.json();
  }
}

function toHex(value: number): string {
  return `0x${value.toString(16)}`;
}
