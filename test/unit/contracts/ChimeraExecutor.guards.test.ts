/**
 * The checks that stand between a plan and the chain, each tried with a plan that should fail it: deadline (checked
 * before anything else), operator role, pause, allowlist (safety rule 3), the profit floor (rule 2, with both numbers
 * in the error), malformed plans, and an empty batch. What the protocols and venues are asked to check (route ends,
 * the Uniswap flash pool's tokens, Compound's error codes) is in venue-guards.test.ts.
 */
import hre from "hardhat";
import { expect } from "chai";
import { loadFixture, mine, takeSnapshot } from "@nomicfoundation/hardhat-network-helpers";
import {
  AerodromeRouterDouble__factory,
  QuoterV2__factory,
  TwoPlanOperator__factory,
  UnreadableBalanceToken__factory,
} from "../../../typechain-types";
import { executorFixture, type ExecutorFixture } from "../../shared/executor-fixture";
import { AERODROME_POOL_FACTORY } from "./helpers/venues";
import { checkExecutorHoldsNothingAfterEach } from "./helpers/invariants";
import { outcomeOf } from "./helpers/outcomes";
import { unhealthyAavePositions, unhealthyMorphoPositions, type UnhealthyAavePosition } from "./helpers/positions";
import { traceCall } from "./helpers/attacks";
import { aavePlan, currentBlock } from "./helpers/aave-plans";
import { morphoMarketId } from "../../../sandbox";
import {
  FlashSource,
  NO_FLASH_LOAN,
  NO_SWAP,
  ProtocolKind,
  SwapVenue,
  aerodromeSwap,
  morphoLiquidation,
  packedPath,
  uniswapSwap,
  type PlanStruct,
} from "./helpers/plans";

