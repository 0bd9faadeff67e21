/**
 * `npx hardhat keeper --race` (keeper/run/sandbox-race.ts), the quick start's optional third command, on a
 * small scenario: the chain on its own 200 ms clock, the keeper as its own process, and a rival that reacts
 * at once (0 ms) and bids five times the keeper's limits.maxPriorityFeeGwei (above any bid it makes). Base orders a block by priority fee, so
 * that rival must take positions first; the race's report must count what the chain recorded:
 *  - won = the keeper's own liquidations on chain (a LiquidationCall by its executor), one by one;
 *  - lost ≥ 1, and every lost race names a rival transaction that liquidated that borrower on chain;
 *  - the run is still a success (ok, exit 0): a lost race is competition, not a failure;
 *  - two Moonwell borrowers behind the OEV wrapper, which that rival can only liquidate once the round is public,
 *    are liquidated first by the keeper, through the wrapper (path "oev").
 * The command's flag wiring is checked cheaply: `--race` refuses a network other than the in-process one.
 */
import fs from "node:fs";
import hre from "hardhat";
import { expect } from "chai";
import { loadKeeperConfig } from "../../../../keeper/config/load";
import { Journal } from "../../../../keeper/journal/journal";
import { runSandboxRace } from "../../../../keeper/run/sandbox-race";
import type { Scenario } from "../../../../keeper/scenarios/scenario";
import { makeScratchDirectory, type ScratchDirectory } from "../../../shared/keeper-harness";
import { freePort } from "../../../shared/keeper-process";

/** Five WETH borrowers between HF 1.02 and 1.06; WETH -12% takes them all under at once. */
const SMALL_RACE: Scenario = {
  name: "small-race",
  description: "five WETH/USDC borrowers, one -12% step",
  seed: 31,
  population: [
    {
      protocol: "aaveV3",
      tag: "aave-weth",
      collateral: "WETH",
      debt: "USDC",
      count: 5,
      healthFactor: { min: 1.02, max: 1.06 },
      debtUsd: { min: 5_000, max: 20_000 },
    },
    // Behind Moonwell's OEV wrapper; HF 1.07+ so one liquidation at -12% (close factor 50%) leaves them healthy.
    { protocol: "moonwell", tag: "moonwell-oev", count: 2, healthFactor: { min: 1.07, max: 1.1 }, debtUsd: { min: 5_000, max: 15_000 } },
  ],
  steps: [{ label: "WETH -12%", moves: [{ symbol: "WETH", usd: 2_640 }] }],
  expectations: [
    { tag: "aave-weth", expect: "liquidated" },
    { tag: "moonwell-oev", expect: "liquidated", path: "oev" },
  ],
};

describe("keeper --race: the quick start's race counts wins and losses from the chain", function () {
  this.timeout(600_000);
  let scratch: ScratchDirectory;

  before(() => {
    scratch = makeScratchDirectory("chimera-quick-race-");
  });

  after(() => scratch.remove());

  it("records a rival that reacts at once and outbids the keeper as lost races, and the keeper's own liquidations as won", async () => {
    const config = loadKeeperConfig({ network: "hardhat", env: { KEEPER_METRICS_PORT: String(await freePort()) } });
    const rivalFeeGwei = config.limits.maxPriorityFeeGwei * 5;
    const lines: string[] = [];
    const journalPath = `${scratch.path}/race.sqlite`;
    const result = await runSandboxRace({
      hre,
      config,
      scenario: SMALL_RACE,
      rival: { delayMs: 0, priorityFeeGwei: rivalFeeGwei },
      journalPath,
      print: (line) => lines.push(line),
    });
    const transcript = lines.join("\n");
    expect(result.ok, transcript).to.equal(true);
    const report = result.report!;
    const byKeeper = result.liquidations.filter((l) => l.by === "keeper");
    const byRival = result.liquidations.filter((l) => l.by === "rival");
    expect(byRival.length, `the instant, higher-bidding rival liquidates first\n${transcript}`).to.be.greaterThan(0);
    expect(report.summary.races.won, transcript).to.equal(byKeeper.length);
    expect(report.summary.races.lost, transcript).to.be.greaterThan(0);
    // Moonwell: the same rival sees only the wrappers' public price, so the keeper takes them first through the wrapper.
    const oev = new Set(report.opportunities.filter((o) => o.path === "oev" && o.decision === "planned").map((o) => String(o.borrower)));
    expect(oev.size, transcript).to.equal(2);
    expect(report.summary.byPath.oev.included, transcript).to.be.greaterThan(0);
    for (const borrower of oev)
      expect(result.liquidations.find((l) => l.borrower === borrower.toLowerCase())?.by, transcript).to.equal("keeper");

    const journal = Journal.open(journalPath);
    try {
      const lost = journal.listSystemEvents({ kinds: ["race_lost"] }).map((event) => event.data as { borrower: string; rivalTx: string });
      expect(lost.length).to.equal(report.summary.races.lost);
      for (const race of lost) {
        const rivalLiquidation = byRival.find((l) => l.txHash.toLowerCase() === race.rivalTx.toLowerCase());
        expect(rivalLiquidation, `lost race ${JSON.stringify(race)} names a rival liquidation on chain`).to.not.equal(undefined);
        expect(rivalLiquidation!.borrower).to.equal(race.borrower.toLowerCase());
      }
      // Nothing the keeper sent failed other than by losing a race (the breaker is not told of competition).
      const failed = journal
        .listExecutions({ fromMs: 0 })
        .filter(
          (e) =>
            e.state === "failed" &&
            journal.txAttempts(e.planId).length > 0 &&
            !lost.some((race) => race.borrower.toLowerCase() === e.borrower.toLowerCase()),
        );
      expect(failed.map((e) => e.planId)).to.deep.equal([]);
    } finally {
      journal.close();
    }
    expect(fs.existsSync(result.reportPath!)).to.equal(true);
  });

  it("is for the in-process sandbox only: --race on another network is refused before anything runs", async () => {
    const { runKeeperTask } = await import("../../../../tasks/keeper");
    // Only the network's name is read before the refusal: nothing compiles, loads a config or opens a journal.
    const localhost = { network: { name: "localhost" } } as unknown as typeof hre;
    const error = await runKeeperTask({ race: true, once: false, dryRun: false }, localhost).catch((e: unknown) => e);
    expect(String((error as Error)?.message ?? error)).to.match(/--race is for the in-process sandbox/);
  });
});
