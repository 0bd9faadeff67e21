/**
 * ChimeraExecutor's Moonwell OEV plan kind (ProtocolKind.MoonwellOev): a liquidation made through the OEV wrapper of the
 * collateral's price feed, which unlocks a price the market does not show yet. The wrapper is MoonwellOevWrapperDouble
 * and the market the Moonwell doubles (TEST DOUBLES: Moonwell ships no bytecode on npm; see helpers/oev.ts); the flash
 * loan and the sale are the sandbox's genuine Balancer and Uniswap V3. Then every executor rule is attacked through this
 * kind: a wrapper the owner did not allowlist (an outsider's, or one the operator key deployed), and an allowlisted
 * wrapper that pays less than documented, pays in mTokens, pulls less than approved, or calls back.
 */
import hre from "hardhat";
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { MintableERC20 } from "../../../typechain-types";
import { checkExecutorHoldsNothingAfterEach } from "./helpers/invariants";
import { outcomeOf } from "./helpers/outcomes";
import { LIQUIDATOR_FEE_BPS, oevFixture, type OevFixture } from "./helpers/oev";
import { AERODROME_POOL_FACTORY } from "./helpers/venues";
import {
  FlashSource,
  NO_FLASH_LOAN,
  NO_SWAP,
  ProtocolKind,
  ZERO_ADDRESS,
  aerodromeSwap,
  compoundLiquidation,
  flashLoan,
  moonwellOevLiquidation,
  packedPath,
  uniswapSwap,
  type PlanStruct,
  type SwapStruct,
} from "./helpers/plans";
import { deadline } from "./helpers/deadline";

const USDC = 10n ** 6n;
/** HostileOevWrapper.Mode */
const Mode = { KeepEverything: 0, PaySeizedShares: 1, PayShort: 2, PullHalf: 3, RefundDebt: 4, CallBack: 5 } as const;
/** Compound's ComptrollerErrorReporter code the market double returns when the comptroller refuses. */
const COMPTROLLER_REJECTION = 3n;

