/**
 * ChimeraExecutor's liquidateBatch on the sandbox's genuine Aave V3 and Morpho Blue bytecode (and the Compound-v2
 * market double): several liquidations under one flash loan, their collateral sold together or apart, all or nothing.
 * Each test checks the executor's accounting against the chain, as the single-plan tests do (liquidate.test.ts).
 */
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { executorFixture, type ExecutorFixture } from "../../shared/executor-fixture";
import { checkExecutorHoldsNothingAfterEach } from "./helpers/invariants";
import { outcomeOf } from "./helpers/outcomes";
import { unhealthyAavePositions, unhealthyMorphoPositions } from "./helpers/positions";
import { venueFixture } from "./helpers/venues";
import { FlashSource, NO_SWAP, ProtocolKind, compoundLiquidation, flashLoan, morphoLiquidation } from "./helpers/plans";
import { deadline } from "./helpers/deadline";
import { aaveLiquidationOf, wethToUsdcOnUniswap } from "./helpers/aave-plans";

describe("ChimeraExecutor: #liquidateBatch", function () {
  const holdings = checkExecutorHoldsNothingAfterEach();

  async function useExecutor(): Promise<ExecutorFixture> {
    return holdings.watch(await loadFixture(executorFixture));
  }

  it("liquidates three Aave positions under one Balancer flash loan", async function () {
    const f = await useExecutor();
    const positions = await unhealthyAavePositions(f.sandbox, { count: 3, seed: 29, debtUsd: 15_000 });
    const { book } = f.sandbox;
    const total = positions.reduce((sum, p) => sum + p.debtToCover, 0n);

    const outcome = await outcomeOf(
      f.executor,
      f.executor.liquidateBatch({
        flash: flashLoan(FlashSource.BalancerV2, book.flash.balancerVault!, book.tokens.USDC.address, total),
        liquidations: positions.map((p) => aaveLiquidationOf(f, p)),
        profitToken: book.tokens.USDC.address,
        minProfit: total / 100n,
        deadlineBlock: await deadline(),
      }),
    );

    expect(outcome.liquidations).to.have.length(3);
    expect(outcome.liquidations.map((l) => l.borrower)).to.deep.equal(positions.map((p) => p.borrower));
    const bought = outcome.liquidations.reduce((sum, l) => sum + l.debtTokenBought, 0n);
    const repaid = outcome.liquidations.reduce((sum, l) => sum + l.debtRepaid, 0n);
    expect(repaid).to.equal(total);
    expect(outcome.plan.profit).to.equal(bought - repaid);
  });

  it("sells the collateral of several liquidations in one swap (swap None, then sell all)", async function () {
    const f = await useExecutor();
    const positions = await unhealthyAavePositions(f.sandbox, { count: 2, seed: 61 });
    const { book } = f.sandbox;
    const total = positions[0].debtToCover + positions[1].debtToCover;
    const outcome = await outcomeOf(
      f.executor,
      f.executor.liquidateBatch({
        flash: flashLoan(FlashSource.BalancerV2, book.flash.balancerVault!, book.tokens.USDC.address, total),
        liquidations: [aaveLiquidationOf(f, positions[0], NO_SWAP), aaveLiquidationOf(f, positions[1])],
        profitToken: book.tokens.USDC.address,
        minProfit: 1n,
        deadlineBlock: await deadline(),
      }),
    );
    const [first, second] = outcome.liquidations;
    expect(first.collateralSold).to.equal(0n);
    expect(first.debtTokenBought).to.equal(0n);
    expect(second.collateralSold).to.equal(first.collateralSeized + second.collateralSeized);
    expect(outcome.plan.profit).to.equal(second.debtTokenBought - total);
    expect(outcome.residues).to.deep.equal([]);
  });

  it("mixes Aave V3, Morpho Blue and Compound v2 liquidations under one Morpho flash loan", async function () {
    const f = await loadFixture(venueFixture);
    await holdings.watch(f, {
      tokens: [await f.mUSDC.getAddress(), await f.mWETH.getAddress()],
      spenders: [await f.mUSDC.getAddress(), await f.mWETH.getAddress(), await f.aerodrome.getAddress()],
    });
    const { book } = f.sandbox;
    const [aave] = await unhealthyAavePositions(f.sandbox, { seed: 31 });
    const [morpho] = await unhealthyMorphoPositions(f.sandbox, { seed: 37 });
    const compoundRepay = f.compoundDebt / 2n;
    const loan = aave.debtToCover + compoundRepay;

    const outcome = await outcomeOf(
      f.executor,
      f.executor.liquidateBatch({
        flash: flashLoan(FlashSource.MorphoBlue, book.morphoBlue!.morpho, book.tokens.USDC.address, loan),
        liquidations: [
          aaveLiquidationOf(f, aave),
          morphoLiquidation({
            morpho: book.morphoBlue!.morpho,
            market: morpho.market,
            borrower: morpho.borrower,
            seizedAssets: morpho.collateral / 4n,
            swap: wethToUsdcOnUniswap(f),
          }),
          compoundLiquidation({
            debtMarket: await f.mUSDC.getAddress(),
            collateralMarket: await f.mWETH.getAddress(),
            borrower: f.compoundBorrower.address,
            collateralToken: book.tokens.WETH.address,
            debtToken: book.tokens.USDC.address,
            repayAmount: compoundRepay,
            swap: wethToUsdcOnUniswap(f),
          }),
        ],
        profitToken: book.tokens.USDC.address,
        minProfit: 1n,
        deadlineBlock: await deadline(),
      }),
    );

    expect(outcome.liquidations.map((l) => l.protocol)).to.deep.equal([
      BigInt(ProtocolKind.AaveV3),
      BigInt(ProtocolKind.MorphoBlue),
      BigInt(ProtocolKind.CompoundV2),
    ]);
    const bought = outcome.liquidations.reduce((sum, l) => sum + l.debtTokenBought, 0n);
    const repaid = outcome.liquidations.reduce((sum, l) => sum + l.debtRepaid, 0n);
    expect(outcome.plan.profit).to.equal(bought - repaid);
  });

  it("is all or nothing: one healthy borrower reverts the whole batch and leaves the others untouched", async function () {
    const f = await useExecutor();
    const positions = await unhealthyAavePositions(f.sandbox, { count: 2, seed: 41 });
    const { book } = f.sandbox;
    const total = positions.reduce((sum, p) => sum + p.debtToCover, 0n);
    const healthy = { ...positions[1], borrower: f.outsider.address as `0x${string}` };

    await expect(
      f.executor.liquidateBatch({
        flash: flashLoan(FlashSource.BalancerV2, book.flash.balancerVault!, book.tokens.USDC.address, total),
        liquidations: [aaveLiquidationOf(f, positions[0]), aaveLiquidationOf(f, healthy)],
        profitToken: book.tokens.USDC.address,
        minProfit: 0n,
        deadlineBlock: await deadline(),
      }),
    ).to.be.reverted;
    const { currentVariableDebt } = await f.sandbox.aave.dataProvider.getUserReserveData(positions[0].debtToken, positions[0].borrower);
    expect(currentVariableDebt).to.be.greaterThanOrEqual(positions[0].debt);
  });
});
