/**
 * The keeper's risk layer: limits with tier presets, a gate that applies them, and a circuit breaker.
 * Pure state machines: time is injected, state snapshots to JSON for the journal.
 */
export { utcDayKey } from "./instant";
export type { Instant } from "./instant";
export type { ExecutionOutcome } from "./execution-outcome";
export { TIER_PRESETS, limitsForTier } from "./limits";
export type { BorrowerCooldown, RiskLimits, RiskTier, TierPreset } from "./limits";
export { RiskGate } from "./risk-gate";
export type { BreakerAdmission, LimitsChange, LimitsLabel, RiskContext, RiskDecision, RiskGateSnapshot } from "./risk-gate";
export { CircuitBreaker, DEFAULT_BREAKER_THRESHOLDS } from "./circuit-breaker";
export type {
  BreakerObservation,
  BreakerThresholds,
  BreakerTransition,
  BreakerTrigger,
  CircuitBreakerSnapshot,
  ResumeResult,
  TriggerSeverity,
} from "./circuit-breaker";
