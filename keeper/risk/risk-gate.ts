/**
 * The risk gate: decides whether an approved-by-strategy plan may be executed, given the operator's
 * limits and what already happened today. Deterministic: the time arrives as an argument, and the
 * whole state round-trips through a JSON snapshot so the journal can restore it after a restart
 * (a restart must not reset today's volume or loss).
 *
 * `evaluate` never changes state; `record` is the only writer.
 */
import type { Address, LiquidationPlan, SkipReason } from "../core/types";
import type { ExecutionOutcome } from "./execution-outcome";
import { utcDayKey, type Instant } from "./instant";
import type { RiskLimits, RiskTier } from "./limits";

export type RiskDecision = { readonly approved: true } | { readonly approved: false; readonly reason: SkipReason; readonly detail: string };

/** The circuit breaker's say, consulted first (CircuitBreaker implements it). */
export interface BreakerAdmission {
  /** `approvedNotSubmitted`: plans already admitted that no submission has booked yet (RiskContext.pending). */
  admit(now: Instant, approvedNotSubmitted?: number): RiskDecision;
}

/**
 * Plans the caller approved and has not heard back about (`record` books a plan when its transaction is submitted). A
 * busy step's chunk is gated whole before its first send: without this, every plan of it saw the same "today", and a
 * chunk of 32 could pass the daily volume many times over, or all go through a THROTTLED breaker's one-per-window.
 */
export interface PendingApprovals {
  readonly plans: number;
  readonly volumeUsd: number;
}

export interface RiskContext {
  readonly now: Instant;
  readonly breaker?: BreakerAdmission;
  /** Counted as already sent: against the daily volume, and by the breaker's throttle. Default none. */
  readonly pending?: PendingApprovals;
}

export type LimitsLabel = RiskTier | "custom";

/** A tier or limits change, for the journal's system events. */
export interface LimitsChange {
  readonly kind: "limits-changed";
  readonly from: LimitsLabel;
  readonly to: LimitsLabel;
  readonly operator: string;
  readonly at: Instant;
}

export interface RiskGateSnapshot {
  readonly version: 1;
  readonly day: string;
  readonly volumeUsd: number;
  readonly lossUsd: number;
  readonly realisedProfitUsd: number;
  readonly executions: number;
  readonly cooldowns: ReadonlyArray<{ readonly borrower: string; readonly untilBlock?: number; readonly untilTimeMs?: number }>;
}

interface Cooldown {
  readonly untilBlock?: number;
  readonly untilTimeMs?: number;
}

interface DailyTotals {
  day: string;
  volumeUsd: number;
  lossUsd: number;
  realisedProfitUsd: number;
  executions: number;
}

const usd = (value: number): string => `$${value.toFixed(2)}`;

export class RiskGate {
  private totals: DailyTotals;
  private readonly cooldowns = new Map<string, Cooldown>();

  constructor(
    private limitsInForce: RiskLimits,
    private label: LimitsLabel,
    startedAt: Instant,
  ) {
    this.totals = { day: utcDayKey(startedAt.timeMs), volumeUsd: 0, lossUsd: 0, realisedProfitUsd: 0, executions: 0 };
  }

  get limits(): RiskLimits {
    return this.limitsInForce;
  }

  get limitsLabel(): LimitsLabel {
    return this.label;
  }

  /** Today's totals as of `now` (zero after UTC midnight even before anything is recorded). */
  totalsAt(now: Instant): Readonly<DailyTotals> {
    const day = utcDayKey(now.timeMs);
    return day === this.totals.day ? { ...this.totals } : { day, volumeUsd: 0, lossUsd: 0, realisedProfitUsd: 0, executions: 0 };
  }

  evaluate(plan: LiquidationPlan, context: RiskContext): RiskDecision {
    const limits = this.limitsInForce;
    if (context.breaker) {
      const admission = context.breaker.admit(context.now, context.pending?.plans ?? 0);
      if (!admission.approved) return admission;
    }
    const today = this.totalsAt(context.now);
    if (today.lossUsd >= limits.maxDailyLossUsd) {
      return refuse(
        "daily-loss-exceeded",
        `lost ${usd(today.lossUsd)} today (UTC ${today.day}); the limit is ${usd(limits.maxDailyLossUsd)}`,
      );
    }
    const cooldown = this.cooldowns.get(borrowerId(plan.candidate.key.borrower));
    if (cooldown && isCooling(cooldown, context.now)) {
      return refuse(
        "borrower-cooldown",
        `borrower ${plan.candidate.key.borrower} failed recently; cooling down until ${describeCooldown(cooldown)}`,
      );
    }
    if (plan.netProfitUsd < limits.minProfitUsd) {
      return refuse("below-min-profit", `net profit ${usd(plan.netProfitUsd)} is below the ${usd(limits.minProfitUsd)} minimum`);
    }
    const debtUsd = plan.candidate.debtToCoverUsd;
    if (debtUsd > limits.maxSingleExecutionUsd) {
      return refuse("above-max-single", `repays ${usd(debtUsd)}; the single-execution limit is ${usd(limits.maxSingleExecutionUsd)}`);
    }
    const pending = nonNegative(context.pending?.volumeUsd ?? 0, "pending.volumeUsd");
    if (today.volumeUsd + pending + debtUsd > limits.maxDailyVolumeUsd) {
      const spent = pending > 0 ? `${usd(today.volumeUsd)} sent today + ${usd(pending)} approved` : `${usd(today.volumeUsd)} already today`;
      return refuse("daily-volume-exceeded", `${spent} + ${usd(debtUsd)} exceeds the ${usd(limits.maxDailyVolumeUsd)} daily volume`);
    }
    if (plan.priorityFeePerGas !== undefined && plan.priorityFeePerGas > limits.maxPriorityFeePerGasWei) {
      return refuse("priority-fee-cap", `priority fee ${plan.priorityFeePerGas} wei/gas exceeds the ${limits.maxPriorityFeePerGasWei} cap`);
    }
    if (plan.maxFeePerGas !== undefined && plan.maxFeePerGas > limits.maxFeePerGasWei) {
      return refuse("priority-fee-cap", `max fee ${plan.maxFeePerGas} wei/gas exceeds the ${limits.maxFeePerGasWei} cap`);
    }
    return { approved: true };
  }

