/**
 * Aave V3 liquidation scenarios, identical on the sandbox (v3.6 bytecode by default, v3.0.2 by name) and on Base (the
 * revision test/fork/pinned-block.ts names; `readAavePoolRevision` tells which one a run meets):
 * 1. `openAavePosition`: a fresh borrower supplies collateral and borrows at a chosen health factor;
 * 2. `makeAaveLiquidatable`: the AaveOracle's source for the collateral is pointed at a test aggregator (Chainlink's
 *    MockV3Aggregator) priced so the borrower's health factor lands on a target below 1. On Base that takes the pool
 *    or asset-listing admin, which the fork impersonates; on the sandbox it is the deployer;
 * 3. `liquidateAavePosition` (a fixed debtToCover) or `liquidateAaveWithKeeperSizing` (the keeper's own market
 *    plug-in and the revision's own sizing rules decide the amounts, and the pool must hand over exactly what they
 *    predicted).
 * Every liquidation runs through the executor with the chosen flash source and route, and execution-checks.ts checks
 * profit, fees and that the executor ends empty. All Aave contracts are found through the PoolAddressesProvider.
 */
import hre from "hardhat";
import { expect } from "chai";
import type { Wallet } from "ethers";
import {
  AaveOracle__factory,
  IERC20__factory,
  MockV3Aggregator__factory,
  Pool__factory,
  PoolAddressesProvider__factory,
  VariableDebtToken__factory,
  type AaveOracle,
  type MockV3Aggregator,
  type Pool,
} from "../../../typechain-types";
import type { Address } from "../../../keeper/config/address-book";
import type { LiquidationCandidate } from "../../../keeper/core/types";
import { AaveV3Market } from "../../../keeper/markets/aave-v3/aave-v3-market";
import { decodeReserveConfiguration } from "../../../keeper/markets/aave-v3/reserve-configuration";
import { createMarketDependencies } from "../../../keeper/markets/factory";
import { ProtocolKind, aaveLiquidation, type PlanStruct } from "../../unit/contracts/helpers/plans";
import { ceilDiv, freshAccount, tokenInfo, type AaveScenarioMarket, type ScenarioEnvironment } from "./environment";
import { executeAndCheck, type CheckedExecution } from "./execution-checks";
import { resolveFlashLoan, type FlashSourceName, type ResolvedFlashLoan } from "./flash-loans";
import { buildSwap, requireRouteLiquidity, uniswapPoolsOf, type SwapRouteSpec } from "./swap-routes";

const WAD = 10n ** 18n;
const VARIABLE_RATE_MODE = 2;
const DEADLINE_BLOCKS = 20;
/** How close to the target health factor a price move must land (it is affine in the price, so one step is usual). */
const HEALTH_FACTOR_TOLERANCE = 0.002;

export interface AaveContracts {
  readonly pool: Pool;
  readonly oracle: AaveOracle;
}

/** The pool and oracle the market's PoolAddressesProvider names now (the book's copies may be stale). */
export async function aaveContracts(market: AaveScenarioMarket): Promise<AaveContracts> {
  const provider = PoolAddressesProvider__factory.connect(market.config.addressesProvider, hre.ethers.provider);
  const [pool, oracle] = await Promise.all([provider.getPool(), provider.getPriceOracle()]);
  return { pool: Pool__factory.connect(pool, hre.ethers.provider), oracle: AaveOracle__factory.connect(oracle, hre.ethers.provider) };
}

/** The pool's POOL_REVISION (through the PoolAddressesProvider), with the block it was read at. */
export async function readAavePoolRevision(market: AaveScenarioMarket): Promise<{ actual: number; block: number; pool: string }> {
  const { pool } = await aaveContracts(market);
  const block = await hre.ethers.provider.getBlockNumber();
  return { actual: Number(await pool.POOL_REVISION({ blockTag: block })), block, pool: await pool.getAddress() };
}

export async function healthFactorOf(market: AaveScenarioMarket, borrower: Address): Promise<bigint> {
  const { pool } = await aaveContracts(market);
  return (await pool.getUserAccountData(borrower)).healthFactor;
}

