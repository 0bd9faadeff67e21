/**
 * ChimeraExecutor liquidating real under-water positions on the sandbox's genuine Aave V3 and Morpho Blue bytecode,
 * funded by every flash source, selling on genuine Uniswap V3 (and, where npm has no bytecode, on the venue doubles of
 * helpers/venues.ts). Each test checks the executor's own accounting against the chain: the treasury gains exactly the
 * reported profit, and profit = debt token bought - debt repaid - flash fee.
 */
import hre from "hardhat";
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { QuoterV2__factory } from "../../../typechain-types";
import { morphoMarketId } from "../../../sandbox";
import { executorFixture, type ExecutorFixture } from "../../shared/executor-fixture";
import { FLASH_HEADROOM } from "../../../keeper/execution/plan-encoder";
import { venueFixture, AERODROME_POOL_FACTORY } from "./helpers/venues";
import { checkExecutorHoldsNothingAfterEach } from "./helpers/invariants";
import { outcomeOf } from "./helpers/outcomes";
import { unhealthyAavePositions, unhealthyMorphoPositions } from "./helpers/positions";
import {
  FlashSource,
  NO_FLASH_LOAN,
  ProtocolKind,
  aerodromeSwap,
  compoundLiquidation,
  flashLoan,
  morphoLiquidation,
  packedPath,
  slipstreamSwap,
  type FlashSourceName,
} from "./helpers/plans";
import { deadline } from "./helpers/deadline";
import { aaveLiquidationOf, wethToUsdcOnUniswap } from "./helpers/aave-plans";

/** The lender and expected fee of each flash source for a USDC loan of `amount` in the sandbox. */
function usdcFlashSource(f: ExecutorFixture, source: FlashSourceName, amount: bigint): { lender: string; fee: bigint } {
  const { book } = f.sandbox;
  switch (source) {
    case "BalancerV2":
      return { lender: book.flash.balancerVault!, fee: 0n };
    case "MorphoBlue":
      return { lender: book.morphoBlue!.morpho, fee: 0n };
    case "AaveV3":
      // Aave's percentMul rounds half up; the sandbox premium is 5 bps.
      return { lender: book.aaveV3!.pool, fee: (amount * 5n + 5_000n) / 10_000n };
    case "UniswapV3":
      // The 0.3% pool lends (the 0.05% pool is the swap venue: a pool is locked during its own flash).
      return { lender: book.flash.uniswapV3Pools!["WETH/USDC/3000"], fee: (amount * 3_000n + 999_999n) / 1_000_000n };
  }
}

