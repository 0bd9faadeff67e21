/**
 * Borrower discovery: Borrow events scanned in chunks no wider than the span, a checkpoint saved after
 * every chunk, and a restarted market (new instance, same store) that scans ONLY the blocks after the
 * checkpoint — counted in eth_getLogs requests. A chunk the node refuses is halved until it passes.
 */
import { expect } from "chai";
import hre from "hardhat";
import type { Log } from "ethers";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { sandboxFixture } from "../../../shared/sandbox-fixture";
import { openAaveBorrowers } from "../../../../sandbox/borrowers";
import type { Sandbox } from "../../../../sandbox";
import { AaveV3Market } from "../../../../keeper/markets/aave-v3/aave-v3-market";
import { InMemoryCheckpointStore, type CheckpointStore } from "../../../../keeper/markets/checkpoint-store";
import { createMarketDependencies } from "../../../../keeper/markets/factory";
import type { ChainReader } from "../../../../keeper/markets/market-dependencies";
import { fetchLogsInChunks, type LogProvider } from "../../../../keeper/collectors/log-range-fetcher";

type GetLogsFilter = Parameters<LogProvider["getLogs"]>[0];

/** The sandbox provider, with its eth_getLogs requests recorded and optionally refused. */
function recordingProvider(refuse: (filter: GetLogsFilter) => boolean = () => false): ChainReader & { ranges: [number, number][] } {
  const real = hre.ethers.provider;
  const ranges: [number, number][] = [];
  return {
    ranges,
    call: (request) => real.call(request),
    getBlockNumber: () => real.getBlockNumber(),
    async getLogs(filter: GetLogsFilter): Promise<Log[]> {
      ranges.push([filter.fromBlock, filter.toBlock]);
      if (refuse(filter)) throw new Error("query returned more than 10000 results");
      return real.getLogs(filter);
    },
  };
}

async function openBatch(sandbox: Sandbox, seed: number, count: number): Promise<string[]> {
  const opened = await openAaveBorrowers(hre, sandbox, {
    count,
    seed,
    collateral: "WETH",
    debt: "USDC",
    healthFactor: { min: 1.1, max: 1.5 },
    debtUsd: { min: 100, max: 5_000 },
    batchSize: 2, // several transactions, so borrowers are spread over several blocks
  });
  return opened.map((b) => b.address.toLowerCase());
}

async function startMarket(
  sandbox: Sandbox,
  provider: ChainReader,
  checkpoints: CheckpointStore,
  maxLogBlockSpan: number,
): Promise<AaveV3Market> {
  const deps = createMarketDependencies(provider, sandbox.book, { checkpoints });
  const market = new AaveV3Market(sandbox.book.aaveV3!, deps, { maxLogBlockSpan });
  await market.init();
  return market;
}

