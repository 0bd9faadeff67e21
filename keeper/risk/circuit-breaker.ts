/**
 * The circuit breaker: NORMAL → THROTTLED → HALTED. It stops a keeper that is bleeding (reverts, losses,
 * a simulation that no longer predicts reality) or blind (stale RPC head, L2 sequencer down, executor
 * paused on chain).
 *
 * - Every trigger has a threshold and a severity (THROTTLED or HALTED), both configurable.
 * - THROTTLED lets at most one execution through per `throttle.minBlocksBetweenExecutions` blocks, and
 *   lifts by itself once no throttling trigger is active (the condition cleared, the window slid on).
 * - HALTED latches: it stays HALTED, even after its cause clears, until `resume(operator, reason)`.
 *   An operator can latch it too (`haltByOperator`, the `halt` control request `emergency` queues): the
 *   latch is part of the snapshot, so a halt survives a restart like any other.
 *   Resume is refused while an external halting condition (paused executor, sequencer down, stale head)
 *   is still true; it clears the evidence of event triggers (failure window, consecutive failures,
 *   deviations), and the next loss after a daily-loss halt halts again.
 * - Every state change returns a transition record for the journal. Time is always an argument, and
 *   the whole state round-trips through a JSON snapshot.
 */
import type { BreakerState } from "../core/types";
import type { ExecutionOutcome } from "./execution-outcome";
import { utcDayKey, type Instant } from "./instant";
import type { BreakerAdmission, RiskDecision } from "./risk-gate";

export type BreakerTrigger =
  | "failure-rate"
  | "daily-loss"
  | "consecutive-failures"
  | "profit-deviation"
  | "stale-head"
  | "sequencer-down"
  | "executor-paused"
  | "operator-halt";

export type TriggerSeverity = "THROTTLED" | "HALTED";

export interface BreakerThresholds {
  /** Reverted + not-included + dropped over all outcomes in the window, once there are enough samples. */
  readonly failureRate: {
    readonly windowSeconds: number;
    readonly minSamples: number;
    readonly maxRate: number;
    readonly severity: TriggerSeverity;
  };
  /** Realised gross loss over the UTC day. */
  readonly dailyLoss: { readonly maxUsd: number; readonly severity: TriggerSeverity };
  readonly consecutiveFailures: { readonly count: number; readonly severity: TriggerSeverity };
  /**
   * simulated - realised > tolerance * |simulated| (a shortfall), `occurrences` times within the window. A realised
   * profit above the simulation does not count: throttling then would cost races to guard against earning more; the
   * daily check (tasks/daily) lists deviations both ways for a person to read.
   */
  readonly profitDeviation: {
    readonly tolerance: number;
    readonly occurrences: number;
    readonly windowSeconds: number;
    readonly severity: TriggerSeverity;
  };
  /** Seconds since the last new head. */
  readonly staleHead: { readonly maxSeconds: number; readonly severity: TriggerSeverity };
  /** Chainlink L2 sequencer uptime feed: down (answer 1) or back up for less than the grace period. */
  readonly sequencer: { readonly gracePeriodSeconds: number; readonly severity: TriggerSeverity };
  readonly executorPaused: { readonly severity: TriggerSeverity };
  readonly throttle: { readonly minBlocksBetweenExecutions: number };
}

/**
 * Defaults: event triggers that point at our own model (deviation) or at transient conditions (failure
 * rate, stale head) throttle; the ones that mean money is being lost or the chain cannot be trusted
 * halt. Stale head throttles rather than halts so a brief RPC hiccup does not need a person at 3 a.m.;
 * failover (issue 6) usually clears it within seconds. The sequencer grace period is Chainlink's
 * recommended hour (Aave's PriceOracleSentinel uses a grace period for the same reason).
 */
