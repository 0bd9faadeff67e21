/**
 * Live upkeep and construction: Aave Pool events collected for a block range re-read exactly the
 * borrowers they touch (a new borrower is tracked at once, a repaid one dropped) and extend the
 * discovery checkpoint; the factory builds the markets of every enabled plug-in, each reading in
 * batches of its own section's batchSize, and refuses a config that names what the address book or
 * the plug-in table lacks.
 */
import { expect } from "chai";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { sandboxFixture } from "../../../shared/sandbox-fixture";
import { openAaveBorrowers } from "../../../../sandbox/borrowers";
import type { Address } from "../../../../keeper/config/address-book";
import { ProtocolEventCollector } from "../../../../keeper/collectors/protocol-event-collector";
import { AaveV3Market } from "../../../../keeper/markets/aave-v3/aave-v3-market";
import { InMemoryCheckpointStore } from "../../../../keeper/markets/checkpoint-store";
import { createMarketDependencies, createMarkets } from "../../../../keeper/markets/factory";
import { morphoMarketIdOf } from "../../../../keeper/markets/morpho-blue/morpho-blue-market";
import { UsdPriceBook } from "../../../../keeper/markets/usd-prices";
import { trackAllAtHead } from "./helpers/start-at-head";

describe("keeper/markets live events and factory", function () {
  it("re-reads only the Aave borrowers an event range touches, adds new ones and advances the checkpoint", async function () {
    const sandbox = await loadFixture(sandboxFixture);
    await openAaveBorrowers(hre, sandbox, {
      count: 5,
      seed: 41,
      collateral: "WETH",
      debt: "USDC",
      healthFactor: { min: 1.2, max: 1.5 },
      debtUsd: { min: 1_000, max: 5_000 },
    });
    const checkpoints = new InMemoryCheckpointStore();
    const deps = createMarketDependencies(hre.ethers.provider, sandbox.book, { checkpoints });
    const market = new AaveV3Market(sandbox.book.aaveV3!, deps);
    await market.init();
    const head = await trackAllAtHead(market);
    const collector = new ProtocolEventCollector(hre.ethers.provider, market.protocolEventSubscriptions());

    // A newcomer supplies and borrows; nobody else acts.
    const [, , , , , , , , , , , , , , newcomer] = await hre.ethers.getSigners();
    const pool = sandbox.aave.pool.connect(newcomer);
    const weth = sandbox.tokens.WETH.connect(newcomer);
    await (await weth.deposit({ value: 10n ** 18n * 5n })).wait();
    await (await weth.approve(await pool.getAddress(), 10n ** 18n * 5n)).wait();
    await (await pool.supply(sandbox.book.weth, 10n ** 18n * 5n, newcomer.address, 0)).wait();
    await (await pool.borrow(await sandbox.tokens.USDC.getAddress(), 10n ** 6n * 6_000n, 2, 0, newcomer.address)).wait();
    const end = await hre.ethers.provider.getBlockNumber();

    const events = await collector.collect({ fromBlock: head + 1, toBlock: end });
    const touched = new Set(events.flatMap((e) => (e.type === "position-changed" ? [e.borrower] : [])));
    expect([...touched]).to.deep.equal([newcomer.address.toLowerCase()]);
    expect(events.map((e) => e.type === "position-changed" && e.action)).to.include.members(["Supply", "Borrow"]);

    // Bring everyone to the new block's time first (in memory), so the event handling itself shows
    // what it re-reads: only the touched borrower.
    const endBlock = (await hre.ethers.provider.getBlock(end))!;
    expect(market.evaluateAt({ number: end, timestamp: endBlock.timestamp }).recomputed).to.equal(5);
    const update = await market.onProtocolEvents(events, { fromBlock: head + 1, toBlock: end });
    // Re-read from the chain: the newcomer only. Recomputed in memory: it, plus the one position the rolling
    // full pass takes at every block evaluation (evaluation-schedule.ts); no near positions (all HF >= 1.2).
    expect(update.recomputed, "the newcomer and one rolling-pass position are recomputed, nobody else").to.equal(2);
    const mine = market.accountData(newcomer.address as Address)!;
    const theirs = await sandbox.aave.pool.getUserAccountData(newcomer.address, { blockTag: end });
    expect(mine.healthFactor).to.equal(theirs.healthFactor);
    const saved = await checkpoints.load(`aaveV3:${market.describe().pool}:Borrow`);
    expect(saved?.lastScannedBlock, "live events extend the discovery checkpoint").to.equal(end);
    expect(saved?.borrowers).to.include(newcomer.address.toLowerCase());

    // Repaying everything drops the position from tracking.
    const usdc = sandbox.tokens.USDC.connect(newcomer);
    await (await usdc["mint(uint256)"](10n ** 6n * 10_000n)).wait();
    await (await usdc.approve(await pool.getAddress(), hre.ethers.MaxUint256)).wait();
    await (await pool.repay(await usdc.getAddress(), hre.ethers.MaxUint256, 2, newcomer.address)).wait();
    const after = await hre.ethers.provider.getBlockNumber();
    await market.onProtocolEvents(await collector.collect({ fromBlock: end + 1, toBlock: after }), { fromBlock: end + 1, toBlock: after });
    expect(market.position(newcomer.address as Address)).to.equal(undefined);
  });

  it("builds every enabled plug-in's markets (one per Morpho market) and refuses what the book or the table lacks", async function () {
    const sandbox = await loadFixture(sandboxFixture);
    const shared = { provider: hre.ethers.provider, checkpoints: new InMemoryCheckpointStore(), usdPrices: new UsdPriceBook() };
    const on = { enabled: true, batchSize: 250 };
    const markets = await createMarkets(sandbox.book, { aaveV3: on, morphoBlue: on, moonwell: { ...on, enabled: false } }, shared);
    expect(markets.map((m) => m.protocol)).to.deep.equal(["aaveV3", ...sandbox.book.morphoBlue!.markets.map(() => "morphoBlue")]);
    expect(markets.map((m) => m.id)).to.deep.equal([
      `aaveV3:${sandbox.book.aaveV3!.label}`,
      ...sandbox.book.morphoBlue!.markets.map((params) => `morphoBlue:${params.label}`),
    ]);
    for (const market of markets) await market.init();

    const second = sandbox.book.morphoBlue!.markets[1];
    const narrowed = await createMarkets(sandbox.book, { morphoBlue: { ...on, marketIds: [morphoMarketIdOf(second)] } }, shared);
    expect(narrowed.map((m) => m.label)).to.deep.equal([second.label]);
    const unknownId = `0x${"ab".repeat(32)}`;
    await expect(createMarkets(sandbox.book, { morphoBlue: { ...on, marketIds: [unknownId] } }, shared)).to.be.rejectedWith(
      new RegExp(`markets.morphoBlue.marketIds names ${unknownId}, which the "sandbox" address book does not list`),
    );
    await expect(createMarkets(sandbox.book, { moonwell: on }, shared)).to.be.rejectedWith(
      /markets.moonwell is enabled but the "sandbox" address book has no moonwell entry/,
    );
    await expect(createMarkets(sandbox.book, { compoundV2: on }, shared)).to.be.rejectedWith(
      /markets.compoundV2: no market plug-in of that name/,
    );
    expect(await createMarkets(sandbox.book, {}, shared)).to.deep.equal([]);
  });

  it("reads each plug-in's positions in batches of its own section's batchSize", async function () {
    const sandbox = await loadFixture(sandboxFixture);
    const head = await hre.ethers.provider.getBlockNumber();
    /** eth_calls of one Morpho refresh when Aave's section says `aave` and Morpho's says `morpho`. */
    const morphoRefresh = async (aave: number, morpho: number) => {
      const shared = { provider: hre.ethers.provider, checkpoints: new InMemoryCheckpointStore(), usdPrices: new UsdPriceBook() };
      const sections = { aaveV3: { enabled: true, batchSize: aave }, morphoBlue: { enabled: true, batchSize: morpho } };
      const market = (await createMarkets(sandbox.book, sections, shared)).find((m) => m.protocol === "morphoBlue")!;
      await market.init();
      await market.discoverBorrowers(0, head);
      return market.refreshPositions(undefined, head);
    };
    // Morpho reads the block's timestamp, its market, its oracle and every borrower's position in one
    // aggregate3, split into eth_calls of at most its own batchSize sub-calls, whatever Aave's says.
    const small = await morphoRefresh(250, 2);
    expect(small.rpcCalls).to.equal(Math.ceil((3 + small.borrowers) / 2));
    expect(small.rpcCalls).to.be.greaterThan(1);
    expect((await morphoRefresh(2, 250)).rpcCalls).to.equal(1);
  });
});
