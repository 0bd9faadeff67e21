/**
 * From the validated config (human units: gwei, USD, tiers) to what the strategy and risk code take
 * (wei bigints, full limit sets). One place, so the engine wiring never converts units itself.
 */
import { DEFAULT_BREAKER_THRESHOLDS, type BreakerThresholds } from "../risk/circuit-breaker";
import { TIER_PRESETS, type RiskLimits } from "../risk/limits";
import type { LimitsLabel } from "../risk/risk-gate";
import type { StrategySettings } from "../strategy/build-plan";
import { gweiToWei } from "../strategy/economics";
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
      borrowerCooldown: { ...limits.borrowerCooldown },
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

/** Breaker thresholds; the daily-loss trip point follows the limits unless the config sets its own. */
export function breakerThresholdsFromConfig(config: KeeperConfig): BreakerThresholds {
  const { breaker } = config;
  return {
    ...DEFAULT_BREAKER_THRESHOLDS,
    ...breaker,
    dailyLoss: {
      severity: breaker.dailyLoss.severity,
      maxUsd: breaker.dailyLoss.maxUsd ?? riskLimitsFromConfig(config).limits.maxDailyLossUsd,
    },
  };
}