describe("ChimeraExecutor: plan guards", function () {
  const holdings = checkExecutorHoldsNothingAfterEach();

  async function useExecutor(): Promise<{ f: ExecutorFixture; position: UnhealthyAavePosition }> {
    const f = await holdings.watch(await loadFixture(executorFixture));
    const [position] = await unhealthyAavePositions(f.sandbox, { seed: 43 });
    return { f, position };
  }

  describe("deadline", function () {
    it("reverts PlanExpired(deadline, block) once the deadline block has passed, before even checking the caller", async function () {
      const { f, position } = await useExecutor();
      const deadlineBlock = await currentBlock();
      const plan = await aavePlan(f, position, { deadlineBlock });
      // The transaction lands in the next block: one past the deadline. An outsider gets the same error, proving the
      // deadline is checked before the role (the cheapest revert comes first).
      await expect(f.executor.connect(f.outsider).liquidate(plan))
        .to.be.revertedWithCustomError(f.executor, "PlanExpired")
        .withArgs(deadlineBlock, deadlineBlock + 1);
      await expect(f.executor.liquidateBatch({ ...plan, liquidations: [plan.liquidation] }))
        .to.be.revertedWithCustomError(f.executor, "PlanExpired")
        .withArgs(deadlineBlock, deadlineBlock + 2);
    });

    it("executes in the deadline block itself", async function () {
      const { f, position } = await useExecutor();
      const plan = await aavePlan(f, position, { deadlineBlock: (await currentBlock()) + 1 });
      await expect(f.executor.liquidate(plan)).to.emit(f.executor, "PlanExecuted");
    });
  });

  describe("roles and pause", function () {
    it("reverts CallerNotOperator for an outsider and for the owner, who is not an operator", async function () {
      const { f, position } = await useExecutor();
      const plan = await aavePlan(f, position);
      for (const caller of [f.outsider, f.owner]) {
        await expect(f.executor.connect(caller).liquidate(plan))
          .to.be.revertedWithCustomError(f.executor, "CallerNotOperator")
          .withArgs(caller.address);
        await expect(f.executor.connect(caller).liquidateBatch({ ...plan, liquidations: [plan.liquidation] }))
          .to.be.revertedWithCustomError(f.executor, "CallerNotOperator")
          .withArgs(caller.address);
      }
    });

    it("a revoked operator can no longer execute", async function () {
      const { f, position } = await useExecutor();
      await (await f.executor.connect(f.owner).setOperator(f.operator.address, false)).wait();
      await expect(f.executor.liquidate(await aavePlan(f, position)))
        .to.be.revertedWithCustomError(f.executor, "CallerNotOperator")
        .withArgs(f.operator.address);
    });

    it("reverts EnforcedPause on both entry points while paused, and executes again once the owner unpauses", async function () {
      const { f, position } = await useExecutor();
      const plan = await aavePlan(f, position);
      await (await f.executor.pause()).wait();
      await expect(f.executor.liquidate(plan)).to.be.revertedWithCustomError(f.executor, "EnforcedPause");
      await expect(f.executor.liquidateBatch({ ...plan, liquidations: [plan.liquidation] })).to.be.revertedWithCustomError(
        f.executor,
        "EnforcedPause",
      );
      await (await f.executor.connect(f.owner).unpause()).wait();
      await expect(f.executor.liquidate(plan)).to.emit(f.executor, "PlanExecuted");
    });
  });

  describe("allowlist", function () {
    it("refuses a swap router the owner has not allowlisted, even a genuine one", async function () {
      const { f, position } = await useExecutor();
      const router = f.sandbox.book.uniswapV3!.swapRouter02;
      await (await f.executor.connect(f.owner).setAllowedTarget(router, false)).wait();
      const plan = await aavePlan(f, position);
      await expect(f.executor.liquidate(plan)).to.be.revertedWithCustomError(f.executor, "TargetNotAllowed").withArgs(router);
      // Refused before the plan borrows, liquidates or even reads a balance.
      const traced = await traceCall(
        f.operator.address,
        await f.executor.getAddress(),
        f.executor.interface.encodeFunctionData("liquidate", [plan]),
      );
      expect(f.executor.interface.parseError(traced.returnValue)?.name).to.equal("TargetNotAllowed");
      expect(traced.externalCalls, "calls made before the revert").to.deep.equal([]);
    });

    it("refuses an attacker's router (a contract that would keep the approved collateral)", async function () {
      const { f, position } = await useExecutor();
      const { book } = f.sandbox;
      // Any contract with the router ABI will do as the attacker's: here a router double nobody allowlisted.
      const rogue = await new AerodromeRouterDouble__factory(f.outsider).deploy(AERODROME_POOL_FACTORY);
      const swap = aerodromeSwap(
        await rogue.getAddress(),
        [{ from: book.tokens.WETH.address, to: book.tokens.USDC.address, stable: false, factory: AERODROME_POOL_FACTORY }],
        0n,
      );
      await expect(f.executor.liquidate(await aavePlan(f, position, { swap })))
        .to.be.revertedWithCustomError(f.executor, "TargetNotAllowed")
        .withArgs(await rogue.getAddress());
    });

    it("refuses a flash lender the owner has not allowlisted", async function () {
      const { f, position } = await useExecutor();
      const vault = f.sandbox.book.flash.balancerVault!;
      await (await f.executor.connect(f.owner).setAllowedTarget(vault, false)).wait();
      await expect(f.executor.liquidate(await aavePlan(f, position)))
        .to.be.revertedWithCustomError(f.executor, "TargetNotAllowed")
        .withArgs(vault);
    });

    it("refuses a lending market the owner has not allowlisted", async function () {
      const { f, position } = await useExecutor();
      const pool = f.sandbox.book.aaveV3!.pool;
      await (await f.executor.connect(f.owner).setAllowedTarget(pool, false)).wait();
      await expect(f.executor.liquidate(await aavePlan(f, position)))
        .to.be.revertedWithCustomError(f.executor, "TargetNotAllowed")
        .withArgs(pool);
    });
  });

  describe("Morpho Blue markets, by id", function () {
    async function morphoPlan(f: ExecutorFixture): Promise<{ plan: PlanStruct; marketId: string }> {
      const [position] = await unhealthyMorphoPositions(f.sandbox, { seed: 67 });
      const { book } = f.sandbox;
      const plan: PlanStruct = {
        flash: NO_FLASH_LOAN,
        liquidation: morphoLiquidation({
          morpho: book.morphoBlue!.morpho,
          market: position.market,
          borrower: position.borrower,
          seizedAssets: position.collateral / 4n,
          swap: uniswapSwap(book.uniswapV3!.swapRouter02, packedPath([book.tokens.WETH.address, book.tokens.USDC.address], [500]), 0n),
        }),
        profitToken: book.tokens.USDC.address,
        minProfit: 1n,
        deadlineBlock: (await currentBlock()) + 10,
      };
      return { plan, marketId: morphoMarketId(position.market) };
    }

    it("refuses a market the owner removed, though Morpho itself stays allowed, before the plan's first external call", async function () {
      const { f } = await useExecutor();
      const { plan, marketId } = await morphoPlan(f);
      const morpho = f.sandbox.book.morphoBlue!.morpho;
      expect(await f.executor.isAllowedTarget(morpho)).to.equal(true);
      await expect(f.executor.connect(f.owner).setAllowedMarkets([{ host: morpho, marketId }], false))
        .to.emit(f.executor, "AllowedMarketSet")
        .withArgs(morpho, marketId, false);
      await expect(f.executor.liquidate(plan)).to.be.revertedWithCustomError(f.executor, "MarketNotAllowed").withArgs(morpho, marketId);
      const traced = await traceCall(
        f.operator.address,
        await f.executor.getAddress(),
        f.executor.interface.encodeFunctionData("liquidate", [plan]),
      );
      expect(traced.failed).to.equal(true);
      expect(f.executor.interface.parseError(traced.returnValue)?.name).to.equal("MarketNotAllowed");
      expect(traced.externalCalls, "calls made before the revert").to.deep.equal([]);
      // Allowed again, the same plan executes.
      await (await f.executor.connect(f.owner).setAllowedMarkets([{ host: morpho, marketId }], true)).wait();
      await expect(f.executor.liquidate(plan)).to.emit(f.executor, "PlanExecuted");
    });

    it("keys a market by its host: the same id allowed on another contract does not allow it on Morpho", async function () {
      const { f } = await useExecutor();
      const { plan, marketId } = await morphoPlan(f);
      const morpho = f.sandbox.book.morphoBlue!.morpho;
      const otherHost = f.sandbox.book.flash.balancerVault!;
      await (await f.executor.connect(f.owner).setAllowedMarkets([{ host: otherHost, marketId }], true)).wait();
      await (await f.executor.connect(f.owner).setAllowedMarkets([{ host: morpho, marketId }], false)).wait();
      expect(await f.executor.isAllowedMarket(otherHost, marketId)).to.equal(true);
      await expect(f.executor.liquidate(plan)).to.be.revertedWithCustomError(f.executor, "MarketNotAllowed").withArgs(morpho, marketId);
    });
  });

  describe("malformed plans, refused by name", function () {
    it("reverts UnknownFlashSource for a source past the last FlashSource", async function () {
      const { f, position } = await useExecutor();
      const plan = await aavePlan(f, position);
      const pastLast = Object.keys(FlashSource).length;
      await expect(f.executor.liquidate({ ...plan, flash: { ...plan.flash, source: pastLast } }))
        .to.be.revertedWithCustomError(f.executor, "UnknownFlashSource")
        .withArgs(pastLast);
    });

    it("reverts UnknownProtocolKind for a protocol past the last ProtocolKind", async function () {
      const { f, position } = await useExecutor();
      const plan = await aavePlan(f, position);
      const pastLast = Object.keys(ProtocolKind).length;
      await expect(f.executor.liquidate({ ...plan, liquidation: { ...plan.liquidation, protocol: pastLast } }))
        .to.be.revertedWithCustomError(f.executor, "UnknownProtocolKind")
        .withArgs(pastLast);
    });

    it("reverts UnknownSwapVenue for a venue past the last SwapVenue", async function () {
      const { f, position } = await useExecutor();
      const plan = await aavePlan(f, position);
      const pastLast = Object.keys(SwapVenue).length;
      const swap = { ...plan.liquidation.swap, venue: pastLast };
      await expect(f.executor.liquidate({ ...plan, liquidation: { ...plan.liquidation, swap } }))
        .to.be.revertedWithCustomError(f.executor, "UnknownSwapVenue")
        .withArgs(pastLast);
    });

    it("stops a plan naming a token whose balance cannot be read: the token's own error, or none from an address without code", async function () {
      const { f, position } = await useExecutor();
      const plan = await aavePlan(f, position);
      const unreadable = await new UnreadableBalanceToken__factory(f.operator).deploy();
      await expect(f.executor.liquidate({ ...plan, profitToken: await unreadable.getAddress() }))
        .to.be.revertedWithCustomError(unreadable, "BalanceUnreadable")
        .withArgs(await f.executor.getAddress());
      // No code: the call succeeds with an empty reply, shorter than the balance word.
      await expect(f.executor.liquidate({ ...plan, profitToken: f.outsider.address })).to.be.revertedWithoutReason();
    });

    it("reverts CollateralIsDebtToken when a liquidation names one token as both, before any call", async function () {
      const { f, position } = await useExecutor();
      const plan = await aavePlan(f, position);
      const liquidation = { ...plan.liquidation, collateralToken: position.debtToken, swap: NO_SWAP };
      await expect(f.executor.liquidate({ ...plan, liquidation }))
        .to.be.revertedWithCustomError(f.executor, "CollateralIsDebtToken")
        .withArgs(position.debtToken);
      const data = f.executor.interface.encodeFunctionData("liquidate", [{ ...plan, liquidation }]);
      expect((await traceCall(f.operator.address, await f.executor.getAddress(), data)).externalCalls).to.deep.equal([]);
    });
  });

  describe("profit floor", function () {
    it("reverts InsufficientProfit(profit, minProfit) one wei above the profit the same plan makes", async function () {
      const { f, position } = await useExecutor();
      // Measure the plan's exact profit, rewind, and demand one more wei.
      const snapshot = await takeSnapshot();
      const measured = await outcomeOf(f.executor, f.executor.liquidate(await aavePlan(f, position)));
      const profit = measured.plan.profit;
      expect(profit).to.be.greaterThan(0n);
      await snapshot.restore();

      await expect(f.executor.liquidate(await aavePlan(f, position, { minProfit: profit + 1n })))
        .to.be.revertedWithCustomError(f.executor, "InsufficientProfit")
        .withArgs(profit, profit + 1n);
      // ... and accepts exactly the profit it makes.
      await expect(f.executor.liquidate(await aavePlan(f, position, { minProfit: profit })))
        .to.emit(f.executor, "PlanExecuted")
        .withArgs(f.operator.address, position.debtToken, f.treasury.address, 0n, profit);
    });

    it("counts only balance growth: a balance the executor already held is neither profit nor paid out", async function () {
      const { f, position } = await useExecutor();
      const snapshot = await takeSnapshot();
      const measured = await outcomeOf(f.executor, f.executor.liquidate(await aavePlan(f, position)));
      await snapshot.restore();
      // Someone sends the executor 1,000 USDC before the plan: the plan's profit is unchanged, only that profit goes to
      // the treasury, and the 1,000 USDC stay where they were until the owner rescues them.
      const stray = 1_000n * 10n ** 6n;
      await (await f.sandbox.tokens.USDC.connect(f.sandbox.deployer)["mint(address,uint256)"](f.executor, stray)).wait();
      const treasuryBefore = await f.sandbox.tokens.USDC.balanceOf(f.treasury.address);
      const outcome = await outcomeOf(f.executor, f.executor.liquidate(await aavePlan(f, position, { minProfit: measured.plan.profit })));
      expect(outcome.plan.profit).to.equal(measured.plan.profit);
      expect((await f.sandbox.tokens.USDC.balanceOf(f.treasury.address)) - treasuryBefore).to.equal(measured.plan.profit);
      expect(await f.sandbox.tokens.USDC.balanceOf(f.executor)).to.equal(stray);
      await (await f.executor.connect(f.owner).rescueTokens(position.debtToken, stray)).wait();
    });

    it("reverts BalanceBelowSnapshot(token, snapshot, balance) when a plan would spend part of a balance the executor held", async function () {
      const { f, position } = await useExecutor();
      const { book } = f.sandbox;
      const stray = 1_000n * 10n ** 6n;
      await (await f.sandbox.tokens.USDC.connect(f.sandbox.deployer)["mint(address,uint256)"](f.executor, stray)).wait();
      // Borrow `stray` less than the repayment (the stray USDC fills the gap), then sell only enough collateral to
      // repay the loan plus half the stray amount: the USDC balance would end about `stray / 2` below where it started.
      const loan = position.debtToCover - stray;
      const quoter = QuoterV2__factory.connect(book.uniswapV3!.quoterV2, hre.ethers.provider);
      const [wethToSell] = await quoter.quoteExactOutputSingle.staticCall({
        tokenIn: position.collateralToken,
        tokenOut: position.debtToken,
        amount: loan + stray / 2n,
        fee: 500,
        sqrtPriceLimitX96: 0n,
      });
      const plan = await aavePlan(f, position, {
        swap: uniswapSwap(book.uniswapV3!.swapRouter02, packedPath([position.collateralToken, position.debtToken], [500]), 0n, wethToSell),
      });
      const attempt = f.executor.liquidate({ ...plan, flash: { ...plan.flash, amount: loan } });
      await expect(attempt)
        .to.be.revertedWithCustomError(f.executor, "BalanceBelowSnapshot")
        .withArgs(position.debtToken, stray, (balance: bigint) => balance >= stray / 2n && balance < stray);
      await (await f.executor.connect(f.owner).rescueTokens(position.debtToken, stray)).wait();
    });
  });

  describe("two plans in one transaction", function () {
    it("the second starts clean: a fee-paying plan's flash fee is not reported again by a fee-free one after it", async function () {
      const f = await holdings.watch(await loadFixture(executorFixture));
      const [feePaying, feeFree] = await unhealthyAavePositions(f.sandbox, { count: 2, seed: 47 });
      const { book } = f.sandbox;
      const caller = await new TwoPlanOperator__factory(f.owner).deploy();
      await caller.waitForDeployment();
      await (await f.executor.connect(f.owner).setOperator(await caller.getAddress(), true)).wait();
      const first = await aavePlan(f, feePaying, { source: FlashSource.AaveV3, lender: book.aaveV3!.pool });
      const second = await aavePlan(f, feeFree);
      const receipt = await (await caller.liquidateTwice(await f.executor.getAddress(), first, second)).wait();
      const plans = receipt!.logs
        .map((log) => f.executor.interface.parseLog(log))
        .filter((event) => event?.name === "PlanExecuted")
        .map((event) => event!.args.flashFee as bigint);
      expect(plans, "two PlanExecuted events").to.have.length(2);
      expect(plans[0], "Aave's premium").to.be.greaterThan(0n);
      expect(plans[1], "Balancer charges nothing").to.equal(0n);
    });
  });

  describe("batches", function () {
    it("reverts EmptyBatch for a batch with no liquidation", async function () {
      const { f, position } = await useExecutor();
      const plan = await aavePlan(f, position);
      await expect(f.executor.liquidateBatch({ ...plan, liquidations: [] })).to.be.revertedWithCustomError(f.executor, "EmptyBatch");
    });
  });

  it("keeps working after many blocks (no state left between plans)", async function () {
    const { f, position } = await useExecutor();
    await mine(100);
    await expect(f.executor.liquidate(await aavePlan(f, position))).to.emit(f.executor, "PlanExecuted");
  });
});
