/**
 * Compound-v2-family liquidation scenarios: Moonwell's genuine bytecode on the Base fork, the Moonwell test doubles
 * (contracts/test/MoonwellMarketDoubles.sol, same ABI and return-code convention) on the sandbox, where no Compound
 * bytecode exists on npm.
 * 1. `openCompoundPosition`: a fresh borrower mints the collateral market, enters it and borrows the debt market's
 *    underlying at a chosen health factor (collateral x collateral factor / debt);
 * 2. `makeCompoundLiquidatable`: the comptroller's price of the collateral is moved through the market handle (the
 *    Moonwell oracle admin's setUnderlyingPrice on Base, the Chainlink feed the double reads on the sandbox) until the
 *    account shows a shortfall;
 * 3. `liquidateCompoundPosition`: the executor repays part of the debt with flash liquidity (liquidateBorrow on the
 *    debt market), redeems the seized market tokens for the underlying and sells it.
 */
import hre from "hardhat";
import { expect } from "chai";
import type { ContractRunner, Wallet } from "ethers";
import {
  IERC20__factory,
  IMoonwellBorrowerActions__factory,
  IMoonwellComptroller__factory,
  IMoonwellMToken__factory,
  type IMoonwellBorrowerActions,
  type IMoonwellComptroller,
} from "../../../typechain-types";
import type { Address } from "../../../keeper/config/address-book";
import { ProtocolKind, compoundLiquidation, type PlanStruct } from "../../unit/contracts/helpers/plans";
import { ceilDiv, freshAccount, tokenInfo, type CompoundScenarioMarket, type ScenarioEnvironment } from "./environment";
import { executeAndCheck, type CheckedExecution } from "./execution-checks";
import { resolveFlashLoan, type FlashSourceName } from "./flash-loans";
import { buildSwap, requireRouteLiquidity, uniswapPoolsOf, type SwapRouteSpec } from "./swap-routes";

const MANTISSA = 10n ** 18n;
const DEADLINE_BLOCKS = 20;

function borrowerActions(address: Address, runner: ContractRunner = hre.ethers.provider): IMoonwellBorrowerActions {
  return IMoonwellBorrowerActions__factory.connect(address, runner);
}

function comptrollerOf(market: CompoundScenarioMarket): IMoonwellComptroller {
  return IMoonwellComptroller__factory.connect(market.comptroller, hre.ethers.provider);
}

async function underlyingOf(market: Address): Promise<Address> {
  return (await IMoonwellMToken__factory.connect(market, hre.ethers.provider).underlying()) as Address;
}

/** Sends a Compound call that reports failure as a non-zero return code: checks the code first, then sends it. */
async function compoundCall(what: string, method: IMoonwellBorrowerActions["mint" | "borrow"], amount: bigint): Promise<void> {
  let code: bigint;
  try {
    code = await method.staticCall(amount);
  } catch (error) {
    throw new Error(`${what} reverted: ${(error as Error).message}`);
  }
  if (code !== 0n) throw new Error(`${what} returned Compound error code ${code} (see ErrorReporter.sol: 3 = comptroller rejection)`);
  await (await method.send(amount)).wait();
}

export interface CompoundHealth {
  readonly borrowBalance: bigint;
  /** Collateral x collateral factor / debt, WAD, from the comptroller's own liquidity and shortfall. */
  readonly healthFactor: bigint;
  readonly shortfall: bigint;
}

/** The borrower's health from the comptroller: (debtValue + liquidity - shortfall) / debtValue. */
export async function compoundHealthOf(market: CompoundScenarioMarket, borrower: Address): Promise<CompoundHealth> {
  const [, liquidity, shortfall] = await comptrollerOf(market).getAccountLiquidity(borrower);
  const borrowBalance = await borrowerActions(market.debtMarket).borrowBalanceStored(borrower);
  const debtValue = (borrowBalance * (await market.underlyingPrice(market.debtMarket))) / MANTISSA;
  if (debtValue === 0n) return { borrowBalance, healthFactor: (1n << 256n) - 1n, shortfall };
  return { borrowBalance, healthFactor: ((debtValue + liquidity - shortfall) * MANTISSA) / debtValue, shortfall };
}

export interface CompoundPosition {
  readonly borrower: Wallet;
  readonly collateralSupplied: bigint;
  readonly debtBorrowed: bigint;
}

/** A fresh borrower supplies the collateral market's underlying and borrows `debtAmount` of the debt market's at `healthFactor`. */
export async function openCompoundPosition(
  env: ScenarioEnvironment,
  market: CompoundScenarioMarket,
  spec: {
    readonly debtAmount: bigint;
    readonly healthFactor?: number;
    readonly account?: { readonly label: string; readonly index?: number };
  },
): Promise<CompoundPosition> {
  const healthFactor = spec.healthFactor ?? 1.05;
  const [collateralToken, debtToken] = await Promise.all([underlyingOf(market.collateralMarket), underlyingOf(market.debtMarket)]);
  const [, collateralFactor] = await comptrollerOf(market).markets(market.collateralMarket);
  if (collateralFactor === 0n)
    throw new Error(`${market.label}: market ${market.collateralMarket} has a zero collateral factor on "${env.label}"`);
  const [collateralPrice, debtPrice] = await Promise.all([
    market.underlyingPrice(market.collateralMarket),
    market.underlyingPrice(market.debtMarket),
  ]);
  // collateral x price x CF = HF x debt x debtPrice  (prices are per raw unit, scaled by 1e18).
  const collateralAmount = ceilDiv(
    spec.debtAmount * debtPrice * BigInt(Math.round(healthFactor * 1e9)) * MANTISSA,
    1_000_000_000n * collateralPrice * collateralFactor,
  );
  const account = spec.account ?? {
    label: `${market.label} ${tokenInfo(env.book, collateralToken).symbol}/${tokenInfo(env.book, debtToken).symbol}`,
  };
  const borrower = await freshAccount(account.label, account.index ?? 0);
  await env.fund(collateralToken, borrower.address as Address, collateralAmount);
  await (await IERC20__factory.connect(collateralToken, borrower).approve(market.collateralMarket, collateralAmount)).wait();
  await compoundCall(
    `${market.label}: mint(${collateralAmount}) on ${market.collateralMarket}`,
    borrowerActions(market.collateralMarket, borrower).mint,
    collateralAmount,
  );
  await market.enterMarkets(borrower, [market.collateralMarket]);
  await compoundCall(
    `${market.label}: borrow(${spec.debtAmount}) on ${market.debtMarket}`,
    borrowerActions(market.debtMarket, borrower).borrow,
    spec.debtAmount,
  );
  const health = await compoundHealthOf(market, borrower.address as Address);
  expect(Number(health.healthFactor) / 1e18, `${market.label} health factor right after opening`).to.be.closeTo(healthFactor, 0.01);
  return { borrower, collateralSupplied: collateralAmount, debtBorrowed: spec.debtAmount };
}

