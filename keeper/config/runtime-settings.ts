/**
 * From the validated config (human units: gwei, USD, tiers) to what the strategy and risk code take
 * (wei bigints, full limit sets). One place, so the engine wiring never converts units itself.
 */
import { DEFAULT_BREAKER_THRESHOLDS, type BreakerThresholds } from "../risk/circuit-breaker";
import { TIER_PRESETS, type RiskLimits } from "../risk/limits";
import type { LimitsLabel } from "../risk/risk-gate";
import type { StrategySettings } from "../strategy/build-plan";
import { gweiToWei } from "../strategy/economics";
import { blocksIn } from "./block-time";
import type { KeeperConfig } from "./schema";

export const USD_LIMIT_FIELDS = ["minProfitUsd", "maxSingleExecutionUsd", "maxDailyVolumeUsd", "maxDailyLossUsd"] as const;

/** The limits in force: the tier preset with any explicit USD field laid over it ("custom" if any is). */
export function riskLimitsFromConfig(config: KeeperConfig): { limits: RiskLimits; label: LimitsLabel } {
  const { limits } = config;
  const preset = limits.tier === undefined ? undefined : TIER_PRESETS[limits.tier];
  const usd = {} as Record<(typeof USD_LIMIT_FIELDS)[number], number>;
  let overridden = false;
  for (const field of USD_LIMIT_FIELDS) {
    const explicit = limits[field];
    if (explicit !== undefined) overridden = overridden || preset === undefined || explicit !== preset[field];
    const value = explicit ?? preset?.[field];
    // The schema guarantees one of the two: a tier, or every USD field.
    if (value === undefined) throw new Error(`limits.${field} has neither a tier preset nor a value`);
    usd[field] = value;
  }
  return {
    limits: {
      ...usd,
      maxPriorityFeePerGasWei: gweiToWei(limits.maxPriorityFeeGwei),
      maxFeePerGasWei: gweiToWei(limits.maxFeePerGasGwei),
      // A time, kept a time: the risk gate compares it with the clock, not with block numbers.
      borrowerCooldown: { amount: limits.borrowerCooldownMs / 1_000, unit: "seconds" },
    },
    label: limits.tier !== undefined && !overridden ? limits.tier : "custom",
  };
}

export function strategySettingsFromConfig(config: KeeperConfig): StrategySettings {
  return {
    bidShareOfProfit: config.strategy.bidShareOfProfit,
    maxPriorityFeePerGasWei: gweiToWei(config.strategy.maxPriorityFeeGwei),
    dustUsd: config.strategy.dustUsd,
    gasUnitsFallback: BigInt(config.strategy.gasUnitsFallback),
  };
}

/**
 * Breaker thresholds; the daily-loss trip point follows the limits unless the config sets its own, and the
 * throttle's time becomes blocks at `blockTimeMs`.
 */
export function breakerThresholdsFromConfig(config: KeeperConfig, blockTimeMs: number): BreakerThresholds {
  const { breaker } = config;
  return {
    ...DEFAULT_BREAKER_THRESHOLDS,
    ...breaker,
    throttle: {
      minBlocksBetweenExecutions: blocksIn(breaker.throttle.minMsBetweenExecutions, blockTimeMs, "breaker.throttle.minMsBetweenExecutions"),
    },
    dailyLoss: {
      severity: breaker.dailyLoss.severity,
      maxUsd: breaker.dailyLoss.maxUsd ?? riskLimitsFromConfig(config).limits.maxDailyLossUsd,
    },
  };
}

/** The execution settings in blocks, at the chain's block time. */
export interface ExecutionTiming {
  readonly blockTimeMs: number;
  /** A plan's deadlineBlock = simulated block + this. */
  readonly planDeadlineBlocks: number;
  /** Blocks without a receipt before a bump. */
  readonly inclusionBlockBudget: number;
  /** Retry back-off: first wait and cap, in blocks. */
  readonly retryBackoffBlocks: { readonly initial: number; readonly max: number };
  /** An endpoint further behind the best than this many blocks is demoted. */
  readonly maxHeadLagBlocks: number;
}

/** Every time setting counted in blocks of `blockTimeMs` (rounded up, so nothing is shortened), each error naming its field. */
export function executionTimingFromConfig(config: KeeperConfig, blockTimeMs: number): ExecutionTiming {
  const { execution } = config;
  return {
    blockTimeMs,
    planDeadlineBlocks: blocksIn(execution.planDeadlineMs, blockTimeMs, "execution.planDeadlineMs"),
    inclusionBlockBudget: blocksIn(execution.inclusionTimeoutMs, blockTimeMs, "execution.inclusionTimeoutMs"),
    retryBackoffBlocks: {
      initial: blocksIn(execution.retryBackoff.initialMs, blockTimeMs, "execution.retryBackoff.initialMs"),
      max: blocksIn(execution.retryBackoff.maxMs, blockTimeMs, "execution.retryBackoff.maxMs"),
    },
    maxHeadLagBlocks: blocksIn(config.rpc.maxHeadLagMs, blockTimeMs, "rpc.maxHeadLagMs", 0),
  };
}
