/**
 * Morpho Blue liquidation scenarios, identical on the sandbox and on Base (Morpho Blue is the same immutable bytecode
 * on both, at the same address on Base):
 * 1. `openMorphoPosition`: a fresh borrower supplies collateral and borrows the loan token at a chosen health factor
 *    (maxBorrow / borrowed);
 * 2. `makeMorphoLiquidatable`: the market's oracle is replaced IN PLACE (hardhat_setCode) by Morpho's own OracleMock
 *    and priced so the borrower lands on a target health factor. The market's params (and so its id) do not change,
 *    which is the point: the real market, with its real state and borrowers, becomes liquidatable. Morpho oracles
 *    (MorphoChainlinkOracleV2 on Base, the sandbox's MorphoChainlinkOracleDouble) keep everything in immutables, so
 *    OracleMock's one storage slot (`price`) is free;
 * 3. `liquidateMorphoPosition`: through the executor, either with no flash loan at all (the onMorphoLiquidate callback
 *    sells the seized collateral and funds the repayment) or under a flash loan, by seized assets or repaid shares.
 */
import hre from "hardhat";
import { expect } from "chai";
import type { Wallet } from "ethers";
import { IERC20__factory, IOracle__factory, Morpho__factory, OracleMock__factory, type Morpho } from "../../../typechain-types";
import type { Address, MorphoMarketParams } from "../../../keeper/config/address-book";
import { liquidationIncentiveFactor, toAssetsUp } from "../../../keeper/markets/morpho-blue/morpho-math";
import { morphoMarketId } from "../../../sandbox/morpho-blue";
import { NO_FLASH_LOAN, ProtocolKind, morphoLiquidation, type PlanStruct } from "../../unit/contracts/helpers/plans";
import { ceilDiv, freshAccount, tokenInfo, type MorphoScenarioMarket, type ScenarioEnvironment } from "./environment";
import { executeAndCheck, type CheckedExecution } from "./execution-checks";
import { resolveFlashLoan, type FlashSourceName } from "./flash-loans";
import { buildSwap, requireRouteLiquidity, uniswapPoolsOf, type SwapRouteSpec } from "./swap-routes";

const WAD = 10n ** 18n;
const ORACLE_PRICE_SCALE = 10n ** 36n;
const MAX_UINT256 = (1n << 256n) - 1n;
const DEADLINE_BLOCKS = 20;

function morphoOf(market: MorphoScenarioMarket): Morpho {
  return Morpho__factory.connect(market.morpho, hre.ethers.provider);
}

export function marketLabel(env: ScenarioEnvironment, params: MorphoMarketParams): string {
  return `${tokenInfo(env.book, params.collateralToken).symbol}/${tokenInfo(env.book, params.loanToken).symbol} ${
    Number(params.lltv) / 1e16
  }%`;
}

export interface MorphoHealth {
  readonly collateral: bigint;
  readonly borrowShares: bigint;
  readonly borrowedAssets: bigint;
  readonly price: bigint;
  /** maxBorrow / borrowed, WAD. */
  readonly healthFactor: bigint;
}

/** The borrower's position and health factor as Morpho's `_isHealthy` computes it (before interest accrual). */
export async function morphoHealthOf(market: MorphoScenarioMarket, borrower: Address): Promise<MorphoHealth> {
  const morpho = morphoOf(market);
  const id = morphoMarketId(market.params);
  const [position, state, price] = await Promise.all([
    morpho.position(id, borrower),
    morpho.market(id),
    IOracle__factory.connect(market.params.oracle, hre.ethers.provider).price(),
  ]);
  const borrowedAssets = toAssetsUp(position.borrowShares, state.totalBorrowAssets, state.totalBorrowShares);
  const maxBorrow = (((position.collateral * price) / ORACLE_PRICE_SCALE) * market.params.lltv) / WAD;
  const healthFactor = borrowedAssets === 0n ? MAX_UINT256 : (maxBorrow * WAD) / borrowedAssets;
  return { collateral: position.collateral, borrowShares: position.borrowShares, borrowedAssets, price, healthFactor };
}

export interface MorphoPosition {
  readonly borrower: Wallet;
  readonly collateralSupplied: bigint;
  readonly loanBorrowed: bigint;
}