export const DEFAULT_BREAKER_THRESHOLDS: BreakerThresholds = {
  failureRate: { windowSeconds: 900, minSamples: 4, maxRate: 0.5, severity: "THROTTLED" },
  dailyLoss: { maxUsd: 100, severity: "HALTED" },
  consecutiveFailures: { count: 3, severity: "HALTED" },
  profitDeviation: { tolerance: 0.1, occurrences: 3, windowSeconds: 3_600, severity: "THROTTLED" },
  staleHead: { maxSeconds: 30, severity: "THROTTLED" },
  sequencer: { gracePeriodSeconds: 3_600, severity: "HALTED" },
  executorPaused: { severity: "HALTED" },
  // 5 blocks = 10 s on Base: one attempt at a time, each seen through to its receipt.
  throttle: { minBlocksBetweenExecutions: 5 },
};

/** Conditions read from outside the keeper's own executions. Omit a field that was not observed. */
export interface BreakerObservation {
  readonly at: Instant;
  /** When the newest head arrived, Unix ms. */
  readonly lastHeadAtMs?: number;
  /** latestRoundData of the sequencer uptime feed: answer 0 = up, 1 = down; startedAt in seconds. */
  readonly sequencer?: { readonly answer: number | bigint; readonly startedAtSeconds: number };
  readonly executorPaused?: boolean;
}

export interface BreakerTransition {
  readonly from: BreakerState;
  readonly to: BreakerState;
  readonly trigger: BreakerTrigger | "operator-resume";
  readonly detail: string;
  readonly at: Instant;
}

export type ResumeResult =
  { readonly resumed: true; readonly transition: BreakerTransition } | { readonly resumed: false; readonly detail: string };

interface ActiveTrigger {
  readonly severity: TriggerSeverity;
  readonly detail: string;
  readonly since: Instant;
}

interface HaltLatch {
  readonly trigger: BreakerTrigger;
  readonly detail: string;
  readonly at: Instant;
}

export interface CircuitBreakerSnapshot {
  readonly version: 1;
  readonly active: Partial<Record<BreakerTrigger, ActiveTrigger>>;
  readonly halt: HaltLatch | null;
  readonly outcomes: ReadonlyArray<{ readonly timeMs: number; readonly failed: boolean }>;
  readonly deviations: readonly number[];
  readonly consecutiveFailures: number;
  readonly dailyLoss: { readonly day: string; readonly lossUsd: number };
  readonly lastExecutionBlock: number | null;
}

/** External conditions: they are true or false right now, whatever the keeper did. */
const EXTERNAL_TRIGGERS: readonly BreakerTrigger[] = ["stale-head", "sequencer-down", "executor-paused"];

export class CircuitBreaker implements BreakerAdmission {
  private active: Partial<Record<BreakerTrigger, ActiveTrigger>> = {};
  private halt: HaltLatch | null = null;
  private outcomes: Array<{ timeMs: number; failed: boolean }> = [];
  private deviations: number[] = [];
  private consecutiveFailures = 0;
  private dailyLoss = { day: "", lossUsd: 0 };
  private lastExecutionBlock: number | null = null;

  constructor(private readonly thresholds: BreakerThresholds = DEFAULT_BREAKER_THRESHOLDS) {}

  get state(): BreakerState {
    if (this.halt) return "HALTED";
    return Object.values(this.active).some((trigger) => trigger?.severity === "THROTTLED") ? "THROTTLED" : "NORMAL";
  }

  /** What is holding the breaker where it is, for /status and alerts. */
  describe(): { state: BreakerState; haltedBy: HaltLatch | null; activeTriggers: Array<{ trigger: BreakerTrigger } & ActiveTrigger> } {
    return {
      state: this.state,
      haltedBy: this.halt,
      activeTriggers: Object.entries(this.active).map(([trigger, value]) => ({ trigger: trigger as BreakerTrigger, ...value! })),
    };
  }

