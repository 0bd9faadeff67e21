/**
 * The run report and its summary table say what "failed" means: a plan whose simulation failed before
 * signing (journaled failed, no transaction, no gas; the same plan is a "simulation-failed" skip) is not a
 * transaction that reverted on chain. On a local automine node most failures are the first kind (a plan
 * expires when an earlier liquidation of the same reaction is mined first), and "failed 15" next to
 * "transactions sent 9" read as fifteen reverted transactions.
 */
import path from "node:path";
import { expect } from "chai";
import { Journal } from "../../../../keeper/journal/journal";
import { buildRunReport } from "../../../../keeper/run/run-report";
import { RunRecorder } from "../../../../keeper/run/run-recorder";
import { formatRunSummary } from "../../../../keeper/run/summary-table";
import { journalSent, OPERATOR, attempt, makePlan, makeTempDir, removeDir } from "../journal/journal-fixtures";

const GWEI = 1_000_000_000n;

describe("run report: failed executions say whether anything was sent", function () {
  let directory: string;
  let journal: Journal;
  const startedAtMs = Date.UTC(2026, 11, 7, 3);

  beforeEach(() => {
    directory = makeTempDir("run-report");
    journal = Journal.open(path.join(directory, "journal.sqlite"), { clock: () => startedAtMs + 1_000 });
  });

  afterEach(() => {
    journal.close();
    removeDir(directory);
  });

  /** As the execution stage journals a plan whose simulation failed: planned and failed, nothing signed. */
  function failSimulation(id: string): void {
    journal.planExecution(makePlan({ id }), { mode: "LIVE" });
    journal.markFailed(id, { error: "simulation failed: PlanExpired(125, 126)" });
  }

  /** As it journals a transaction that was sent and reverted. */
  function revertOnChain(id: string, n: number): void {
    journal.planExecution(makePlan({ id }), { mode: "LIVE" });
    journal.markSimulated(id);
    const tx = attempt(n, n);
    journalSent(journal, id, tx);
    journal.markFailed(id, {
      error: "reverted on chain",
      receipt: { txHash: tx.txHash, blockNumber: 130, gasUsed: 400_000n, effectiveGasPrice: GWEI / 100n, gasCostUsd: 0.01 },
    });
  }

  function report() {
    return buildRunReport({
      journal,
      recorder: new RunRecorder(),
      startedAtMs,
      finishedAtMs: startedAtMs + 60_000,
      network: "localhost",
      mode: "LIVE",
      executor: "0x457cCf29090fe5A24c19c1bc95F492168C0EaFdb",
      operator: OPERATOR,
    });
  }

  it("counts failures before sending apart from reverts, and the table names both", function () {
    failSimulation("a");
    failSimulation("b");
    revertOnChain("c", 3);
    const built = report();
    expect(built.summary.executions).to.deep.equal({ failed: 3 });
    expect(built.summary.failedBeforeSending).to.equal(2);
    expect(built.summary.transactionsSent).to.equal(1);
    const table = formatRunSummary(built, { tracked: 3, reportPath: "r.json", journalPath: "j.sqlite" });
    expect(table).to.match(/executions failed\s+│\s+3: 2 before sending \(simulation failed, no gas\), 1 reverted on chain/);
  });

  it("a run whose failures all reverted on chain shows the plain count", function () {
    revertOnChain("c", 3);
    const built = report();
    expect(built.summary.failedBeforeSending).to.equal(0);
    expect(formatRunSummary(built, { tracked: 1, reportPath: "r.json", journalPath: "j.sqlite" })).to.match(/executions failed\s+│\s+1 │/);
  });

  it("says which path each liquidation took (oev through a wrapper, svr on an auction-priced reserve, open otherwise) and sums each path", function () {
    const land = (id: string, sizingRule: string, realisedProfitUsd: number, n: number): void => {
      const base = makePlan({ id });
      const plan = { ...base, candidate: { ...base.candidate, sizingRule } };
      journal.recordDecision({ candidate: plan.candidate, outcome: "planned", plan });
      journal.planExecution(plan, { mode: "LIVE" });
      journal.markSimulated(id);
      const tx = attempt(n, n);
      journalSent(journal, id, tx);
      journal.markIncluded(id, {
        txHash: tx.txHash,
        blockNumber: 130 + n,
        gasUsed: 400_000n,
        effectiveGasPrice: GWEI / 100n,
        realisedProfit: 1n,
        realisedProfitUsd,
      });
    };
    land("oev-1", "moonwell-oev(liquidator 40% of bonus)+moonwell-close-factor-50%", 40, 1);
    land("open-1", "moonwell-close-factor-50%", 7, 2);
    failSimulation("open-2");
    const built = report();
    expect(built.summary.byPath).to.deep.equal({
      oev: { planned: 1, executions: 1, included: 1, realisedProfitUsd: 40 },
      svr: { planned: 0, executions: 0, included: 0, realisedProfitUsd: 0 },
      open: { planned: 1, executions: 2, included: 1, realisedProfitUsd: 7 },
    });
    const pathOf = Object.fromEntries(built.executions.map((e) => [e.planId, e.path]));
    expect(pathOf).to.deep.equal({ "oev-1": "oev", "open-1": "open", "open-2": "open" });
    expect(built.opportunities.map((o) => o.path)).to.deep.equal(["oev", "open"]);
    // The terminal table says it too, for the paths that saw anything.
    const table = formatRunSummary(built, { tracked: 2, reportPath: "r.json", journalPath: "j.sqlite" });
    expect(table).to.match(/path oev: plans \/ transactions included\s+│\s+1 \/ 1 │/);
    expect(table).to.match(/path open: plans \/ transactions included\s+│\s+1 \/ 1 │/);
    expect(table).to.not.match(/path svr/);
  });
});
