/**
 * The keeper's shared vocabulary. Every stage of the pipeline (collectors → markets → strategy →
 * risk gate → executor → journal) speaks these types, so a stage can be replaced or tested alone.
 *
 * Units: token amounts are raw bigint base units; USD figures used for ranking and risk limits are
 * plain numbers (floating point is fine there: they decide, they are never sent on chain); health
 * factors are WAD bigints (1e18 = 1.0).
 */
import type { Address } from "../config/address-book";

export type { Address };

export const WAD = 10n ** 18n;

/** The lending protocol families the executor can liquidate. */
export type ProtocolKind = "aaveV3" | "morphoBlue" | "moonwell";

/** Where the debt asset is borrowed from for the duration of one transaction. */
export type FlashSourceKind = "none" | "balancer" | "morphoBlue" | "aaveV3" | "uniswapV3";

/** Where seized collateral is sold for the debt asset ("none" when they are the same token). */
export type SwapVenue = "none" | "uniswapV3" | "aerodrome";

/** Identifies one borrower's position in one market. `market` is the market plug-in's id. */
export interface PositionKey {
  readonly protocol: ProtocolKind;
  readonly market: string;
  readonly borrower: Address;
}

export function positionKeyId(key: PositionKey): string {
  return `${key.protocol}:${key.market}:${key.borrower.toLowerCase()}`;
}

export interface CollateralHolding {
  readonly token: Address;
  /** Underlying amount (for Compound-v2 markets: cTokens converted at the exchange rate). */
  readonly amount: bigint;
  readonly valueUsd: number;
  /** Liquidation threshold (Aave) / LLTV (Morpho) / collateral factor (Compound), in basis points. */
  readonly liquidationThresholdBps: number;
  /** Bonus the liquidator receives on this collateral, in basis points over 10,000 (e.g. 500 = 5%). */
  readonly liquidationBonusBps: number;
}

export interface DebtHolding {
  readonly token: Address;
  readonly amount: bigint;
  readonly valueUsd: number;
}

/** A borrower's position as a market plug-in keeps it in memory. */
export interface TrackedPosition {
  readonly key: PositionKey;
  readonly collaterals: readonly CollateralHolding[];
  readonly debts: readonly DebtHolding[];
  /** WAD; below WAD the position is liquidatable. */
  readonly healthFactor: bigint;
  readonly updatedAtBlock: number;
}

/** A liquidation sized by the protocol's own rules (close factor, bonus, dust), before routing. */
export interface LiquidationCandidate {
  readonly key: PositionKey;
  readonly collateralToken: Address;
  readonly debtToken: Address;
  /** Debt the executor repays. */
  readonly debtToCover: bigint;
  /** Collateral the protocol will hand over for `debtToCover`, bonus included. */
  readonly expectedCollateral: bigint;
  readonly debtToCoverUsd: number;
  readonly expectedCollateralUsd: number;
  /** Which rule sized it, for the journal: e.g. "aave-v3.0-close-factor-50%". */
  readonly sizingRule: string;
  readonly healthFactor: bigint;
  readonly detectedAtBlock: number;
  /**
   * The exact arguments of the protocol call when they are more than `debtToCover` (Morpho takes
   * either seized assets or repaid shares; Compound-v2 needs both markets; Aave's argument can differ
   * from the debt actually repaid).
   */
  readonly callArgs?: LiquidationCallArgs;
}

/** Protocol call arguments the sizing rules computed, for the protocols that need more than an amount. */
export type LiquidationCallArgs =
  | {
      readonly protocol: "aaveV3";
      /**
       * The `debtToCover` argument to pass to liquidationCall. It exceeds `candidate.debtToCover` when
       * the collateral balance caps the liquidation: the pool must recompute that cap itself, because
       * passing the computed debt back leaves a wei of collateral and v3.3 reverts (MUST_NOT_LEAVE_DUST).
       */
      readonly debtToCoverArgument: bigint;
    }
  | {
      readonly protocol: "morphoBlue";
      /** Exactly one of the two is non-zero, as Morpho's `liquidate` requires. */
      readonly seizedAssets: bigint;
      readonly repaidShares: bigint;
    }
  | {
      readonly protocol: "moonwell";
      /** The market (cToken/mToken) whose borrow is repaid and the one whose tokens are seized. */
      readonly borrowedMarket: Address;
      readonly collateralMarket: Address;
      readonly repayAmount: bigint;
      /** Market tokens the liquidator receives after the protocol's seize share. */
      readonly liquidatorSeizeTokens: bigint;
    };