  /** Books an execution outcome: volume on submission, profit or loss on the result, cooldown on failure. */
  record(outcome: ExecutionOutcome): void {
    this.rollDay(outcome.at);
    this.pruneCooldowns(outcome.at);
    switch (outcome.kind) {
      case "submitted":
        this.totals.volumeUsd += nonNegative(outcome.debtValueUsd, "debtValueUsd");
        this.totals.executions += 1;
        return;
      case "included":
        if (outcome.realisedProfitUsd < 0) this.totals.lossUsd += -outcome.realisedProfitUsd;
        this.totals.realisedProfitUsd += outcome.realisedProfitUsd;
        return;
      case "failed": {
        const loss = nonNegative(outcome.lossUsd, "lossUsd");
        this.totals.lossUsd += loss;
        this.totals.realisedProfitUsd -= loss;
        const { amount, unit } = this.limitsInForce.borrowerCooldown;
        this.cooldowns.set(
          borrowerId(outcome.borrower),
          unit === "blocks" ? { untilBlock: outcome.at.block + amount } : { untilTimeMs: outcome.at.timeMs + amount * 1_000 },
        );
        return;
      }
    }
  }

  /** Replaces the limits in force (a tier change); returns the record the journal keeps. */
  changeLimits(limits: RiskLimits, label: LimitsLabel, operator: string, at: Instant): LimitsChange {
    const change: LimitsChange = { kind: "limits-changed", from: this.label, to: label, operator, at };
    this.limitsInForce = limits;
    this.label = label;
    return change;
  }

  toSnapshot(): RiskGateSnapshot {
    return {
      version: 1,
      ...this.totals,
      cooldowns: [...this.cooldowns.entries()].map(([borrower, cooldown]) => ({ borrower, ...cooldown })),
    };
  }

  /** Restores a gate from its snapshot; the limits come from the current config, not the snapshot. */
  static fromSnapshot(snapshot: RiskGateSnapshot, limits: RiskLimits, label: LimitsLabel, now: Instant): RiskGate {
    if (snapshot.version !== 1) throw new Error(`unsupported risk gate snapshot version ${String(snapshot.version)}`);
    const gate = new RiskGate(limits, label, now);
    gate.totals = {
      day: snapshot.day,
      volumeUsd: snapshot.volumeUsd,
      lossUsd: snapshot.lossUsd,
      realisedProfitUsd: snapshot.realisedProfitUsd,
      executions: snapshot.executions,
    };
    for (const { borrower, untilBlock, untilTimeMs } of snapshot.cooldowns) {
      if (untilBlock !== undefined) gate.cooldowns.set(borrower, { untilBlock });
      else if (untilTimeMs !== undefined) gate.cooldowns.set(borrower, { untilTimeMs });
      else throw new Error(`risk gate snapshot: cooldown of ${borrower} has neither untilBlock nor untilTimeMs`);
    }
    gate.rollDay(now);
    gate.pruneCooldowns(now);
    return gate;
  }

  private rollDay(at: Instant): void {
    const day = utcDayKey(at.timeMs);
    if (day !== this.totals.day) this.totals = { day, volumeUsd: 0, lossUsd: 0, realisedProfitUsd: 0, executions: 0 };
  }

  private pruneCooldowns(now: Instant): void {
    for (const [borrower, cooldown] of this.cooldowns) if (!isCooling(cooldown, now)) this.cooldowns.delete(borrower);
  }
}

function refuse(reason: SkipReason, detail: string): RiskDecision {
  return { approved: false, reason, detail };
}

function borrowerId(borrower: Address | string): string {
  return borrower.toLowerCase();
}

function isCooling(cooldown: Cooldown, now: Instant): boolean {
  return (
    (cooldown.untilBlock !== undefined && now.block < cooldown.untilBlock) ||
    (cooldown.untilTimeMs !== undefined && now.timeMs < cooldown.untilTimeMs)
  );
}

function describeCooldown(cooldown: Cooldown): string {
  return cooldown.untilBlock !== undefined ? `block ${cooldown.untilBlock}` : new Date(cooldown.untilTimeMs ?? 0).toISOString();
}

function nonNegative(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number, got ${value}`);
  return value;
}
