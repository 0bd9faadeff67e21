/**
 * The keeper's shared vocabulary. Every stage of the pipeline (collectors → markets → strategy →
 * risk gate → executor → journal) speaks these types, so a stage can be replaced or tested alone.
 *
 * Units: token amounts are raw bigint base units; USD figures used for ranking and risk limits are
 * plain numbers (floating point is fine there: they decide, they are never sent on chain); health
 * factors are WAD bigints (1e18 = 1.0).
 */
import type { Address } from "../config/address-book";
import type { ExecutorFlashSource, ExecutorProtocolKind, ExecutorSwapVenue } from "./executor-enums";

export type { Address };

/**
 * The lending protocol a position belongs to: the `name` of its market plug-in in MARKET_PLUGINS
 * (keeper/markets/registry.ts), e.g. "aaveV3", "morphoBlue", "moonwell". The executor's own
 * ProtocolKind enum names something else, the shape of the call (LiquidationCall.shape).
 */
export type MarketProtocol = string;

/**
 * Where the debt asset is borrowed for the duration of one transaction: the `name` of a flash-lender
 * plug-in in FLASH_LENDERS (keeper/flash/registry.ts), or "none" when the liquidation funds itself.
 */
export type FlashSourceKind = string;

/**
 * Where seized collateral is sold for the debt asset: the `name` of a venue plug-in in SWAP_VENUES
 * (keeper/venues/registry.ts), or "none" when collateral and debt are the same token.
 */
export type SwapVenue = string;

/** Identifies one borrower's position in one market. `market` is the market plug-in's id. */
export interface PositionKey {
  readonly protocol: MarketProtocol;
  readonly market: string;
  readonly borrower: Address;
}

export function positionKeyId(key: PositionKey): string {
  return `${key.protocol}:${key.market}:${key.borrower.toLowerCase()}`;
}

export interface CollateralHolding {
  readonly token: Address;
  /** Underlying amount (for Moonwell: mTokens converted at the exchange rate). */
  readonly amount: bigint;
  readonly valueUsd: number;
  /** Liquidation threshold (Aave) / LLTV (Morpho) / collateral factor (Moonwell), in basis points. */
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
  /** Which rule sized it, for the journal and logs only (nothing decides on it): "aave-v3.0-close-factor-50%". */
  readonly sizingRule: string;
  readonly healthFactor: bigint;
  readonly detectedAtBlock: number;
  /** The protocol call the executor makes, built by the market plug-in; absent on a refusal (never encoded). */
  readonly call?: LiquidationCall;
}

/**
 * The protocol part of IChimeraExecutor.Liquidation for one candidate, as its market plug-in builds
 * it: the plan encoder copies these fields and knows no protocol. Fields a shape does not use are
 * left out (the encoder writes zero).
 */
export interface LiquidationCall {
  /** The call the executor makes (IChimeraExecutor.ProtocolKind): a Moonwell candidate is "CompoundV2". */
  readonly shape: ExecutorProtocolKind;
  /** Liquidation.market: the contract the executor calls (Aave pool, Morpho Blue, the debt's mToken; MoonwellOev: the debt's mToken, called by the wrapper). */
  readonly market: Address;
  /** Liquidation.debtToCover: the amount argument of the call (Aave debtToCover, Compound repayAmount). */
  readonly debtToCover: bigint;
  /** Liquidation.collateralMarket: the collateral's mToken (Compound-v2 and MoonwellOev shapes). */
  readonly collateralMarket?: Address;
  /** Liquidation.oevWrapper (MoonwellOev shape): the OEV wrapper of the collateral's feed, which the executor calls. */
  readonly oevWrapper?: Address;
  /** Liquidation.morpho (Morpho Blue shape): exactly one of seizedAssets and repaidShares is non-zero. */
  readonly morpho?: {
    readonly oracle: Address;
    readonly irm: Address;
    readonly lltv: bigint;
    readonly seizedAssets: bigint;
    readonly repaidShares: bigint;
  };
  /**
   * The protocol sizes the liquidation itself from `debtToCover` on its state at execution (Aave when
   * the collateral caps it, or when its rules allow closing the whole debt), so the debt repaid may
   * exceed the candidate's by the interest accrued since sizing: the flash loan carries a buffer.
   */
  readonly poolDecidesSize: boolean;
  /**
   * The protocol hands over the collateral before it pulls the repayment (Morpho Blue's
   * onMorphoLiquidate), so the sale pays for the repayment and no flash loan is needed.
   */
  readonly selfFunded: boolean;
}

/** A quote for selling `amountIn` of collateral for the debt token on one venue. */
export interface SwapQuote {
  readonly venue: SwapVenue;
  /** The venue's router family on chain (IChimeraExecutor.SwapVenue) and the router the executor calls. */
  readonly executorVenue: ExecutorSwapVenue;
  readonly router: Address;
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
  /** The lender's callback family on chain (IChimeraExecutor.FlashSource). */
  readonly executorSource: ExecutorFlashSource;
  readonly address: Address;
  readonly token: Address;
  /** Fee in basis points of the borrowed amount (Aave V3 on Base: 5; Balancer, Morpho: 0). */
  readonly feeBps: number;
  /** How the lender rounds `amount · feeBps / 10,000`: Aave's percentMul half up, the others up. */
  readonly feeRounding: "half-up" | "up";
  /** Among options of equal fee, the lower wins: the simplest, cheapest callback first. */
  readonly preference: number;
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
    readonly executorSource: ExecutorFlashSource;
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
