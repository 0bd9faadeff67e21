/**
 * `npx hardhat daily` on the sandbox: a real keeper liquidates the small falling-prices scenario
 * (genuine Aave V3, Morpho Blue, Balancer V2 and Uniswap V3 bytecode; the executor from its Ignition
 * module), the morning checklist runs while that keeper is alive (paused between price steps) and the
 * evening one on the journal it leaves. Each must say "Nothing needs a person" when nothing does, and
 * name the problem (and exit 1) when something does: an operator under its floor, a journal that
 * disagrees with the treasury's on-chain receipts.
 */
import fs from "node:fs";
import path from "node:path";
import hre from "hardhat";
import Database from "better-sqlite3";
import { expect } from "chai";
import { runSandboxKeeper } from "../../../keeper/run/sandbox-run";
import { runDaily, runEvening, runMorning, type DailyResult } from "../../../tasks/daily";
import { openScratchRun, quietScenarioRun, type ScratchRun } from "../../shared/keeper-harness";

describe("tasks: daily checklists on the sandbox", function () {
  this.timeout(600_000);
  let scratch: ScratchRun;
  let executor = "";
  let morning: DailyResult;
  let morningLowFloor: DailyResult;
  let morningNoKeeper: DailyResult;

  before(async () => {
    scratch = await openScratchRun(hre, "chimera-daily-");
    await runSandboxKeeper({
      ...quietScenarioRun(hre, scratch),
      afterStep: async ({ session, step, sandbox }) => {
        if (step !== 1) return;
        // The executor is what the keeper's transactions were sent to.
        const sent = session.journal.listExecutions().find((e) => e.txHash !== null)!;
        executor = (await hre.ethers.provider.getTransaction(sent.txHash!))!.to!;
        const args = { journal: scratch.journalPath, executor, keeperUrl: session.server.url };
        morning = await runMorning(args, hre, { book: sandbox.book });
        morningLowFloor = await runMorning({ ...args, minOperatorEth: "20000" }, hre, { book: sandbox.book });
        morningNoKeeper = await runMorning({ ...args, keeperUrl: "http://127.0.0.1:1" }, hre, { book: sandbox.book });
      },
    });
  });

  after(async () => {
    process.exitCode = 0;
    await scratch?.close();
  });

  it("morning: fits one screen with every section, and needs nobody when nothing is wrong", () => {
    const text = morning.text;
    for (const section of [
      "1. Status",
      "2. Balances vs floors",
      "3. Last 24 h executions",
      "4. Flash liquidity per lender",
      "5. Gas",
      "6. Errors and alerts",
    ]) {
      expect(text, section).to.include(section);
    }
    expect(text.split("\n").length, "one screen").to.be.at.most(60);
    expect(text).to.match(/keeper {3}LIVE · breaker NORMAL · head #\d+/);
    expect(text).to.match(/won \d+ \/ lost 0/);
    expect(text).to.match(/balancer +USDC +[\d,.]+ +0 bps/);
    expect(text).to.include("executor holds nothing");
    expect(morning.attention).to.deep.equal([]);
    expect(text).to.include("Nothing needs a person.");
  });

  it("morning: names an operator under its floor and a keeper that does not answer", () => {
    expect(morningLowFloor.attention.join("\n")).to.match(/operator 0x[0-9a-fA-F]{40}.*below the 20000\.0 ETH floor/);
    expect(morningLowFloor.text).to.include("Needs a person:");
    expect(morningNoKeeper.attention.join("\n")).to.match(/no keeper answers at http:\/\/127\.0\.0\.1:1/);
  });

  it("evening: writes today's P&L CSV (not with --dry-run), finds no anomaly and reconciles with the treasury", async () => {
    const csv = path.join(scratch.directory, "pnl.csv");
    const dry = await runEvening({ journal: scratch.journalPath, executor, csv, dryRun: true }, hre);
    expect(fs.existsSync(csv)).to.equal(false);
    expect(dry.text).to.include(`--dry-run: would write ${csv}`);
    expect(dry.csvPath).to.equal(null);

    const evening = await runEvening({ journal: scratch.journalPath, executor, csv }, hre);
    expect(evening.csvPath).to.equal(csv);
    const rows = fs.readFileSync(csv, "utf8").trim().split("\n");
    expect(rows[0]).to.match(/^day,market,executions,/);
    expect(rows.length).to.be.greaterThan(2);
    expect(evening.text).to.match(/Reconciliation with the treasury's on-chain receipts: (\d+) included execution\(s\) checked, \1 match/);
    expect(evening.text).to.include("No differences.");
    expect(evening.attention).to.deep.equal([]);
  });

  it("evening: a journal that disagrees with the chain needs a person, by tx hash, and sets exit code 1", async () => {
    const tampered = path.join(scratch.directory, "tampered.sqlite");
    fs.copyFileSync(scratch.journalPath, tampered);
    const db = new Database(tampered);
    const row = db
      .prepare("SELECT plan_id, tx_hash, realised_profit FROM executions WHERE state = 'included' ORDER BY id LIMIT 1")
      .get() as {
      plan_id: string;
      tx_hash: string;
      realised_profit: string;
    };
    db.prepare("UPDATE executions SET realised_profit = ? WHERE plan_id = ?").run(
      (BigInt(row.realised_profit) + 1n).toString(),
      row.plan_id,
    );
    db.close();

    process.exitCode = 0;
    const result = await runDaily({ evening: true, dryRun: true, journal: tampered, executor }, hre);
    expect(result.attention.join("\n")).to.include(`journal and chain disagree on ${row.tx_hash}`);
    expect(process.exitCode).to.equal(1);
    process.exitCode = 0;
  });
});
