/**
 * LiquidationPlan (the strategy's output, in the keeper's vocabulary) → IChimeraExecutor.Plan (the
 * struct the contract takes) and its calldata. Enum values mirror IChimeraExecutor.sol; the struct
 * shape comes from TypeChain, so a change to the contract's ABI breaks this file at compile time
 * instead of at send time.
 */
import type { BytesLike } from "ethers";
import { ChimeraExecutor__factory, type IChimeraExecutor } from "../../typechain-types";
import type { Address, FlashSourceKind, LiquidationPlan, ProtocolKind, SwapVenue } from "../core/types";
import type { ExecutorTargets, MarketTarget } from "./executor-targets";
import { UnknownMarketTargetError } from "./executor-targets";

export type PlanStruct = IChimeraExecutor.PlanStruct;

/** IChimeraExecutor.FlashSource */
export const FLASH_SOURCE_ENUM: Readonly<Record<FlashSourceKind, number>> = {
  none: 0,
  balancer: 1,
  morphoBlue: 2,
  aaveV3: 3,
  uniswapV3: 4,
};

/** IChimeraExecutor.ProtocolKind */
export const PROTOCOL_ENUM: Readonly<Record<ProtocolKind, number>> = { aaveV3: 0, morphoBlue: 1, moonwell: 2 };

/** IChimeraExecutor.SwapVenue (AerodromeSlipstream = 3 is not quoted by the keeper yet). */
export const SWAP_VENUE_ENUM: Readonly<Record<SwapVenue, number>> = { none: 0, uniswapV3: 1, aerodrome: 2 };

const ZERO: Address = "0x0000000000000000000000000000000000000000";
/** `Swap.amountIn = 0` sells the executor's whole balance of the seized collateral. */
const SELL_ALL_SEIZED = 0n;

const NO_MORPHO_TERMS: IChimeraExecutor.MorphoTermsStruct = { oracle: ZERO, irm: ZERO, lltv: 0n, seizedAssets: 0n, repaidShares: 0n };
const NO_SWAP: IChimeraExecutor.SwapStruct = { venue: SWAP_VENUE_ENUM.none, router: ZERO, amountIn: 0n, minAmountOut: 0n, route: "0x" };

/** What the execution stage decides on top of the strategy's plan. */
export interface PlanTerms {
  /** The executor reverts unless the treasury gains at least this much profit token. */
  readonly minProfit: bigint;
  /** The last block the plan may execute in; later it reverts cheaply with PlanExpired. */
  readonly deadlineBlock: number;
}

export class PlanEncodingError extends Error {
  override readonly name = "PlanEncodingError";
}

const executorInterface = ChimeraExecutor__factory.createInterface();

export function encodePlanStruct(plan: LiquidationPlan, targets: ExecutorTargets, terms: PlanTerms): PlanStruct {
  if (terms.minProfit < 0n) throw new PlanEncodingError(`plan ${plan.id}: minProfit must be >= 0, got ${terms.minProfit}`);
  if (!Number.isInteger(terms.deadlineBlock) || terms.deadlineBlock < 0) {
    throw new PlanEncodingError(`plan ${plan.id}: deadlineBlock must be a block number, got ${terms.deadlineBlock}`);
  }
  const candidate = plan.candidate;
  const target = targets.markets.get(candidate.key.market);
  if (target === undefined) {
    throw new UnknownMarketTargetError(`plan ${plan.id}: market ${candidate.key.market} has no executor target (was it initialised?)`);
  }
  if (target.protocol !== candidate.key.protocol) {
    throw new PlanEncodingError(
      `plan ${plan.id}: market ${candidate.key.market} is ${target.protocol} but the plan says ${candidate.key.protocol}`,
    );
  }
  const poolDecides = aavePoolDecidesSize(plan);
  return {
    flash: {
      source: FLASH_SOURCE_ENUM[plan.flash.kind],
      lender: plan.flash.kind === "none" ? ZERO : plan.flash.address,
      token: plan.flash.kind === "none" ? ZERO : candidate.debtToken,
      amount: plan.flash.kind === "none" ? 0n : poolDecides ? withInterestBuffer(plan.flash.amount) : plan.flash.amount,
    },
    liquidation: {
      protocol: PROTOCOL_ENUM[candidate.key.protocol],
      borrower: candidate.key.borrower,
      collateralToken: candidate.collateralToken,
      debtToken: candidate.debtToken,
      ...protocolFields(plan, target),
      swap: swapStruct(plan, targets),
    },
    profitToken: plan.profitToken,
    minProfit: terms.minProfit,
    deadlineBlock: BigInt(terms.deadlineBlock),
  };
}