export async function variableDebtOf(market: AaveScenarioMarket, asset: Address, borrower: Address): Promise<bigint> {
  const { pool } = await aaveContracts(market);
  const { variableDebtTokenAddress } = await pool.getReserveData(asset);
  return VariableDebtToken__factory.connect(variableDebtTokenAddress, hre.ethers.provider).balanceOf(borrower);
}

function hfToNumber(hf: bigint): number {
  return Number(hf) / 1e18;
}

/** Re-throws a failed Aave call with what was attempted and the Aave error codes that usually explain it. */
async function aaveCall(what: string, env: ScenarioEnvironment, send: () => Promise<{ wait(): Promise<unknown> }>): Promise<void> {
  try {
    await (await send()).wait();
  } catch (error) {
    throw new Error(
      `${what} failed on "${env.label}" (Aave's string codes up to v3.3: 51 supply cap exceeded, 50 borrow cap exceeded, ` +
        `28 reserve frozen, 29 reserve paused, 36 collateral cannot cover the borrow; later pools revert with named errors): ` +
        (error as Error).message,
    );
  }
}

export interface OpenAavePositionSpec {
  readonly collateral: Address;
  readonly debt: Address;
  /** Debt size in USD at the Aave oracle's price. */
  readonly debtUsd: number;
  /** Health factor to open at; raised to just above LT/LTV when the reserve's LTV would refuse the borrow. */
  readonly healthFactor?: number;
  /** Distinguishes several positions of one scenario (fresh deterministic accounts). */
  readonly account?: { readonly label: string; readonly index?: number };
}

export interface AavePosition {
  readonly borrower: Wallet;
  readonly collateral: Address;
  readonly debt: Address;
  readonly collateralSupplied: bigint;
  readonly debtBorrowed: bigint;
}

/** A fresh borrower supplies `collateral` and borrows `debt` (variable rate) at about `healthFactor`. */
export async function openAavePosition(
  env: ScenarioEnvironment,
  market: AaveScenarioMarket,
  spec: OpenAavePositionSpec,
): Promise<AavePosition> {
  const { pool, oracle } = await aaveContracts(market);
  const collateral = tokenInfo(env.book, spec.collateral);
  const debt = tokenInfo(env.book, spec.debt);
  const [collateralPrice, debtPrice, baseUnit, configuration] = await Promise.all([
    oracle.getAssetPrice(spec.collateral),
    oracle.getAssetPrice(spec.debt),
    oracle.BASE_CURRENCY_UNIT(),
    pool.getConfiguration(spec.collateral),
  ]);
  const { ltv, liquidationThreshold } = decodeReserveConfiguration(configuration.data);
  if (ltv === 0 || liquidationThreshold === 0) {
    throw new Error(`${collateral.symbol} is not usable as Aave collateral on "${env.label}" (LTV ${ltv}, LT ${liquidationThreshold})`);
  }
  // Borrowing needs collateral x LTV >= debt, i.e. HF >= LT / LTV; stay 1% above that.
  const healthFactor = Math.max(spec.healthFactor ?? 1.05, (liquidationThreshold / ltv) * 1.01);
  const debtBase = (BigInt(Math.round(spec.debtUsd * 100)) * baseUnit) / 100n;
  const debtAmount = (debtBase * 10n ** BigInt(debt.decimals)) / debtPrice;
  const collateralBase = ceilDiv(debtBase * BigInt(Math.round(healthFactor * 1e6)) * 10_000n, 1_000_000n * BigInt(liquidationThreshold));
  const collateralAmount = ceilDiv(collateralBase * 10n ** BigInt(collateral.decimals), collateralPrice);

  const account = spec.account ?? { label: `aave ${collateral.symbol}/${debt.symbol}` };
  const borrower = await freshAccount(account.label, account.index ?? 0);
  const poolAddress = await pool.getAddress();
  await env.fund(spec.collateral, borrower.address as Address, collateralAmount);
  await aaveCall(`approving ${collateral.symbol} to the Aave pool`, env, () =>
    IERC20__factory.connect(spec.collateral, borrower).approve(poolAddress, collateralAmount),
  );
  await aaveCall(`supplying ${collateralAmount} raw ${collateral.symbol} to Aave`, env, () =>
    pool.connect(borrower).supply(spec.collateral, collateralAmount, borrower.address, 0),
  );
  await aaveCall(`borrowing ${debtAmount} raw ${debt.symbol} from Aave`, env, () =>
    pool.connect(borrower).borrow(spec.debt, debtAmount, VARIABLE_RATE_MODE, 0, borrower.address),
  );
  const opened = await healthFactorOf(market, borrower.address as Address);
  expect(hfToNumber(opened), `health factor right after opening (${collateral.symbol}/${debt.symbol})`).to.be.closeTo(healthFactor, 0.01);
  return { borrower, collateral: spec.collateral, debt: spec.debt, collateralSupplied: collateralAmount, debtBorrowed: debtAmount };
}

