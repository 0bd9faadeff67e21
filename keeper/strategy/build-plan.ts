/**
 * Turns one sized candidate into a plan or a reasoned skip: dust floor → flash source → swap route →
 * economics. Pure: every price, quote and liquidity figure is an input, so the same inputs always give
 * the same decision (and the journal can replay it).
 */
import type { FlashSourceOption, LiquidationCandidate, PlanDecision, SwapQuote } from "../core/types";
import { liquidationPathOf } from "../oracles/liquidation-path";
import { computeEconomics } from "./economics";
import { chooseFlashSource } from "./flash-source";
import { planId } from "./ranking";
import { chooseSwapRoute } from "./route";

/** The strategy part of the keeper config, in the units the code uses. */
export interface StrategySettings {
  /** Share of expected profit bid as priority fee, [0, 1]. */
  readonly bidShareOfProfit: number;
  readonly maxPriorityFeePerGasWei: bigint;
  /** Liquidations repaying less than this many USD are skipped as dust. */
  readonly dustUsd: number;
  /** Gas of flash loan + liquidation (swap excluded) when no estimate is available. */
  readonly gasUnitsFallback: bigint;
}

/** Market conditions at the block being planned for. */
export interface PlanMarketContext {
  readonly debtTokenDecimals: number;
  /** USD per whole debt token, from the protocol's oracle. */
  readonly debtTokenUsd: number;
  /** USD per ETH, from the protocol's oracle. */
  readonly nativeUsd: number;
  readonly baseFeePerGasWei: bigint;
  readonly l1DataFeeWei?: bigint;
  /** A gas estimate for the whole transaction when one exists; else fallback + the route's own gas. */
  readonly gasUnits?: bigint;
}

export interface BuildPlanInput {
  readonly candidate: LiquidationCandidate;
  readonly flashOptions: readonly FlashSourceOption[];
  /** Quotes for selling `candidate.expectedCollateral` of the collateral for the debt token. */
  readonly quotes: readonly SwapQuote[];
  readonly market: PlanMarketContext;
  readonly settings: StrategySettings;
}

function skip(candidate: LiquidationCandidate, reason: PlanDecision["reason"], detail: string): PlanDecision {
  return { candidate, plan: null, outcome: "skipped", reason, detail };
}

const usd = (value: number): string => `$${value.toFixed(2)}`;

export function buildLiquidationPlan(input: BuildPlanInput): PlanDecision {
  const { candidate, market, settings } = input;
  if (candidate.debtToCoverUsd < settings.dustUsd) {
    return skip(candidate, "dust", `repays ${usd(candidate.debtToCoverUsd)}, below the ${usd(settings.dustUsd)} dust floor`);
  }

  const flashDecision = chooseFlashSource({
    selfFunded: candidate.call?.selfFunded ?? false,
    debtToken: candidate.debtToken,
    amount: candidate.debtToCover,
    options: input.flashOptions,
  });
  if (!flashDecision.ok) return skip(candidate, flashDecision.reason, flashDecision.detail);
  const flash = flashDecision.flash;

  const routeDecision = chooseSwapRoute({
    tokenIn: candidate.collateralToken,
    tokenOut: candidate.debtToken,
    amountIn: candidate.expectedCollateral,
    quotes: input.quotes,
    tokenOutUsd: market.debtTokenUsd,
    tokenOutDecimals: market.debtTokenDecimals,
    gasPriceWei: market.baseFeePerGasWei,
    nativeUsd: market.nativeUsd,
    // Never sell through the contract lending the loan: a Uniswap V3 pool stays locked for the whole
    // flash callback (a vault or a lending pool is never one of a route's pools, so this costs nothing).
    avoidPools: flash.executorSource === "None" ? [] : [flash.address],
  });
  if (!routeDecision.ok) return skip(candidate, routeDecision.reason, routeDecision.detail);
  const swap = routeDecision.swap;

  const gasUnits = market.gasUnits ?? settings.gasUnitsFallback + (swap?.gasEstimate ?? 0n);
  const economics = computeEconomics({
    proceeds: swap === null ? candidate.expectedCollateral : swap.amountOut,
    debtRepaid: candidate.debtToCover,
    flashFee: flash.fee,
    profitTokenDecimals: market.debtTokenDecimals,
    profitTokenUsd: market.debtTokenUsd,
    gasUnits,
    baseFeePerGasWei: market.baseFeePerGasWei,
    l1DataFeeWei: market.l1DataFeeWei,
    nativeUsd: market.nativeUsd,
    bidShareOfProfit: settings.bidShareOfProfit,
    maxPriorityFeePerGasWei: settings.maxPriorityFeePerGasWei,
    path: liquidationPathOf(candidate),
  });
  if (economics.expectedProfit <= 0n || economics.netProfitUsd <= 0) {
    return skip(
      candidate,
      "unprofitable",
      `expected profit ${usd(economics.expectedProfitUsd)} - gas ${usd(economics.gasCostUsd)} - bid ${usd(economics.bidUsd)} = ${usd(economics.netProfitUsd)}`,
    );
  }

  return {
    candidate,
    outcome: "planned",
    plan: {
      id: planId(candidate.key, candidate.detectedAtBlock),
      candidate,
      flash,
      swap,
      profitToken: candidate.debtToken,
      expectedProfit: economics.expectedProfit,
      expectedProfitUsd: economics.expectedProfitUsd,
      gasUnits,
      gasCostUsd: economics.gasCostUsd,
      netProfitUsd: economics.netProfitUsd,
      priorityFeePerGas: economics.priorityFeePerGas,
      maxFeePerGas: economics.maxFeePerGas,
      bidUsd: economics.bidUsd,
    },
  };
}
