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
import { OPERATOR, attempt, makePlan, makeTempDir, removeDir } from "../journal/journal-fixtures";

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
    journal.recordIntent(id, {
      signer: OPERATOR,
      nonce: tx.nonce,
      maxFeePerGas: tx.maxFeePerGas,
      maxPriorityFeePerGas: tx.maxPriorityFeePerGas,
    });
    journal.markSigned(id, tx);
    journal.markSent(id);
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
});