/** A quote for selling `amountIn` of collateral for the debt token on one venue. */
export interface SwapQuote {
  readonly venue: SwapVenue;
  readonly tokenIn: Address;
  readonly tokenOut: Address;
  readonly amountIn: bigint;
  readonly amountOut: bigint;
  /** Venue-specific route: Uniswap V3 packed path bytes, or Aerodrome routes ABI-encoded. */
  readonly route: string;
  readonly gasEstimate: bigint;
  /**
   * Pools the route trades through, when the quoter knows them. The strategy never routes through
   * the Uniswap V3 pool it flash-borrows from: that pool is locked for the whole flash callback.
   */
  readonly pools?: readonly Address[];
}

/** One flash-liquidity option for a token, as the strategy sees it. */
export interface FlashSourceOption {
  readonly kind: FlashSourceKind;
  readonly address: Address;
  readonly token: Address;
  /** Fee in basis points of the borrowed amount (Aave V3 on Base: 5; Balancer, Morpho: 0). */
  readonly feeBps: number;
  /** What the source can lend right now. */
  readonly availableLiquidity: bigint;
}

/** A fully specified liquidation the executor contract can run, with its economics. */
export interface LiquidationPlan {
  /** Deterministic id: position key + block, so the same opportunity is never planned twice. */
  readonly id: string;
  readonly candidate: LiquidationCandidate;
  readonly flash: {
    readonly kind: FlashSourceKind;
    readonly address: Address;
    readonly amount: bigint;
    readonly fee: bigint;
  };
  readonly swap: SwapQuote | null;
  /** Profit is measured in this token on chain (normally the debt token). */
  readonly profitToken: Address;
  readonly expectedProfit: bigint;
  readonly expectedProfitUsd: number;
  readonly gasUnits: bigint;
  readonly gasCostUsd: number;
  /** expectedProfitUsd - gasCostUsd - priority fee bid; what ranking sorts by. */
  readonly netProfitUsd: number;
  /** The priority-fee bid per gas (a share of expected profit, capped) and the fee cap to sign with. */
  readonly priorityFeePerGas?: bigint;
  readonly maxFeePerGas?: bigint;
  /** What the priority-fee bid costs in USD if the transaction uses `gasUnits`. */
  readonly bidUsd?: number;
}

/** Why a candidate did not become a plan, or a plan was not sent. Journaled verbatim. */
export type SkipReason =
  | "not-liquidatable"
  | "dust"
  | "unprofitable"
  | "no-route"
  | "no-flash-liquidity"
  | "below-min-profit"
  | "above-max-single"
  | "daily-volume-exceeded"
  | "daily-loss-exceeded"
  | "priority-fee-cap"
  | "borrower-cooldown"
  | "breaker-halted"
  | "breaker-throttled"
  | "simulation-failed"
  | "dry-run";

export interface PlanDecision {
  readonly candidate: LiquidationCandidate;
  readonly plan: LiquidationPlan | null;
  readonly outcome: "planned" | "skipped";
  readonly reason?: SkipReason;
  readonly detail?: string;
}

/** DRY simulates and journals without sending; LIVE sends. */
export type KeeperMode = "DRY" | "LIVE";

export type BreakerState = "NORMAL" | "THROTTLED" | "HALTED";

/**
 * An execution's life cycle, in order. `intent_recorded` is written before signing so a crash after
 * it can be reconciled against the chain; the last four are terminal.
 */
export const EXECUTION_STATES = [
  "planned",
  "simulated",
  "intent_recorded",
  "signed",
  "sent",
  "included",
  "failed",
  "replaced",
  "dropped",
] as const;
export type ExecutionState = (typeof EXECUTION_STATES)[number];
export const TERMINAL_EXECUTION_STATES: readonly ExecutionState[] = ["included", "failed", "replaced", "dropped"];
