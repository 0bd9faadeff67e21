/**
 * End to end on the Moonwell test double (helpers/moonwell-world.ts: Moonwell's ABI and Compound's Exp arithmetic,
 * priced by the sandbox's MockV3Aggregator feeds): an oracle answer, collected from the chain, reaches the Moonwell
 * plug-in's crossing index (each market's price one key, the comptroller's own per-market terms as the model), which
 * hands back the positions the move can carry across the near level; the plug-in re-evaluates only those. The verdict
 * on "liquidatable" is the comptroller's getAccountLiquidity shortfall, and a second market with the index turned off
 * (every holder re-evaluated) is the reference every stored health factor must equal.
 */
import { expect } from "chai";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { Address } from "../../../../keeper/config/address-book";
import { WAD } from "../../../../keeper/core/fixed-point";
import { createMarketDependencies } from "../../../../keeper/markets/factory";
import { OracleUpdateCollector } from "../../../../keeper/collectors/oracle-update-collector";
import type { MoonwellMarket } from "../../../../keeper/markets/moonwell/moonwell-market";
import { moonwellWorldFixture, startMarket, type MoonwellWorld } from "./helpers/moonwell-world";

/** The comptroller's verdict: the borrowers with a shortfall at `blockTag`. */
async function shortfalls(world: MoonwellWorld, borrowers: readonly Address[], blockTag: number): Promise<Address[]> {
  const out: Address[] = [];
  for (const borrower of borrowers) {
    const [error, , shortfall] = await world.comptroller.getAccountLiquidity(borrower, { blockTag });
    expect(error, `getAccountLiquidity(${borrower})`).to.equal(0n);
    if (shortfall > 0n) out.push(borrower);
  }
  return out.sort();
}

const sortedBorrowers = (positions: readonly { key: { borrower: Address } }[]) => positions.map((p) => p.key.borrower).sort();
const healthFactors = (market: MoonwellMarket) => new Map(market.positions().map((p) => [p.key.borrower, p.healthFactor]));

describe("keeper/markets MoonwellMarket: oracle updates reach their candidates through the crossing index", function () {
  it("finds exactly the borrowers the comptroller reports a shortfall for, re-evaluating fewer than every holder, and keeps every health factor exact", async function () {
    const world = await loadFixture(moonwellWorldFixture);
    const borrowers = world.borrowers.map((w) => w.address.toLowerCase() as Address);
    const { market: indexed } = await startMarket(world);
    const { market: reference } = await startMarket(world, { crossingIndex: false });
    const collector = new OracleUpdateCollector(hre.ethers.provider, indexed.priceFeeds(), {
      mode: "poll",
      multicall: createMarketDependencies(hre.ethers.provider, world.sandbox.book).multicall,
    });
    let head = await hre.ethers.provider.getBlockNumber();
    expect(indexed.liquidatable()).to.deep.equal([]);

    // Down, down again and back up on one market without a full evaluation in between (the index answers each),
    // a debt price up, then another market, then that market again after a full evaluation (`evaluate`: both
    // markets evaluate at the new block first, as the engine's onBlock does).
    const moves: [keyof MoonwellWorld["mTokens"], number, boolean][] = [
      ["cbBTC", 0.85, true],
      ["cbBTC", 0.93, false],
      ["cbBTC", 1.12, false],
      ["USDC", 1.06, false],
      ["WETH", 0.8, false],
      ["WETH", 0.9, true],
    ];
    let searchedFewer = 0;
    let crossed = 0;
    for (const [symbol, factor, evaluate] of moves) {
      const label = `${symbol} ×${factor}`;
      const feed = world.sandbox.priceFeeds[symbol];
      const next = ((await feed.latestAnswer()) * BigInt(Math.round(factor * 1000))) / 1000n;
      await (await feed.updateAnswer(next)).wait();
      const block = (await hre.ethers.provider.getBlock("latest"))!;
      const answers = await collector.collect({ fromBlock: head + 1, toBlock: block.number });
      const feedAddress = (await feed.getAddress()).toLowerCase();
      const answer = answers.find((a) => a.feed.toLowerCase() === feedAddress);
      expect(answer?.answer, `${label}: answer collected`).to.equal(next);
      head = block.number;

      const liquidatableBefore = new Set(sortedBorrowers(indexed.liquidatable()));
      if (evaluate) {
        indexed.evaluateAt(block);
        reference.evaluateAt(block);
      }
      const fast = indexed.onPriceUpdate(answer!);
      const full = reference.onPriceUpdate(answer!);
      expect(fast.needsChainRead, `${label}: the feed is modelled`).to.equal(false);
      expect(fast.recomputed).to.be.at.most(full.recomputed);
      if (fast.recomputed < full.recomputed) searchedFewer += 1;

      const liquidatable = await shortfalls(world, borrowers, block.number);
      const newly = liquidatable.filter((borrower) => !liquidatableBefore.has(borrower));
      crossed += newly.length;
      expect(sortedBorrowers(fast.newlyLiquidatable), `${label}: newly liquidatable`).to.deep.equal(newly);
      expect(sortedBorrowers(full.newlyLiquidatable)).to.deep.equal(newly);
      expect(sortedBorrowers(indexed.liquidatable()), `${label}: liquidatable`).to.deep.equal(liquidatable);

      // Positions the index left alone are computed again when read: every stored health factor is the full pass's.
      const truth = healthFactors(reference);
      expect(indexed.position(borrowers[0])!.healthFactor).to.equal(truth.get(borrowers[0]));
      expect(healthFactors(indexed), `${label}: stored health factors`).to.deep.equal(truth);
      for (const [borrower, hf] of truth)
        expect(hf < WAD, `${label}: ${borrower} HF < 1 ⇔ shortfall`).to.equal(liquidatable.includes(borrower));
    }
    expect(crossed, "the scenario carries some positions across HF 1").to.be.greaterThan(0);
    expect(searchedFewer, "the index answered with fewer positions than every holder").to.be.greaterThan(0);
  });

  it("answers a block whose oracle read moved a price through the index, at the comptroller's verdict", async function () {
    const world = await loadFixture(moonwellWorldFixture);
    const borrowers = world.borrowers.map((w) => w.address.toLowerCase() as Address);
    const { market: indexed } = await startMarket(world);
    const { market: reference } = await startMarket(world, { crossingIndex: false });
    // No answer is delivered: the block's own oracle read finds the move.
    const feed = world.sandbox.priceFeeds.WETH;
    await (await feed.updateAnswer(((await feed.latestAnswer()) * 78n) / 100n)).wait();
    const block = (await hre.ethers.provider.getBlock("latest"))!;
    const at = { number: block.number, timestamp: block.timestamp };
    const fast = await indexed.onBlock(at);
    const full = await reference.onBlock(at);
    const liquidatable = await shortfalls(world, borrowers, block.number);
    expect(liquidatable.length, "the move makes some borrowers liquidatable").to.be.greaterThan(0);
    expect(sortedBorrowers(fast.newlyLiquidatable)).to.deep.equal(liquidatable);
    expect(sortedBorrowers(full.newlyLiquidatable)).to.deep.equal(liquidatable);
    expect(fast.recomputed, "the indexed market re-evaluated fewer positions").to.be.lessThan(full.recomputed);
    expect(healthFactors(indexed)).to.deep.equal(healthFactors(reference));
  });
});
