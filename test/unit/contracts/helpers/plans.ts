/**
 * Builders for ChimeraExecutor plans in the exact shape its ABI takes (TypeChain's *Struct types), so a test states
 * what it liquidates and how it is funded, not how the struct is laid out.
 */
import { AbiCoder, solidityPacked } from "ethers";
import type { IChimeraExecutor } from "../../../../typechain-types";
import type { MorphoMarketParams } from "../../../../keeper/config/address-book";
import {
  EXECUTOR_FLASH_SOURCES,
  EXECUTOR_PROTOCOL_KINDS,
  EXECUTOR_SWAP_VENUES,
  executorEnumValues,
  type ExecutorFlashSource,
} from "../../../../keeper/core/executor-enums";

export type PlanStruct = IChimeraExecutor.PlanStruct;
export type BatchPlanStruct = IChimeraExecutor.BatchPlanStruct;
export type LiquidationStruct = IChimeraExecutor.LiquidationStruct;
export type SwapStruct = IChimeraExecutor.SwapStruct;
export type FlashLoanStruct = IChimeraExecutor.FlashLoanStruct;

// The executor's enums by name, from the keeper's lists (keeper/core/executor-enums.ts), which
// test/unit/keeper/execution/executor-enums.test.ts checks against the compiled contract: one list per enum.
/** IChimeraExecutor.FlashSource */
export const FlashSource = executorEnumValues(EXECUTOR_FLASH_SOURCES);
export type FlashSourceName = Exclude<ExecutorFlashSource, "None">;
/** IChimeraExecutor.ProtocolKind */
export const ProtocolKind = executorEnumValues(EXECUTOR_PROTOCOL_KINDS);
/** IChimeraExecutor.SwapVenue */
export const SwapVenue = executorEnumValues(EXECUTOR_SWAP_VENUES);

export const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";
/** Swap.amountIn = 0 sells the executor's whole balance of the collateral. */
export const SELL_ALL_SEIZED = 0n;

const NO_MORPHO_TERMS: IChimeraExecutor.MorphoTermsStruct = {
  oracle: ZERO_ADDRESS,
  irm: ZERO_ADDRESS,
  lltv: 0n,
  seizedAssets: 0n,
  repaidShares: 0n,
};

export const NO_SWAP: SwapStruct = {
  venue: SwapVenue.None,
  router: ZERO_ADDRESS,
  amountIn: 0n,
  minAmountOut: 0n,
  route: "0x",
};

/** Packs a Uniswap V3 (or Slipstream) path: token, fee (or tick spacing), token, ... */
export function packedPath(tokens: readonly string[], fees: readonly number[]): string {
  if (tokens.length !== fees.length + 1) {
    throw new Error(`a path with ${tokens.length} tokens needs ${tokens.length - 1} fees, got ${fees.length}`);
  }
  const types: string[] = [];
  const values: (string | number)[] = [];
  tokens.forEach((token, i) => {
    types.push("address");
    values.push(token);
    if (i < fees.length) {
      types.push("uint24");
      values.push(fees[i]);
    }
  });
  return solidityPacked(types, values);
}

export interface AerodromeRouteInput {
  readonly from: string;
  readonly to: string;
  readonly stable: boolean;
  readonly factory: string;
}

/** ABI-encodes Aerodrome routes the way the executor decodes Swap.route for the Aerodrome venue. */
export function encodeAerodromeRoutes(routes: readonly AerodromeRouteInput[]): string {
  return AbiCoder.defaultAbiCoder().encode(
    ["tuple(address from,address to,bool stable,address factory)[]"],
    [routes.map((r) => [r.from, r.to, r.stable, r.factory])],
  );
}

export function uniswapSwap(router: string, route: string, minAmountOut: bigint, amountIn = SELL_ALL_SEIZED): SwapStruct {
  return { venue: SwapVenue.UniswapV3, router, amountIn, minAmountOut, route };
}

export function slipstreamSwap(router: string, route: string, minAmountOut: bigint, amountIn = SELL_ALL_SEIZED): SwapStruct {
  return { venue: SwapVenue.AerodromeSlipstream, router, amountIn, minAmountOut, route };
}

