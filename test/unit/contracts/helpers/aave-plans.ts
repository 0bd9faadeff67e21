/**
 * The executor tests' Aave V3 liquidation of a sandbox position, sold on the sandbox's WETH/USDC 0.05% Uniswap V3 pool:
 * one builder for the single-plan, batch and guard tests (plans.ts keeps the protocol-neutral builders, free of the
 * Hardhat runtime for the benches; this file reads the head for a plan's deadline).
 */
import hre from "hardhat";
import type { ExecutorFixture } from "../../../shared/executor-fixture";
import type { UnhealthyAavePosition } from "./positions";
import {
  FlashSource,
  aaveLiquidation,
  flashLoan,
  packedPath,
  uniswapSwap,
  type LiquidationStruct,
  type PlanStruct,
  type SwapStruct,
} from "./plans";

/** Sells WETH for USDC on the 0.05% pool through SwapRouter02 (all the plan received unless `amountIn`). */
export function wethToUsdcOnUniswap(f: ExecutorFixture, minAmountOut = 0n, amountIn?: bigint) {
  const { book } = f.sandbox;
  return uniswapSwap(
    book.uniswapV3!.swapRouter02,
    packedPath([book.tokens.WETH.address, book.tokens.USDC.address], [500]),
    minAmountOut,
    amountIn,
  );
}

/** The Aave liquidation of `position` at its own debtToCover, selling its WETH with `swap`. */
export function aaveLiquidationOf(f: ExecutorFixture, position: UnhealthyAavePosition, swap = wethToUsdcOnUniswap(f)): LiquidationStruct {
  return aaveLiquidation({
    pool: f.sandbox.book.aaveV3!.pool,
    borrower: position.borrower,
    collateralToken: position.collateralToken,
    debtToken: position.debtToken,
    debtToCover: position.debtToCover,
    swap,
  });
}

export async function currentBlock(): Promise<number> {
  return hre.ethers.provider.getBlockNumber();
}

/** A Balancer-funded Aave liquidation of `position` selling on Uniswap V3, with overridable parts. */
export async function aavePlan(
  f: ExecutorFixture,
  position: UnhealthyAavePosition,
  overrides: { swap?: SwapStruct; minProfit?: bigint; deadlineBlock?: number; lender?: string; source?: number } = {},
): Promise<PlanStruct> {
  const { book } = f.sandbox;
  return {
    flash: flashLoan(
      overrides.source ?? FlashSource.BalancerV2,
      overrides.lender ?? book.flash.balancerVault!,
      position.debtToken,
      position.debtToCover,
    ),
    liquidation: aaveLiquidationOf(f, position, overrides.swap ?? wethToUsdcOnUniswap(f)),
    profitToken: position.debtToken,
    minProfit: overrides.minProfit ?? 0n,
    deadlineBlock: overrides.deadlineBlock ?? (await currentBlock()) + 10,
  };
}
