/**
 * Restart reconciliation against a scripted chain (a test double standing in for a node: it answers
 * receipts, mempool lookups and nonces from a table) and a real journal. Each case is one way a keeper
 * can die between recording an intent and seeing its receipt.
 */
import { expect } from "chai";
import path from "node:path";
import { ChimeraExecutor__factory } from "../../../../typechain-types";
import { Journal } from "../../../../keeper/journal/journal";
import { KeeperMetrics } from "../../../../keeper/telemetry/metrics";
import { createLogger } from "../../../../keeper/telemetry/logger";
import { ExecutionStage } from "../../../../keeper/execution/execution-stage";
import type { PlanSimulator } from "../../../../keeper/execution/plan-simulator";
import { reconcileOpenIntents, type ReconciliationChain } from "../../../../keeper/execution/intent-reconciler";
import type { FullReceiptLike } from "../../../../keeper/execution/receipt-facts";
import type { ExecutionOutcome } from "../../../../keeper/risk/execution-outcome";
import { BORROWER, OPERATOR, USDC, WETH, attempt, makePlan, makeTempDir, removeDir, txHash } from "../journal/journal-fixtures";

const EXECUTOR = "0x00000000000000000000000000000000000000e1";
const executorInterface = ChimeraExecutor__factory.createInterface();

class ScriptedChain implements ReconciliationChain {
  readonly receipts = new Map<string, FullReceiptLike>();
  readonly mempool = new Set<string>();
  latestNonce = 0;
  async getTransactionReceipt(hash: string) {
    return this.receipts.get(hash) ?? null;
  }
  async getTransaction(hash: string) {
    return this.mempool.has(hash) ? { hash, to: EXECUTOR, data: "0x1234", value: 0n, gasLimit: 1_000_000n, chainId: 8453n } : null;
  }
  async getTransactionCount() {
    return this.latestNonce;
  }
}

function planExecutedReceipt(hash: string, profit: bigint): FullReceiptLike {
  // As the executor emits them: one Liquidated per liquidation, then PlanExecuted (which no longer carries the count).
  const liquidated = executorInterface.encodeEventLog("Liquidated", [
    BORROWER,
    WETH,
    USDC,
    0,
    400_000_000n,
    2n * 10n ** 17n,
    2n * 10n ** 17n,
    840_000_000n,
  ]);
  const executed = executorInterface.encodeEventLog("PlanExecuted", [OPERATOR, USDC, EXECUTOR, 0n, profit]);
  return {
    hash,
    blockNumber: 101,
    status: 1,
    gasUsed: 500_000n,
    gasPrice: 1_000_000_000n,
    logs: [liquidated, executed].map((log) => ({ address: EXECUTOR, topics: log.topics, data: log.data })),
  };
}