/** `liquidate(plan)` calldata. */
export function encodeLiquidateCall(plan: PlanStruct): string {
  return executorInterface.encodeFunctionData("liquidate", [plan]);
}

/** The same plan with another minProfit (simulation probes the profit with an unreachable one). */
export function withMinProfit(plan: PlanStruct, minProfit: bigint): PlanStruct {
  return { ...plan, minProfit };
}

function protocolFields(
  plan: LiquidationPlan,
  target: MarketTarget,
): Pick<IChimeraExecutor.LiquidationStruct, "market" | "debtToCover" | "collateralMarket" | "morpho"> {
  const { candidate } = plan;
  const args = candidate.callArgs;
  switch (target.protocol) {
    case "aaveV3":
      return {
        market: target.pool,
        debtToCover: aavePoolDecidesSize(plan) && args?.protocol === "aaveV3" ? args.debtToCoverArgument : candidate.debtToCover,
        collateralMarket: ZERO,
        morpho: NO_MORPHO_TERMS,
      };
    case "morphoBlue": {
      if (args?.protocol !== "morphoBlue") {
        throw new PlanEncodingError(`plan ${plan.id}: a Morpho Blue liquidation needs callArgs with seizedAssets or repaidShares`);
      }
      if ((args.seizedAssets === 0n) === (args.repaidShares === 0n)) {
        throw new PlanEncodingError(
          `plan ${plan.id}: exactly one of seizedAssets (${args.seizedAssets}) and repaidShares (${args.repaidShares}) must be non-zero`,
        );
      }
      return {
        market: target.morpho,
        debtToCover: 0n,
        collateralMarket: ZERO,
        morpho: {
          oracle: target.params.oracle,
          irm: target.params.irm,
          lltv: target.params.lltv,
          seizedAssets: args.seizedAssets,
          repaidShares: args.repaidShares,
        },
      };
    }
    case "moonwell":
      if (args?.protocol !== "moonwell") {
        throw new PlanEncodingError(`plan ${plan.id}: a Compound-v2 liquidation needs callArgs naming both markets`);
      }
      return {
        market: args.borrowedMarket,
        debtToCover: args.repayAmount,
        collateralMarket: args.collateralMarket,
        morpho: NO_MORPHO_TERMS,
      };
  }
}

/**
 * Whether the Aave pool must size the liquidation itself. The market's view of a debt is a block or
 * two old, and interest has accrued since, so:
 *  - normally the executor passes exactly the sized `debtToCover`: the pool's close-factor cap on the
 *    current (larger) debt is above it, so the pool takes exactly that, which the flash loan covers;
 *  - when the collateral caps the liquidation, or the rules allow closing the whole debt (v3.3's dust
 *    rule), passing the stale amount would leave a few wei of debt or collateral behind (v3.3 reverts
 *    MUST_NOT_LEAVE_DUST), so the larger argument goes through and the pool computes the cap on the
 *    current state. The flash loan then carries a small buffer for the interest accrued since.
 */
function aavePoolDecidesSize(plan: LiquidationPlan): boolean {
  const { candidate } = plan;
  if (candidate.key.protocol !== "aaveV3" || candidate.callArgs?.protocol !== "aaveV3") return false;
  if (candidate.callArgs.debtToCoverArgument <= candidate.debtToCover) return false;
  return /capped-by-collateral|dust-rule-full/.test(candidate.sizingRule);
}

/** 10 bps + 1 unit: hours of interest at any sane borrow rate. Unused principal is repaid in the same transaction. */
export function withInterestBuffer(amount: bigint): bigint {
  return amount + amount / 1_000n + 1n;
}

function swapStruct(plan: LiquidationPlan, targets: ExecutorTargets): IChimeraExecutor.SwapStruct {
  const swap = plan.swap;
  if (swap === null || swap.venue === "none") return NO_SWAP;
  const router = targets.routers[swap.venue];
  if (router === undefined) throw new PlanEncodingError(`plan ${plan.id}: no router is configured for swap venue ${swap.venue}`);
  return {
    venue: SWAP_VENUE_ENUM[swap.venue],
    router,
    amountIn: SELL_ALL_SEIZED,
    // The sale must at least repay what the liquidation borrowed (flash principal + fee); the profit
    // floor itself is `minProfit`, checked by the executor after repayment.
    minAmountOut: plan.candidate.debtToCover + plan.flash.fee,
    route: swap.route as BytesLike,
  };
}
