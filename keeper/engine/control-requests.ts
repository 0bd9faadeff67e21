/**
 * Applies the operator's control requests (written to the journal by `keeper:resume`, `keeper:mode`,
 * `keeper:tier` and `emergency`'s halt) to the running keeper, once per loop iteration. A halt latches
 * the circuit breaker HALTED (so it is in the breaker's saved snapshot and survives a restart); a
 * resume is the breaker's own resume. Each request ends `applied` or
 * `rejected` with a reason, and each change is journaled as a system event, so the task that queued it
 * (`--wait`) and /status both see what happened.
 *
 * LIVE is re-checked here, in the keeper's own environment, with the same safeguards as start-up:
 * the task's environment passing them proves nothing about the process that signs.
 */
import type { KeeperMode } from "../core/types";
import type { Journal } from "../journal/journal";
import type { ControlRequestRecord } from "../journal/records";
import type { CircuitBreaker } from "../risk/circuit-breaker";
import type { Instant } from "../risk/instant";
import { limitsForTier } from "../risk/limits";
import type { RiskGate } from "../risk/risk-gate";
import type { KeeperMetrics } from "../telemetry/metrics";
import type { Logger } from "../telemetry/logger";
import type { RiskBookkeeper } from "./risk-bookkeeper";

export interface ControlTarget {
  readonly journal: Journal;
  readonly breaker: CircuitBreaker;
  readonly riskGate: RiskGate;
  getMode(): KeeperMode;
  setMode(mode: KeeperMode): void;
  /** Violations that forbid LIVE right now (safeguards, no key); empty = LIVE allowed. */
  liveViolations(): readonly string[];
}

export interface AppliedControl {
  readonly id: number;
  readonly kind: ControlRequestRecord["kind"];
  readonly outcome: "applied" | "rejected";
  readonly detail: string;
}

export function applyPendingControlRequests(target: ControlTarget, at: Instant): AppliedControl[] {
  const applied: AppliedControl[] = [];
  for (const request of target.journal.pendingControlRequests()) {
    const { outcome, detail } = applyOne(target, request, at);
    target.journal.completeControlRequest(request.id, outcome, detail);
    applied.push({ id: request.id, kind: request.kind, outcome, detail });
  }
  return applied;
}

function applyOne(target: ControlTarget, request: ControlRequestRecord, at: Instant): { outcome: "applied" | "rejected"; detail: string } {
  const actor = `task:keeper:${request.kind} by ${request.requestedBy}`;
  switch (request.kind) {
    case "resume": {
      const result = target.breaker.resume(request.requestedBy, request.payload.reason, at);
      if (!result.resumed) return { outcome: "rejected", detail: result.detail };
      const detail = `breaker ${result.transition.from} → ${result.transition.to}: ${request.payload.reason}`;
      target.journal.recordSystemEvent({ kind: "resume", actor, detail, data: { requestId: request.id } });
      target.journal.recordSystemEvent({ kind: "breaker_transition", actor, detail, data: result.transition });
      return { outcome: "applied", detail };
    }
    case "mode": {
      const from = target.getMode();
      const to = request.payload.mode;
      if (from === to) return { outcome: "rejected", detail: `the keeper is already ${to}` };
      if (to === "LIVE") {
        const violations = target.liveViolations();
        if (violations.length > 0)
          return { outcome: "rejected", detail: `LIVE refused in the keeper's environment: ${violations.join("; ")}` };
      }
      target.setMode(to);
      const detail = `${from} → ${to}${request.payload.reason ? `: ${request.payload.reason}` : ""}`;
      target.journal.recordSystemEvent({ kind: "mode_change", actor, detail, data: { from, to, requestId: request.id } });
      return { outcome: "applied", detail };
    }
    case "tier": {
      const current = target.riskGate.limits;
      const limits = limitsForTier(request.payload.tier, {
        maxPriorityFeePerGasWei: current.maxPriorityFeePerGasWei,
        maxFeePerGasWei: current.maxFeePerGasWei,
        borrowerCooldown: current.borrowerCooldown,
      });
      const change = target.riskGate.changeLimits(limits, request.payload.tier, request.requestedBy, at);
      const detail = `limits ${String(change.from)} → tier ${request.payload.tier}${request.payload.reason ? `: ${request.payload.reason}` : ""}`;
      target.journal.recordSystemEvent({
        kind: "tier_change",
        actor,
        detail,
        data: { from: change.from, to: change.to, requestId: request.id },
      });
      return { outcome: "applied", detail };
    }
    case "halt": {
      const transition = target.breaker.haltByOperator(request.requestedBy, request.payload.reason, at);
      const detail =
        transition === null
          ? `operator halt: ${request.payload.reason}; the breaker was already HALTED (${target.breaker.describe().haltedBy?.trigger}) and stays so until keeper:resume`
          : `operator halt: ${request.payload.reason}; breaker ${transition.from} → HALTED, sending stops until keeper:resume`;
      target.journal.recordSystemEvent({ kind: "halt", actor, detail, data: { requestId: request.id } });
      if (transition !== null) target.journal.recordSystemEvent({ kind: "breaker_transition", actor, detail, data: transition });
      return { outcome: "applied", detail };
    }
  }
}

/** What the engine hands over to apply the queue: its journal, risk bookkeeping, logs, and its mode. */
export interface EngineControls {
  readonly journal: Journal;
  readonly risk: RiskBookkeeper;
  readonly metrics: KeeperMetrics;
  readonly logger: Logger;
  liveViolations(): readonly string[];
  getMode(): KeeperMode;
  setMode(mode: KeeperMode): void;
}

/**
 * The engine's side: applies the queue, logs each outcome, and books what changed the breaker or the
 * limits with the risk bookkeeper (metric, saved snapshot), so a halt is on disk before the next block.
 */
export function applyControlsToEngine(engine: EngineControls, at: Instant): AppliedControl[] {
  const { journal, risk, logger } = engine;
  const stateBefore = risk.breaker.state;
  const applied = applyPendingControlRequests(
    {
      journal,
      breaker: risk.breaker,
      riskGate: risk.riskGate,
      getMode: () => engine.getMode(),
      setMode: (mode) => {
        engine.setMode(mode);
        engine.metrics.setMode(mode);
      },
      liveViolations: () => engine.liveViolations(),
    },
    at,
  );
  if (applied.length > 0) {
    for (const control of applied) logger.info({ control }, `control request #${control.id} (${control.kind}) ${control.outcome}`);
    if (risk.breaker.state !== stateBefore || applied.some((c) => c.kind === "tier" && c.outcome === "applied")) risk.noteTransition();
    risk.persist(true);
  }
  return applied;
}
