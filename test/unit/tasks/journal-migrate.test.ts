/**
 * `npx hardhat journal:migrate`: a SQLite journal holding every kind of row (executions in every outcome
 * with their transitions and attempts, decisions, events, control requests, checkpoints, risk state, the
 * chain binding) is copied into a new database on the run's real PostgreSQL server; every record reads
 * back the same through the Journal API, `report` prints the same P&L from both, and new rows continue
 * after the copied ids. --dry-run writes nothing; a target holding data, a source a keeper is running on
 * and a missing --to are refused.
 */
import { expect } from "chai";
import path from "node:path";
import { Journal } from "../../../keeper/journal/journal";
import { PostgresConnection } from "../../../keeper/journal/postgres-connection";
import { runJournalMigrate } from "../../../tasks/journal-migrate";
import { runReport } from "../../../tasks/report";
import { postgresServer } from "../../shared/postgres-server";
import {
  journalSent,
  attempt,
  makePlan,
  makeTempDir,
  plannedDecision,
  removeDir,
  skippedDecision,
} from "../keeper/journal/journal-fixtures";

const DAY = Date.UTC(2026, 2, 1, 10);

/** Writes one journal with every table populated, through the calls the keeper and the operator tasks make. */
function seedJournal(file: string): void {
  let now = DAY;
  const journal = Journal.open(file, { clock: () => (now += 1_000) });
  try {
    journal.recordChainBinding({ chainId: 8453, executor: "0x00000000000000000000000000000000000000e1" });
    journal.anchorChain(120, "0x" + "ab".repeat(32));
    for (const [index, outcome] of (["included", "failed", "dry", "open", "replaced"] as const).entries()) {
      const id = `plan-${outcome}`;
      const plan = makePlan({ id, market: index % 2 === 0 ? "aave-v3-base" : "moonwell-base", expectedProfit: 10n ** 30n + BigInt(index) });
      journal.recordDecision(plannedDecision(plan), 100 + index);
      journal.planExecution(plan, { mode: outcome === "dry" ? "DRY" : "LIVE", flashFeeUsd: 5 });
      journal.markSimulated(id, { expectedProfitUsd: 100, gasUnitsEstimate: 900_000n });
      if (outcome === "dry") {
        journal.markDropped(id, "dry-run");
        continue;
      }
      const tx = attempt(10 + index, 40 + index);
      journalSent(journal, id, tx);
      const receipt = { txHash: tx.txHash, blockNumber: 130 + index, gasUsed: 700_000n, effectiveGasPrice: 2_000_000n };
      if (outcome === "included")
        journal.markIncluded(id, { ...receipt, realisedProfit: 95n * 10n ** 6n, realisedProfitUsd: 95, gasCostUsd: 0.4 });
      if (outcome === "failed") journal.markFailed(id, { error: "reverted: HealthFactorNotBelowThreshold", receipt });
      if (outcome === "replaced") {
        const cancel = attempt(20 + index, tx.nonce, {
          maxFeePerGas: tx.maxFeePerGas * 2n,
          maxPriorityFeePerGas: tx.maxPriorityFeePerGas * 2n,
        });
        journal.recordReplacement(id, cancel, "cancel");
        journal.markReplaced(id, { detail: "cancelled", receipt: { ...receipt, txHash: cancel.txHash } });
      }
    }
    journal.recordDecision(skippedDecision(makePlan({ id: "plan-dust" }), "dust", "under $1"), 106);
    const applied = journal.enqueueControlRequest("mode", { mode: "DRY" }, "alice");
    journal.completeControlRequest(applied.id, "applied", "DRY from block 131");
    journal.enqueueControlRequest("resume", { reason: "checked" }, "bob");
    journal.setCheckpoint("discovery:aave-v3-base", "131");
    journal.saveRiskState("breaker", { state: "THROTTLED", since: 5 });
    journal.recordSystemEvent({ kind: "shutdown", actor: "keeper", detail: "stopped" });
  } finally {
    journal.close();
  }
}

/** Everything a journal holds, through the Journal API (what the keeper and the tasks read). */
function contents(journal: Journal) {
  const executions = journal.listExecutions();
  return {
    executions,
    transitions: executions.map((e) => journal.executionTransitions(e.planId)),
    attempts: executions.map((e) => journal.txAttempts(e.planId)),
    opportunities: journal.listOpportunities(),
    events: journal.listSystemEvents(),
    pending: journal.pendingControlRequests(),
    applied: journal.getControlRequest(1),
    checkpoint: journal.getCheckpoint("discovery:aave-v3-base"),
    risk: journal.loadRiskState("breaker"),
    binding: journal.chainBinding(),
  };
}

