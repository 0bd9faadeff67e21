/**
 * The crossing index on Morpho Blue (genuine Morpho Blue bytecode, the sandbox's WETH/USDC market):
 * an oracle answer re-evaluates only the positions whose crossing of the near level lies between the
 * old and new price. The verdict is the same market with the index turned off (every position
 * re-evaluated with Morpho's math, which morpho-blue-market.test.ts proves equal to Morpho's own
 * `liquidate` to one feed unit): after every move the newly liquidatable, the liquidatable and every
 * stored health factor must be identical.
 */
import { expect } from "chai";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { sandboxFixture } from "../../../shared/sandbox-fixture";
import { openMorphoBorrowers } from "../../../../sandbox/borrowers";
import type { Sandbox } from "../../../../sandbox";
import type { Address } from "../../../../keeper/config/address-book";
import { createMarketDependencies } from "../../../../keeper/markets/factory";
import { MorphoBlueMarket } from "../../../../keeper/markets/morpho-blue/morpho-blue-market";
import { startAtHead } from "./helpers/start-at-head";

const WETH_USDC_MARKET = 0;

async function worldFixture(): Promise<{ sandbox: Sandbox; borrowers: Address[] }> {
  const sandbox = await loadFixture(sandboxFixture);
  const opened = await openMorphoBorrowers(hre, sandbox, {
    market: WETH_USDC_MARKET,
    count: 40,
    seed: 1_818,
    healthFactor: { min: 1.01, max: 1.6 },
    debtUsd: { min: 200, max: 50_000 },
  });
  return { sandbox, borrowers: opened.map((b) => b.address.toLowerCase() as Address) };
}

async function openMarket(sandbox: Sandbox, crossingIndex: boolean): Promise<MorphoBlueMarket> {
  const { morphoBlue } = sandbox.book;
  const deps = createMarketDependencies(hre.ethers.provider, sandbox.book);
  const market = new MorphoBlueMarket(morphoBlue!.morpho, morphoBlue!.markets[WETH_USDC_MARKET], deps, morphoBlue!.deployBlock, {
    crossingIndex,
  });
  return startAtHead(market);
}

const borrowersOf = (positions: readonly { key: { borrower: Address } }[]) => positions.map((p) => p.key.borrower).sort();

describe("keeper/markets MorphoBlueMarket: oracle updates reach their candidates through the crossing index", function () {
  it("re-evaluates fewer than every position and finds exactly what a full re-evaluation finds", async function () {
    const { sandbox, borrowers } = await loadFixture(worldFixture);
    const indexed = await openMarket(sandbox, true);
    const reference = await openMarket(sandbox, false);
    const feed = sandbox.priceFeeds.WETH;
    const feedAddress = (await feed.getAddress()) as Address;
    let answer = await feed.latestAnswer();
    let searchedFewer = 0;
    let crossed = 0;
    // Down in steps, back up, down again; at some moves both markets first evaluate a new block.
    for (const [factor, newBlock] of [
      [0.93, false],
      [0.97, false],
      [1.06, true],
      [0.9, false],
      [1.02, true],
      [0.95, false],
    ] as const) {
      const label = `WETH ×${factor}`;
      answer = (answer * BigInt(Math.round(factor * 1000))) / 1000n;
      if (newBlock) {
        await hre.network.provider.send("evm_mine");
        const block = (await hre.ethers.provider.getBlock("latest"))!;
        await indexed.onBlock(block);
        await reference.onBlock(block);
      }
      const update = { feed: feedAddress, answer, blockNumber: await hre.ethers.provider.getBlockNumber() };
      const fast = indexed.onPriceUpdate(update);
      const full = reference.onPriceUpdate(update);
      expect(fast.needsChainRead, label).to.equal(false);
      expect(full.recomputed, `${label}: the reference re-evaluates every position`).to.equal(borrowers.length);
      if (fast.recomputed < full.recomputed) searchedFewer += 1;
      crossed += full.newlyLiquidatable.length;
      expect(borrowersOf(fast.newlyLiquidatable), `${label}: newly liquidatable`).to.deep.equal(borrowersOf(full.newlyLiquidatable));
      expect(borrowersOf(indexed.liquidatable()), `${label}: liquidatable`).to.deep.equal(borrowersOf(reference.liquidatable()));
      const stored = new Map(indexed.positions().map((p) => [p.key.borrower, p.healthFactor]));
      expect(stored, `${label}: stored health factors`).to.deep.equal(
        new Map(reference.positions().map((p) => [p.key.borrower, p.healthFactor])),
      );
    }
    expect(crossed, "the moves carry some positions across HF 1").to.be.greaterThan(0);
    expect(searchedFewer, "the index answered with fewer positions than every holder").to.be.greaterThan(2);
  });
});
