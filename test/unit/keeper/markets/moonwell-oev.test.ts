/**
 * The Moonwell plug-in's OEV path, from the keeper's market model to the chain. The market is the Moonwell test double
 * with the WETH feed behind MoonwellOevWrapperDouble (a TEST DOUBLE of Moonwell's OEV wrapper written from its
 * documentation; Moonwell ships no bytecode on npm: test/unit/contracts/helpers/oev.ts), holding back a 5% WETH drop that
 * makes one borrower liquidatable. What is proven: the plug-in finds the wrapper and reads its parameters on chain,
 * evaluates at the round the wrapper hides (the comptroller still reports no shortfall), sizes the liquidation as a
 * MoonwellOev call through the wrapper counting only the liquidator's share, the executor's OEV kind then receives
 * exactly that share, a new round seen by the collector is treated the same way, and once the round is public the
 * plain call is sized again. Two edge cases: a smaller collateral behind the hiding wrapper is liquidated through it when
 * the largest pair cannot unlock anything, and a same-market seizure through the debt's wrapper is not tried (the
 * wrapper version the double follows reverts it; docs/oev.md).
 */
import hre from "hardhat";
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { Address } from "../../../../keeper/config/address-book";
import { WAD } from "../../../../keeper/core/fixed-point";
import type { MoonwellMarket } from "../../../../keeper/markets/moonwell/moonwell-market";
import { encodePlanStruct } from "../../../../keeper/execution/plan-encoder";
import type { LiquidationPlan } from "../../../../keeper/core/types";
import { LIQUIDATOR_FEE_BPS, TEST_ROUND_DELAY, oevFixture, type OevFixture } from "../../contracts/helpers/oev";
import { passRoundDelay, startOevMarket, supplyUsdc, supplyWeth } from "./helpers/moonwell-oev-market";
import { outcomeOf } from "../../contracts/helpers/outcomes";
import { FlashSource, ProtocolKind, flashLoan, moonwellOevLiquidation, packedPath, uniswapSwap } from "../../contracts/helpers/plans";

/**
 * Posts `answer` on the WETH feed the wrapper delays and hands the new round to `market` as the oracle collector
 * would (from the round's own event, in its block). Returns the market's reaction, the round and its block.
 */
async function postWethRound(f: OevFixture, market: MoonwellMarket, answer: bigint) {
  const feed = f.sandbox.priceFeeds.WETH;
  await (await feed.updateAnswer(answer)).wait();
  const round = await feed.latestRoundData();
  const block = (await hre.ethers.provider.getBlock("latest"))!;
  const reaction = market.onPriceUpdate({
    feed: (await feed.getAddress()) as Address,
    answer,
    roundId: round.roundId,
    updatedAt: Number(round.updatedAt),
    blockNumber: block.number,
  });
  return { reaction, round, block };
}

