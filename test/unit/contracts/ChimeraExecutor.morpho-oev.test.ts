/**
 * ChimeraExecutor's Moonwell Morpho OEV plan kind (ProtocolKind.MoonwellMorphoOev): a Morpho Blue liquidation made
 * through Moonwell's Morpho-market OEV wrapper (`updatePriceEarlyAndLiquidate(MarketParams, borrower, seizedAssets,
 * maxRepayAmount)`), which unlocks a collateral price the market does not show yet. Morpho Blue is genuine bytecode (the
 * sandbox's); the wrapper is MoonwellOevMorphoWrapperDouble over MorphoChainlinkOracleDouble (TEST DOUBLES written
 * from the documented behaviour, see helpers/morpho-oev.ts); the flash loan and the sale are the sandbox's genuine
 * Balancer and Uniswap V3. Then every executor rule is attacked through this kind: a wrapper or a market the owner did
 * not allowlist, a wrapper that liquidates on another Morpho, and an allowlisted wrapper that pays less than documented,
 * pulls nothing, hands back more than it took, or calls back; stray balances the plan must not touch.
 */
import hre from "hardhat";
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ChimeraExecutor__factory, type MintableERC20 } from "../../../typechain-types";
import ChimeraExecutorModule from "../../../ignition/modules/ChimeraExecutorModule";
import { sandboxModuleParameters } from "../../shared/executor-fixture";
import { marketTuple } from "../../../sandbox";
import { checkExecutorHoldsNothingAfterEach } from "./helpers/invariants";
import { outcomeOf } from "./helpers/outcomes";
import { MORPHO_OEV_LIQUIDATOR_FEE_BPS, MORPHO_OEV_TEST_ROUND_DELAY, morphoOevFixture, type MorphoOevFixture } from "./helpers/morpho-oev";
import {
  FlashSource,
  NO_FLASH_LOAN,
  NO_SWAP,
  ProtocolKind,
  ZERO_ADDRESS,
  flashLoan,
  morphoLiquidation,
  moonwellMorphoOevLiquidation,
  packedPath,
  uniswapSwap,
  type PlanStruct,
  type SwapStruct,
} from "./helpers/plans";
import { deadline } from "./helpers/deadline";

const USDC = 10n ** 6n;
const WETH = 10n ** 18n;
/** HostileMorphoOevWrapper.Mode */
const Mode = { PayShort: 0, KeepEverything: 1, PullNothing: 2, RefundMore: 3, CallBack: 4 } as const;
/** Morpho's oracle scale: loan raw units per collateral raw unit, times 1e36. */
const ORACLE_PRICE_SCALE = 10n ** 36n;