export interface PriceOverride {
  /** The test aggregator now feeding the AaveOracle for the asset. */
  readonly aggregator: MockV3Aggregator;
  readonly originalPrice: bigint;
  readonly price: bigint;
  readonly healthFactor: bigint;
}

/**
 * Points the AaveOracle's source for `asset` at a MockV3Aggregator and prices it so `borrower`'s health factor lands
 * within 0.002 of `targetHealthFactor` (< 1). The health factor is affine in one collateral's price as long as the
 * borrower does not also borrow that asset, so a secant step or two lands on the target.
 */
export async function makeAaveLiquidatable(
  env: ScenarioEnvironment,
  market: AaveScenarioMarket,
  borrower: Address,
  asset: Address,
  targetHealthFactor: number,
): Promise<PriceOverride> {
  if (!(targetHealthFactor > 0 && targetHealthFactor < 1)) {
    throw new Error(`makeAaveLiquidatable: the target health factor must be in (0, 1), got ${targetHealthFactor}`);
  }
  const { oracle } = await aaveContracts(market);
  const symbol = tokenInfo(env.book, asset).symbol;
  const originalPrice = await oracle.getAssetPrice(asset);
  let healthFactor = await healthFactorOf(market, borrower);
  let price = originalPrice;
  let aggregator: MockV3Aggregator | undefined;
  for (let step = 0; step < 6 && Math.abs(hfToNumber(healthFactor) - targetHealthFactor) > HEALTH_FACTOR_TOLERANCE; step++) {
    price = (price * BigInt(Math.round(targetHealthFactor * 1e9))) / BigInt(healthFactor / 1_000_000_000n);
    if (aggregator === undefined) {
      // Aave reads `latestAnswer()` as the price in base-currency units whatever the feed's decimals.
      aggregator = await new MockV3Aggregator__factory(market.oracleAdmin).deploy(8, price);
      await aggregator.waitForDeployment();
      await aaveCall(`AaveOracle.setAssetSources(${symbol})`, env, () =>
        oracle.connect(market.oracleAdmin).setAssetSources([asset], [aggregator!.getAddress()]),
      );
    } else {
      await (await aggregator.connect(market.oracleAdmin).updateAnswer(price)).wait();
    }
    expect(await oracle.getAssetPrice(asset), `AaveOracle price of ${symbol} follows the test aggregator`).to.equal(price);
    healthFactor = await healthFactorOf(market, borrower);
  }
  if (aggregator === undefined) throw new Error(`borrower ${borrower} already sits at health factor ${hfToNumber(healthFactor)}`);
  if (healthFactor >= WAD || Math.abs(hfToNumber(healthFactor) - targetHealthFactor) > HEALTH_FACTOR_TOLERANCE) {
    throw new Error(
      `moving ${symbol} from ${originalPrice} to ${price} left borrower ${borrower} at health factor ${hfToNumber(healthFactor)}, ` +
        `not ${targetHealthFactor}: does the borrower also borrow ${symbol}?`,
    );
  }
  return { aggregator, originalPrice, price, healthFactor };
}

async function deadline(): Promise<number> {
  return (await hre.ethers.provider.getBlockNumber()) + DEADLINE_BLOCKS;
}

/** What a liquidation targets: the borrower, and the collateral and debt of the pair. */
type AaveTarget = { readonly borrower: Address; readonly collateral: Address; readonly debt: Address };