describe("tasks: journal:migrate (SQLite → PostgreSQL)", function () {
  this.timeout(120_000);
  let dir: string;
  let file: string;
  const printed: string[] = [];
  const deps = () => ({ network: "hardhat", projectRoot: dir, print: (line: string) => void printed.push(line) });

  beforeEach(() => {
    dir = makeTempDir("migrate");
    file = path.join(dir, "keeper.sqlite");
    seedJournal(file);
    printed.length = 0;
  });

  afterEach(() => removeDir(dir));

  it("--dry-run counts every table and writes nothing to the target", async () => {
    const url = await (await postgresServer()).createDatabase("migrate");
    const plan = runJournalMigrate({ from: file, to: url, dryRun: true }, deps());
    expect(plan.tables.find((t) => t.table === "executions")!.rows).to.equal(5);
    expect(plan.tables.find((t) => t.table === "transactions")!.rows).to.equal(5);
    expect(plan.target).to.match(/^empty/);
    expect(printed.join("\n")).to.contain("would copy").and.contain("Dry run: nothing was written");
    const target = PostgresConnection.open(url, { readonly: true });
    try {
      expect(target.tableExists("schema_version"), "no schema created").to.equal(false);
    } finally {
      target.close();
    }
  });

  it("copies every record so the PostgreSQL journal reads back the same, reports the same P&L, and continues the ids", async () => {
    const url = await (await postgresServer()).createDatabase("migrate");
    const result = runJournalMigrate({ from: file, to: url, dryRun: false }, deps());
    expect(result.tables.reduce((sum, t) => sum + t.rows, 0)).to.be.greaterThan(30);

    const source = Journal.open(file, { readonly: true });
    const target = Journal.open(url);
    try {
      expect(target.backend).to.equal("postgres");
      expect(contents(target)).to.deep.equal(contents(source));

      const reportDeps = {
        projectRoot: dir,
        network: "hardhat",
        treasuryReceipts: () => Promise.reject(new Error("not used")),
        print: () => undefined,
      };
      const fromSqlite = await runReport({ journal: file, reconcile: false }, reportDeps);
      const fromPostgres = await runReport({ journal: url, reconcile: false }, reportDeps);
      expect(fromPostgres.report).to.deep.equal(fromSqlite.report);

      // The identity sequences moved past the copied ids: new rows do not collide (a collision would throw).
      target.planExecution(makePlan({ id: "plan-after-migration" }), { mode: "LIVE" });
      expect(target.recordSystemEvent({ kind: "startup", actor: "keeper", detail: "first run on PostgreSQL" }).id).to.be.greaterThan(
        Math.max(...source.listSystemEvents().map((e) => e.id)),
      );
      expect(target.listExecutions().map((e) => e.planId)).to.include("plan-after-migration");
    } finally {
      source.close();
      target.close();
    }
    expect(printed.join("\n")).to.contain("Verified: every table's row count and SHA-256 match the source");
  });

  it("refuses a target that already holds journal data, naming the tables", async () => {
    const url = await (await postgresServer()).createDatabase("migrate");
    runJournalMigrate({ from: file, to: url, dryRun: false }, deps());
    expect(() => runJournalMigrate({ from: file, to: url, dryRun: true }, deps())).to.throw(
      /already holds journal data \(opportunities: 6/,
    );
    expect(() => runJournalMigrate({ from: file, to: url, dryRun: false }, deps())).to.throw(/copies into an empty journal only/);
  });

  it("refuses a source a keeper is running on, and a missing --to", async () => {
    const url = await (await postgresServer()).createDatabase("migrate");
    const running = Journal.open(file);
    try {
      running.acquireLease("keeper-1", "pid 4242 on ops-1", 60_000);
      expect(() => runJournalMigrate({ from: file, to: url, dryRun: false }, deps())).to.throw(/a keeper \(pid 4242 on ops-1\) is running/);
    } finally {
      running.close();
    }
    const saved = process.env.KEEPER_DATABASE_URL;
    delete process.env.KEEPER_DATABASE_URL;
    try {
      expect(() => runJournalMigrate({ from: file, dryRun: false }, deps())).to.throw(/--to is missing.*KEEPER_DATABASE_URL/);
    } finally {
      if (saved !== undefined) process.env.KEEPER_DATABASE_URL = saved;
    }
  });
});
