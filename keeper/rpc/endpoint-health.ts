/**
 * The health record of one read endpoint: what the pool ranks endpoints by, and when it stops
 * trusting one. Pure bookkeeping over an injected clock, so the ranking and demotion rules are
 * unit-testable without sockets.
 *
 * Score (lower is better): latency EWMA inflated by the recent failure rate. An endpoint is
 * DEMOTED when it fails (any fault) or when its head lags the best endpoint by more than K blocks;
 * a demoted endpoint is asked only when every healthy one has failed the call, and it is restored
 * by a successful probe once its cool-down has passed (a probe = a head refresh that answers in time
 * and is within K blocks of the best).
 */
import type { RpcFaultKind } from "./rpc-errors";

/** Weight of the newest observation in the EWMAs; 0.3 forgets a transient spike within ~10 calls. */
const EWMA_ALPHA = 0.3;
/** Latency charged for a timeout, as a multiple of the timeout itself, so a hanging node ranks last. */
const TIMEOUT_LATENCY_FACTOR = 2;
/** How strongly a recent failure rate penalises the score: 100% failures → 5x the latency. */
const FAILURE_PENALTY = 4;

export interface EndpointHealthSnapshot {
  readonly label: string;
  readonly demoted: boolean;
  readonly demotionReason: string | null;
  /** Epoch ms after which a demoted endpoint may be probed again; null when healthy. */
  readonly probeAfter: number | null;
  readonly score: number;
  readonly latencyEwmaMs: number;
  /** 0..1, recent share of calls that faulted. */
  readonly failureRate: number;
  readonly consecutiveFailures: number;
  readonly calls: number;
  readonly faults: number;
  readonly latestBlock: number | null;
  /** Best known head across the pool minus this endpoint's latest; null until both are known. */
  readonly headLagBlocks: number | null;
  readonly lastHeadAt: number | null;
  readonly lastFault: { readonly kind: RpcFaultKind; readonly detail: string; readonly at: number } | null;
}

export class EndpointHealth {
  #latencyEwmaMs: number;
  #failureRate = 0;
  #consecutiveFailures = 0;
  #calls = 0;
  #faults = 0;
  #demotedUntil: number | null = null;
  #demotionReason: string | null = null;
  #latestBlock: number | null = null;
  #lastHeadAt: number | null = null;
  #lastFault: EndpointHealthSnapshot["lastFault"] = null;

  constructor(
    readonly label: string,
    private readonly clock: () => number,
    private readonly cooldownMs: number,
    private readonly timeoutMs: number,
    /** Seed latency so untried endpoints rank between fast and slow ones; config order breaks ties. */
    initialLatencyMs = 100,
  ) {
    this.#latencyEwmaMs = initialLatencyMs;
  }

  get demoted(): boolean {
    return this.#demotedUntil !== null;
  }

  /** True when demoted and its cool-down has elapsed: the next head refresh may restore it. */
  get probeDue(): boolean {
    return this.#demotedUntil !== null && this.clock() >= this.#demotedUntil;
  }

  /** Epoch ms when a demoted endpoint's cool-down ends; null when healthy. */
  get probeAfter(): number | null {
    return this.#demotedUntil;
  }

  get latestBlock(): number | null {
    return this.#latestBlock;
  }

  get lastHeadAt(): number | null {
    return this.#lastHeadAt;
  }

  get score(): number {
    return this.#latencyEwmaMs * (1 + FAILURE_PENALTY * this.#failureRate);
  }

  recordSuccess(latencyMs: number): void {
    this.#calls++;
    this.#consecutiveFailures = 0;
    this.#latencyEwmaMs += EWMA_ALPHA * (latencyMs - this.#latencyEwmaMs);
    this.#failureRate += EWMA_ALPHA * (0 - this.#failureRate);
  }

  /** Any fault demotes at once: on Base's 200 ms blocks, a second chance costs the opportunity. */
  recordFault(kind: RpcFaultKind, detail: string, latencyMs: number): void {
    this.#calls++;
    this.#faults++;
    this.#consecutiveFailures++;
    const charged = kind === "timeout" ? this.timeoutMs * TIMEOUT_LATENCY_FACTOR : latencyMs;
    this.#latencyEwmaMs += EWMA_ALPHA * (charged - this.#latencyEwmaMs);
    this.#failureRate += EWMA_ALPHA * (1 - this.#failureRate);
    this.#lastFault = { kind, detail, at: this.clock() };
    this.demote(`${kind}: ${detail}`);
  }

  /** Demotes (or extends the demotion of) this endpoint for one cool-down, doubling on repeats. */
  demote(reason: string): void {
    // Back off harder on endpoints that keep failing, capped at 8 cool-downs, so a dead endpoint is
    // probed rarely while a briefly flaky one comes back quickly.
    const multiplier = Math.min(8, 2 ** Math.max(0, this.#consecutiveFailures - 1));
    this.#demotedUntil = this.clock() + this.cooldownMs * multiplier;
    this.#demotionReason = reason;
  }

  restore(): void {
    this.#demotedUntil = null;
    this.#demotionReason = null;
  }

  recordHeads(latestBlock: number): void {
    if (this.#latestBlock === null || latestBlock > this.#latestBlock) this.#lastHeadAt = this.clock();
    this.#latestBlock = latestBlock;
  }

  snapshot(bestLatestBlock: number | null): EndpointHealthSnapshot {
    return {
      label: this.label,
      demoted: this.demoted,
      demotionReason: this.#demotionReason,
      probeAfter: this.#demotedUntil,
      score: this.score,
      latencyEwmaMs: this.#latencyEwmaMs,
      failureRate: this.#failureRate,
      consecutiveFailures: this.#consecutiveFailures,
      calls: this.#calls,
      faults: this.#faults,
      latestBlock: this.#latestBlock,
      headLagBlocks: bestLatestBlock === null || this.#latestBlock === null ? null : Math.max(0, bestLatestBlock - this.#latestBlock),
      lastHeadAt: this.#lastHeadAt,
      lastFault: this.#lastFault,
    };
  }
}
