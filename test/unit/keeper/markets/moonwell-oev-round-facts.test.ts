/**
 * Which path a Moonwell liquidation takes is decided from the chain read in the same evaluation (the wrapper's
 * latestRoundData against the delayed feed's), not from the round log's timestamp: a round log the keeper processes
 * only after the round went public is sized as the plain liquidateBorrow, so the keeper does not hand the wrapper the
 * protocol's share of a price everyone can already use (keeper/oracles/oev-round-facts.ts, docs/oev.md).
 *
 * Chain: the Moonwell test doubles behind MoonwellOevWrapperDouble (a TEST DOUBLE of Moonwell's OEV wrapper written
 * from its documentation; test/unit/contracts/helpers/oev.ts). The market is driven the way the engine's reaction
 * drives it: the log goes to onPriceUpdate, and when that asks for a chain read, refreshPrices at the newest block.
 */
import hre from "hardhat";
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { Address } from "../../../../keeper/config/address-book";
import type { MoonwellMarket } from "../../../../keeper/markets/moonwell/moonwell-market";
import { TEST_ROUND_DELAY, oevFixture, type OevFixture } from "../../contracts/helpers/oev";
import { passRoundDelay, startOevMarket } from "./helpers/moonwell-oev-market";

/** The fixture's hidden round made public, the market started on it, then a new WETH round 3% lower (hidden). */
async function publicThenNewRound(f: OevFixture) {
  const start = await f.sandbox.priceFeeds.WETH.latestRoundData();
  await passRoundDelay(start.updatedAt);
  const market = await startOevMarket(f);
  const feed = f.sandbox.priceFeeds.WETH;
  await (await feed.updateAnswer((start.answer * 97n) / 100n)).wait();
  const round = await feed.latestRoundData();
  const logBlock = await hre.ethers.provider.getBlockNumber();
  expect(await f.wrapper.cachedRoundId(), "the wrapper hides the new round").to.not.equal(round.roundId);
  return { market, round, logBlock, feed: (await feed.getAddress()) as Address };
}

/** The round's log handed to the market late, as the reaction does: onPriceUpdate, then the chain read it asks for. */
async function processLate(
  market: MoonwellMarket,
  log: { feed: Address; round: { roundId: bigint; answer: bigint; updatedAt: bigint }; logBlock: number },
) {
  const reaction = market.onPriceUpdate({
    feed: log.feed,
    answer: log.round.answer,
    roundId: log.round.roundId,
    updatedAt: Number(log.round.updatedAt),
    blockNumber: log.logBlock,
  });
  expect(reaction.needsChainRead, "a wrapped feed's round is checked on chain before anything is sized").to.equal(true);
  await market.refreshPrices(await hre.ethers.provider.getBlockNumber());
}

describe("keeper/markets MoonwellMarket: the OEV path from chain facts", function () {
  it("sizes the plain call for a round log processed after maxRoundDelay made the round public", async function () {
    const f = await loadFixture(oevFixture);
    const { market, round, logBlock, feed } = await publicThenNewRound(f);
    // The keeper is slow: the round goes public by the delay before its log is processed.
    await passRoundDelay(round.updatedAt);
    await processLate(market, { feed, round, logBlock });
    const mWETH = (await f.mWETH.getAddress()).toLowerCase() as Address;
    expect(market.hiddenRound(mWETH), "public by the chain's own answer").to.equal(undefined);
    const sized = market.sizeLiquidationWithReason(market.position(f.oevBorrower.address.toLowerCase() as Address)!);
    if (!sized.ok) throw new Error(`refused: ${sized.detail}`);
    expect(sized.candidate.call!.shape).to.equal("CompoundV2");
    expect(sized.candidate.sizingRule).to.not.match(/^moonwell-oev/);
  });

  it("sizes the plain call for a round log processed after another liquidator's unlock made it public", async function () {
    const f = await loadFixture(oevFixture);
    const { market, round, logBlock, feed } = await publicThenNewRound(f);
    // Another liquidator unlocks the round through the wrapper (a small liquidation of the same borrower).
    const rival = (await hre.ethers.getSigners())[9]!;
    const repay = 100n * 10n ** 6n;
    await (await f.sandbox.tokens.USDC.connect(f.sandbox.deployer)["mint(address,uint256)"](rival.address, repay)).wait();
    await (await f.sandbox.tokens.USDC.connect(rival).approve(f.wrapper, repay)).wait();
    await (await f.wrapper.connect(rival).updatePriceEarlyAndLiquidate(f.oevBorrower.address, repay, f.mWETH, f.mUSDC)).wait();
    expect(await f.wrapper.cachedRoundId(), "unlocked by the rival").to.equal(round.roundId);
    const now = (await hre.ethers.provider.getBlock("latest"))!;
    expect(BigInt(now.timestamp), "still inside the delay: only the unlock made it public").to.be.lessThan(
      round.updatedAt + TEST_ROUND_DELAY,
    );

    await processLate(market, { feed, round, logBlock });
    const sized = market.sizeLiquidationWithReason(market.position(f.oevBorrower.address.toLowerCase() as Address)!);
    if (!sized.ok) throw new Error(`refused: ${sized.detail}`);
    expect(sized.candidate.call!.shape).to.equal("CompoundV2");
  });

  it("still sizes through the wrapper a round log processed while the chain shows the round hidden", async function () {
    const f = await loadFixture(oevFixture);
    const { market, round, logBlock, feed } = await publicThenNewRound(f);
    await processLate(market, { feed, round, logBlock });
    const mWETH = (await f.mWETH.getAddress()).toLowerCase() as Address;
    expect(market.hiddenRound(mWETH)!.publicAt).to.equal(Number(round.updatedAt + TEST_ROUND_DELAY));
    const sized = market.sizeLiquidationWithReason(market.position(f.oevBorrower.address.toLowerCase() as Address)!);
    if (!sized.ok) throw new Error(`refused: ${sized.detail}`);
    expect(sized.candidate.call!.shape).to.equal("MoonwellOev");
  });
  it("does not race a position the hidden round heals: liquidatable at the shown price, healthy at the fresh one (docs/oev.md, the shown-price race)", async function () {
    const f = await loadFixture(oevFixture);
    const start = await f.sandbox.priceFeeds.WETH.latestRoundData();
    await passRoundDelay(start.updatedAt);
    const market = await startOevMarket(f);
    const key = f.oevBorrower.address.toLowerCase() as Address;
    expect(
      market.liquidatable().map((p) => p.key.borrower),
      "under at the public -5% price",
    ).to.include(key);
    // WETH +6% in a new round the wrapper hides: the comptroller still shows the shortfall, the fresh price heals it.
    const feed = f.sandbox.priceFeeds.WETH;
    await (await feed.updateAnswer((start.answer * 106n) / 100n)).wait();
    const round = await feed.latestRoundData();
    await processLate(market, { feed: (await feed.getAddress()) as Address, round, logBlock: await hre.ethers.provider.getBlockNumber() });
    const [, , shortfall] = await f.comptroller.getAccountLiquidity(f.oevBorrower.address);
    expect(shortfall, "liquidatable at the shown price").to.be.greaterThan(0n);
    expect(
      market.liquidatable().map((p) => p.key.borrower),
      "healthy at the fresh price: not planned",
    ).to.not.include(key);
    const sized = market.sizeLiquidationWithReason(market.position(key)!);
    expect(sized.ok).to.equal(false);
    if (!sized.ok) expect(sized.reason).to.equal("not-liquidatable");
  });
});