describe("ChimeraExecutor: liquidations", function () {
  const holdings = checkExecutorHoldsNothingAfterEach();

  async function useExecutor(): Promise<ExecutorFixture> {
    return holdings.watch(await loadFixture(executorFixture));
  }

  describe("#liquidate: Aave V3 position, every flash source", function () {
    for (const source of ["BalancerV2", "MorphoBlue", "AaveV3", "UniswapV3"] as const) {
      it(`liquidates with a ${source} flash loan, sells on Uniswap V3 and pays the profit to the treasury`, async function () {
        const f = await useExecutor();
        const [position] = await unhealthyAavePositions(f.sandbox);
        const usdc = f.sandbox.tokens.USDC;
        const { lender, fee } = usdcFlashSource(f, source, position.debtToCover);
        const minProfit = position.debtToCover / 100n;
        const treasuryBefore = await usdc.balanceOf(f.treasury.address);

        const outcome = await outcomeOf(
          f.executor,
          f.executor.liquidate({
            flash: flashLoan(FlashSource[source], lender, position.debtToken, position.debtToCover),
            liquidation: aaveLiquidationOf(f, position),
            profitToken: position.debtToken,
            minProfit,
            deadlineBlock: await deadline(),
          }),
        );

        const [liquidated] = outcome.liquidations;
        expect(liquidated.protocol).to.equal(BigInt(ProtocolKind.AaveV3));
        expect(liquidated.borrower).to.equal(position.borrower);
        expect(liquidated.debtRepaid).to.equal(position.debtToCover);
        expect(liquidated.collateralSeized).to.be.greaterThan(0n);
        expect(liquidated.collateralSold).to.equal(liquidated.collateralSeized);
        expect(outcome.plan.flashFee).to.equal(fee);
        expect(outcome.plan.profit).to.equal(liquidated.debtTokenBought - liquidated.debtRepaid - fee);
        expect(outcome.plan.profit).to.be.greaterThanOrEqual(minProfit);
        expect((await usdc.balanceOf(f.treasury.address)) - treasuryBefore).to.equal(outcome.plan.profit);
        const { currentVariableDebt } = await f.sandbox.aave.dataProvider.getUserReserveData(position.debtToken, position.borrower);
        // One block of interest at most separates the two reads.
        expect(currentVariableDebt).to.be.closeTo(position.debt - position.debtToCover, position.debt / 1_000_000n + 1n);
      });
    }
  });

  describe("#liquidate: one unit of flash headroom (the keeper's FLASH_HEADROOM)", function () {
    for (const source of ["MorphoBlue", "AaveV3"] as const) {
      it(`borrows the unit from ${source} and repays it with the loan: the lender gets principal + fee, the treasury the profit`, async function () {
        const f = await useExecutor();
        const [position] = await unhealthyAavePositions(f.sandbox);
        const usdc = f.sandbox.tokens.USDC;
        const amount = position.debtToCover + FLASH_HEADROOM;
        const { lender, fee } = usdcFlashSource(f, source, amount);
        // Morpho holds what it lends; Aave's reserve sits in its aToken.
        const reserve =
          source === "MorphoBlue"
            ? lender
            : (await f.sandbox.aave.dataProvider.getReserveTokensAddresses(position.debtToken)).aTokenAddress;
        const [reserveBefore, treasuryBefore] = [await usdc.balanceOf(reserve), await usdc.balanceOf(f.treasury.address)];

        const outcome = await outcomeOf(
          f.executor,
          f.executor.liquidate({
            flash: flashLoan(FlashSource[source], lender, position.debtToken, amount),
            liquidation: aaveLiquidationOf(f, position),
            profitToken: position.debtToken,
            minProfit: 1n,
            deadlineBlock: await deadline(),
          }),
        );

        const [liquidated] = outcome.liquidations;
        expect(liquidated.debtRepaid, "the liquidation spends debtToCover, not the unit").to.equal(position.debtToCover);
        // Aave's premium rounding changed across versions (half up, then up): the formula's fee to one unit.
        expect(outcome.plan.flashFee, "the fee on principal + unit").to.be.closeTo(fee, 1n);
        expect(outcome.plan.profit).to.equal(liquidated.debtTokenBought - liquidated.debtRepaid - outcome.plan.flashFee);
        expect((await usdc.balanceOf(f.treasury.address)) - treasuryBefore).to.equal(outcome.plan.profit);
        // Aave's reserve gains the liquidation's repayment plus the premium's share it keeps; Morpho exactly nothing.
        const reserveGain = (await usdc.balanceOf(reserve)) - reserveBefore;
        if (source === "MorphoBlue") expect(reserveGain, "Morpho got back exactly what it lent").to.equal(0n);
        else expect(reserveGain).to.be.within(liquidated.debtRepaid, liquidated.debtRepaid + outcome.plan.flashFee);
        // The executor holds nothing afterwards: checkExecutorHoldsNothingAfterEach.
      });
    }
  });

  describe("#liquidate: Morpho Blue", function () {
    it("liquidates with no flash loan at all: the onMorphoLiquidate callback sells the collateral and funds the repayment", async function () {
      const f = await useExecutor();
      const [position] = await unhealthyMorphoPositions(f.sandbox);
      const usdc = f.sandbox.tokens.USDC;
      const treasuryBefore = await usdc.balanceOf(f.treasury.address);
      const seizedAssets = position.collateral / 2n;

      const outcome = await outcomeOf(
        f.executor,
        f.executor.liquidate({
          flash: NO_FLASH_LOAN,
          liquidation: morphoLiquidation({
            morpho: f.sandbox.book.morphoBlue!.morpho,
            market: position.market,
            borrower: position.borrower,
            seizedAssets,
            swap: wethToUsdcOnUniswap(f),
          }),
          profitToken: position.market.loanToken,
          minProfit: 1n,
          deadlineBlock: await deadline(),
        }),
      );

      const [liquidated] = outcome.liquidations;
      expect(liquidated.protocol).to.equal(BigInt(ProtocolKind.MorphoBlue));
      expect(liquidated.collateralSeized).to.equal(seizedAssets);
      expect(liquidated.collateralSold).to.equal(seizedAssets);
      expect(outcome.plan.profit).to.equal(liquidated.debtTokenBought - liquidated.debtRepaid);
      expect(outcome.plan.profit).to.be.greaterThan(0n);
      expect((await usdc.balanceOf(f.treasury.address)) - treasuryBefore).to.equal(outcome.plan.profit);
      const after = await f.sandbox.morpho.morpho.position(morphoMarketId(position.market), position.borrower);
      expect(after.collateral).to.equal(position.collateral - seizedAssets);
    });

    it("liquidates by repaid shares under a Balancer flash loan, returning the unused part of the loan", async function () {
      const f = await useExecutor();
      const [position] = await unhealthyMorphoPositions(f.sandbox, { seed: 17 });
      const repaidShares = position.borrowShares / 3n;
      // Borrow more than the repayment needs: what is not spent goes straight back to the Vault.
      const loan = 20_000n * 10n ** 6n;

      const outcome = await outcomeOf(
        f.executor,
        f.executor.liquidate({
          flash: flashLoan(FlashSource.BalancerV2, f.sandbox.book.flash.balancerVault!, position.market.loanToken, loan),
          liquidation: morphoLiquidation({
            morpho: f.sandbox.book.morphoBlue!.morpho,
            market: position.market,
            borrower: position.borrower,
            repaidShares,
            swap: wethToUsdcOnUniswap(f),
          }),
          profitToken: position.market.loanToken,
          minProfit: 1n,
          deadlineBlock: await deadline(),
        }),
      );

      const [liquidated] = outcome.liquidations;
      expect(liquidated.debtRepaid).to.be.greaterThan(0n).and.lessThan(loan);
      expect(outcome.plan.profit).to.equal(liquidated.debtTokenBought - liquidated.debtRepaid);
      const after = await f.sandbox.morpho.morpho.position(morphoMarketId(position.market), position.borrower);
      expect(after.borrowShares).to.equal(position.borrowShares - repaidShares);
    });
  });

  describe("#liquidate: venues without npm bytecode (test doubles)", function () {
    async function useVenues() {
      const f = await loadFixture(venueFixture);
      return holdings.watch(f, {
        tokens: [await f.mUSDC.getAddress(), await f.mWETH.getAddress()],
        spenders: [
          await f.mUSDC.getAddress(),
          await f.mWETH.getAddress(),
          await f.aerodrome.getAddress(),
          await f.slipstreamRouter.getAddress(),
        ],
      });
    }

    it("liquidates a Compound-v2 (Moonwell-shaped) borrower, redeems the seized mTokens and sells on Aerodrome", async function () {
      const f = await useVenues();
      const { book } = f.sandbox;
      const repayAmount = f.compoundDebt / 2n;
      const mWethShares = await f.mWETH.balanceOf(f.compoundBorrower.address);

      const outcome = await outcomeOf(
        f.executor,
        f.executor.liquidate({
          flash: flashLoan(FlashSource.BalancerV2, book.flash.balancerVault!, book.tokens.USDC.address, repayAmount),
          liquidation: compoundLiquidation({
            debtMarket: await f.mUSDC.getAddress(),
            collateralMarket: await f.mWETH.getAddress(),
            borrower: f.compoundBorrower.address,
            collateralToken: book.tokens.WETH.address,
            debtToken: book.tokens.USDC.address,
            repayAmount,
            swap: aerodromeSwap(
              await f.aerodrome.getAddress(),
              [{ from: book.tokens.WETH.address, to: book.tokens.USDC.address, stable: false, factory: AERODROME_POOL_FACTORY }],
              repayAmount,
            ),
          }),
          profitToken: book.tokens.USDC.address,
          minProfit: repayAmount / 100n,
          deadlineBlock: await deadline(),
        }),
      );

      const [liquidated] = outcome.liquidations;
      expect(liquidated.protocol).to.equal(BigInt(ProtocolKind.CompoundV2));
      expect(liquidated.debtRepaid).to.equal(repayAmount);
      expect(liquidated.collateralSold).to.equal(liquidated.collateralSeized);
      expect(outcome.plan.profit).to.equal(liquidated.debtTokenBought - repayAmount);
      expect(await f.mUSDC.borrowBalanceStored(f.compoundBorrower.address)).to.equal(f.compoundDebt - repayAmount);
      expect(await f.mWETH.balanceOf(f.compoundBorrower.address)).to.be.lessThan(mWethShares);
    });

    it("sells through the Slipstream venue (exactInput with a deadline)", async function () {
      const f = await useVenues();
      const [position] = await unhealthyAavePositions(f.sandbox, { seed: 19 });
      const { book } = f.sandbox;
      const outcome = await outcomeOf(
        f.executor,
        f.executor.liquidate({
          flash: flashLoan(FlashSource.BalancerV2, book.flash.balancerVault!, position.debtToken, position.debtToCover),
          liquidation: aaveLiquidationOf(
            f,
            position,
            slipstreamSwap(
              await f.slipstreamRouter.getAddress(),
              packedPath([book.tokens.WETH.address, book.tokens.USDC.address], [500]),
              position.debtToCover,
            ),
          ),
          profitToken: position.debtToken,
          minProfit: 1n,
          deadlineBlock: await deadline(),
        }),
      );
      expect(outcome.liquidations[0].debtTokenBought).to.be.greaterThan(position.debtToCover);
      expect(outcome.plan.profit).to.equal(outcome.liquidations[0].debtTokenBought - position.debtToCover);
    });
  });

  describe("#liquidate: approvals", function () {
    it("pays only what Aave takes when debtToCover exceeds the close factor, and clears the unused approval", async function () {
      const f = await useExecutor();
      // HF about 0.98 (> 0.95): Aave v3.0 closes at most 50% of the debt, whatever debtToCover asks for.
      const [position] = await unhealthyAavePositions(f.sandbox, { seed: 53 });
      const { book } = f.sandbox;
      const asked = position.debt;
      const outcome = await outcomeOf(
        f.executor,
        f.executor.liquidate({
          flash: flashLoan(FlashSource.BalancerV2, book.flash.balancerVault!, position.debtToken, asked),
          liquidation: aaveLiquidationOf(f, { ...position, debtToCover: asked }),
          profitToken: position.debtToken,
          minProfit: 1n,
          deadlineBlock: await deadline(),
        }),
      );
      const [liquidated] = outcome.liquidations;
      // Half the debt at the liquidation block (interest accrued since `position.debt` was read adds at most a wei or so).
      expect(liquidated.debtRepaid).to.be.closeTo(position.debt / 2n, position.debt / 1_000_000n + 1n);
      expect(liquidated.debtRepaid).to.be.lessThan(asked);
      expect(outcome.plan.profit).to.equal(liquidated.debtTokenBought - liquidated.debtRepaid);
      // The afterEach invariant checks the pool's allowance is back at zero.
    });
  });

  describe("#liquidate: profit in the collateral, residues swept", function () {
    it("sells only what repays the loan, keeps the rest of the collateral as profit and sweeps the surplus debt token", async function () {
      const f = await useExecutor();
      const [position] = await unhealthyAavePositions(f.sandbox, { seed: 23 });
      const { book } = f.sandbox;
      const weth = f.sandbox.tokens.WETH;
      const usdc = f.sandbox.tokens.USDC;
      const quoter = QuoterV2__factory.connect(book.uniswapV3!.quoterV2, hre.ethers.provider);
      // Enough WETH to buy the repayment plus 1 USDC, so a surplus is certain.
      const [wethNeeded] = await quoter.quoteExactOutputSingle.staticCall({
        tokenIn: book.tokens.WETH.address,
        tokenOut: book.tokens.USDC.address,
        amount: position.debtToCover + 1_000_000n,
        fee: 500,
        sqrtPriceLimitX96: 0n,
      });
      const treasuryWeth = await weth.balanceOf(f.treasury.address);
      const treasuryUsdc = await usdc.balanceOf(f.treasury.address);

      const outcome = await outcomeOf(
        f.executor,
        f.executor.liquidate({
          flash: flashLoan(FlashSource.BalancerV2, book.flash.balancerVault!, position.debtToken, position.debtToCover),
          liquidation: aaveLiquidationOf(f, position, wethToUsdcOnUniswap(f, position.debtToCover, wethNeeded)),
          profitToken: position.collateralToken,
          minProfit: 1n,
          deadlineBlock: await deadline(),
        }),
      );

      const [liquidated] = outcome.liquidations;
      expect(liquidated.collateralSold).to.equal(wethNeeded);
      expect(outcome.plan.profitToken).to.equal(position.collateralToken);
      expect(outcome.plan.profit).to.equal(liquidated.collateralSeized - wethNeeded);
      expect(outcome.residues).to.deep.equal([
        { token: position.debtToken, treasury: f.treasury.address, amount: liquidated.debtTokenBought - position.debtToCover },
      ]);
      expect((await weth.balanceOf(f.treasury.address)) - treasuryWeth).to.equal(outcome.plan.profit);
      expect((await usdc.balanceOf(f.treasury.address)) - treasuryUsdc).to.equal(outcome.residues[0].amount);
    });
  });

  describe("#liquidate: a profit token that ends at zero", function () {
    it("pays nothing when the profit token did not grow (floor 0) and still sweeps the real gain as a residue", async function () {
      const f = await useExecutor();
      const [position] = await unhealthyAavePositions(f.sandbox, { seed: 59 });
      const { book } = f.sandbox;
      // Profit measured in the collateral, but every unit of collateral is sold: the gain arrives as surplus USDC.
      const outcome = await outcomeOf(
        f.executor,
        f.executor.liquidate({
          flash: flashLoan(FlashSource.BalancerV2, book.flash.balancerVault!, position.debtToken, position.debtToCover),
          liquidation: aaveLiquidationOf(f, position),
          profitToken: position.collateralToken,
          minProfit: 0n,
          deadlineBlock: await deadline(),
        }),
      );
      expect(outcome.plan.profit).to.equal(0n);
      const [liquidated] = outcome.liquidations;
      expect(outcome.residues).to.deep.equal([
        { token: position.debtToken, treasury: f.treasury.address, amount: liquidated.debtTokenBought - position.debtToCover },
      ]);
    });
  });
});