describe("keeper/markets MoonwellMarket: OEV wrappers", function () {
  it("evaluates at the round the wrapper hides and sizes the liquidation through the wrapper, at the liquidator's share", async function () {
    const f = await loadFixture(oevFixture);
    const market = await startOevMarket(f);
    const mWETH = (await f.mWETH.getAddress()).toLowerCase() as Address;
    const hidden = market.hiddenRound(mWETH);
    expect(hidden, "the hidden WETH round").to.not.equal(undefined);
    const newest = await f.sandbox.priceFeeds.WETH.latestRoundData();
    expect(hidden!.publicAt).to.equal(Number(newest.updatedAt + TEST_ROUND_DELAY));

    const [, , shortfall] = await f.comptroller.getAccountLiquidity(f.oevBorrower.address);
    expect(shortfall, "the protocol sees no shortfall yet").to.equal(0n);
    const position = market.position(f.oevBorrower.address.toLowerCase() as Address)!;
    expect(position.healthFactor).to.be.lessThan(WAD);

    const sized = market.sizeLiquidationWithReason(position);
    if (!sized.ok) throw new Error(`refused: ${sized.detail}`);
    const { candidate } = sized;
    expect(candidate.call!.shape).to.equal("MoonwellOev");
    expect(candidate.call!.oevWrapper).to.equal((await f.wrapper.getAddress()).toLowerCase());
    expect(candidate.call!.market).to.equal((await f.mUSDC.getAddress()).toLowerCase());
    expect(candidate.call!.collateralMarket).to.equal(mWETH);
    expect(candidate.sizingRule).to.match(/^moonwell-oev\(liquidator 40% of bonus\)\+/);
    expect(sized.protocolFeeCollateral).to.be.greaterThan(0n);

    // The plan encoder carries the shape and the wrapper to the executor's struct.
    const plan: LiquidationPlan = {
      id: "oev-test",
      candidate,
      flash: {
        kind: "balancerV2",
        executorSource: "BalancerV2",
        address: f.sandbox.book.flash.balancerVault!,
        amount: candidate.debtToCover,
        fee: 0n,
      },
      swap: null,
      profitToken: candidate.debtToken,
      expectedProfit: 0n,
      expectedProfitUsd: 0,
      gasUnits: 0n,
      gasCostUsd: 0,
      netProfitUsd: 0,
    };
    const struct = encodePlanStruct(plan, { minProfit: 0n, deadlineBlock: 1 });
    expect(struct.liquidation.protocol).to.equal(ProtocolKind.MoonwellOev);
    expect(struct.liquidation.oevWrapper).to.equal(candidate.call!.oevWrapper);

    // The executor, through the wrapper, receives exactly the share the keeper predicted.
    const { book } = f.sandbox;
    const outcome = await outcomeOf(
      f.executor,
      f.executor.liquidate({
        flash: flashLoan(FlashSource.BalancerV2, book.flash.balancerVault!, candidate.debtToken, candidate.debtToCover),
        liquidation: moonwellOevLiquidation({
          wrapper: candidate.call!.oevWrapper!,
          debtMarket: candidate.call!.market,
          collateralMarket: candidate.call!.collateralMarket!,
          borrower: candidate.key.borrower,
          collateralToken: candidate.collateralToken,
          debtToken: candidate.debtToken,
          repayAmount: candidate.debtToCover,
          swap: uniswapSwap(
            book.uniswapV3!.swapRouter02,
            packedPath([book.tokens.WETH.address, book.tokens.USDC.address], [500]),
            candidate.debtToCover,
          ),
        }),
        profitToken: candidate.debtToken,
        minProfit: 0n,
        deadlineBlock: (await hre.ethers.provider.getBlockNumber()) + 10,
      }),
    );
    expect(outcome.liquidations[0].protocol).to.equal(BigInt(ProtocolKind.MoonwellOev));
    expect(outcome.liquidations[0].collateralSeized).to.equal(candidate.expectedCollateral);
    expect(await f.wrapper.liquidatorFeeBps()).to.equal(LIQUIDATOR_FEE_BPS);

    // The unlock made the round public for everyone: the market sees the oracle answer it and stops hiding it.
    const after = (await hre.ethers.provider.getBlock("latest"))!;
    await market.onBlock({ number: after.number, timestamp: after.timestamp });
    expect(market.hiddenRound(mWETH), "an unlocked round is public").to.equal(undefined);
  });

  it("treats a new round of the delayed feed as hidden for maxRoundDelay, then sizes the plain call", async function () {
    const f = await loadFixture(oevFixture);
    // Everything public first: the market starts with no hidden round.
    const newest = await f.sandbox.priceFeeds.WETH.latestRoundData();
    await passRoundDelay(newest.updatedAt);
    const market = await startOevMarket(f);
    const mWETH = (await f.mWETH.getAddress()).toLowerCase() as Address;
    expect(market.hiddenRound(mWETH)).to.equal(undefined);
    const position = market.position(f.oevBorrower.address.toLowerCase() as Address)!;
    const plain = market.sizeLiquidationWithReason(position);
    if (!plain.ok) throw new Error(`refused: ${plain.detail}`);
    expect(plain.candidate.call!.shape).to.equal("CompoundV2");

    // A new round (3% lower) arrives through the collector: the wrapper will hide it; the keeper evaluates at it.
    const answer = (newest.answer * 97n) / 100n;
    const { round, block } = await postWethRound(f, market, answer);
    expect(market.hiddenRound(mWETH)!.publicAt).to.equal(Number(round.updatedAt + TEST_ROUND_DELAY));
    const throughWrapper = market.sizeLiquidationWithReason(market.position(f.oevBorrower.address.toLowerCase() as Address)!);
    if (!throughWrapper.ok) throw new Error(`refused: ${throughWrapper.detail}`);
    expect(throughWrapper.candidate.call!.shape).to.equal("MoonwellOev");
    // A tick behind the round's log reads the block before it: no round there, and the oracle's older price. Neither
    // releases the round nor replaces its fresh price (the keeper would plan the plain call and lose the window).
    const before = (await hre.ethers.provider.getBlock(block.number - 1))!;
    await market.onBlock({ number: before.number, timestamp: before.timestamp });
    expect(market.hiddenRound(mWETH)!.publicAt).to.equal(Number(round.updatedAt + TEST_ROUND_DELAY));
    const afterLateRead = market.sizeLiquidationWithReason(market.position(f.oevBorrower.address.toLowerCase() as Address)!);
    expect(afterLateRead.ok && afterLateRead.candidate.call!.shape).to.equal("MoonwellOev");
    // The oracle still answers the delayed price; a block read keeps the fresh one while it is hidden.
    await market.onBlock({ number: block.number, timestamp: block.timestamp });
    expect(market.hiddenRound(mWETH)).to.not.equal(undefined);
    const afterBlock = market.sizeLiquidationWithReason(market.position(f.oevBorrower.address.toLowerCase() as Address)!);
    expect(afterBlock.ok && afterBlock.candidate.call!.shape).to.equal("MoonwellOev");

    // After the delay the round is public: plain liquidateBorrow again.
    await passRoundDelay(round.updatedAt);
    const later = (await hre.ethers.provider.getBlock("latest"))!;
    await market.onBlock({ number: later.number, timestamp: later.timestamp });
    expect(market.hiddenRound(mWETH)).to.equal(undefined);
    const afterDelay = market.sizeLiquidationWithReason(market.position(f.oevBorrower.address.toLowerCase() as Address)!);
    if (!afterDelay.ok) throw new Error(`refused: ${afterDelay.detail}`);
    expect(afterDelay.candidate.call!.shape).to.equal("CompoundV2");
  });

  it("finds a position made liquidatable by a hidden DEBT price, refuses to plan it while no wrapper can unlock that price, and plans the plain call the block it is public", async function () {
    const f = await loadFixture(oevFixture);
    const { tokens, priceFeeds, deployer } = f.sandbox;
    // Everything public first, then a borrower with USDC collateral and WETH debt at health factor 1.03.
    const start = await priceFeeds.WETH.latestRoundData();
    await passRoundDelay(start.updatedAt);
    await supplyWeth(f, deployer, hre.ethers.parseEther("100")); // cash to borrow
    const borrower = (await hre.ethers.getSigners())[8];
    const wethUsd = Number(start.answer) / 1e8;
    const debt = hre.ethers.parseEther("5");
    const collateral = BigInt(Math.ceil(((5 * wethUsd * 1.03) / 0.8) * 1e6));
    await supplyUsdc(f, borrower, collateral);
    await (await f.comptroller.connect(borrower).enterMarkets([await f.mUSDC.getAddress()])).wait();
    await (await f.mWETH.connect(borrower).borrow(debt)).wait();

    const market = await startOevMarket(f);
    const mWETH = (await f.mWETH.getAddress()).toLowerCase() as Address;
    const key = borrower.address.toLowerCase() as Address;
    expect(market.position(key)!.healthFactor).to.be.greaterThan(WAD);

    // WETH (the debt) rises 5% on its feed: the WETH wrapper hides the round; the keeper evaluates at it.
    const answer = (start.answer * 105n) / 100n;
    const { reaction, round, block } = await postWethRound(f, market, answer);
    expect(reaction.newlyLiquidatable.map((p) => p.key.borrower)).to.include(key);
    await market.onBlock({ number: block.number, timestamp: block.timestamp });
    const position = market.position(key)!;
    expect(position.healthFactor, "found at the hidden debt price").to.be.lessThan(WAD);
    const [, , shortfall] = await f.comptroller.getAccountLiquidity(borrower.address);
    expect(shortfall, "the comptroller still shows the old WETH price").to.equal(0n);

    // Not through the collateral's (USDC's) feed, which no wrapper hides, nor through WETH's wrapper (it
    // only unlocks for WETH collateral): refused, naming the hidden market and when it is public.
    const refused = market.sizeLiquidationWithReason(position);
    expect(refused.ok).to.equal(false);
    if (refused.ok) return;
    expect(refused.reason).to.equal("not-liquidatable");
    expect(refused.detail)
      .to.include(mWETH)
      .and.include(`public at ${Number(round.updatedAt + TEST_ROUND_DELAY)}`);
    // The wrapper itself refuses the unlock for a USDC-collateral liquidation, as the refusal says.
    await expect(
      f.wrapper.updatePriceEarlyAndLiquidate.staticCall(borrower.address, 1n, await f.mUSDC.getAddress(), await f.mWETH.getAddress()),
    ).to.be.revertedWith("ChainlinkOEVWrapper: chainlink oracle feed does not match");

    // The block the round is public: handed back as newly liquidatable, sized as the plain call, and it works.
    await passRoundDelay(round.updatedAt);
    const publicBlock = (await hre.ethers.provider.getBlock("latest"))!;
    const update = await market.onBlock({ number: publicBlock.number, timestamp: publicBlock.timestamp });
    expect(update.newlyLiquidatable.map((p) => p.key.borrower)).to.include(key);
    const sized = market.sizeLiquidationWithReason(market.position(key)!);
    if (!sized.ok) throw new Error(`refused: ${sized.detail}`);
    expect(sized.candidate.call!.shape).to.equal("CompoundV2");
    expect(sized.candidate.call!.market).to.equal(mWETH);
    const liquidator = (await hre.ethers.getSigners())[9];
    await (await tokens.WETH.connect(liquidator).deposit({ value: sized.candidate.debtToCover })).wait();
    await (await tokens.WETH.connect(liquidator).approve(f.mWETH, sized.candidate.debtToCover)).wait();
    const code = await f.mWETH
      .connect(liquidator)
      .liquidateBorrow.staticCall(borrower.address, sized.candidate.debtToCover, await f.mUSDC.getAddress());
    expect(code).to.equal(0n);
  });

  it("liquidates through the wrapper of a smaller collateral when the largest pair's collateral has no hidden round to unlock", async function () {
    const f = await loadFixture(oevFixture);
    const { tokens, priceFeeds } = f.sandbox;
    const start = await priceFeeds.WETH.latestRoundData();
    await passRoundDelay(start.updatedAt);
    // $10,000 of USDC debt against $9,875 of USDC and $3,000 of WETH (health factor 1.03): the largest pair seizes
    // USDC, whose feed hides nothing; a hidden 20% WETH fall takes the position under (health factor 0.982).
    const [borrower, liquidator] = (await hre.ethers.getSigners()).slice(10, 12);
    const wethUsd = Number(start.answer) / 1e8;
    const debt = 10_000n * 10n ** 6n;
    const usdcCollateral = 9_875n * 10n ** 6n;
    const wethCollateral = hre.ethers.parseEther((3_000 / wethUsd).toFixed(18));
    await supplyUsdc(f, borrower, usdcCollateral);
    await supplyWeth(f, borrower, wethCollateral);
    await (await f.comptroller.connect(borrower).enterMarkets([await f.mUSDC.getAddress(), await f.mWETH.getAddress()])).wait();
    await (await f.mUSDC.connect(borrower).borrow(debt)).wait();
    expect(await f.mUSDC.borrowBalanceStored(borrower.address)).to.equal(debt);

    const market = await startOevMarket(f);
    const mWETH = (await f.mWETH.getAddress()).toLowerCase() as Address;
    const mUSDC = (await f.mUSDC.getAddress()).toLowerCase() as Address;
    const key = borrower.address.toLowerCase() as Address;
    const answer = (start.answer * 80n) / 100n;
    const { round, block } = await postWethRound(f, market, answer);
    await market.onBlock({ number: block.number, timestamp: block.timestamp });
    const position = market.position(key)!;
    expect(position.healthFactor, "found at the hidden WETH price").to.be.lessThan(WAD);
    const [, , shortfall] = await f.comptroller.getAccountLiquidity(borrower.address);
    expect(shortfall, "the comptroller still shows the old WETH price").to.equal(0n);

    // The largest pair alone (USDC collateral) is refused as before; without a pair named, the WETH pair is sized
    // through the WETH wrapper.
    const [largest] = market.liquidationPairs(position);
    expect(largest!.collateralToken.toLowerCase()).to.equal((await tokens.USDC.getAddress()).toLowerCase());
    expect(market.sizeLiquidationWithReason(position, largest).ok).to.equal(false);
    const sized = market.sizeLiquidationWithReason(position);
    if (!sized.ok) throw new Error(`refused: ${sized.detail}`);
    expect(sized.candidate.call!.shape).to.equal("MoonwellOev");
    expect(sized.candidate.call!.oevWrapper).to.equal((await f.wrapper.getAddress()).toLowerCase());
    expect(sized.candidate.collateralToken.toLowerCase()).to.equal((await tokens.WETH.getAddress()).toLowerCase());

    // On chain, inside the hidden window: the wrapper unlocks and liquidates, paying exactly the predicted share.
    const { debtToCover, expectedCollateral } = sized.candidate;
    await (await tokens.USDC.connect(f.sandbox.deployer)["mint(address,uint256)"](liquidator.address, debtToCover)).wait();
    await (await tokens.USDC.connect(liquidator).approve(f.wrapper, debtToCover)).wait();
    const receipt = await (
      await f.wrapper.connect(liquidator).updatePriceEarlyAndLiquidate(borrower.address, debtToCover, mWETH, mUSDC)
    ).wait();
    const paid = receipt!.logs.map((log) => f.wrapper.interface.parseLog(log)).find((e) => e?.name === "PriceUpdatedEarlyAndLiquidated")!;
    expect(paid.args.liquidatorFee).to.equal(expectedCollateral);
    const landed = (await hre.ethers.provider.getBlock(receipt!.blockNumber))!;
    expect(BigInt(landed.timestamp), "inside the hidden window").to.be.lessThan(round.updatedAt + TEST_ROUND_DELAY);
  });

  it("does not try a same-market seizure through the debt's wrapper: the wrapper version the double follows reverts it", async function () {
    const f = await loadFixture(oevFixture);
    const { tokens, priceFeeds, deployer } = f.sandbox;
    const start = await priceFeeds.WETH.latestRoundData();
    await passRoundDelay(start.updatedAt);
    await supplyWeth(f, deployer, hre.ethers.parseEther("100")); // cash to borrow
    // 5 WETH of debt against USDC and 1 WETH (health factor 1.03); WETH +5% (hidden) takes it under.
    const [borrower, liquidator] = (await hre.ethers.getSigners()).slice(10, 12);
    const wethUsd = Number(start.answer) / 1e8;
    const debt = hre.ethers.parseEther("5");
    const wethCollateral = hre.ethers.parseEther("1");
    const usdcCollateral = BigInt(Math.ceil(((5 * wethUsd * 1.03) / 0.8 - wethUsd) * 1e6));
    await supplyUsdc(f, borrower, usdcCollateral);
    await supplyWeth(f, borrower, wethCollateral);
    await (await f.comptroller.connect(borrower).enterMarkets([await f.mUSDC.getAddress(), await f.mWETH.getAddress()])).wait();
    await (await f.mWETH.connect(borrower).borrow(debt)).wait();
    const market = await startOevMarket(f);
    const mWETH = (await f.mWETH.getAddress()).toLowerCase() as Address;
    const key = borrower.address.toLowerCase() as Address;
    const answer = (start.answer * 105n) / 100n;
    const { round, block } = await postWethRound(f, market, answer);
    await market.onBlock({ number: block.number, timestamp: block.timestamp });
    const position = market.position(key)!;
    expect(position.healthFactor, "found at the hidden debt price").to.be.lessThan(WAD);
    const refused = market.sizeLiquidationWithReason(position);
    expect(refused.ok, "refused until the round is public").to.equal(false);
    if (refused.ok) return;
    expect(refused.detail).to.include(`public at ${Number(round.updatedAt + TEST_ROUND_DELAY)}`);
    // What trying would meet: the wrapper counts its own repayment against the seizure and its split underflows.
    const repay = debt / 10n; // seizes 0.54 WETH of the 1 held
    await (await tokens.WETH.connect(liquidator).deposit({ value: repay })).wait();
    await (await tokens.WETH.connect(liquidator).approve(f.wrapper, repay)).wait();
    await expect(
      f.wrapper.connect(liquidator).updatePriceEarlyAndLiquidate.staticCall(borrower.address, repay, mWETH, mWETH),
    ).to.be.revertedWithPanic(0x11);
  });
});