/** Moves the collateral's comptroller price so the borrower's health lands within 0.002 of `targetHealthFactor` (< 1). */
export async function makeCompoundLiquidatable(
  market: CompoundScenarioMarket,
  borrower: Address,
  targetHealthFactor: number,
): Promise<CompoundHealth & { readonly originalPrice: bigint; readonly price: bigint }> {
  if (!(targetHealthFactor > 0 && targetHealthFactor < 1)) {
    throw new Error(`makeCompoundLiquidatable: the target health factor must be in (0, 1), got ${targetHealthFactor}`);
  }
  const before = await compoundHealthOf(market, borrower);
  const originalPrice = await market.underlyingPrice(market.collateralMarket);
  // Only the collateral market's price moves, and the borrower holds only that collateral: health is linear in it.
  const price = (originalPrice * BigInt(Math.round(targetHealthFactor * 1e9))) / (before.healthFactor / 1_000_000_000n);
  await market.setUnderlyingPrice(market.collateralMarket, price);
  const applied = await market.underlyingPrice(market.collateralMarket);
  expect(Number(applied) / Number(price), `${market.label} comptroller price after the move`).to.be.closeTo(1, 1e-6);
  const after = await compoundHealthOf(market, borrower);
  expect(Number(after.healthFactor) / 1e18, `${market.label} health factor after the price move`).to.be.closeTo(targetHealthFactor, 0.002);
  expect(after.shortfall, "the comptroller reports a shortfall").to.be.greaterThan(0n);
  return { ...after, originalPrice, price: applied };
}

export interface CompoundLiquidationSpec {
  readonly flash: FlashSourceName;
  readonly route: SwapRouteSpec;
  /** Share of the close factor to repay (default 0.9: accrued interest only ever raises the allowed maximum). */
  readonly closeFactorShare?: number;
}

/** Liquidates through the executor (liquidateBorrow + redeem + swap) and checks the outcome and the debt left. */
export async function liquidateCompoundPosition(
  env: ScenarioEnvironment,
  market: CompoundScenarioMarket,
  borrower: Address,
  spec: CompoundLiquidationSpec,
): Promise<CheckedExecution> {
  const [collateralToken, debtToken] = await Promise.all([underlyingOf(market.collateralMarket), underlyingOf(market.debtMarket)]);
  const closeFactor = await comptrollerOf(market).closeFactorMantissa();
  const before = await compoundHealthOf(market, borrower);
  const repayAmount =
    (((before.borrowBalance * closeFactor) / MANTISSA) * BigInt(Math.round((spec.closeFactorShare ?? 0.9) * 1e6))) / 1_000_000n;
  await requireRouteLiquidity(env, spec.route, collateralToken, debtToken);
  const loan = await resolveFlashLoan(
    env,
    spec.flash,
    debtToken,
    repayAmount,
    await uniswapPoolsOf(env.book, spec.route, collateralToken, debtToken),
  );
  const plan: PlanStruct = {
    flash: loan.flash,
    liquidation: compoundLiquidation({
      debtMarket: market.debtMarket,
      collateralMarket: market.collateralMarket,
      borrower,
      collateralToken,
      debtToken,
      repayAmount,
      swap: buildSwap(env.book, spec.route, collateralToken, debtToken, repayAmount + loan.expectedFee),
    }),
    profitToken: debtToken,
    minProfit: 1n,
    deadlineBlock: (await hre.ethers.provider.getBlockNumber()) + DEADLINE_BLOCKS,
  };
  const checked = await executeAndCheck(env, plan, {
    borrower,
    protocol: ProtocolKind.CompoundV2,
    collateralToken,
    debtToken,
    route: spec.route,
    expectedFlashFee: loan.expectedFee,
    // The executor holds the seized market tokens between liquidateBorrow and redeem: they must be gone too.
    extraTokens: [market.collateralMarket, market.debtMarket],
  });
  expect(checked.liquidated.debtRepaid, "repaid exactly repayAmount").to.equal(repayAmount);
  const after = await compoundHealthOf(market, borrower);
  // Interest accrued inside liquidateBorrow is far below a millionth of the debt over a few blocks.
  expect(after.borrowBalance, "borrow balance fell by the repayment").to.be.closeTo(
    before.borrowBalance - repayAmount,
    before.borrowBalance / 1_000_000n + 1n,
  );
  return checked;
}