describe("ChimeraExecutor: Moonwell Morpho OEV wrapper liquidations", function () {
  const holdings = checkExecutorHoldsNothingAfterEach();

  async function useMorphoOev(): Promise<MorphoOevFixture> {
    const f = await loadFixture(morphoOevFixture);
    return holdings.watch(f, {
      spenders: [await f.oev.wrapper.getAddress(), await f.hostileWrapper.getAddress()],
    });
  }

  /** The price the wrapper will unlock, in the oracle's units: SCALE_FACTOR · fresh WETH answer / USDC answer. */
  async function freshOraclePrice(f: MorphoOevFixture): Promise<bigint> {
    const [, weth] = await f.sandbox.priceFeeds.WETH!.latestRoundData();
    const [, usdc] = await f.sandbox.priceFeeds.USDC!.latestRoundData();
    return ((await f.oev.oracle.SCALE_FACTOR()) * weth) / usdc;
  }

  function sellWethOnUniswap(f: MorphoOevFixture, minAmountOut: bigint): SwapStruct {
    const { book } = f.sandbox;
    return uniswapSwap(book.uniswapV3!.swapRouter02, packedPath([book.tokens.WETH.address, book.tokens.USDC.address], [500]), minAmountOut);
  }

  /**
   * A Balancer-funded plan seizing `seizedAssets` WETH through `wrapper` (default: the documented one), allowing a
   * repayment of the seizure's full value at the fresh price (Morpho takes ~4% less: the incentive; the wrapper refunds
   * the rest). `plain`: the same seizure as a plain Morpho Blue liquidation.
   */
  async function plan(
    f: MorphoOevFixture,
    args: {
      seizedAssets?: bigint;
      wrapper?: string;
      swap?: SwapStruct;
      flash?: boolean;
      minProfit?: bigint;
      plain?: boolean;
      maxRepayAmount?: bigint;
    },
  ): Promise<PlanStruct & { maxRepayAmount: bigint }> {
    const { book } = f.sandbox;
    const seizedAssets = args.seizedAssets ?? 3n * WETH;
    const maxRepayAmount = args.maxRepayAmount ?? (seizedAssets * (await freshOraclePrice(f))) / ORACLE_PRICE_SCALE + 1n;
    const shape = {
      morpho: await f.sandbox.morpho.morpho.getAddress(),
      market: f.oev.params,
      borrower: f.borrower.address,
      seizedAssets,
      swap: args.swap ?? sellWethOnUniswap(f, maxRepayAmount / 2n),
    };
    return {
      flash:
        args.flash === false
          ? NO_FLASH_LOAN
          : flashLoan(FlashSource.BalancerV2, book.flash.balancerVault!, book.tokens.USDC.address, maxRepayAmount),
      liquidation: args.plain
        ? morphoLiquidation(shape)
        : moonwellMorphoOevLiquidation({ ...shape, wrapper: args.wrapper ?? (await f.oev.wrapper.getAddress()), maxRepayAmount }),
      profitToken: book.tokens.USDC.address,
      minProfit: args.minProfit ?? 0n,
      deadlineBlock: await deadline(),
      maxRepayAmount,
    };
  }

  async function mint(f: MorphoOevFixture, symbol: "USDC", to: string, amount: bigint): Promise<void> {
    await (await (f.sandbox.tokens[symbol] as MintableERC20).connect(f.sandbox.deployer)["mint(address,uint256)"](to, amount)).wait();
  }

  async function borrowerCollateral(f: MorphoOevFixture): Promise<bigint> {
    return (await f.sandbox.morpho.morpho.position(f.oev.marketId, f.borrower.address)).collateral;
  }

  /** The hostile wrapper unlocks nothing: let the hidden round go public so Morpho accepts its liquidation. */
  async function roundGoesPublic(): Promise<void> {
    await time.increase(MORPHO_OEV_TEST_ROUND_DELAY);
  }

  describe("through the documented wrapper", function () {
    it("liquidates a borrower only the hidden round makes liquidatable; a plain Morpho liquidation is refused at the price the market shows", async function () {
      const f = await useMorphoOev();
      await expect(f.executor.liquidate(await plan(f, { plain: true }))).to.be.revertedWith("position is healthy");

      const usdc = f.sandbox.tokens.USDC;
      const weth = f.sandbox.tokens.WETH;
      const treasuryBefore = await usdc.balanceOf(f.treasury.address);
      const recipientBefore = await weth.balanceOf(f.oev.feeRecipient);
      const collateralBefore = await borrowerCollateral(f);
      const p = await plan(f, { minProfit: 1n * USDC });
      const outcome = await outcomeOf(f.executor, f.executor.liquidate(p));

      const wrapperEvent = outcome.receipt.logs
        .map((log) => f.oev.wrapper.interface.parseLog(log))
        .find((event) => event?.name === "PriceUpdatedEarlyAndLiquidated");
      expect(wrapperEvent, "the wrapper's PriceUpdatedEarlyAndLiquidated").to.not.equal(undefined);
      const { seizedAssets, repaidAssets, liquidatorFee, protocolFee } = wrapperEvent!.args;
      const [liquidated] = outcome.liquidations;
      expect(liquidated.protocol).to.equal(BigInt(ProtocolKind.MoonwellMorphoOev));
      // The wrapper pulled maxRepayAmount and refunded what Morpho did not take: the event reports the net.
      expect(repaidAssets).to.be.lessThan(p.maxRepayAmount);
      expect(liquidated.debtRepaid).to.equal(repaidAssets);
      // What the executor reports is what arrived: the liquidator's share, not the whole seizure.
      expect(seizedAssets).to.equal(3n * WETH);
      expect(liquidated.collateralSeized).to.equal(liquidatorFee);
      expect(liquidated.collateralSold).to.equal(liquidatorFee);
      expect(liquidatorFee + protocolFee).to.equal(seizedAssets);
      expect(protocolFee).to.be.greaterThan(0n);
      expect((await weth.balanceOf(f.oev.feeRecipient)) - recipientBefore).to.equal(protocolFee);
      expect(outcome.plan.profit).to.equal(liquidated.debtTokenBought - repaidAssets);
      expect((await usdc.balanceOf(f.treasury.address)) - treasuryBefore).to.equal(outcome.plan.profit);
      expect(await borrowerCollateral(f)).to.equal(collateralBefore - seizedAssets);
      // The unlocked round is now what the market reads.
      const newest = await f.sandbox.priceFeeds.WETH!.latestRoundData();
      expect(await f.oev.wrapper.cachedRoundId()).to.equal(newest.roundId);
      expect(await f.oev.oracle.price()).to.equal(await freshOraclePrice(f));
      expect(await f.oev.wrapper.liquidatorFeeBps()).to.equal(MORPHO_OEV_LIQUIDATOR_FEE_BPS);
    });

    it("a sale that must return more than the liquidator's share can buy reverts in the router, and nothing moves", async function () {
      const f = await useMorphoOev();
      const collateralBefore = await borrowerCollateral(f);
      const p = await plan(f, {});
      const greedy = await plan(f, { swap: sellWethOnUniswap(f, p.maxRepayAmount * 2n) });
      await expect(f.executor.liquidate(greedy)).to.be.revertedWith("Too little received");
      expect(await borrowerCollateral(f)).to.equal(collateralBefore);
    });

    it("never sells or counts collateral the executor already held: a stray WETH balance stays where it was", async function () {
      const f = await useMorphoOev();
      const stray = 2n * WETH;
      await (await f.sandbox.tokens.WETH.connect(f.outsider).deposit({ value: stray })).wait();
      await (await f.sandbox.tokens.WETH.connect(f.outsider).transfer(f.executor, stray)).wait();
      const outcome = await outcomeOf(f.executor, f.executor.liquidate(await plan(f, {})));
      expect(outcome.liquidations[0].collateralSold).to.equal(outcome.liquidations[0].collateralSeized);
      expect(await f.sandbox.tokens.WETH.balanceOf(f.executor)).to.equal(stray);
      await (await f.executor.connect(f.owner).rescueTokens(f.sandbox.book.tokens.WETH.address, stray)).wait();
    });
  });

  describe("an outsider or a stolen operator key", function () {
    it("cannot name a wrapper the owner has not allowlisted (its own contract), or none: TargetNotAllowed before any call", async function () {
      const f = await useMorphoOev();
      const rogue = await (await hre.ethers.getContractFactory("HostileMorphoOevWrapper", f.outsider)).deploy(f.sandbox.morpho.morpho);
      await expect(f.executor.liquidate(await plan(f, { wrapper: await rogue.getAddress() })))
        .to.be.revertedWithCustomError(f.executor, "TargetNotAllowed")
        .withArgs(await rogue.getAddress());
      await expect(f.executor.liquidate(await plan(f, { wrapper: ZERO_ADDRESS })))
        .to.be.revertedWithCustomError(f.executor, "TargetNotAllowed")
        .withArgs(ZERO_ADDRESS);
      await expect(f.executor.connect(f.outsider).liquidate(await plan(f, {}))).to.be.revertedWithCustomError(
        f.executor,
        "CallerNotOperator",
      );
    });

    it("cannot liquidate in a Morpho market the owner has not allowlisted, even through an allowlisted wrapper", async function () {
      const f = await useMorphoOev();
      const morpho = await f.sandbox.morpho.morpho.getAddress();
      await (await f.executor.connect(f.owner).setAllowedMarkets([{ host: morpho, marketId: f.oev.marketId }], false)).wait();
      await expect(f.executor.liquidate(await plan(f, {})))
        .to.be.revertedWithCustomError(f.executor, "MarketNotAllowed")
        .withArgs(morpho, f.oev.marketId);
    });

    it("cannot point the market allowlist at another Morpho: the wrapper must liquidate on the plan's Morpho instance", async function () {
      const f = await useMorphoOev();
      const elsewhere = f.outsider.address;
      await (await f.hostileWrapper.setMorphoBlue(elsewhere)).wait();
      await expect(f.executor.liquidate(await plan(f, { wrapper: await f.hostileWrapper.getAddress() })))
        .to.be.revertedWithCustomError(f.executor, "OevWrapperMorphoMismatch")
        .withArgs(await f.hostileWrapper.getAddress(), elsewhere, await f.sandbox.morpho.morpho.getAddress());
    });

    it("cannot spoof a wrapper call into a callback: a wrapper calling the executor back is refused (UnexpectedCallback)", async function () {
      const f = await useMorphoOev();
      await (await f.hostileWrapper.configure(Mode.CallBack, 0, 0)).wait();
      await expect(f.executor.liquidate(await plan(f, { wrapper: await f.hostileWrapper.getAddress() }))).to.be.revertedWithCustomError(
        f.executor,
        "UnexpectedCallback",
      );
    });
  });

  describe("an allowlisted wrapper that does not pay as documented", function () {
    it("keeping the repayment and paying nothing cannot spend a stray balance: BalanceBelowSnapshot", async function () {
      const f = await useMorphoOev();
      const stray = 50_000n * USDC;
      await mint(f, "USDC", await f.executor.getAddress(), stray);
      await (await f.hostileWrapper.configure(Mode.KeepEverything, 0, 0)).wait();
      const maxRepayAmount = 5_000n * USDC;
      const p = await plan(f, { wrapper: await f.hostileWrapper.getAddress(), flash: false, swap: NO_SWAP, maxRepayAmount });
      await expect(f.executor.liquidate(p))
        .to.be.revertedWithCustomError(f.executor, "BalanceBelowSnapshot")
        .withArgs(f.sandbox.book.tokens.USDC.address, stray, stray - maxRepayAmount);
      await (await f.executor.connect(f.owner).rescueTokens(f.sandbox.book.tokens.USDC.address, stray)).wait();
    });

    it("paying short cannot make a stray balance repay the flash loan: BalanceBelowSnapshot", async function () {
      const f = await useMorphoOev();
      await roundGoesPublic();
      const stray = 50_000n * USDC;
      await mint(f, "USDC", await f.executor.getAddress(), stray);
      await (await f.hostileWrapper.configure(Mode.PayShort, 5_000, 0)).wait();
      // minAmountOut 0: only the balance guard stands between the shortfall and the stray USDC.
      const p = await plan(f, { wrapper: await f.hostileWrapper.getAddress(), swap: sellWethOnUniswap(f, 0n) });
      await expect(f.executor.liquidate(p)).to.be.revertedWithCustomError(f.executor, "BalanceBelowSnapshot");
      await (await f.executor.connect(f.owner).rescueTokens(f.sandbox.book.tokens.USDC.address, stray)).wait();
    });

    it("paying short is reported as what arrived, and minProfit decides whether the plan stands", async function () {
      const f = await useMorphoOev();
      await roundGoesPublic();
      await (await f.hostileWrapper.configure(Mode.PayShort, 300, 0)).wait();
      const honest = await plan(f, { wrapper: await f.hostileWrapper.getAddress(), swap: sellWethOnUniswap(f, 0n) });
      await expect(f.executor.liquidate({ ...honest, minProfit: 10_000n * USDC })).to.be.revertedWithCustomError(
        f.executor,
        "InsufficientProfit",
      );
      const outcome = await outcomeOf(f.executor, f.executor.liquidate(honest));
      const seized = 3n * WETH;
      expect(outcome.liquidations[0].collateralSeized).to.equal(seized - (seized * 300n) / 10_000n);
    });

    it("pulling nothing leaves no allowance behind, and the event reports nothing repaid or seized", async function () {
      const f = await useMorphoOev();
      await (await f.hostileWrapper.configure(Mode.PullNothing, 0, 0)).wait();
      const stray = 10_000n * USDC;
      await mint(f, "USDC", await f.executor.getAddress(), stray);
      const p = await plan(f, { wrapper: await f.hostileWrapper.getAddress(), flash: false, swap: NO_SWAP, maxRepayAmount: 5_000n * USDC });
      const outcome = await outcomeOf(f.executor, f.executor.liquidate(p));
      expect(outcome.liquidations[0].debtRepaid).to.equal(0n);
      expect(outcome.liquidations[0].collateralSeized).to.equal(0n);
      expect(await f.sandbox.tokens.USDC.allowance(f.executor, f.hostileWrapper)).to.equal(0n);
      expect(await f.sandbox.tokens.USDC.balanceOf(f.executor)).to.equal(stray);
      await (await f.executor.connect(f.owner).rescueTokens(f.sandbox.book.tokens.USDC.address, stray)).wait();
    });

    it("handing back more debt tokens than it took reports debtRepaid 0 and pays the surplus to the treasury", async function () {
      const f = await useMorphoOev();
      await roundGoesPublic();
      const refund = 100_000n * USDC;
      await mint(f, "USDC", await f.hostileWrapper.getAddress(), refund);
      await (await f.hostileWrapper.configure(Mode.RefundMore, 0, refund)).wait();
      const outcome = await outcomeOf(f.executor, f.executor.liquidate(await plan(f, { wrapper: await f.hostileWrapper.getAddress() })));
      expect(outcome.liquidations[0].debtRepaid).to.equal(0n);
      expect(outcome.plan.profit).to.be.greaterThan(refund);
    });
  });

  it("the Ignition module takes the wrapper in its allowlist and the market in its markets, as for the Core wrapper", async function () {
    const f = await useMorphoOev();
    const morpho = await f.sandbox.morpho.morpho.getAddress();
    const parameters = sandboxModuleParameters(f.sandbox, {
      owner: f.owner.address,
      treasury: f.treasury.address,
      operators: [f.operator.address],
    });
    parameters.ChimeraExecutorModule.allowlist.push(await f.oev.wrapper.getAddress());
    parameters.ChimeraExecutorModule.markets.push({ host: morpho, marketId: f.oev.marketId });
    const { executor: deployed } = await hre.ignition.deploy(ChimeraExecutorModule, { parameters });
    const executor = ChimeraExecutor__factory.connect(await deployed.getAddress(), f.operator);
    expect(await executor.isAllowedTarget(f.oev.wrapper)).to.equal(true);
    expect(await executor.isAllowedMarket(morpho, f.oev.marketId)).to.equal(true);
    const outcome = await outcomeOf(executor, executor.liquidate(await plan(f, {})));
    expect(outcome.liquidations[0]!.protocol).to.equal(BigInt(ProtocolKind.MoonwellMorphoOev));
    await holdings.watch({ ...f, executor }, { spenders: [await f.oev.wrapper.getAddress()] });
  });

  it("marketTuple and the executor's market id agree (the id the wrapper approves is the one the executor checks)", async function () {
    const f = await useMorphoOev();
    const tuple = marketTuple(f.oev.params);
    expect(await f.oev.wrapper.approvedMarkets(f.oev.marketId)).to.equal(true);
    expect(
      hre.ethers.keccak256(
        hre.ethers.AbiCoder.defaultAbiCoder().encode(["address", "address", "address", "address", "uint256"], Object.values(tuple)),
      ),
    ).to.equal(f.oev.marketId);
  });
});
