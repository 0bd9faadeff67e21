/**
 * The run's figures for the progress line and /status (run-settlement-cache.ts) are read from the journal again only
 * when an execution changed, and then only what changed, and are exactly what `runSettlement` (the run report's
 * count) says: a settlement, a new execution or a newly adopted one shows at the next read; a block in which nothing
 * changed reads no execution at all.
 */
import path from "node:path";
import { expect } from "chai";
import { Journal } from "../../../../keeper/journal/journal";
import { runSettlement } from "../../../../keeper/run/run-report";
import { RunSettlementCache } from "../../../../keeper/run/run-settlement-cache";
import { journalSent, OPERATOR, attempt, makePlan, makeTempDir, removeDir } from "../journal/journal-fixtures";

describe("run settlement cache: the progress line's and /status's figures", function () {
  const startedAtMs = Date.UTC(2026, 11, 7, 3);
  let directory: string;
  let journal: Journal;
  let listed: number;

  beforeEach(() => {
    directory = makeTempDir("run-settlement-cache");
    journal = Journal.open(path.join(directory, "journal.sqlite"), { clock: () => startedAtMs + 1_000 });
    listed = 0;
    const list = journal.listExecutions.bind(journal);
    journal.listExecutions = (range) => (listed++, list(range));
  });

  afterEach(() => {
    journal.close();
    removeDir(directory);
  });

  /** As the execution stage journals a liquidation up to `sent`. */
  function send(id: string, n: number): void {
    journal.planExecution(makePlan({ id }), { mode: "LIVE" });
    journal.markSimulated(id);
    const tx = attempt(n, n);
    journalSent(journal, id, tx);
  }

  function include(id: string, n: number, profitUsd: number): void {
    journal.markIncluded(id, {
      txHash: attempt(n, n).txHash,
      blockNumber: 100 + n,
      gasUsed: 300_000n,
      effectiveGasPrice: 10_000_000n,
      gasCostUsd: 0.02,
      realisedProfit: 1n,
      realisedProfitUsd: profitUsd,
    });
  }

  const figures = (settlement: ReturnType<typeof runSettlement>) => ({
    included: settlement.included,
    realisedProfitUsd: settlement.realisedProfitUsd,
    gasCostUsd: settlement.gasCostUsd,
    executions: settlement.executions.length,
  });

  it("shows every settlement at the next read, exactly as runSettlement counts it, listing the run only once", () => {
    const cache = new RunSettlementCache(journal, startedAtMs);
    /** Listings of the run by the cache itself (the test's own runSettlement references list too). */
    let cacheListings = 0;
    const read = () => {
      const before = listed;
      const settlement = cache.current();
      cacheListings += listed - before;
      return settlement;
    };
    expect(figures(read())).to.deep.equal({ included: 0, realisedProfitUsd: 0, gasCostUsd: 0, executions: 0 });

    send("plan-a", 1);
    expect(figures(read()), "a new execution").to.deep.equal(figures(runSettlement(journal, startedAtMs)));
    const before = listed;
    for (let block = 0; block < 5; block++) read();
    expect(listed - before, "five blocks without a change: no listing").to.equal(0);

    include("plan-a", 1, 120);
    expect(figures(read()), "the settlement shows at once").to.deep.equal({
      included: 1,
      realisedProfitUsd: 120,
      gasCostUsd: 0.02,
      executions: 1,
    });
    send("plan-b", 2);
    include("plan-b", 2, 30);
    expect(figures(read())).to.deep.equal(figures(runSettlement(journal, startedAtMs)));
    expect(
      read().executions.map((e) => e.planId),
      "in the journal's order",
    ).to.deep.equal(["plan-a", "plan-b"]);
    expect(cacheListings, "listed once, at the first read: each change reads only what changed").to.equal(1);
  });

  it("counts an execution adopted from an earlier run once the engine names it", () => {
    const earlier = Journal.open(path.join(directory, "journal.sqlite"), { clock: () => startedAtMs - 60_000 });
    try {
      const tx = attempt(3, 3);
      earlier.planExecution(makePlan({ id: "plan-crashed" }), { mode: "LIVE" });
      earlier.markSimulated("plan-crashed");
      earlier.recordIntent("plan-crashed", {
        signer: OPERATOR,
        nonce: tx.nonce,
        maxFeePerGas: tx.maxFeePerGas,
        maxPriorityFeePerGas: tx.maxPriorityFeePerGas,
      });
      earlier.markSigned("plan-crashed", tx);
    } finally {
      earlier.close();
    }
    const cache = new RunSettlementCache(journal, startedAtMs);
    expect(cache.current().adoptedIds.size).to.equal(0);
    include("plan-crashed", 3, 50);
    expect(cache.current(["plan-crashed"]).adoptedIncluded, "adopted and settled").to.equal(1);
  });
});
