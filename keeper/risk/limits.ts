/**
 * Risk limits and the tier presets an operator climbs as the keeper earns trust.
 *
 * Tiers 1 and 2 are the numbers. Tier 3 is ours: 2,500 single / 12,500 daily volume / $50 min
 * profit / $500 daily loss. It keeps the 5:1 daily-to-single ratio of tiers 1 and 2 (five full-size
 * liquidations a day before a person looks again), steps the single cap by 2.5x (a tier is earned by
 * a track record, not by one good day), and keeps the $50 minimum profit because the cost of a
 * failed attempt on Base (the priority-fee bid plus gas) does not shrink as positions grow. Daily loss
 * is 4% of daily volume on every tier.
 */

export type RiskTier = 1 | 2 | 3;

export interface BorrowerCooldown {
  readonly amount: number;
  readonly unit: "blocks" | "seconds";
}

export interface RiskLimits {
  readonly minProfitUsd: number;
  /** Largest debt repaid by one liquidation, USD. */
  readonly maxSingleExecutionUsd: number;
  /** Sum of debt repaid per UTC day, USD. */
  readonly maxDailyVolumeUsd: number;
  /** Gross realised losses per UTC day (gas of failures, negative outcomes), USD. */
  readonly maxDailyLossUsd: number;
  readonly maxPriorityFeePerGasWei: bigint;
  readonly maxFeePerGasWei: bigint;
  /** After a failed execution, leave that borrower alone this long. */
  readonly borrowerCooldown: BorrowerCooldown;
}

export type TierPreset = Pick<RiskLimits, "minProfitUsd" | "maxSingleExecutionUsd" | "maxDailyVolumeUsd" | "maxDailyLossUsd">;

export const TIER_PRESETS: Readonly<Record<RiskTier, TierPreset>> = {
  1: { maxSingleExecutionUsd: 500, maxDailyVolumeUsd: 2_500, minProfitUsd: 50, maxDailyLossUsd: 100 },
  2: { maxSingleExecutionUsd: 1_000, maxDailyVolumeUsd: 5_000, minProfitUsd: 50, maxDailyLossUsd: 200 },
  3: { maxSingleExecutionUsd: 2_500, maxDailyVolumeUsd: 12_500, minProfitUsd: 50, maxDailyLossUsd: 500 },
};

/** A tier preset with the fee caps and cooldown, which do not depend on the tier. */
export function limitsForTier(
  tier: RiskTier,
  rest: Pick<RiskLimits, "maxPriorityFeePerGasWei" | "maxFeePerGasWei" | "borrowerCooldown">,
): RiskLimits {
  return { ...TIER_PRESETS[tier], ...rest };
}
