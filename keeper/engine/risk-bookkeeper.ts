/**
 * Keeps the risk gate and the circuit breaker told, and their state safe: every execution outcome
 * goes to both, every external observation to the breaker, every breaker transition becomes a journal
 * system event, a metric, a log line and an alert, and both snapshots are saved to the journal so a
 * restart does not forget today's volume, losses, cooldowns or a HALT.
 */
import type { AlertDispatcher } from "../alerts/alert-dispatcher";
import type { AlertSeverity } from "../alerts/alert";
import type { Journal } from "../journal/journal";
import {
  CircuitBreaker,
  type BreakerObservation,
  type BreakerThresholds,
  type BreakerTransition,
  type CircuitBreakerSnapshot,
} from "../risk/circuit-breaker";
import type { ExecutionOutcome } from "../risk/execution-outcome";
import type { Instant } from "../risk/instant";
import type { RiskLimits } from "../risk/limits";
import { RiskGate, type LimitsLabel, type RiskGateSnapshot } from "../risk/risk-gate";
import type { KeeperMetrics } from "../telemetry/metrics";
import type { Logger } from "../telemetry/logger";

export const RISK_GATE_STATE_KEY = "risk-gate";
export const BREAKER_STATE_KEY = "circuit-breaker";

export interface RiskBookkeeperOptions {
  readonly journal: Journal;
  readonly metrics: KeeperMetrics;
  readonly logger: Logger;
  readonly alerts: AlertDispatcher | null;
  readonly limits: { readonly limits: RiskLimits; readonly label: LimitsLabel };
  readonly thresholds: BreakerThresholds;
  readonly now: Instant;
}

export class RiskBookkeeper {
  riskGate: RiskGate;
  breaker: CircuitBreaker;
  private readonly options: RiskBookkeeperOptions;
  private dirty = false;

  /** Restores both from the journal's snapshots when there are any (limits always come from config). */
  constructor(options: RiskBookkeeperOptions) {
    this.options = options;
    const { riskGate, breaker } = RiskBookkeeper.#restore(options, options.now);
    this.riskGate = riskGate;
    this.breaker = breaker;
  }

  /**
   * Reads both snapshots again: a standby taking over continues from what the last leader saved (today's
   * volume and losses, cooldowns, a HALT), not from what it read when it started.
   */
  reload(now: Instant): void {
    const { riskGate, breaker } = RiskBookkeeper.#restore(this.options, now);
    this.riskGate = riskGate;
    this.breaker = breaker;
    this.dirty = false;
  }

  static #restore(options: RiskBookkeeperOptions, now: Instant): { riskGate: RiskGate; breaker: CircuitBreaker } {
    const { journal, limits, thresholds } = options;
    const gateState = journal.loadRiskState<RiskGateSnapshot>(RISK_GATE_STATE_KEY);
    const breakerState = journal.loadRiskState<CircuitBreakerSnapshot>(BREAKER_STATE_KEY);
    const riskGate = gateState
      ? RiskGate.fromSnapshot(gateState.value, limits.limits, limits.label, now)
      : new RiskGate(limits.limits, limits.label, now);
    const breaker = breakerState ? CircuitBreaker.fromSnapshot(breakerState.value, thresholds) : new CircuitBreaker(thresholds);
    options.metrics.setBreakerState(breaker.state);
    if (breaker.state !== "NORMAL") options.logger.warn({ breaker: breaker.describe() }, `restored circuit breaker is ${breaker.state}`);
    return { riskGate, breaker };
  }

  /** The execution stage reports here. */
  record(outcome: ExecutionOutcome): void {
    this.riskGate.record(outcome);
    this.handle(this.breaker.recordOutcome(outcome));
    this.dirty = true;
  }

  observe(observation: BreakerObservation): void {
    const transitions = this.breaker.observe(observation);
    if (transitions.length > 0) this.dirty = true;
    this.handle(transitions);
  }

  /** Journals transitions that did not come through `record`/`observe` (an operator resume). */
  noteTransition(): void {
    this.options.metrics.setBreakerState(this.breaker.state);
    this.resolveBreakerAlerts(`breaker ${this.breaker.state} after an operator request`);
    this.dirty = true;
  }

  /**
   * Writes both snapshots when anything changed since the last save, in ONE commit: a restart reads the two as of the
   * same moment, and a busy keeper (a save after most 200 ms blocks) pays one fsync per save, not two (the journal
   * skips a snapshot its row already holds).
   */
  persist(force = false): void {
    if (!this.dirty && !force) return;
    const { journal } = this.options;
    journal.atomically(() => {
      journal.saveRiskState(RISK_GATE_STATE_KEY, this.riskGate.toSnapshot());
      journal.saveRiskState(BREAKER_STATE_KEY, this.breaker.toSnapshot());
    });
    this.dirty = false;
  }

  /** One incident per breaker state: being in a state resolves the others' (NORMAL closes both). */
  private resolveBreakerAlerts(detail: string, state = this.breaker.state): void {
    for (const other of ["THROTTLED", "HALTED"] as const) {
      if (other !== state) void this.options.alerts?.resolve(`breaker-${other.toLowerCase()}`, detail);
    }
  }

  private handle(transitions: readonly BreakerTransition[]): void {
    const { journal, metrics, logger, alerts } = this.options;
    for (const transition of transitions) {
      const detail = `${transition.from} → ${transition.to} (${transition.trigger}): ${transition.detail}`;
      journal.recordSystemEvent({ kind: "breaker_transition", actor: "breaker", detail, data: transition });
      logger.warn({ transition }, `circuit breaker ${detail}`);
      this.resolveBreakerAlerts(`breaker ${detail}`, transition.to);
      if (transition.to === "NORMAL") continue;
      const severity: AlertSeverity = transition.to === "HALTED" ? "critical" : "warning";
      void alerts?.dispatch({
        key: `breaker-${transition.to.toLowerCase()}`,
        severity,
        title: `Circuit breaker ${transition.to}`,
        detail: transition.to === "HALTED" ? `${detail}. Sending has stopped until \`npx hardhat keeper:resume\`.` : detail,
      });
    }
    metrics.setBreakerState(this.breaker.state);
  }
}