describe("execution: restart reconciliation of open intents", () => {
  let dir: string;
  let journal: Journal;
  let chain: ScriptedChain;
  let stage: ExecutionStage;
  let outcomes: ExecutionOutcome[];
  const logger = createLogger({ level: "silent" });
  const at = { timeMs: Date.UTC(2026, 10, 21), block: 105 };

  beforeEach(() => {
    dir = makeTempDir("reconcile");
    journal = Journal.open(path.join(dir, "journal.sqlite"));
    chain = new ScriptedChain();
    outcomes = [];
    stage = new ExecutionStage({
      journal,
      simulator: {} as PlanSimulator,
      preparer: null,
      broadcaster: null,
      chain,
      executor: EXECUTOR,
      metrics: new KeeperMetrics({ processMetrics: false }),
      logger,
      prices: { usdPerToken: () => 1, decimalsOf: () => 6, nativeUsd: () => 3_000 },
      onOutcome: (outcome) => outcomes.push(outcome),
    });
  });

  afterEach(() => {
    journal.close();
    removeDir(dir);
  });

  /** An execution journaled up to `state`, the way the execution stage writes it. */
  function openExecution(id: string, state: "intent_recorded" | "signed" | "sent", nonce: number, hash = 1): void {
    const plan = makePlan({ id });
    journal.planExecution(plan, { mode: "LIVE" });
    journal.markSimulated(id, { expectedProfit: 450_000_000n });
    journal.recordIntent(id, { signer: OPERATOR, nonce, maxFeePerGas: 10_000_000n, maxPriorityFeePerGas: 1_000_000n });
    if (state === "intent_recorded") return;
    journal.markSigned(id, attempt(hash, nonce));
    if (state === "sent") journal.markSent(id);
  }

  it("settles a transaction that landed while the keeper was down, from its receipt and PlanExecuted event", async () => {
    openExecution("p-landed", "sent", 0, 1);
    chain.receipts.set(txHash(1), planExecutedReceipt(txHash(1), 440_000_000n));
    chain.latestNonce = 1;
    const report = await reconcileOpenIntents({ journal, chain, stage, headBlock: 105, at, logger });
    expect(report.outcomes.map((o) => o.outcome)).to.deep.equal(["settled-from-receipt"]);
    const execution = journal.getExecution("p-landed")!;
    expect(execution.state).to.equal("included");
    expect(execution.realisedProfit).to.equal(440_000_000n);
    expect(journal.openIntents()).to.have.length(0);
    expect(outcomes.map((o) => o.kind)).to.deep.equal(["included"]);
  });

  it("cancels at a nonce unknown to the node when a later nonce of the key is open, instead of leaving a gap", async () => {
    // Nonce 0 was signed and refused at the send (or evicted); nonce 1 is pending at the node and can only land after 0.
    openExecution("p-gap", "signed", 0, 5);
    journal.markAttemptRefused("p-gap", txHash(5));
    openExecution("p-later", "sent", 1, 6);
    chain.mempool.add(txHash(6));
    const report = await reconcileOpenIntents({ journal, chain, stage, headBlock: 105, at, logger });
    expect(report.outcomes.map((o) => [o.planId, o.outcome])).to.deep.equal([
      ["p-gap", "cancelling"],
      ["p-later", "still-in-flight"],
    ]);
    expect(journal.getExecution("p-gap")!.state, "it still holds nonce 0").to.equal("signed");
    const gap = stage.inFlight().find((tracked) => tracked.planId === "p-gap")!;
    expect([...gap.refused!], "no node holds it: the first settle cancels it").to.deep.equal([txHash(5)]);
  });

  it("keeps tracking a transaction still pending at the node, and re-sends nothing", async () => {
    openExecution("p-pending", "sent", 0, 2);
    chain.mempool.add(txHash(2));
    const report = await reconcileOpenIntents({ journal, chain, stage, headBlock: 105, at, logger });
    expect(report.outcomes.map((o) => o.outcome)).to.deep.equal(["still-in-flight"]);
    expect(journal.getExecution("p-pending")!.state).to.equal("sent");
    expect(stage.inFlight().map((t) => t.planId)).to.deep.equal(["p-pending"]);
    expect(stage.inFlightPositions().size).to.equal(1);

    // It lands later: the next settle books it.
    chain.receipts.set(txHash(2), planExecutedReceipt(txHash(2), 430_000_000n));
    await stage.settle(106, { ...at, block: 106 });
    expect(journal.getExecution("p-pending")!.state).to.equal("included");
    expect(stage.inFlightCount).to.equal(0);
  });

  it("drops an intent that was never signed, and calls it replaced if its nonce was used by someone else", async () => {
    openExecution("p-unsigned", "intent_recorded", 0);
    openExecution("p-unsigned-taken", "intent_recorded", 3);
    chain.latestNonce = 1; // nonce 0 used (by something this journal never signed), nonce 3 not
    await reconcileOpenIntents({ journal, chain, stage, headBlock: 105, at, logger });
    expect(journal.getExecution("p-unsigned")!.state).to.equal("replaced");
    expect(journal.getExecution("p-unsigned-taken")!.state).to.equal("dropped");
    expect(stage.inFlightCount).to.equal(0);
  });

  it("drops a signed transaction the node never saw while its nonce is free; marks it replaced once the nonce is used", async () => {
    openExecution("p-lost", "signed", 4, 5);
    openExecution("p-superseded", "sent", 2, 6);
    chain.latestNonce = 3; // nonce 2 used by a transaction that is not ours; nonce 4 free
    await reconcileOpenIntents({ journal, chain, stage, headBlock: 105, at, logger });
    expect(journal.getExecution("p-lost")!.state).to.equal("dropped");
    expect(journal.getExecution("p-superseded")!.state).to.equal("replaced");
    expect(journal.txAttempts("p-lost").map((a) => a.status)).to.deep.equal(["dropped"]);
    expect(journal.openIntents()).to.have.length(0);
  });

  it("books a reverted transaction as failed with the gas it burnt", async () => {
    openExecution("p-reverted", "sent", 0, 7);
    chain.receipts.set(txHash(7), { hash: txHash(7), blockNumber: 101, status: 0, gasUsed: 300_000n, gasPrice: 2_000_000_000n, logs: [] });
    await reconcileOpenIntents({ journal, chain, stage, headBlock: 105, at, logger });
    const execution = journal.getExecution("p-reverted")!;
    expect(execution.state).to.equal("failed");
    expect(execution.gasCostWei).to.equal(600_000_000_000_000n);
    expect(outcomes).to.have.length(1);
    expect(outcomes[0]).to.include({ kind: "failed", failure: "reverted" });
  });
});