/**
 * Sends the executor's plan for `position`: `loan` funds a liquidationCall of `debtToCover`, whose sale must at least
 * repay what the call `repays` plus the flash fee (the executor's profit guard does the rest); with `timestamp`, in a
 * block at that time. Returns the execution, checked (execution-checks.ts).
 */
async function executeAavePlan(
  env: ScenarioEnvironment,
  pool: Pool,
  position: AaveTarget,
  route: SwapRouteSpec,
  loan: ResolvedFlashLoan,
  amounts: { readonly debtToCover: bigint; readonly repays: bigint; readonly timestamp?: number },
): Promise<CheckedExecution> {
  const plan: PlanStruct = {
    flash: loan.flash,
    liquidation: aaveLiquidation({
      pool: await pool.getAddress(),
      borrower: position.borrower,
      collateralToken: position.collateral,
      debtToken: position.debt,
      debtToCover: amounts.debtToCover,
      swap: buildSwap(env.book, route, position.collateral, position.debt, amounts.repays + loan.expectedFee),
    }),
    profitToken: position.debt,
    minProfit: 1n,
    deadlineBlock: await deadline(),
  };
  if (amounts.timestamp !== undefined) await hre.network.provider.send("evm_setNextBlockTimestamp", [amounts.timestamp]);
  return executeAndCheck(env, plan, {
    borrower: position.borrower,
    protocol: ProtocolKind.AaveV3,
    collateralToken: position.collateral,
    debtToken: position.debt,
    route,
    expectedFlashFee: loan.expectedFee,
  });
}

export interface AaveLiquidationSpec {
  readonly flash: FlashSourceName;
  readonly route: SwapRouteSpec;
  /** Defaults to half the borrower's current variable debt (inside both v3.0's and v3.3's close factor above 0.95). */
  readonly debtToCover?: bigint;
}

/** Liquidates a fixed `debtToCover` of `borrower` through the executor and checks the outcome and the debt left. */
export async function liquidateAavePosition(
  env: ScenarioEnvironment,
  market: AaveScenarioMarket,
  position: AaveTarget,
  spec: AaveLiquidationSpec,
): Promise<CheckedExecution> {
  const { pool } = await aaveContracts(market);
  const debtBefore = await variableDebtOf(market, position.debt, position.borrower);
  const debtToCover = spec.debtToCover ?? debtBefore / 2n;
  await requireRouteLiquidity(env, spec.route, position.collateral, position.debt);
  const loan = await resolveFlashLoan(
    env,
    spec.flash,
    position.debt,
    debtToCover,
    await uniswapPoolsOf(env.book, spec.route, position.collateral, position.debt),
  );
  const checked = await executeAavePlan(env, pool, position, spec.route, loan, { debtToCover, repays: debtToCover });
  expect(checked.liquidated.debtRepaid, "repaid at most the requested debtToCover").to.be.lessThanOrEqual(debtToCover);
  const debtAfter = await variableDebtOf(market, position.debt, position.borrower);
  // Interest of the few blocks between the two reads is far below a millionth of the debt.
  expect(debtAfter, "borrower's debt fell by what the executor repaid").to.be.closeTo(
    debtBefore - checked.liquidated.debtRepaid,
    debtBefore / 1_000_000n + 1n,
  );
  return checked;
}

export interface KeeperSizedLiquidation {
  readonly candidate: LiquidationCandidate;
  readonly execution: CheckedExecution;
}

/**
 * Sizes the liquidation with the keeper's Aave V3 market plug-in (rules from the pool's revision: v3.5 for the sandbox's
 * v3.6 and Base, v3.0 for the sandbox's v3.0.2) at the exact timestamp of the block that will execute it, then executes it and requires
 * the pool to repay and hand over EXACTLY what the keeper predicted.
 */