describe("keeper/markets borrower discovery", function () {
  it("finds every borrower in chunks of at most maxLogBlockSpan blocks, checkpointing as it goes", async function () {
    const sandbox = await loadFixture(sandboxFixture);
    const first = await openBatch(sandbox, 1, 6);
    const head = await hre.ethers.provider.getBlockNumber();
    const provider = recordingProvider();
    const store = new InMemoryCheckpointStore();
    const market = await startMarket(sandbox, provider, store, 7);

    const result = await market.discoverBorrowers(0, head);
    expect(new Set(result.borrowers)).to.deep.equal(new Set(first));
    expect(result.checkpoint).to.equal(head);
    expect(provider.ranges.every(([from, to]) => to - from + 1 <= 7)).to.equal(true);
    // Nothing before the pool's deployment block is scanned, whatever the caller asks for.
    const start = market.discoveryStartBlock;
    expect(start).to.equal(sandbox.book.aaveV3!.deployBlock);
    expect(Math.min(...provider.ranges.map(([from]) => from))).to.equal(start);
    expect(result.logRequests).to.equal(Math.ceil((head - start + 1) / 7));
    const saved = await store.load(`aaveV3:${market.describe().pool}:Borrow`);
    expect(saved?.lastScannedBlock).to.equal(head);
    expect(new Set(saved?.borrowers)).to.deep.equal(new Set(first));
  });

  it("resumes after the checkpoint on restart: covered blocks are never requested again", async function () {
    const sandbox = await loadFixture(sandboxFixture);
    const first = await openBatch(sandbox, 2, 4);
    const store = new InMemoryCheckpointStore();
    const firstHead = await hre.ethers.provider.getBlockNumber();
    await (await startMarket(sandbox, recordingProvider(), store, 5)).discoverBorrowers(0, firstHead);

    const second = await openBatch(sandbox, 3, 4);
    const secondHead = await hre.ethers.provider.getBlockNumber();
    const provider = recordingProvider();
    const restarted = await startMarket(sandbox, provider, store, 5);
    const result = await restarted.discoverBorrowers(0, secondHead);

    expect(provider.ranges.length).to.equal(Math.ceil((secondHead - firstHead) / 5));
    expect(Math.min(...provider.ranges.map(([from]) => from))).to.equal(firstHead + 1);
    expect(new Set(result.newBorrowers)).to.deep.equal(new Set(second));
    expect(new Set(result.borrowers)).to.deep.equal(new Set([...first, ...second]));

    // Nothing new: no request at all.
    provider.ranges.length = 0;
    const again = await restarted.discoverBorrowers(0, secondHead);
    expect(provider.ranges).to.deep.equal([]);
    expect(again.newBorrowers).to.deep.equal([]);
  });

  it("keeps the chunks it finished when a later chunk fails, and resumes from there", async function () {
    const sandbox = await loadFixture(sandboxFixture);
    await openBatch(sandbox, 4, 6);
    const head = await hre.ethers.provider.getBlockNumber();
    const store = new InMemoryCheckpointStore();
    const failAt = head - 5;
    // Block `failAt` is unreadable (even alone): discovery stops with an error naming it.
    const broken = recordingProvider((filter) => filter.fromBlock <= failAt && failAt <= filter.toBlock);
    const market = await startMarket(sandbox, broken, store, 10);
    await expect(market.discoverBorrowers(0, head)).to.be.rejectedWith(new RegExp(`eth_getLogs failed for block ${failAt}`));
    // The refused chunk shrank until only the bad block was left: every block before it is kept.
    const saved = await store.load(`aaveV3:${market.describe().pool}:Borrow`);
    expect(saved?.lastScannedBlock).to.equal(failAt - 1);

    const healthy = recordingProvider();
    const resumed = await startMarket(sandbox, healthy, store, 10);
    await resumed.discoverBorrowers(0, head);
    expect(healthy.ranges[0][0]).to.equal(failAt);
  });

  it("halves a refused chunk until the node accepts it and still returns every log once", async function () {
    const sandbox = await loadFixture(sandboxFixture);
    const borrowers = await openBatch(sandbox, 5, 6);
    const head = await hre.ethers.provider.getBlockNumber();
    // A node that refuses ranges wider than 8 blocks.
    const provider = recordingProvider((filter) => filter.toBlock - filter.fromBlock + 1 > 8);
    const market = await startMarket(sandbox, provider, new InMemoryCheckpointStore(), 64);
    const result = await market.discoverBorrowers(0, head);
    expect(new Set(result.borrowers)).to.deep.equal(new Set(borrowers));
    expect(result.logRequests).to.equal(provider.ranges.length);
    expect(result.logRequests).to.be.greaterThan(Math.ceil((head + 1) / 64));

    // The chunk generator itself: halving keeps block order and coverage exact.
    const covered: number[] = [];
    for await (const chunk of fetchLogsInChunks(provider, { address: market.describe().pool }, 0, head, { maxBlockSpan: 30 })) {
      covered.push(chunk.fromBlock, chunk.toBlock);
    }
    expect(covered[0]).to.equal(0);
    expect(covered[covered.length - 1]).to.equal(head);
  });
});
