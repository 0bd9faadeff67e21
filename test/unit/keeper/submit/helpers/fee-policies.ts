/**
 * The fee policies the submit tests sign under, one per shape, so a test names which it means instead of restating
 * the caps.
 */
import { DEFAULT_FEE_POLICY, type FeePolicyConfig } from "../../../../../keeper/submit/fee-policy";

const GWEI = 10n ** 9n;

/** The keeper's own policy shape: 12.5% bumps, the cancel ceiling twice the bid cap (assemble-keeper.ts). */
export const KEEPER_SHAPED_FEE_POLICY: FeePolicyConfig = {
  ...DEFAULT_FEE_POLICY,
  maxFeePerGasCap: 100n * GWEI,
  maxPriorityFeePerGasCap: 10n * GWEI,
  cancelMaxFeePerGasCeiling: 200n * GWEI,
};

/** For sends to the local node: caps well above its base fee, and room for cancels above them. */
export const LOCAL_NODE_FEE_POLICY: FeePolicyConfig = {
  ...DEFAULT_FEE_POLICY,
  maxFeePerGasCap: 50n * GWEI,
  maxPriorityFeePerGasCap: 5n * GWEI,
  cancelMaxFeePerGasCeiling: 200n * GWEI,
};
