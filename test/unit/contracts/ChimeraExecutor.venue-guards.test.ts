/**
 * The checks that stand between a plan and what it calls, each tried with a plan that should fail it: a swap route's
 * ends and minimum output, the Uniswap flash pool's tokens, Compound's error codes and an Aerodrome route (through the
 * market and venue doubles). The checks before any call (deadline, roles, pause, allowlists, profit floor) are in
 * guards.test.ts.
 */
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { executorFixture, type ExecutorFixture } from "../../shared/executor-fixture";
import { checkExecutorHoldsNothingAfterEach } from "./helpers/invariants";
import { unhealthyAavePositions, type UnhealthyAavePosition } from "./helpers/positions";
import { outcomeOf } from "./helpers/outcomes";
import { venueFixture, AERODROME_POOL_FACTORY, type VenueFixture } from "./helpers/venues";
import { FlashSource, aerodromeSwap, compoundLiquidation, flashLoan, packedPath, uniswapSwap, type PlanStruct } from "./helpers/plans";
import { aaveLiquidationOf, aavePlan, currentBlock } from "./helpers/aave-plans";

describe("ChimeraExecutor: route, flash pool and venue guards", function () {
  const holdings = checkExecutorHoldsNothingAfterEach();

  async function useExecutor(): Promise<{ f: ExecutorFixture; position: UnhealthyAavePosition }> {
    const f = await holdings.watch(await loadFixture(executorFixture));
    const [position] = await unhealthyAavePositions(f.sandbox, { seed: 43 });
    return { f, position };
  }

  describe("swap routes", function () {
    it("refuses a Uniswap path that does not start at the seized collateral", async function () {
      const { f, position } = await useExecutor();
      const { book } = f.sandbox;
      const path = packedPath([book.tokens.cbBTC.address, book.tokens.USDC.address], [500]);
      await expect(f.executor.liquidate(await aavePlan(f, position, { swap: uniswapSwap(book.uniswapV3!.swapRouter02, path, 0n) })))
        .to.be.revertedWithCustomError(f.executor, "SwapRouteMismatch")
        .withArgs(position.collateralToken, position.debtToken, book.tokens.cbBTC.address, position.debtToken);
    });

    it("refuses a Uniswap path that does not end at the debt token", async function () {
      const { f, position } = await useExecutor();
      const { book } = f.sandbox;
      const path = packedPath([book.tokens.WETH.address, book.tokens.cbBTC.address], [3000]);
      await expect(f.executor.liquidate(await aavePlan(f, position, { swap: uniswapSwap(book.uniswapV3!.swapRouter02, path, 0n) })))
        .to.be.revertedWithCustomError(f.executor, "SwapRouteMismatch")
        .withArgs(position.collateralToken, position.debtToken, position.collateralToken, book.tokens.cbBTC.address);
    });

    it("refuses a malformed path (too short, or not 20 + 23k bytes) and reports zero ends", async function () {
      const { f, position } = await useExecutor();
      const { book } = f.sandbox;
      const good = packedPath([book.tokens.WETH.address, book.tokens.USDC.address], [500]);
      const zero = "0x0000000000000000000000000000000000000000";
      for (const path of [good.slice(0, 2 + 2 * 40), good + "00"]) {
        await expect(f.executor.liquidate(await aavePlan(f, position, { swap: uniswapSwap(book.uniswapV3!.swapRouter02, path, 0n) })))
          .to.be.revertedWithCustomError(f.executor, "SwapRouteMismatch")
          .withArgs(position.collateralToken, position.debtToken, zero, zero);
      }
    });

    it("enforces the swap's minimum output (the router reverts)", async function () {
      const { f, position } = await useExecutor();
      const { book } = f.sandbox;
      const swap = uniswapSwap(
        book.uniswapV3!.swapRouter02,
        packedPath([book.tokens.WETH.address, book.tokens.USDC.address], [500]),
        position.debt * 10n,
      );
      await expect(f.executor.liquidate(await aavePlan(f, position, { swap }))).to.be.revertedWith("Too little received");
    });
  });

  describe("flash sources", function () {
    it("reverts FlashTokenNotInPool when the Uniswap pool holds neither side of the token", async function () {
      const { f, position } = await useExecutor();
      const pool = f.sandbox.book.flash.uniswapV3Pools!["cbBTC/WETH/3000"];
      await expect(f.executor.liquidate(await aavePlan(f, position, { source: FlashSource.UniswapV3, lender: pool })))
        .to.be.revertedWithCustomError(f.executor, "FlashTokenNotInPool")
        .withArgs(pool, position.debtToken);
    });

    it("borrows either side of a Uniswap pool (both flash argument orders)", async function () {
      const { f } = await useExecutor();
      // The USDC tests borrow USDC from WETH/USDC/3000; this one borrows the other side, WETH, from WETH/USDC/500, so
      // both `flash` argument orders run whatever the pools' on-chain token order.
      // cbBTC's LT/LTV is 78/73: open at HF 1.08 so the borrow is allowed, then drop cbBTC 8%.
      const [position] = await unhealthyAavePositions(f.sandbox, {
        seed: 47,
        collateral: "cbBTC",
        debt: "WETH",
        debtUsd: 30_000,
        openAt: 1.08,
        dropFraction: 0.08,
      });
      const { book } = f.sandbox;
      const flashPool = book.flash.uniswapV3Pools!["WETH/USDC/500"];
      const outcome = await outcomeOf(
        f.executor,
        f.executor.liquidate({
          flash: flashLoan(FlashSource.UniswapV3, flashPool, position.debtToken, position.debtToCover),
          liquidation: aaveLiquidationOf(
            f,
            position,
            uniswapSwap(book.uniswapV3!.swapRouter02, packedPath([position.collateralToken, position.debtToken], [3000]), 0n),
          ),
          profitToken: position.debtToken,
          minProfit: 1n,
          deadlineBlock: (await currentBlock()) + 10,
        }),
      );
      expect(outcome.plan.flashFee).to.equal((position.debtToCover * 500n + 999_999n) / 1_000_000n);
    });
  });

  describe("Compound v2 error codes (market test double)", function () {
    async function useVenues(): Promise<VenueFixture> {
      const f = await loadFixture(venueFixture);
      return holdings.watch(f, {
        tokens: [await f.mUSDC.getAddress(), await f.mWETH.getAddress()],
        spenders: [await f.mUSDC.getAddress(), await f.mWETH.getAddress()],
      });
    }

    async function compoundPlan(f: VenueFixture, repayAmount: bigint): Promise<PlanStruct> {
      const { book } = f.sandbox;
      return {
        flash: flashLoan(FlashSource.BalancerV2, book.flash.balancerVault!, book.tokens.USDC.address, repayAmount),
        liquidation: compoundLiquidation({
          debtMarket: await f.mUSDC.getAddress(),
          collateralMarket: await f.mWETH.getAddress(),
          borrower: f.compoundBorrower.address,
          collateralToken: book.tokens.WETH.address,
          debtToken: book.tokens.USDC.address,
          repayAmount,
          swap: uniswapSwap(book.uniswapV3!.swapRouter02, packedPath([book.tokens.WETH.address, book.tokens.USDC.address], [500]), 0n),
        }),
        profitToken: book.tokens.USDC.address,
        minProfit: 0n,
        deadlineBlock: (await currentBlock()) + 10,
      };
    }

    it("turns liquidateBorrow's COMPTROLLER_REJECTION code (repay above the close factor) into CompoundV2CallFailed", async function () {
      const f = await useVenues();
      await expect(f.executor.liquidate(await compoundPlan(f, f.compoundDebt)))
        .to.be.revertedWithCustomError(f.executor, "CompoundV2CallFailed")
        .withArgs(await f.mUSDC.getAddress(), 3n);
    });

    it("turns redeem's TOKEN_INSUFFICIENT_CASH code (collateral market drained) into CompoundV2CallFailed", async function () {
      const f = await useVenues();
      const { deployer, tokens } = f.sandbox;
      // A whale posts USDC and borrows every WETH the collateral market holds.
      const usdc = 100_000_000n * 10n ** 6n;
      await (await tokens.USDC.connect(deployer)["mint(address,uint256)"](deployer.address, usdc)).wait();
      await (await tokens.USDC.connect(deployer).approve(f.mUSDC, usdc)).wait();
      await (await f.mUSDC.connect(deployer).mint(usdc)).wait();
      // Like Moonwell, the comptroller counts only entered markets as collateral.
      await (await f.comptroller.connect(deployer).enterMarkets([await f.mUSDC.getAddress()])).wait();
      await (await f.mWETH.connect(deployer).borrow(await f.mWETH.getCash())).wait();
      await expect(f.executor.liquidate(await compoundPlan(f, f.compoundDebt / 2n)))
        .to.be.revertedWithCustomError(f.executor, "CompoundV2CallFailed")
        .withArgs(await f.mWETH.getAddress(), 14n);
    });

    it("refuses a Compound collateral market the owner has not allowlisted", async function () {
      const f = await useVenues();
      await (await f.executor.connect(f.owner).setAllowedTarget(f.mWETH, false)).wait();
      await expect(f.executor.liquidate(await compoundPlan(f, f.compoundDebt / 2n)))
        .to.be.revertedWithCustomError(f.executor, "TargetNotAllowed")
        .withArgs(await f.mWETH.getAddress());
    });

    it("refuses an Aerodrome route that does not sell the collateral for the debt token", async function () {
      const f = await useVenues();
      const { book } = f.sandbox;
      const plan = await compoundPlan(f, f.compoundDebt / 2n);
      const zero = "0x0000000000000000000000000000000000000000";
      const routes = [
        [{ from: book.tokens.USDC.address, to: book.tokens.WETH.address, stable: false, factory: AERODROME_POOL_FACTORY }],
        [],
      ];
      const expectedEnds = [
        [book.tokens.USDC.address, book.tokens.WETH.address],
        [zero, zero],
      ];
      for (const [i, route] of routes.entries()) {
        const swap = aerodromeSwap(await f.aerodrome.getAddress(), route, 0n);
        await expect(f.executor.liquidate({ ...plan, liquidation: { ...plan.liquidation, swap } }))
          .to.be.revertedWithCustomError(f.executor, "SwapRouteMismatch")
          .withArgs(book.tokens.WETH.address, book.tokens.USDC.address, ...expectedEnds[i]);
      }
    });
  });
});
