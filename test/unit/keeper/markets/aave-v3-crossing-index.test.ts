/**
 * End to end on the sandbox (genuine Aave v3 bytecode, MockV3Aggregator feeds): an oracle answer,
 * collected from the chain, reaches the Aave plug-in's crossing index, which hands back the
 * positions the move can carry across HF 1; the plug-in re-evaluates only those. The verdict is the
 * pool's own getUserAccountData, and a second market with the index turned off (every holder
 * re-evaluated) is the reference the indexed one must agree with.
 */
import { expect } from "chai";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { sandboxFixture } from "../../../shared/sandbox-fixture";
import { openAaveBorrowers } from "../../../../sandbox/borrowers";
import type { Sandbox } from "../../../../sandbox";
import type { Address } from "../../../../keeper/config/address-book";
import { WAD } from "../../../../keeper/core/fixed-point";
import { AaveV3Market } from "../../../../keeper/markets/aave-v3/aave-v3-market";
import { createMarketDependencies } from "../../../../keeper/markets/factory";
import { OracleUpdateCollector } from "../../../../keeper/collectors/oracle-update-collector";
import type { FeedAnswer } from "../../../../keeper/markets/market";
import type { PositionBook } from "../../../../keeper/markets/position-book";
import { startAtHead } from "./helpers/start-at-head";

interface World {
  sandbox: Sandbox;
  borrowers: Address[];
}

/** 80 borrowers over four pairs, health factors spread from 1.01 to 1.8, so a price move crosses some and not others. */
async function worldFixture(): Promise<World> {
  const sandbox = await loadFixture(sandboxFixture);
  const borrowers: Address[] = [];
  for (const [collateral, debt, seed] of [
    ["WETH", "USDC", 41],
    ["cbBTC", "USDC", 42],
    ["USDC", "WETH", 43],
    ["cbBTC", "WETH", 44],
  ] as const) {
    const opened = await openAaveBorrowers(hre, sandbox, {
      count: 20,
      seed,
      collateral,
      debt,
      healthFactor: { min: 1.01, max: 1.8 },
      debtUsd: { min: 100, max: 50_000 },
    });
    borrowers.push(...opened.map((b) => b.address.toLowerCase() as Address));
  }
  return { sandbox, borrowers };
}

async function openMarket(sandbox: Sandbox, crossingIndex: boolean): Promise<AaveV3Market> {
  const deps = createMarketDependencies(hre.ethers.provider, sandbox.book, { batchSize: 200 });
  const market = new AaveV3Market(sandbox.book.aaveV3!, deps, { crossingIndex });
  return startAtHead(market);
}

/** The pool's own verdict: every borrower's health factor at `blockTag`. */
async function poolHealthFactors(sandbox: Sandbox, borrowers: readonly Address[], blockTag: number): Promise<Map<Address, bigint>> {
  const out = new Map<Address, bigint>();
  for (const borrower of borrowers) out.set(borrower, (await sandbox.aave.pool.getUserAccountData(borrower, { blockTag })).healthFactor);
  return out;
}

const sortedBorrowers = (positions: readonly { key: { borrower: Address } }[]) => positions.map((p) => p.key.borrower).sort();

describe("keeper/markets AaveV3Market: oracle updates reach their candidates through the crossing index", function () {
  it("finds exactly the positions the pool says crossed, re-evaluating fewer than every holder, and keeps every health factor exact", async function () {
    const { sandbox, borrowers } = await loadFixture(worldFixture);
    const indexed = await openMarket(sandbox, true);
    const reference = await openMarket(sandbox, false);
    const collector = new OracleUpdateCollector(hre.ethers.provider, indexed.priceFeeds(), {
      mode: "poll",
      multicall: createMarketDependencies(hre.ethers.provider, sandbox.book).multicall,
    });
    let head = await hre.ethers.provider.getBlockNumber();
    expect(indexed.liquidatable()).to.deep.equal([]);
    // The first full pass warmed the search (tracked-lending-market.ts): its lanes are sorted already.
    const bookOf = (market: AaveV3Market) => (market as unknown as { book: PositionBook<unknown> }).book;
    expect(bookOf(indexed).crossingSorts, "the first full pass sorted the index").to.be.greaterThan(0);
    const sortsAfterWarmUp = bookOf(indexed).crossingSorts;

    // Down, down again and back up on one key without a full evaluation in between (the index answers
    // each), then another key (every holder re-evaluated), then that key again after a full evaluation.
    // `evaluate`: both markets evaluate at the new block first, as the engine's onBlock does, and the
    // pool is the verdict; otherwise both stay at the earlier block and the reference is the verdict.
    const moves: [string, number, boolean][] = [
      ["cbBTC", 0.85, true],
      ["cbBTC", 0.93, false],
      ["cbBTC", 1.12, false],
      ["WETH", 0.8, false],
      ["WETH", 0.9, true],
    ];
    let searchedFewer = 0;
    let crossed = 0;
    for (const [symbol, factor, evaluate] of moves) {
      const label = `${symbol} ×${factor}`;
      const feed = sandbox.priceFeeds[symbol];
      const next = ((await feed.latestAnswer()) * BigInt(Math.round(factor * 1000))) / 1000n;
      await (await feed.updateAnswer(next)).wait();
      const block = (await hre.ethers.provider.getBlock("latest"))!;
      const answers: FeedAnswer[] = await collector.collect({ fromBlock: head + 1, toBlock: block.number });
      expect(
        answers.map((a) => a.answer),
        `${label}: answer collected`,
      ).to.deep.equal([next]);
      head = block.number;

      const liquidatableBefore = new Set(sortedBorrowers(indexed.liquidatable()));
      if (evaluate) {
        indexed.evaluateAt(block);
        reference.evaluateAt(block);
      }
      const fast = indexed.onPriceUpdate(answers[0]);
      const full = reference.onPriceUpdate(answers[0]);
      if (symbol === moves[0][0] && factor === moves[0][1]) {
        expect(bookOf(indexed).crossingSorts, "the first search found its lanes sorted").to.equal(sortsAfterWarmUp);
      }
      expect(fast.recomputed).to.be.at.most(full.recomputed);
      if (fast.recomputed < full.recomputed) searchedFewer += 1;

      const truth = evaluate
        ? await poolHealthFactors(sandbox, borrowers, block.number)
        : new Map(reference.positions().map((p) => [p.key.borrower, p.healthFactor]));
      const liquidatable = [...truth].filter(([, hf]) => hf < WAD).map(([borrower]) => borrower);
      const newly = liquidatable.filter((borrower) => !liquidatableBefore.has(borrower)).sort();
      crossed += newly.length;
      expect(sortedBorrowers(fast.newlyLiquidatable), `${label}: newly liquidatable`).to.deep.equal(newly);
      expect(sortedBorrowers(full.newlyLiquidatable)).to.deep.equal(newly);
      expect(sortedBorrowers(indexed.liquidatable()), `${label}: liquidatable`).to.deep.equal(liquidatable.sort());

      // Positions the index left alone are computed again when read: every stored HF is exact.
      expect(indexed.position(borrowers[0])!.healthFactor).to.equal(truth.get(borrowers[0]));
      const stored = new Map(indexed.positions().map((p) => [p.key.borrower, p.healthFactor]));
      expect(stored, `${label}: stored health factors`).to.deep.equal(truth);
    }
    expect(crossed, "the scenario carries some positions across HF 1").to.be.greaterThan(0);
    expect(searchedFewer, "the index answered with fewer positions than every holder").to.be.greaterThan(0);
  });
});