export function aerodromeSwap(
  router: string,
  routes: readonly AerodromeRouteInput[],
  minAmountOut: bigint,
  amountIn = SELL_ALL_SEIZED,
): SwapStruct {
  return { venue: SwapVenue.Aerodrome, router, amountIn, minAmountOut, route: encodeAerodromeRoutes(routes) };
}

export function aaveLiquidation(args: {
  pool: string;
  borrower: string;
  collateralToken: string;
  debtToken: string;
  debtToCover: bigint;
  swap?: SwapStruct;
}): LiquidationStruct {
  return {
    protocol: ProtocolKind.AaveV3,
    market: args.pool,
    borrower: args.borrower,
    collateralToken: args.collateralToken,
    debtToken: args.debtToken,
    debtToCover: args.debtToCover,
    collateralMarket: ZERO_ADDRESS,
    oevWrapper: ZERO_ADDRESS,
    morpho: NO_MORPHO_TERMS,
    swap: args.swap ?? NO_SWAP,
  };
}

/** A Morpho Blue liquidation; give exactly one of `seizedAssets` and `repaidShares`. */
export function morphoLiquidation(args: {
  morpho: string;
  market: MorphoMarketParams;
  borrower: string;
  seizedAssets?: bigint;
  repaidShares?: bigint;
  swap?: SwapStruct;
}): LiquidationStruct {
  return {
    protocol: ProtocolKind.MorphoBlue,
    market: args.morpho,
    borrower: args.borrower,
    collateralToken: args.market.collateralToken,
    debtToken: args.market.loanToken,
    debtToCover: 0n,
    collateralMarket: ZERO_ADDRESS,
    oevWrapper: ZERO_ADDRESS,
    morpho: {
      oracle: args.market.oracle,
      irm: args.market.irm,
      lltv: args.market.lltv,
      seizedAssets: args.seizedAssets ?? 0n,
      repaidShares: args.repaidShares ?? 0n,
    },
    swap: args.swap ?? NO_SWAP,
  };
}

export function compoundLiquidation(args: {
  debtMarket: string;
  collateralMarket: string;
  borrower: string;
  collateralToken: string;
  debtToken: string;
  repayAmount: bigint;
  swap?: SwapStruct;
}): LiquidationStruct {
  return {
    protocol: ProtocolKind.CompoundV2,
    market: args.debtMarket,
    borrower: args.borrower,
    collateralToken: args.collateralToken,
    debtToken: args.debtToken,
    debtToCover: args.repayAmount,
    collateralMarket: args.collateralMarket,
    oevWrapper: ZERO_ADDRESS,
    morpho: NO_MORPHO_TERMS,
    swap: args.swap ?? NO_SWAP,
  };
}

/** A Moonwell liquidation through the OEV wrapper of the collateral's feed (`updatePriceEarlyAndLiquidate`). */
export function moonwellOevLiquidation(args: {
  wrapper: string;
  debtMarket: string;
  collateralMarket: string;
  borrower: string;
  collateralToken: string;
  debtToken: string;
  repayAmount: bigint;
  swap?: SwapStruct;
}): LiquidationStruct {
  return { ...compoundLiquidation(args), protocol: ProtocolKind.MoonwellOev, oevWrapper: args.wrapper };
}

/** A Morpho Blue liquidation through Moonwell's Morpho-market OEV wrapper: `maxRepayAmount` is `debtToCover`. */
export function moonwellMorphoOevLiquidation(args: {
  morpho: string;
  market: MorphoMarketParams;
  borrower: string;
  wrapper: string;
  seizedAssets: bigint;
  maxRepayAmount: bigint;
  swap?: SwapStruct;
}): LiquidationStruct {
  return {
    ...morphoLiquidation(args),
    protocol: ProtocolKind.MoonwellMorphoOev,
    debtToCover: args.maxRepayAmount,
    oevWrapper: args.wrapper,
  };
}

export function flashLoan(source: number, lender: string, token: string, amount: bigint): FlashLoanStruct {
  return { source, lender, token, amount };
}

export const NO_FLASH_LOAN: FlashLoanStruct = { source: FlashSource.None, lender: ZERO_ADDRESS, token: ZERO_ADDRESS, amount: 0n };