/** A fresh borrower supplies collateral and borrows `loanAmount` raw loan tokens at about `healthFactor`. */
export async function openMorphoPosition(
  env: ScenarioEnvironment,
  market: MorphoScenarioMarket,
  spec: {
    readonly loanAmount: bigint;
    readonly healthFactor?: number;
    readonly account?: { readonly label: string; readonly index?: number };
  },
): Promise<MorphoPosition> {
  const { params } = market;
  const morpho = morphoOf(market);
  const label = marketLabel(env, params);
  const state = await morpho.market(morphoMarketId(params));
  if (state.lastUpdate === 0n) throw new Error(`Morpho market ${label} does not exist on "${env.label}" (never created)`);
  if (state.totalSupplyAssets - state.totalBorrowAssets < spec.loanAmount) {
    throw new Error(
      `Morpho market ${label} on "${env.label}" has ${state.totalSupplyAssets - state.totalBorrowAssets} raw loan tokens to lend, ` +
        `the scenario borrows ${spec.loanAmount}`,
    );
  }
  const healthFactor = spec.healthFactor ?? 1.05;
  const price = await IOracle__factory.connect(params.oracle, hre.ethers.provider).price();
  // maxBorrow = collateral * price / 1e36 * lltv / 1e18 = HF * loan  =>  collateral = HF * loan * 1e36 * 1e18 / (price * lltv).
  // Two wei of headroom on the loan cover borrow shares rounding up.
  const collateral = ceilDiv(
    (spec.loanAmount + 2n) * BigInt(Math.round(healthFactor * 1e9)) * ORACLE_PRICE_SCALE * WAD,
    1_000_000_000n * price * params.lltv,
  );
  const account = spec.account ?? { label: `morpho ${label}` };
  const borrower = await freshAccount(account.label, account.index ?? 0);
  await env.fund(params.collateralToken, borrower.address as Address, collateral);
  await (await IERC20__factory.connect(params.collateralToken, borrower).approve(market.morpho, collateral)).wait();
  await (await morpho.connect(borrower).supplyCollateral(params, collateral, borrower.address, "0x")).wait();
  await (await morpho.connect(borrower).borrow(params, spec.loanAmount, 0n, borrower.address, borrower.address)).wait();
  const health = await morphoHealthOf(market, borrower.address as Address);
  expect(Number(health.healthFactor) / 1e18, `Morpho ${label} health factor right after opening`).to.be.closeTo(healthFactor, 0.01);
  return { borrower, collateralSupplied: collateral, loanBorrowed: spec.loanAmount };
}

/** Replaces the market oracle's code with Morpho's OracleMock and sets its price; returns the price it replaced. */
export async function overrideMorphoOraclePrice(market: MorphoScenarioMarket, price: bigint): Promise<bigint> {
  const oracle = market.params.oracle;
  const previous = await IOracle__factory.connect(oracle, hre.ethers.provider).price();
  const [signer] = await hre.ethers.getSigners();
  const template = await new OracleMock__factory(signer).deploy();
  await template.waitForDeployment();
  const runtimeCode = await hre.ethers.provider.getCode(await template.getAddress());
  await hre.network.provider.send("hardhat_setCode", [oracle, runtimeCode]);
  await (await OracleMock__factory.connect(oracle, signer).setPrice(price)).wait();
  expect(await IOracle__factory.connect(oracle, hre.ethers.provider).price(), "overridden Morpho oracle price").to.equal(price);
  return previous;
}

/** Moves the market's oracle price so `borrower` lands within 0.002 of `targetHealthFactor` (< 1): HF is linear in the price. */
export async function makeMorphoLiquidatable(
  market: MorphoScenarioMarket,
  borrower: Address,
  targetHealthFactor: number,
): Promise<MorphoHealth & { readonly originalPrice: bigint }> {
  if (!(targetHealthFactor > 0 && targetHealthFactor < 1)) {
    throw new Error(`makeMorphoLiquidatable: the target health factor must be in (0, 1), got ${targetHealthFactor}`);
  }
  const before = await morphoHealthOf(market, borrower);
  const price = (before.price * BigInt(Math.round(targetHealthFactor * 1e9))) / (before.healthFactor / 1_000_000_000n);
  const originalPrice = await overrideMorphoOraclePrice(market, price);
  const after = await morphoHealthOf(market, borrower);
  expect(Number(after.healthFactor) / 1e18, "Morpho health factor after the price move").to.be.closeTo(targetHealthFactor, 0.002);
  expect(after.healthFactor, "the borrower is liquidatable").to.be.lessThan(WAD);
  return { ...after, originalPrice };
}