describe("ChimeraExecutor: Moonwell OEV wrapper liquidations", function () {
  const holdings = checkExecutorHoldsNothingAfterEach();

  async function useOev(): Promise<OevFixture> {
    const f = await loadFixture(oevFixture);
    return holdings.watch(f, {
      tokens: [await f.mUSDC.getAddress(), await f.mWETH.getAddress()],
      spenders: [await f.mUSDC.getAddress(), await f.mWETH.getAddress(), await f.wrapper.getAddress(), await f.hostileWrapper.getAddress()],
    });
  }

  /**
   * The hostile wrapper liquidates at the price the market shows (it unlocks nothing), which is above the pools' price
   * after the hidden drop; the Aerodrome double's pool still sits at the shown price, so its sale can repay the loan.
   */
  async function sellWethOnAerodrome(f: OevFixture, minAmountOut: bigint): Promise<SwapStruct> {
    const { book } = f.sandbox;
    return aerodromeSwap(
      await f.aerodrome.getAddress(),
      [{ from: book.tokens.WETH.address, to: book.tokens.USDC.address, stable: false, factory: AERODROME_POOL_FACTORY }],
      minAmountOut,
    );
  }

  function sellWethOnUniswap(f: OevFixture, minAmountOut: bigint): SwapStruct {
    const { book } = f.sandbox;
    return uniswapSwap(book.uniswapV3!.swapRouter02, packedPath([book.tokens.WETH.address, book.tokens.USDC.address], [500]), minAmountOut);
  }

  /** A Balancer-funded plan liquidating `borrower` through `wrapper` (or directly, for `protocol: "plain"`). */
  async function plan(
    f: OevFixture,
    args: {
      borrower: string;
      repayAmount: bigint;
      wrapper?: string;
      swap?: SwapStruct;
      flash?: boolean;
      minProfit?: bigint;
      plain?: boolean;
    },
  ): Promise<PlanStruct> {
    const { book } = f.sandbox;
    const shape = {
      debtMarket: await f.mUSDC.getAddress(),
      collateralMarket: await f.mWETH.getAddress(),
      borrower: args.borrower,
      collateralToken: book.tokens.WETH.address,
      debtToken: book.tokens.USDC.address,
      repayAmount: args.repayAmount,
      swap: args.swap ?? sellWethOnUniswap(f, args.repayAmount),
    };
    return {
      flash:
        args.flash === false
          ? NO_FLASH_LOAN
          : flashLoan(FlashSource.BalancerV2, book.flash.balancerVault!, book.tokens.USDC.address, args.repayAmount),
      liquidation: args.plain
        ? compoundLiquidation(shape)
        : moonwellOevLiquidation({ ...shape, wrapper: args.wrapper ?? (await f.wrapper.getAddress()) }),
      profitToken: book.tokens.USDC.address,
      minProfit: args.minProfit ?? 0n,
      deadlineBlock: await deadline(),
    };
  }

  /** A plan liquidating the Compound-style borrower through the hostile wrapper (the tests of its misbehaviours). */
  async function hostilePlan(f: OevFixture, args: { repayAmount: bigint; swap?: SwapStruct; flash?: boolean }): Promise<PlanStruct> {
    return plan(f, { borrower: f.compoundBorrower.address, wrapper: await f.hostileWrapper.getAddress(), ...args });
  }

  async function mintUsdc(f: OevFixture, to: string, amount: bigint): Promise<void> {
    await (await (f.sandbox.tokens.USDC as MintableERC20).connect(f.sandbox.deployer)["mint(address,uint256)"](to, amount)).wait();
  }

  describe("through the documented wrapper", function () {
    it("liquidates a borrower only the hidden round makes liquidatable; the plain path is refused at the price the market shows", async function () {
      const f = await useOev();
      const repayAmount = f.oevDebt / 2n;
      const plain = await plan(f, { borrower: f.oevBorrower.address, repayAmount, plain: true });
      await expect(f.executor.liquidate(plain))
        .to.be.revertedWithCustomError(f.executor, "CompoundV2CallFailed")
        .withArgs(await f.mUSDC.getAddress(), COMPTROLLER_REJECTION);

      const usdc = f.sandbox.tokens.USDC;
      const weth = f.sandbox.tokens.WETH;
      const treasuryBefore = await usdc.balanceOf(f.treasury.address);
      const recipientBefore = await weth.balanceOf(f.feeRecipient);
      const tx = f.executor.liquidate(await plan(f, { borrower: f.oevBorrower.address, repayAmount, minProfit: repayAmount / 100n }));
      const outcome = await outcomeOf(f.executor, tx);

      const wrapperEvent = outcome.receipt.logs
        .map((log) => f.wrapper.interface.parseLog(log))
        .find((event) => event?.name === "PriceUpdatedEarlyAndLiquidated");
      expect(wrapperEvent, "the wrapper's PriceUpdatedEarlyAndLiquidated").to.not.equal(undefined);
      const { liquidatorFee, protocolFee } = wrapperEvent!.args;
      const [liquidated] = outcome.liquidations;
      expect(liquidated.protocol).to.equal(BigInt(ProtocolKind.MoonwellOev));
      expect(liquidated.debtRepaid).to.equal(repayAmount);
      // What the executor reports is what arrived: the liquidator's share, not the whole seizure.
      expect(liquidated.collateralSeized).to.equal(liquidatorFee);
      expect(liquidated.collateralSold).to.equal(liquidatorFee);
      expect((await weth.balanceOf(f.feeRecipient)) - recipientBefore).to.equal(protocolFee);
      expect(protocolFee).to.be.greaterThan(0n);
      expect(outcome.plan.profit).to.equal(liquidated.debtTokenBought - repayAmount);
      expect((await usdc.balanceOf(f.treasury.address)) - treasuryBefore).to.equal(outcome.plan.profit);
      expect(await f.mUSDC.borrowBalanceStored(f.oevBorrower.address)).to.equal(f.oevDebt - repayAmount);
      // The unlocked round is now what everyone reads.
      const newest = await f.sandbox.priceFeeds.WETH.latestRoundData();
      expect(await f.wrapper.cachedRoundId()).to.equal(newest.roundId);
      expect((await f.wrapper.latestRoundData()).answer).to.equal(newest.answer);
      expect(await f.wrapper.liquidatorFeeBps()).to.equal(LIQUIDATOR_FEE_BPS);
    });

    it("a sale that must return more than the liquidator's share can buy reverts in the router, and nothing moves", async function () {
      const f = await useOev();
      const repayAmount = f.oevDebt / 2n;
      // The sale must return more than the liquidator's share can buy: the router reverts, nothing moves.
      const greedy = await plan(f, { borrower: f.oevBorrower.address, repayAmount, swap: sellWethOnUniswap(f, repayAmount * 2n) });
      await expect(f.executor.liquidate(greedy)).to.be.revertedWith("Too little received");
      expect(await f.mUSDC.borrowBalanceStored(f.oevBorrower.address)).to.equal(f.oevDebt);
    });
  });

  describe("an outsider or a stolen operator key", function () {
    it("cannot name a wrapper the owner has not allowlisted (its own contract): TargetNotAllowed before any call", async function () {
      const f = await useOev();
      const rogue = await (await hre.ethers.getContractFactory("HostileOevWrapper", f.outsider)).deploy();
      const p = await plan(f, { borrower: f.oevBorrower.address, repayAmount: f.oevDebt / 2n, wrapper: await rogue.getAddress() });
      await expect(f.executor.liquidate(p))
        .to.be.revertedWithCustomError(f.executor, "TargetNotAllowed")
        .withArgs(await rogue.getAddress());
      await expect(f.executor.connect(f.outsider).liquidate(p)).to.be.revertedWithCustomError(f.executor, "CallerNotOperator");
    });

    it("cannot leave the wrapper out (zero) or name an unlisted collateral market", async function () {
      const f = await useOev();
      const zeroWrapper = await plan(f, { borrower: f.oevBorrower.address, repayAmount: f.oevDebt / 2n, wrapper: ZERO_ADDRESS });
      await expect(f.executor.liquidate(zeroWrapper)).to.be.revertedWithCustomError(f.executor, "TargetNotAllowed").withArgs(ZERO_ADDRESS);

      await (await f.executor.connect(f.owner).setAllowedTarget(await f.mWETH.getAddress(), false)).wait();
      const unlisted = await plan(f, { borrower: f.oevBorrower.address, repayAmount: f.oevDebt / 2n });
      await expect(f.executor.liquidate(unlisted))
        .to.be.revertedWithCustomError(f.executor, "TargetNotAllowed")
        .withArgs(await f.mWETH.getAddress());
    });

    it("cannot spoof a wrapper call into a callback: a wrapper calling the executor back is refused (UnexpectedCallback)", async function () {
      const f = await useOev();
      await (await f.hostileWrapper.configure(Mode.CallBack, 0, 0)).wait();
      const p = await hostilePlan(f, { repayAmount: f.compoundDebt / 2n });
      await expect(f.executor.liquidate(p)).to.be.revertedWithCustomError(f.executor, "UnexpectedCallback");
    });
  });

  describe("an allowlisted wrapper that does not pay as documented", function () {
    it("keeping the repayment and paying nothing cannot spend a stray balance: BalanceBelowSnapshot", async function () {
      const f = await useOev();
      const stray = 10_000n * USDC;
      await mintUsdc(f, await f.executor.getAddress(), stray);
      await (await f.hostileWrapper.configure(Mode.KeepEverything, 0, 0)).wait();
      const p = await hostilePlan(f, {
        repayAmount: 5_000n * USDC,
        flash: false,
        swap: NO_SWAP,
      });
      await expect(f.executor.liquidate(p))
        .to.be.revertedWithCustomError(f.executor, "BalanceBelowSnapshot")
        .withArgs(f.sandbox.book.tokens.USDC.address, stray, stray - 5_000n * USDC);
      await (await f.executor.connect(f.owner).rescueTokens(f.sandbox.book.tokens.USDC.address, stray)).wait();
    });

    it("paying nothing to a plan that sells 'all it received' reverts NothingToSell", async function () {
      const f = await useOev();
      await (await f.hostileWrapper.configure(Mode.KeepEverything, 0, 0)).wait();
      const p = await hostilePlan(f, { repayAmount: f.compoundDebt / 2n });
      await expect(f.executor.liquidate(p))
        .to.be.revertedWithCustomError(f.executor, "NothingToSell")
        .withArgs(f.sandbox.book.tokens.WETH.address);
    });

    it("paying short cannot make a stray balance repay the flash loan: BalanceBelowSnapshot", async function () {
      const f = await useOev();
      const stray = 10_000n * USDC;
      await mintUsdc(f, await f.executor.getAddress(), stray);
      await (await f.hostileWrapper.configure(Mode.PayShort, 5_000, 0)).wait();
      // minAmountOut 0: only the balance guard stands between the shortfall and the stray USDC.
      const p = await hostilePlan(f, {
        repayAmount: f.compoundDebt / 2n,
        swap: await sellWethOnAerodrome(f, 0n),
      });
      await expect(f.executor.liquidate(p)).to.be.revertedWithCustomError(f.executor, "BalanceBelowSnapshot");
      await (await f.executor.connect(f.owner).rescueTokens(f.sandbox.book.tokens.USDC.address, stray)).wait();
    });

    it("paying the seized mTokens instead of the underlying: they are redeemed and sold, none is left behind", async function () {
      const f = await useOev();
      await (await f.hostileWrapper.configure(Mode.PaySeizedShares, 0, 0)).wait();
      const repayAmount = f.compoundDebt / 2n;
      const outcome = await outcomeOf(
        f.executor,
        f.executor.liquidate(
          await hostilePlan(f, {
            repayAmount,
            swap: await sellWethOnAerodrome(f, repayAmount),
          }),
        ),
      );
      const [liquidated] = outcome.liquidations;
      expect(liquidated.debtRepaid).to.equal(repayAmount);
      expect(liquidated.collateralSeized).to.be.greaterThan(0n);
      expect(liquidated.collateralSold).to.equal(liquidated.collateralSeized);
      expect(outcome.plan.profit).to.equal(liquidated.debtTokenBought - repayAmount);
      expect(await f.mWETH.balanceOf(f.executor)).to.equal(0n);
    });

    it("pulling less than approved leaves no allowance, and the event reports what it pulled", async function () {
      const f = await useOev();
      await (await f.hostileWrapper.configure(Mode.PullHalf, 0, 0)).wait();
      const repayAmount = f.compoundDebt / 2n;
      const outcome = await outcomeOf(
        f.executor,
        f.executor.liquidate(
          await hostilePlan(f, {
            repayAmount,
            swap: await sellWethOnAerodrome(f, repayAmount / 2n),
          }),
        ),
      );
      expect(outcome.liquidations[0].debtRepaid).to.equal(repayAmount / 2n);
      expect(await f.sandbox.tokens.USDC.allowance(f.executor, f.hostileWrapper)).to.equal(0n);
    });

    it("handing back more debt tokens than it took reports debtRepaid 0 and pays the surplus to the treasury", async function () {
      const f = await useOev();
      const repayAmount = f.compoundDebt / 2n;
      const refund = repayAmount * 2n;
      await mintUsdc(f, await f.hostileWrapper.getAddress(), refund);
      await (await f.hostileWrapper.configure(Mode.RefundDebt, 0, refund)).wait();
      const outcome = await outcomeOf(
        f.executor,
        f.executor.liquidate(
          await hostilePlan(f, {
            repayAmount,
            swap: await sellWethOnAerodrome(f, repayAmount),
          }),
        ),
      );
      expect(outcome.liquidations[0].debtRepaid).to.equal(0n);
      expect(outcome.plan.profit).to.equal(outcome.liquidations[0].debtTokenBought + refund - repayAmount);
    });
  });
});