export async function liquidateAaveWithKeeperSizing(
  env: ScenarioEnvironment,
  market: AaveScenarioMarket,
  position: AaveTarget,
  spec: { readonly flash: FlashSourceName; readonly route: SwapRouteSpec },
): Promise<KeeperSizedLiquidation> {
  const { pool } = await aaveContracts(market);
  const keeperMarket = new AaveV3Market(market.config, createMarketDependencies(hre.ethers.provider, env.book));
  await keeperMarket.init();
  const avoidPools = await uniswapPoolsOf(env.book, spec.route, position.collateral, position.debt);
  await requireRouteLiquidity(env, spec.route, position.collateral, position.debt);

  /** The keeper's candidate for the block after the current head, mined `secondsAhead` later. */
  const sizeAtNextBlock = async (secondsAhead: number) => {
    const head = await hre.ethers.provider.getBlock("latest");
    if (head === null) throw new Error("no latest block");
    await keeperMarket.refreshPositions([position.borrower], head.number);
    const next = { number: head.number + 1, timestamp: head.timestamp + secondsAhead };
    keeperMarket.evaluateAt(next);
    const tracked = keeperMarket.position(position.borrower);
    if (tracked === undefined) throw new Error(`the keeper does not track ${position.borrower} (no debt?)`);
    const pair = keeperMarket
      .liquidationPairs(tracked)
      .find(
        (p) =>
          p.collateralToken.toLowerCase() === position.collateral.toLowerCase() &&
          p.debtToken.toLowerCase() === position.debt.toLowerCase(),
      );
    if (pair === undefined) throw new Error(`the keeper sees no ${position.collateral}/${position.debt} pair for ${position.borrower}`);
    const sizing = keeperMarket.sizeLiquidationWithReason(tracked, pair);
    if (!sizing.ok) throw new Error(`the keeper refuses to liquidate ${position.borrower}: ${sizing.reason} (${sizing.detail})`);
    const call = sizing.candidate.call;
    if (call?.shape !== "AaveV3") throw new Error("the keeper's Aave candidate carries no Aave liquidationCall");
    return { candidate: sizing.candidate, argument: call.debtToCover, timestamp: next.timestamp };
  };

  // A first sizing picks the lender (a Uniswap lender may need allowlisting, which mines a block); the second is exact.
  const first = await sizeAtNextBlock(12);
  await resolveFlashLoan(env, spec.flash, position.debt, first.argument, avoidPools);
  const sized = await sizeAtNextBlock(12);
  const loan = await resolveFlashLoan(env, spec.flash, position.debt, sized.argument, avoidPools);
  const execution = await executeAavePlan(env, pool, position, spec.route, loan, {
    debtToCover: sized.argument,
    repays: sized.candidate.debtToCover,
    timestamp: sized.timestamp,
  });
  expect(
    (await hre.ethers.provider.getBlock(execution.outcome.receipt.blockNumber))?.timestamp,
    "executed at the sized timestamp",
  ).to.equal(sized.timestamp);
  expect(execution.liquidated.debtRepaid, `debt repaid = the keeper's ${sized.candidate.sizingRule} size`).to.equal(
    sized.candidate.debtToCover,
  );
  expect(execution.liquidated.collateralSeized, "collateral received = the keeper's prediction").to.equal(
    sized.candidate.expectedCollateral,
  );
  return { candidate: sized.candidate, execution };
}

/** The whole scenario: open at `openAt`, move the collateral price to `targetHealthFactor`, liquidate half the debt. */
export async function runAaveLiquidationScenario(
  env: ScenarioEnvironment,
  market: AaveScenarioMarket,
  spec: {
    readonly collateral: Address;
    readonly debt: Address;
    readonly debtUsd: number;
    readonly targetHealthFactor: number;
    readonly flash: FlashSourceName;
    readonly route: SwapRouteSpec;
  },
): Promise<CheckedExecution & { position: AavePosition; override: PriceOverride }> {
  const position = await openAavePosition(env, market, {
    collateral: spec.collateral,
    debt: spec.debt,
    debtUsd: spec.debtUsd,
    account: { label: `aave ${spec.flash} ${spec.route.venue}` },
  });
  const override = await makeAaveLiquidatable(env, market, position.borrower.address as Address, spec.collateral, spec.targetHealthFactor);
  const execution = await liquidateAavePosition(
    env,
    market,
    { borrower: position.borrower.address as Address, collateral: spec.collateral, debt: spec.debt },
    { flash: spec.flash, route: spec.route },
  );
  return { ...execution, position, override };
}