  admit(now: Instant, approvedNotSubmitted = 0): RiskDecision {
    const state = this.state;
    if (state === "HALTED") {
      return {
        approved: false,
        reason: "breaker-halted",
        detail: `halted by ${this.halt!.trigger}: ${this.halt!.detail}; needs keeper:resume`,
      };
    }
    if (state === "THROTTLED") {
      const wait = this.thresholds.throttle.minBlocksBetweenExecutions;
      // A plan admitted and not yet submitted has this window's one execution (a chunk is gated before it sends).
      if (approvedNotSubmitted > 0) {
        return {
          approved: false,
          reason: "breaker-throttled",
          detail: `throttled (${this.activeThrottleTriggers().join(", ")}): one execution per ${wait} blocks, and one is already approved`,
        };
      }
      if (this.lastExecutionBlock !== null && now.block - this.lastExecutionBlock < wait) {
        return {
          approved: false,
          reason: "breaker-throttled",
          detail: `throttled (${this.activeThrottleTriggers().join(", ")}): one execution per ${wait} blocks, last at block ${this.lastExecutionBlock}`,
        };
      }
    }
    return { approved: true };
  }

  /** Feeds an execution outcome; returns the state transitions it caused (usually none). */
  recordOutcome(outcome: ExecutionOutcome): BreakerTransition[] {
    const at = outcome.at;
    const transitions: BreakerTransition[] = [];
    this.rollDay(at, transitions);
    if (outcome.kind === "submitted") {
      this.lastExecutionBlock = at.block;
      return transitions;
    }
    // A lost race is competition, not a malfunction: its gas counts as a loss, not as a failed execution.
    const failed = outcome.kind === "failed" && outcome.failure !== "lost-race";
    this.outcomes.push({ timeMs: at.timeMs, failed });
    this.consecutiveFailures = failed ? this.consecutiveFailures + 1 : 0;
    const loss = outcome.kind === "failed" ? outcome.lossUsd : Math.max(0, -outcome.realisedProfitUsd);
    this.dailyLoss.lossUsd += loss;
    if (outcome.kind === "included") {
      const { tolerance } = this.thresholds.profitDeviation;
      const simulated = outcome.simulatedProfitUsd;
      const shortfall = simulated - outcome.realisedProfitUsd;
      if (shortfall > tolerance * Math.abs(simulated)) this.deviations.push(at.timeMs);
    }

    // Halting triggers are evaluated first so a single bad outcome reports its most serious cause.
    this.evaluateConsecutiveFailures(at, transitions);
    if (loss > 0) this.evaluateDailyLoss(at, transitions);
    this.evaluateFailureRate(at, transitions);
    this.evaluateDeviations(at, transitions);
    return transitions;
  }

  /** Feeds external conditions; returns the transitions they caused. */
  observe(observation: BreakerObservation): BreakerTransition[] {
    const { at } = observation;
    const transitions: BreakerTransition[] = [];
    this.rollDay(at, transitions);
    if (observation.executorPaused !== undefined) {
      this.setTrigger(
        "executor-paused",
        observation.executorPaused,
        "the executor contract is paused on chain",
        this.thresholds.executorPaused.severity,
        at,
        transitions,
      );
    }
    if (observation.sequencer !== undefined) {
      const verdict = sequencerVerdict(observation.sequencer, at, this.thresholds.sequencer.gracePeriodSeconds);
      this.setTrigger("sequencer-down", verdict !== null, verdict ?? "sequencer up", this.thresholds.sequencer.severity, at, transitions);
    }
    if (observation.lastHeadAtMs !== undefined) {
      const ageSeconds = (at.timeMs - observation.lastHeadAtMs) / 1_000;
      const { maxSeconds, severity } = this.thresholds.staleHead;
      this.setTrigger(
        "stale-head",
        ageSeconds > maxSeconds,
        `no new head for ${ageSeconds.toFixed(1)} s (limit ${maxSeconds} s)`,
        severity,
        at,
        transitions,
      );
    }
    // Windows slide with time even when nothing happens.
    this.evaluateFailureRate(at, transitions);
    this.evaluateDeviations(at, transitions);
    return transitions;
  }

