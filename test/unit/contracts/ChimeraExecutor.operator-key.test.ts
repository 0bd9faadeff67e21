/**
 * Safety rule 0, tried by an attacker who holds the operator key (and its own funds and contracts, nothing else).
 * IChimeraExecutor's trust model says what such a key can and cannot do; each claim here has a test that tries to
 * break it, most of them with the executor holding a stray balance (a mistaken transfer, a rescue not yet done) that
 * the attack is after:
 * - its own Morpho Blue market (its token, its oracle), liquidated alone or batched behind a genuine liquidation;
 * - a shortfall paid from a stray balance of a token other than the one profit is counted in;
 * - stray collateral ("dust") sold by "sell all" and counted as profit;
 * - a detour through pools it created behind an allowlisted router (the Aerodrome router double: anyone can add pools);
 * - a stray balance of a route's intermediate token;
 * - a repayment in WETH9 with an infinite approval, which WETH9 never decrements (events measure balances).
 * What it can do is tested too: pause (not unpause), make plans revert at its own gas cost, and give away the surplus of
 * a liquidation it submits, never more.
 */
import hre from "hardhat";
import { expect } from "chai";
import { loadFixture, takeSnapshot } from "@nomicfoundation/hardhat-network-helpers";
import { MaxUint256 } from "ethers";
import { MintableERC20__factory, type MintableERC20 } from "../../../typechain-types";
import { executorFixture, type ExecutorFixture } from "../../shared/executor-fixture";
import { AERODROME_POOL_FACTORY, venueFixture, type VenueFixture } from "./helpers/venues";
import { checkExecutorHoldsNothingAfterEach } from "./helpers/invariants";
import { outcomeOf } from "./helpers/outcomes";
import { operatorControlledMorphoMarket, traceCall, type OperatorControlledMarket } from "./helpers/attacks";
import { unhealthyAavePositions, type UnhealthyAavePosition } from "./helpers/positions";
import {
  FlashSource,
  NO_FLASH_LOAN,
  NO_SWAP,
  aaveLiquidation,
  aerodromeSwap,
  flashLoan,
  morphoLiquidation,
  packedPath,
  uniswapSwap,
  type AerodromeRouteInput,
  type BatchPlanStruct,
  type PlanStruct,
  type SwapStruct,
} from "./helpers/plans";
import { deadline } from "./helpers/deadline";

const USDC = 10n ** 6n;

/** A Balancer-funded Aave liquidation of `position`, selling on Uniswap's 0.05% pool unless `swap` says otherwise. */
function aavePlan(
  f: ExecutorFixture,
  position: UnhealthyAavePosition,
  deadlineBlock: number,
  overrides: { swap?: SwapStruct; profitToken?: string } = {},
): PlanStruct {
  const { book } = f.sandbox;
  return {
    flash: flashLoan(FlashSource.BalancerV2, book.flash.balancerVault!, position.debtToken, position.debtToCover),
    liquidation: aaveLiquidation({
      pool: book.aaveV3!.pool,
      borrower: position.borrower,
      collateralToken: position.collateralToken,
      debtToken: position.debtToken,
      debtToCover: position.debtToCover,
      swap:
        overrides.swap ?? uniswapSwap(book.uniswapV3!.swapRouter02, packedPath([position.collateralToken, position.debtToken], [500]), 0n),
    }),
    profitToken: overrides.profitToken ?? position.debtToken,
    minProfit: 0n,
    deadlineBlock,
  };
}

/** The attacker's plan: liquidate its own position in its own market with the executor's USDC. */
function ownMarketLiquidation(f: ExecutorFixture, own: OperatorControlledMarket) {
  return morphoLiquidation({
    morpho: f.sandbox.book.morphoBlue!.morpho,
    market: own.market,
    borrower: own.borrower,
    repaidShares: own.borrowShares,
    swap: NO_SWAP,
  });
}

