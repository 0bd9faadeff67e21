/**
 * The Morpho Blue plug-in against genuine Morpho Blue bytecode: its in-memory health factor must say
 * "liquidatable" exactly when Morpho's own `liquidate` succeeds. The test finds, in memory, the
 * oracle answer at which a borrower crosses HF = 1 at the liquidation block's timestamp, then shows
 * Morpho refuses at answer+1 ("position is healthy") and accepts at answer — one feed unit apart,
 * which also depends on the interest accrued in memory being Morpho's to the second.
 */
import { expect } from "chai";
import hre from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { sandboxFixture } from "../../../shared/sandbox-fixture";
import { openMorphoBorrowers } from "../../../../sandbox/borrowers";
import { marketTuple, type Sandbox } from "../../../../sandbox";
import type { Address } from "../../../../keeper/config/address-book";
import { WAD } from "../../../../keeper/core/fixed-point";
import { createMarketDependencies } from "../../../../keeper/markets/factory";
import { MorphoBlueMarket } from "../../../../keeper/markets/morpho-blue/morpho-blue-market";
import { MorphoChainlinkOracleDouble__factory } from "../../../../typechain-types";
import { startAtHead } from "./helpers/start-at-head";

const WETH_USDC_MARKET = 0;

interface MorphoWorld {
  sandbox: Sandbox;
  borrowers: Address[];
  liquidator: HardhatEthersSigner;
}

async function morphoWorldFixture(): Promise<MorphoWorld> {
  const sandbox = await loadFixture(sandboxFixture);
  const opened = await openMorphoBorrowers(hre, sandbox, {
    market: WETH_USDC_MARKET,
    count: 20,
    seed: 21,
    healthFactor: { min: 1.02, max: 1.4 },
    debtUsd: { min: 500, max: 50_000 },
  });
  const liquidator = (await hre.ethers.getSigners())[12];
  const morpho = await sandbox.morpho.morpho.getAddress();
  await (await sandbox.tokens.USDC.connect(liquidator)["mint(uint256)"](10n ** 6n * 10_000_000n)).wait();
  await (await sandbox.tokens.USDC.connect(liquidator).approve(morpho, hre.ethers.MaxUint256)).wait();
  // A week of interest so accrual matters.
  await time.increase(7 * 24 * 3600);
  await hre.network.provider.send("evm_mine");
  return { sandbox, borrowers: opened.map((b) => b.address.toLowerCase() as Address), liquidator };
}

async function startMarket(sandbox: Sandbox): Promise<MorphoBlueMarket> {
  const deps = createMarketDependencies(hre.ethers.provider, sandbox.book);
  const { morphoBlue } = sandbox.book;
  const market = new MorphoBlueMarket(morphoBlue!.morpho, morphoBlue!.markets[WETH_USDC_MARKET], deps, morphoBlue!.deployBlock);
  return startAtHead(market);
}

/**
 * The largest feed answer at which `borrower` is liquidatable at `block`'s timestamp, found in memory: each answer tried
 * as an update in the block before `block` (where the test's real update lands; the market ignores one older than it).
 */
function liquidationBoundary(
  market: MorphoBlueMarket,
  feed: Address,
  borrower: Address,
  block: { number: number; timestamp: number },
  high: bigint,
): bigint {
  market.evaluateAt(block);
  const hfAt = (answer: bigint): bigint => {
    market.onPriceUpdate({ feed, answer, blockNumber: block.number - 1 });
    return market.position(borrower)!.healthFactor;
  };
  let low = 1n; // liquidatable
  let up = high; // healthy
  expect(hfAt(up)).to.be.greaterThanOrEqual(WAD);
  expect(hfAt(low)).to.be.lessThan(WAD);
  while (up - low > 1n) {
    const middle = (low + up) / 2n;
    if (hfAt(middle) < WAD) low = middle;
    else up = middle;
  }
  return low;
}