  /**
   * An operator stops all sending (the `halt` control request): latches HALTED with trigger
   * "operator-halt" until `resume`. Returns the transition, or null when the breaker was already HALTED
   * (its first cause stays the one on record; resume lifts both).
   */
  haltByOperator(operator: string, reason: string, at: Instant): BreakerTransition | null {
    if (operator.trim() === "" || reason.trim() === "")
      throw new Error("an operator halt needs an operator name and a reason (both are journaled)");
    const before = this.state;
    if (this.halt !== null) return null;
    const detail = `${operator}: ${reason}`;
    this.halt = { trigger: "operator-halt", detail, at };
    return { from: before, to: "HALTED", trigger: "operator-halt", detail, at };
  }

  /** An operator lifts a HALT. Refused while an external halting condition is still true. */
  resume(operator: string, reason: string, at: Instant): ResumeResult {
    if (operator.trim() === "" || reason.trim() === "") {
      return { resumed: false, detail: "resume needs an operator name and a reason (both are journaled)" };
    }
    if (this.state !== "HALTED") return { resumed: false, detail: `the breaker is ${this.state}; there is nothing to resume` };
    const stillHalting = EXTERNAL_TRIGGERS.filter((trigger) => this.active[trigger]?.severity === "HALTED");
    if (stillHalting.length > 0) {
      const reasons = stillHalting.map((trigger) => `${trigger} (${this.active[trigger]!.detail})`).join("; ");
      return { resumed: false, detail: `still true: ${reasons}; resolve it first` };
    }
    // The operator has looked at the evidence: start the event counters afresh.
    this.outcomes = [];
    this.deviations = [];
    this.consecutiveFailures = 0;
    for (const trigger of ["failure-rate", "daily-loss", "consecutive-failures", "profit-deviation"] as const) delete this.active[trigger];
    this.halt = null;
    return {
      resumed: true,
      transition: { from: "HALTED", to: this.state, trigger: "operator-resume", detail: `${operator}: ${reason}`, at },
    };
  }

  toSnapshot(): CircuitBreakerSnapshot {
    return {
      version: 1,
      active: { ...this.active },
      halt: this.halt,
      outcomes: this.outcomes.map((entry) => ({ ...entry })),
      deviations: [...this.deviations],
      consecutiveFailures: this.consecutiveFailures,
      dailyLoss: { ...this.dailyLoss },
      lastExecutionBlock: this.lastExecutionBlock,
    };
  }

  static fromSnapshot(snapshot: CircuitBreakerSnapshot, thresholds: BreakerThresholds = DEFAULT_BREAKER_THRESHOLDS): CircuitBreaker {
    if (snapshot.version !== 1) throw new Error(`unsupported circuit breaker snapshot version ${String(snapshot.version)}`);
    const breaker = new CircuitBreaker(thresholds);
    breaker.active = { ...snapshot.active };
    breaker.halt = snapshot.halt;
    breaker.outcomes = snapshot.outcomes.map((entry) => ({ ...entry }));
    breaker.deviations = [...snapshot.deviations];
    breaker.consecutiveFailures = snapshot.consecutiveFailures;
    breaker.dailyLoss = { ...snapshot.dailyLoss };
    breaker.lastExecutionBlock = snapshot.lastExecutionBlock;
    return breaker;
  }

  private activeThrottleTriggers(): BreakerTrigger[] {
    return (Object.keys(this.active) as BreakerTrigger[]).filter((trigger) => this.active[trigger]?.severity === "THROTTLED");
  }

  private evaluateConsecutiveFailures(at: Instant, transitions: BreakerTransition[]): void {
    const { count, severity } = this.thresholds.consecutiveFailures;
    this.setTrigger(
      "consecutive-failures",
      this.consecutiveFailures >= count,
      `${this.consecutiveFailures} failures in a row (limit ${count})`,
      severity,
      at,
      transitions,
    );
  }