export interface MorphoLiquidationSpec {
  /** "None": the liquidation funds itself through onMorphoLiquidate. */
  readonly flash: FlashSourceName | "None";
  readonly route: SwapRouteSpec;
  /** Exactly one of the two, as Morpho requires. */
  readonly seizedAssets?: bigint;
  readonly repaidShares?: bigint;
}

/**
 * Liquidates through the executor and checks the outcome and the position left behind.
 *
 * Sizing note: at health factor h, seizing a fraction f of the collateral repays f x h / (lltv x LIF) of the debt
 * (collateral value = h x debt / lltv; Morpho repays seized value / LIF). For an 86% market (LIF 1.0438) at h = 0.95
 * that is 1.058 f: half the collateral repays 53% of the debt, a third 35%, so neither can overshoot the debt.
 */
export async function liquidateMorphoPosition(
  env: ScenarioEnvironment,
  market: MorphoScenarioMarket,
  borrower: Address,
  spec: MorphoLiquidationSpec,
): Promise<CheckedExecution> {
  if ((spec.seizedAssets ?? 0n) > 0n === (spec.repaidShares ?? 0n) > 0n) {
    throw new Error("liquidateMorphoPosition: give exactly one of seizedAssets and repaidShares");
  }
  const { params } = market;
  const morpho = morphoOf(market);
  const before = await morphoHealthOf(market, borrower);
  const state = await morpho.market(morphoMarketId(params));
  const lif = liquidationIncentiveFactor(params.lltv);
  // What Morpho will ask back, give or take the interest accrued inside the call.
  const repaidEstimate =
    spec.seizedAssets !== undefined
      ? (((spec.seizedAssets * before.price) / ORACLE_PRICE_SCALE) * WAD) / lif
      : toAssetsUp(spec.repaidShares!, state.totalBorrowAssets, state.totalBorrowShares);
  await requireRouteLiquidity(env, spec.route, params.collateralToken, params.loanToken);

  let flash = NO_FLASH_LOAN;
  let expectedFlashFee = 0n;
  if (spec.flash !== "None") {
    // Borrow 1% more than the estimate: the unused part goes straight back to the lender.
    const loan = await resolveFlashLoan(
      env,
      spec.flash,
      params.loanToken,
      repaidEstimate + repaidEstimate / 100n + 1n,
      await uniswapPoolsOf(env.book, spec.route, params.collateralToken, params.loanToken),
    );
    flash = loan.flash;
    expectedFlashFee = loan.expectedFee;
  }
  const plan: PlanStruct = {
    flash,
    liquidation: morphoLiquidation({
      morpho: market.morpho,
      market: params,
      borrower,
      seizedAssets: spec.seizedAssets,
      repaidShares: spec.repaidShares,
      // Selling the seizure must cover at least the repayment; 1% below the estimate leaves room for interest.
      swap: buildSwap(env.book, spec.route, params.collateralToken, params.loanToken, repaidEstimate - repaidEstimate / 100n),
    }),
    profitToken: params.loanToken,
    minProfit: 1n,
    deadlineBlock: (await hre.ethers.provider.getBlockNumber()) + DEADLINE_BLOCKS,
  };
  const checked = await executeAndCheck(env, plan, {
    borrower,
    protocol: ProtocolKind.MorphoBlue,
    collateralToken: params.collateralToken,
    debtToken: params.loanToken,
    route: spec.route,
    expectedFlashFee,
  });
  const after = await morphoHealthOf(market, borrower);
  if (spec.seizedAssets !== undefined) {
    expect(checked.liquidated.collateralSeized, "seized exactly seizedAssets").to.equal(spec.seizedAssets);
    expect(after.collateral, "position collateral after").to.equal(before.collateral - spec.seizedAssets);
  } else {
    expect(after.borrowShares, "position borrow shares after").to.equal(before.borrowShares - spec.repaidShares!);
  }
  // Morpho prices the seizure at the oracle with its liquidation incentive: repaid x LIF ~ seized x price.
  const seizedValue = (checked.liquidated.collateralSeized * before.price) / ORACLE_PRICE_SCALE;
  expect(seizedValue, "seized value = repaid x liquidation incentive factor").to.be.closeTo(
    (checked.liquidated.debtRepaid * lif) / WAD,
    seizedValue / 100_000n + 2n,
  );
  return checked;
}