describe("keeper/markets MorphoBlueMarket", function () {
  it("tracks every borrower and models the oracle exactly (feed update → same price as oracle.price())", async function () {
    const { sandbox, borrowers } = await loadFixture(morphoWorldFixture);
    const market = await startMarket(sandbox);
    expect(market.stats().tracked).to.equal(borrowers.length);
    const params = sandbox.book.morphoBlue!.markets[WETH_USDC_MARKET];
    const oracle = MorphoChainlinkOracleDouble__factory.connect(params.oracle, hre.ethers.provider);
    const feeds = market.priceFeeds();
    expect(feeds.map((f) => f.feed).sort()).to.deep.equal(
      [(await oracle.BASE_FEED_1()).toLowerCase(), (await oracle.QUOTE_FEED_1()).toLowerCase()].sort(),
    );
    expect(feeds.every((f) => f.mode === "answer-is-price")).to.equal(true);

    const wethFeed = sandbox.priceFeeds.WETH;
    const moved = ((await wethFeed.latestAnswer()) * 91n) / 100n;
    await (await wethFeed.updateAnswer(moved)).wait();
    const reaction = market.onPriceUpdate({
      feed: (await wethFeed.getAddress()) as Address,
      answer: moved,
      blockNumber: await hre.ethers.provider.getBlockNumber(),
    });
    expect(reaction.needsChainRead).to.equal(false);
    expect(reaction.recomputed, "the crossing index re-evaluates at most every position").to.be.within(1, borrowers.length);
    expect(market.collateralPrice()).to.equal(await oracle.price());

    // A tick that fell behind reads the block before the update, after the update's own log: the old price stays out.
    const updated = await hre.ethers.provider.getBlock("latest");
    await market.onBlock({ number: updated!.number - 1, timestamp: updated!.timestamp });
    expect(market.collateralPrice()).to.equal(await oracle.price());
    await market.refreshPrices(updated!.number - 1);
    expect(market.collateralPrice()).to.equal(await oracle.price());
  });

  for (const [name, offset, liquidates] of [
    ["refuses at one feed unit above the boundary (Morpho: position is healthy)", 1n, false],
    ["accepts at the boundary, and the sized liquidation seizes what the plug-in predicted", 0n, true],
  ] as const) {
    it(name, async function () {
      const { sandbox, borrowers, liquidator } = await loadFixture(morphoWorldFixture);
      const market = await startMarket(sandbox);
      const borrower = borrowers[3];
      const wethFeed = sandbox.priceFeeds.WETH;
      const feedAddress = (await wethFeed.getAddress()) as Address;
      const current = await wethFeed.latestAnswer();

      // The feed update lands in block N+1, the liquidation in N+2 at a chosen timestamp.
      const latest = await hre.ethers.provider.getBlock("latest");
      const liquidationBlock = { number: latest!.number + 2, timestamp: latest!.timestamp + 100 };
      const boundary = liquidationBoundary(market, feedAddress, borrower, liquidationBlock, current);
      const answer = boundary + offset;
      await (await wethFeed.updateAnswer(answer)).wait();
      market.onPriceUpdate({ feed: feedAddress, answer, blockNumber: liquidationBlock.number - 1 });
      const position = market.position(borrower)!;
      expect(position.healthFactor < WAD).to.equal(liquidates);

      const params = sandbox.book.morphoBlue!.markets[WETH_USDC_MARKET];
      const marketParams = marketTuple(params);
      const morpho = sandbox.morpho.morpho.connect(liquidator);
      await time.setNextBlockTimestamp(liquidationBlock.timestamp);
      if (!liquidates) {
        // An explicit gas limit skips estimation, so the refusal happens in the block at the chosen timestamp.
        await expect(morpho.liquidate(marketParams, borrower, 1_000n, 0n, "0x", { gasLimit: 1_000_000 })).to.be.revertedWith(
          "position is healthy",
        );
        return;
      }
      const candidate = market.sizeLiquidation(position);
      expect(candidate, "a liquidatable position is sized").to.not.equal(null);
      const args = candidate!.call!.morpho!;
      const weth = sandbox.tokens.WETH;
      const before = await weth.balanceOf(liquidator.address);
      await (await morpho.liquidate(marketParams, borrower, args.seizedAssets, args.repaidShares, "0x", { gasLimit: 1_000_000 })).wait();
      expect((await weth.balanceOf(liquidator.address)) - before).to.equal(candidate!.expectedCollateral);
    });
  }
});