describe("ChimeraExecutor: a stolen operator key", function () {
  const holdings = checkExecutorHoldsNothingAfterEach();

  async function useExecutor(): Promise<ExecutorFixture> {
    return holdings.watch(await loadFixture(executorFixture));
  }

  /** Sends the executor a stray balance of a sandbox token (the deployer can mint every one but WETH). */
  async function giveExecutor(f: ExecutorFixture, symbol: "USDC" | "cbBTC", amount: bigint): Promise<void> {
    await (
      await (f.sandbox.tokens[symbol] as MintableERC20).connect(f.sandbox.deployer)["mint(address,uint256)"](f.executor, amount)
    ).wait();
  }

  async function giveExecutorWeth(f: ExecutorFixture, amount: bigint): Promise<void> {
    await (await f.sandbox.tokens.WETH.connect(f.sandbox.deployer).deposit({ value: amount })).wait();
    await (await f.sandbox.tokens.WETH.connect(f.sandbox.deployer).transfer(f.executor, amount)).wait();
  }

  async function rescue(f: ExecutorFixture, token: string, amount: bigint): Promise<void> {
    await (await f.executor.connect(f.owner).rescueTokens(token, amount)).wait();
  }

  describe("cannot", function () {
    it("liquidate its own position in a Morpho market it created: MarketNotAllowed before the plan's first external call", async function () {
      const f = await useExecutor();
      const stray = 10_000n * USDC;
      await giveExecutor(f, "USDC", stray);
      const own = await operatorControlledMorphoMarket(f.sandbox, f.operator);
      const morpho = f.sandbox.book.morphoBlue!.morpho;
      // Profit counted in the attacker's token: under a profit-token-only guard the USDC it repays with would go unseen.
      const plan: PlanStruct = {
        flash: NO_FLASH_LOAN,
        liquidation: ownMarketLiquidation(f, own),
        profitToken: own.market.collateralToken,
        minProfit: 0n,
        deadlineBlock: await deadline(),
      };

      await expect(f.executor.liquidate(plan)).to.be.revertedWithCustomError(f.executor, "MarketNotAllowed").withArgs(morpho, own.marketId);
      const traced = await traceCall(
        f.operator.address,
        await f.executor.getAddress(),
        f.executor.interface.encodeFunctionData("liquidate", [plan]),
      );
      expect(traced.externalCalls, "calls made before the revert").to.deep.equal([]);
      expect((await f.sandbox.morpho.morpho.position(own.marketId, own.borrower)).borrowShares).to.equal(own.borrowShares);
      expect(await f.sandbox.tokens.USDC.balanceOf(f.executor)).to.equal(stray);
      await rescue(f, f.sandbox.book.tokens.USDC.address, stray);
    });

    it("make the executor's stray USDC pay its debt even in a market the owner allowlisted by mistake: BalanceBelowSnapshot", async function () {
      const f = await useExecutor();
      const stray = 10_000n * USDC;
      await giveExecutor(f, "USDC", stray);
      const own = await operatorControlledMorphoMarket(f.sandbox, f.operator);
      const morpho = f.sandbox.book.morphoBlue!.morpho;
      await (await f.executor.connect(f.owner).setAllowedMarkets([{ host: morpho, marketId: own.marketId }], true)).wait();
      const usdc = f.sandbox.book.tokens.USDC.address;
      await expect(
        f.executor.liquidate({
          flash: NO_FLASH_LOAN,
          liquidation: ownMarketLiquidation(f, own),
          profitToken: own.market.collateralToken,
          minProfit: 0n,
          deadlineBlock: await deadline(),
        }),
      )
        .to.be.revertedWithCustomError(f.executor, "BalanceBelowSnapshot")
        .withArgs(usdc, stray, (balance: bigint) => balance < stray - 7_000n * USDC);
      expect(await f.sandbox.tokens.USDC.balanceOf(f.executor)).to.equal(stray);
      await rescue(f, usdc, stray);
    });

    it("batch a genuine liquidation with the repayment of its own debt in its own market: refused before any call", async function () {
      const f = await useExecutor();
      const [position] = await unhealthyAavePositions(f.sandbox, { seed: 71 });
      const own = await operatorControlledMorphoMarket(f.sandbox, f.operator);
      const genuine = aavePlan(f, position, await deadline());
      const batch: BatchPlanStruct = {
        flash: genuine.flash,
        liquidations: [genuine.liquidation, ownMarketLiquidation(f, own)],
        profitToken: genuine.profitToken,
        minProfit: 0n,
        deadlineBlock: genuine.deadlineBlock,
      };
      await expect(f.executor.liquidateBatch(batch))
        .to.be.revertedWithCustomError(f.executor, "MarketNotAllowed")
        .withArgs(f.sandbox.book.morphoBlue!.morpho, own.marketId);
      const traced = await traceCall(
        f.operator.address,
        await f.executor.getAddress(),
        f.executor.interface.encodeFunctionData("liquidateBatch", [batch]),
      );
      expect(traced.externalCalls, "calls made before the revert").to.deep.equal([]);
      // The genuine liquidation alone still pays its surplus to the treasury.
      await expect(f.executor.liquidate(genuine)).to.emit(f.executor, "PlanExecuted");
    });

    it("pay a shortfall out of a stray balance while counting profit in another token: BalanceBelowSnapshot", async function () {
      const f = await useExecutor();
      const [position] = await unhealthyAavePositions(f.sandbox, { seed: 73, debtUsd: 5_000 });
      const { book } = f.sandbox;
      const snapshot = await takeSnapshot();
      const honest = await outcomeOf(f.executor, f.executor.liquidate(aavePlan(f, position, await deadline())));
      await snapshot.restore();
      const stray = 10_000n * USDC;
      await giveExecutor(f, "USDC", stray);
      // Sell only half the seized WETH: it cannot repay the loan, the stray USDC would fill the gap, and the kept WETH
      // would be "profit" if only the profit token (WETH) were guarded.
      const half = honest.liquidations[0].collateralSeized / 2n;
      const swap = uniswapSwap(book.uniswapV3!.swapRouter02, packedPath([position.collateralToken, position.debtToken], [500]), 0n, half);
      await expect(f.executor.liquidate(aavePlan(f, position, await deadline(), { swap, profitToken: position.collateralToken })))
        .to.be.revertedWithCustomError(f.executor, "BalanceBelowSnapshot")
        .withArgs(position.debtToken, stray, (balance: bigint) => balance < stray);
      await rescue(f, position.debtToken, stray);
    });

    it("sell collateral dust the executor held, or count it as profit: 'sell all' sells only what the plan received", async function () {
      const f = await useExecutor();
      const [position] = await unhealthyAavePositions(f.sandbox, { seed: 79 });
      const snapshot = await takeSnapshot();
      const honest = await outcomeOf(f.executor, f.executor.liquidate(aavePlan(f, position, await deadline())));
      await snapshot.restore();
      const dust = 10n ** 17n;
      await giveExecutorWeth(f, dust);
      const outcome = await outcomeOf(f.executor, f.executor.liquidate(aavePlan(f, position, await deadline())));
      const [liquidated] = outcome.liquidations;
      expect(liquidated.collateralSold).to.equal(liquidated.collateralSeized);
      expect(outcome.plan.profit).to.equal(honest.plan.profit);
      expect(outcome.residues).to.deep.equal([]);
      expect(await f.sandbox.tokens.WETH.balanceOf(f.executor)).to.equal(dust);
      await rescue(f, position.collateralToken, dust);
    });

    it("have a later 'sell all' count back a stray balance an earlier sale in the batch spent: NothingToSell", async function () {
      const f = await useExecutor();
      const [first, second] = await unhealthyAavePositions(f.sandbox, { count: 2, seed: 107, debtUsd: 5_000 });
      const { book } = f.sandbox;
      const snapshot = await takeSnapshot();
      const honest = await outcomeOf(f.executor, f.executor.liquidate(aavePlan(f, first, await deadline())));
      await snapshot.restore();
      const stray = 10n ** 19n;
      await giveExecutorWeth(f, stray);
      // The first liquidation sells its seizure and the stray WETH; the second (a few WETH, less than the stray) then
      // has nothing above the snapshot to sell.
      const router = book.uniswapV3!.swapRouter02;
      const path = packedPath([first.collateralToken, first.debtToken], [500]);
      const plan: BatchPlanStruct = {
        flash: flashLoan(FlashSource.BalancerV2, book.flash.balancerVault!, first.debtToken, first.debtToCover + second.debtToCover),
        liquidations: [
          aavePlan(f, first, 0, { swap: uniswapSwap(router, path, 0n, honest.liquidations[0].collateralSeized + stray) }).liquidation,
          aavePlan(f, second, 0).liquidation,
        ],
        profitToken: first.debtToken,
        minProfit: 0n,
        deadlineBlock: await deadline(),
      };
      await expect(f.executor.liquidateBatch(plan))
        .to.be.revertedWithCustomError(f.executor, "NothingToSell")
        .withArgs(first.collateralToken);
      await rescue(f, first.collateralToken, stray);
    });

    it("move a token the plan does not name: a stray balance of a route's intermediate token stays where it was", async function () {
      const f = await useExecutor();
      const [position] = await unhealthyAavePositions(f.sandbox, { seed: 83 });
      const { book } = f.sandbox;
      const stray = 10n ** 7n;
      await giveExecutor(f, "cbBTC", stray);
      // WETH -> cbBTC -> USDC: the router holds the cbBTC between hops; the executor never approves or sends it.
      const swap = uniswapSwap(
        book.uniswapV3!.swapRouter02,
        packedPath([position.collateralToken, book.tokens.cbBTC.address, position.debtToken], [3000, 500]),
        0n,
      );
      await expect(f.executor.liquidate(aavePlan(f, position, await deadline(), { swap }))).to.emit(f.executor, "PlanExecuted");
      expect(await f.sandbox.tokens.cbBTC.balanceOf(f.executor)).to.equal(stray);
      await rescue(f, book.tokens.cbBTC.address, stray);
    });

    it("hide what a plan repaid: with WETH9's never-decremented infinite approval, debtRepaid is the WETH that left", async function () {
      const f = await useExecutor();
      // cbBTC collateral, WETH debt (Base's WETH is WETH9); open at HF 1.08 (cbBTC LT 78%), then drop cbBTC 8%.
      const [position] = await unhealthyAavePositions(f.sandbox, {
        seed: 89,
        collateral: "cbBTC",
        debt: "WETH",
        debtUsd: 30_000,
        openAt: 1.08,
        dropFraction: 0.08,
      });
      const { book } = f.sandbox;
      const plan: PlanStruct = {
        // Borrow the whole debt; the pool takes its close-factor share, the rest goes straight back.
        flash: flashLoan(FlashSource.UniswapV3, book.flash.uniswapV3Pools!["WETH/USDC/500"], position.debtToken, position.debt),
        liquidation: aaveLiquidation({
          pool: book.aaveV3!.pool,
          borrower: position.borrower,
          collateralToken: position.collateralToken,
          debtToken: position.debtToken,
          debtToCover: MaxUint256,
          swap: uniswapSwap(book.uniswapV3!.swapRouter02, packedPath([position.collateralToken, position.debtToken], [3000]), 0n),
        }),
        profitToken: position.debtToken,
        minProfit: 1n,
        deadlineBlock: await deadline(),
      };
      const outcome = await outcomeOf(f.executor, f.executor.liquidate(plan));
      const { currentVariableDebt } = await f.sandbox.aave.dataProvider.getUserReserveData(position.debtToken, position.borrower);
      const [liquidated] = outcome.liquidations;
      // Aave v3.0's close factor: half the debt (plus the interest of the blocks since it was read).
      expect(liquidated.debtRepaid).to.be.closeTo(position.debt / 2n, position.debt / 100_000n);
      expect(liquidated.debtRepaid).to.be.closeTo(position.debt - currentVariableDebt, position.debt / 100_000n);
      // The afterEach invariant checks the infinite approval WETH9 left to the pool was cleared.
    });
  });

  describe("a detour through its own pools behind an allowlisted router", function () {
    /** The attacker (the operator key's holder) lists WETH/ATK and ATK/USDC pools in the Aerodrome router double. */
    async function attackerPools(f: VenueFixture, usdcReserve: bigint, atkReserve: bigint): Promise<AerodromeRouteInput[]> {
      const attacker = f.operator;
      const atk = await new MintableERC20__factory(attacker).deploy("Attacker Token", "ATK", 18);
      await atk.waitForDeployment();
      const wethReserve = 1_000n * 10n ** 18n;
      await (await atk["mint(address,uint256)"](attacker.address, 10n ** 30n)).wait();
      await (await f.sandbox.tokens.WETH.connect(attacker).deposit({ value: wethReserve })).wait();
      await (await f.sandbox.tokens.USDC.connect(f.sandbox.deployer)["mint(address,uint256)"](attacker.address, usdcReserve)).wait();
      for (const token of [atk, f.sandbox.tokens.WETH, f.sandbox.tokens.USDC]) {
        await (await token.connect(attacker).approve(f.aerodrome, MaxUint256)).wait();
      }
      const [weth, usdc, atkAddress] = [f.sandbox.book.tokens.WETH.address, f.sandbox.book.tokens.USDC.address, await atk.getAddress()];
      await (await f.aerodrome.connect(attacker).addLiquidity(weth, atkAddress, false, wethReserve, 1_000n * 10n ** 18n)).wait();
      await (await f.aerodrome.connect(attacker).addLiquidity(atkAddress, usdc, false, atkReserve, usdcReserve)).wait();
      return [
        { from: weth, to: atkAddress, stable: false, factory: AERODROME_POOL_FACTORY },
        { from: atkAddress, to: usdc, stable: false, factory: AERODROME_POOL_FACTORY },
      ];
    }

    async function useVenues(): Promise<VenueFixture> {
      const f = await loadFixture(venueFixture);
      return holdings.watch(f, { spenders: [await f.aerodrome.getAddress()] });
    }

    it("cannot take more than the plan's surplus: a route paying back less than the loan reverts, stray USDC untouched", async function () {
      const f = await useVenues();
      const [position] = await unhealthyAavePositions(f.sandbox, { seed: 97 });
      const stray = 50_000n * USDC;
      await giveExecutor(f, "USDC", stray);
      // ATK is worth 1/10,000 USDC in the attacker's second pool: the route returns a few USDC for all the WETH.
      const route = await attackerPools(f, 100n * USDC, 1_000_000n * 10n ** 18n);
      const detour = aerodromeSwap(await f.aerodrome.getAddress(), route, 0n);
      await expect(f.executor.liquidate(aavePlan(f, position, await deadline(), { swap: detour })))
        .to.be.revertedWithCustomError(f.executor, "BalanceBelowSnapshot")
        .withArgs(position.debtToken, stray, (balance: bigint) => balance < stray);
      // The plan carries its expected output: with the keeper's floor (the repayment), the router refuses the detour.
      const bounded = aerodromeSwap(await f.aerodrome.getAddress(), route, position.debtToCover);
      await expect(f.executor.liquidate(aavePlan(f, position, await deadline(), { swap: bounded }))).to.be.revertedWithCustomError(
        f.aerodrome,
        "InsufficientOutputAmount",
      );
      await rescue(f, position.debtToken, stray);
    });

    it("can give away the surplus of the liquidation it submits, and nothing else: the loan is repaid from the sale", async function () {
      const f = await useVenues();
      const [position] = await unhealthyAavePositions(f.sandbox, { seed: 101 });
      const snapshot = await takeSnapshot();
      const honest = await outcomeOf(f.executor, f.executor.liquidate(aavePlan(f, position, await deadline())));
      await snapshot.restore();
      const seized = honest.liquidations[0].collateralSeized;
      expect(honest.plan.profit).to.be.greaterThan(0n);

      // Size the attacker's ATK/USDC pool so the detour returns the repayment and (within rounding) not a unit more.
      const atkOut = (seized * 9_970n * 10n ** 21n) / (10n ** 21n * 10_000n + seized * 9_970n);
      const atkReserve = atkOut;
      const inAfterFee = atkOut * 9_970n;
      const usdcReserve = (position.debtToCover * (atkReserve * 10_000n + inAfterFee) + inAfterFee - 1n) / inAfterFee;
      const route = await attackerPools(f, usdcReserve, atkReserve);
      const treasuryBefore = await f.sandbox.tokens.USDC.balanceOf(f.treasury.address);

      const outcome = await outcomeOf(
        f.executor,
        f.executor.liquidate(aavePlan(f, position, await deadline(), { swap: aerodromeSwap(await f.aerodrome.getAddress(), route, 0n) })),
      );
      // The treasury gets next to nothing; the attacker's pools got all the seized WETH for the repayment's worth of
      // USDC: the surplus the honest route would have paid the treasury. The executor ends as it started (afterEach).
      expect(outcome.liquidations[0].collateralSold).to.equal(seized);
      expect(outcome.plan.profit).to.be.lessThan(2n);
      expect(outcome.liquidations[0].debtTokenBought).to.equal(position.debtToCover + outcome.plan.profit);
      expect((await f.sandbox.tokens.USDC.balanceOf(f.treasury.address)) - treasuryBefore).to.equal(outcome.plan.profit);
    });
  });

  describe("can", function () {
    it("pause, and nothing the owner does: unpause, roles, treasury, allowlists, rescue", async function () {
      const f = await useExecutor();
      await expect(f.executor.pause()).to.emit(f.executor, "Paused").withArgs(f.operator.address);
      const morpho = f.sandbox.book.morphoBlue!.morpho;
      const calls = [
        () => f.executor.unpause(),
        () => f.executor.setOperator(f.outsider.address, true),
        () => f.executor.setTreasury(f.operator.address),
        () => f.executor.setAllowedTarget(f.operator.address, true),
        () => f.executor.setAllowedMarkets([{ host: morpho, marketId: hre.ethers.id("any market") }], true),
        () => f.executor.rescueTokens(f.sandbox.book.tokens.USDC.address, 1n),
        () => f.executor.transferOwnership(f.operator.address),
      ];
      for (const call of calls) {
        await expect(call()).to.be.revertedWithCustomError(f.executor, "OwnableUnauthorizedAccount").withArgs(f.operator.address);
      }
      expect(await f.executor.paused()).to.equal(true);
    });

    it("spend its own ETH on plans that revert: nothing else moves", async function () {
      const f = await useExecutor();
      const [position] = await unhealthyAavePositions(f.sandbox, { seed: 103 });
      const usdc = f.sandbox.tokens.USDC;
      const plan = { ...aavePlan(f, position, await deadline()), minProfit: position.debtToCover };
      const treasuryBefore = await usdc.balanceOf(f.treasury.address);
      const ethBefore = await hre.ethers.provider.getBalance(f.operator.address);
      // Mined although it reverts (a gas limit skips estimation; automine off so the node does not refuse it), with a
      // priority fee: all it costs is the operator key's ETH.
      await hre.network.provider.send("evm_setAutomine", [false]);
      let hash: string;
      try {
        ({ hash } = await f.executor.liquidate(plan, { gasLimit: 3_000_000, maxPriorityFeePerGas: 10n ** 9n }));
        await hre.network.provider.send("evm_mine", []);
      } finally {
        await hre.network.provider.send("evm_setAutomine", [true]);
      }
      const receipt = await hre.ethers.provider.getTransactionReceipt(hash);
      expect(receipt?.status).to.equal(0);
      const fee = receipt!.gasUsed * receipt!.gasPrice;
      expect(await hre.ethers.provider.getBalance(f.operator.address)).to.equal(ethBefore - fee);
      expect(await usdc.balanceOf(f.treasury.address)).to.equal(treasuryBefore);
      const { currentVariableDebt } = await f.sandbox.aave.dataProvider.getUserReserveData(position.debtToken, position.borrower);
      expect(currentVariableDebt).to.be.greaterThanOrEqual(position.debt);
    });
  });
});