  private evaluateDailyLoss(at: Instant, transitions: BreakerTransition[]): void {
    const { maxUsd, severity } = this.thresholds.dailyLoss;
    const loss = this.dailyLoss.lossUsd;
    this.setTrigger(
      "daily-loss",
      loss > maxUsd,
      `lost $${loss.toFixed(2)} today (UTC ${this.dailyLoss.day}); limit $${maxUsd.toFixed(2)}`,
      severity,
      at,
      transitions,
    );
  }

  private evaluateFailureRate(at: Instant, transitions: BreakerTransition[]): void {
    const { windowSeconds, minSamples, maxRate, severity } = this.thresholds.failureRate;
    const since = at.timeMs - windowSeconds * 1_000;
    this.outcomes = this.outcomes.filter((entry) => entry.timeMs > since);
    const failures = this.outcomes.filter((entry) => entry.failed).length;
    const total = this.outcomes.length;
    const tripped = total >= minSamples && failures / total > maxRate;
    this.setTrigger(
      "failure-rate",
      tripped,
      `${failures} of ${total} executions reverted or were not included in ${windowSeconds} s (limit ${(maxRate * 100).toFixed(0)}%)`,
      severity,
      at,
      transitions,
    );
  }

  private evaluateDeviations(at: Instant, transitions: BreakerTransition[]): void {
    const { occurrences, windowSeconds, tolerance, severity } = this.thresholds.profitDeviation;
    const since = at.timeMs - windowSeconds * 1_000;
    this.deviations = this.deviations.filter((timeMs) => timeMs > since);
    this.setTrigger(
      "profit-deviation",
      this.deviations.length >= occurrences,
      `${this.deviations.length} executions realised a profit more than ${(tolerance * 100).toFixed(0)}% below the simulation within ${windowSeconds} s (limit ${occurrences})`,
      severity,
      at,
      transitions,
    );
  }

  private rollDay(at: Instant, transitions: BreakerTransition[]): void {
    const day = utcDayKey(at.timeMs);
    if (day === this.dailyLoss.day) return;
    this.dailyLoss = { day, lossUsd: 0 };
    // A new day clears a throttling daily-loss trigger; a halting one stays latched until resumed.
    this.setTrigger("daily-loss", false, `new UTC day ${day}`, this.thresholds.dailyLoss.severity, at, transitions);
  }

  /** Activates or clears one trigger, latching HALTED, and records a transition if the state moved. */
  private setTrigger(
    trigger: BreakerTrigger,
    isActive: boolean,
    detail: string,
    severity: TriggerSeverity,
    at: Instant,
    transitions: BreakerTransition[],
  ): void {
    const before = this.state;
    const wasActive = this.active[trigger] !== undefined;
    if (isActive) {
      if (!wasActive) this.active[trigger] = { severity, detail, since: at };
      if (severity === "HALTED" && this.halt === null) this.halt = { trigger, detail, at };
    } else if (wasActive) {
      delete this.active[trigger];
    }
    const after = this.state;
    if (after !== before) {
      transitions.push({ from: before, to: after, trigger, detail: isActive ? detail : `cleared: ${detail}`, at });
    }
  }
}

/** Why the sequencer feed says "do not trust prices", or null when it is up and past the grace period. */
function sequencerVerdict(
  feed: { readonly answer: number | bigint; readonly startedAtSeconds: number },
  at: Instant,
  gracePeriodSeconds: number,
): string | null {
  const answer = Number(feed.answer);
  if (answer === 1) return `sequencer reported down since ${new Date(feed.startedAtSeconds * 1_000).toISOString()}`;
  if (answer !== 0) return `sequencer feed answered ${String(feed.answer)}, expected 0 (up) or 1 (down)`;
  if (feed.startedAtSeconds === 0) return "sequencer feed round is invalid (startedAt = 0)";
  const upForSeconds = at.timeMs / 1_000 - feed.startedAtSeconds;
  if (upForSeconds < gracePeriodSeconds) {
    return `sequencer back up ${Math.max(0, Math.floor(upForSeconds))} s ago, inside the ${gracePeriodSeconds} s grace period`;
  }
  return null;
}
