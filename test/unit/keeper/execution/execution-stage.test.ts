/**
 * The execution stage's send life cycle, driven block by block against a scripted chain (a test
 * double answering receipts and nonces from a table) with the real journal, the real transaction
 * preparer (nonce manager, fee policy, signing) and a recording broadcaster. The simulator is a stub
 * that reports success: simulation itself is proven on the sandbox (e2e), this file is about what
 * happens after it.
 */
import path from "node:path";
import { expect } from "chai";
import { Transaction, Wallet } from "ethers";
import { Journal } from "../../../../keeper/journal/journal";
import { NonceManager } from "../../../../keeper/submit/nonce-manager";
import { TransactionPreparer, type TransactionPreparerOptions } from "../../../../keeper/submit/transaction-preparer";
import { positionKeyId, type LiquidationPlan } from "../../../../keeper/core/types";
import { ExecutionStage, type ExecutionStageOptions } from "../../../../keeper/execution/execution-stage";
import type { SimulationOutcome } from "../../../../keeper/execution/plan-simulator";
import type { FullReceiptLike } from "../../../../keeper/execution/receipt-facts";
import type { ExecutionOutcome } from "../../../../keeper/risk/execution-outcome";
import { LOST_RACE_PREFIX, RaceLedger } from "../../../../keeper/execution/race-ledger";
import { makePlan, makeTempDir, removeDir } from "../journal/journal-fixtures";
import { instantAt, liveContext, scriptedKey, scriptedStageOptions, STAGE_EXECUTOR, successfulSimulation } from "./stage-fixtures";

const EXECUTOR = STAGE_EXECUTOR;
const GWEI = 10n ** 9n;
const START_NONCE = 5;

describe("execution: the send life cycle (intent, sign, send, bump, cancel)", () => {
  const signer = Wallet.createRandom();
  let dir: string;
  let journal: Journal;
  let nonces: NonceManager;
  let stage: ExecutionStage;
  let receipts: Map<string, FullReceiptLike>;
  let latestNonce: number;
  let sent: string[];
  let outcomes: ExecutionOutcome[];
  let simulation: SimulationOutcome;
  let refuseBroadcast: boolean;
  let races: RaceLedger;
  /** What the nonce manager reads as the key's `latest` count (at start and every resync); the settler reads latestNonce. */
  let managerNonce: number;
  let beforeSimulate: ((plan: LiquidationPlan) => void) | undefined;
  let preparerOptions: TransactionPreparerOptions;
  let stageOptions: ExecutionStageOptions;
  /** What the markets say of a position now (assemble-keeper.ts wires the markets' own view). */
  let positionStates: Map<string, "liquidatable" | "not-liquidatable">;
  /** A broadcast that answers only when the test lets it (null: at once). */
  let holdBroadcast: ((raw: string) => Promise<void>) | null;
  let signedPlans: string[];

  const context = (block: number) => liveContext(block);
  const at = (block: number) => instantAt(block);

  beforeEach(async () => {
    dir = makeTempDir("stage");
    journal = Journal.open(path.join(dir, "journal.sqlite"));
    receipts = new Map();
    latestNonce = START_NONCE;
    sent = [];
    outcomes = [];
    refuseBroadcast = false;
    managerNonce = START_NONCE;
    beforeSimulate = undefined;
    positionStates = new Map();
    holdBroadcast = null;
    signedPlans = [];
    // Far enough for the bump tests' blocks: a plan past its deadline is cancelled, not re-bid (tested below).
    simulation = successfulSimulation({ deadlineBlock: 120 });
    ({ nonces, preparerOptions } = await scriptedKey(signer, dir, () => managerNonce));
    const preparer = await TransactionPreparer.create(preparerOptions);
    races = new RaceLedger();
    stageOptions = scriptedStageOptions(() => simulation, {
      journal,
      races,
      preparer,
      broadcaster: {
        broadcast: async (signed) => {
          if (refuseBroadcast) throw new Error("refused by every send endpoint");
          sent.push(signed.raw);
          await holdBroadcast?.(signed.raw);
          return { acceptedBy: ["recording"], alreadyIncluded: false };
        },
      },
      chain: {
        getTransactionReceipt: async (hash) => receipts.get(hash) ?? null,
        getTransaction: async () => null,
        getTransactionCount: async () => latestNonce,
      },
      onOutcome: (outcome) => outcomes.push(outcome),
      hooks: { beforeSimulate: (plan) => beforeSimulate?.(plan), afterSigned: (planId) => void signedPlans.push(planId) },
      positionState: (positionId) => positionStates.get(positionId) ?? "liquidatable",
    });
    stage = new ExecutionStage(stageOptions);
  });

  afterEach(() => {
    nonces.close();
    journal.close();
    removeDir(dir);
  });

  it("journals the intent before signing and the hash before sending, then settles from the receipt", async () => {
    const report = await stage.execute(makePlan({ id: "p1" }), context(100));
    expect(report.status).to.equal("sent");
    const transitions = journal.executionTransitions("p1").map((t) => t.toState);
    expect(transitions).to.deep.equal(["planned", "simulated", "intent_recorded", "signed", "sent"]);
    const tx = Transaction.from(sent[0]!);
    expect(tx.nonce).to.equal(START_NONCE);
    expect(tx.to!.toLowerCase()).to.equal(EXECUTOR);
    expect(tx.data).to.equal("0x12345678");
    expect(tx.gasLimit).to.equal(3_000_000n);
    expect(journal.txAttempts("p1").map((a) => a.txHash)).to.deep.equal([tx.hash]);

    receipts.set(tx.hash!, { hash: tx.hash!, blockNumber: 101, status: 1, gasUsed: 600_000n, gasPrice: GWEI, logs: [] });
    const settled = await stage.settle(101, at(101));
    expect(settled.included.map((i) => i.planId)).to.deep.equal(["p1"]);
    expect(journal.getExecution("p1")!.state).to.equal("included");
    expect(outcomes.map((o) => o.kind)).to.deep.equal(["submitted", "included"]);
  });

  it("judges a receipt only once its block's events are in, so a rival's liquidation in that block makes it a lost race", async () => {
    const plan = makePlan({ id: "p9" });
    await stage.execute(plan, context(100));
    const tx = Transaction.from(sent[0]!);
    // The chain is already at 102 (it does not wait for the keeper); this settle has block 101's events only.
    receipts.set(tx.hash!, { hash: tx.hash!, blockNumber: 102, status: 0, gasUsed: 300_000n, gasPrice: GWEI, logs: [] });
    const early = await stage.settle(101, at(101));
    expect(early.failed, "a receipt newer than the events read so far is not judged yet").to.deep.equal([]);
    expect(journal.getExecution("p9")!.state).to.equal("sent");

    const { market, borrower } = plan.candidate.key;
    races.observe([
      { type: "position-changed", action: "LiquidationCall", market, borrower, transactionHash: "0xr1", blockNumber: 102, logIndex: 0 },
    ]);
    const settled = await stage.settle(102, at(102));
    expect(settled.lost.map((l) => l.planId)).to.deep.equal(["p9"]);
    expect(journal.getExecution("p9")!.error!.startsWith(LOST_RACE_PREFIX)).to.equal(true);
    expect(outcomes.at(-1)).to.deep.include({ kind: "failed", failure: "lost-race" });
  });

  it("replaces a stuck transaction at the same nonce with both fees raised at least 10%, then cancels it", async () => {
    await stage.execute(makePlan({ id: "p2" }), context(100));
    await stage.settle(101, at(101));
    await stage.settle(102, at(102));
    expect(sent, "within the block budget nothing is replaced").to.have.length(1);

    await stage.settle(103, at(103));
    await stage.settle(106, at(106));
    await stage.settle(109, at(109));
    const txs = sent.map((raw) => Transaction.from(raw));
    expect(txs.map((tx) => tx.nonce)).to.deep.equal([START_NONCE, START_NONCE, START_NONCE, START_NONCE]);
    for (let i = 1; i < txs.length; i++) {
      expect(txs[i]!.maxFeePerGas! * 10n >= txs[i - 1]!.maxFeePerGas! * 11n, `attempt ${i + 1} maxFeePerGas`).to.equal(true);
      expect(
        txs[i]!.maxPriorityFeePerGas! * 10n >= txs[i - 1]!.maxPriorityFeePerGas! * 11n,
        `attempt ${i + 1} maxPriorityFeePerGas`,
      ).to.equal(true);
    }
    expect(txs.slice(0, 3).every((tx) => tx.data === "0x12345678")).to.equal(true);
    // After two bumps the stage stops bidding for the opportunity: a zero-value self-transfer.
    expect([txs[3]!.to, txs[3]!.value, txs[3]!.data]).to.deep.equal([signer.address, 0n, "0x"]);
    expect(journal.txAttempts("p2").map((a) => a.kind)).to.deep.equal(["original", "replacement", "replacement", "cancel"]);

    const cancel = txs[3]!;
    receipts.set(cancel.hash!, { hash: cancel.hash!, blockNumber: 110, status: 1, gasUsed: 21_000n, gasPrice: 2n * GWEI, logs: [] });
    latestNonce = START_NONCE + 1;
    await stage.settle(110, at(110));
    const execution = journal.getExecution("p2")!;
    expect(execution.state).to.equal("replaced");
    expect(execution.txHash).to.equal(cancel.hash);
    expect(outcomes.at(-1)).to.include({ kind: "failed", failure: "not-included" });
  });

  it("gives up a transaction whose nonce another transaction used, without replacing anything", async () => {
    await stage.execute(makePlan({ id: "p3" }), context(100));
    latestNonce = START_NONCE + 1; // used by something this keeper did not sign
    await stage.settle(103, at(103));
    expect(sent).to.have.length(1);
    expect(journal.getExecution("p3")!.state).to.equal("replaced");
    expect(stage.inFlightCount).to.equal(0);
  });

  it("never signs a plan whose simulation failed, and drops an execution no endpoint accepted", async () => {
    simulation = {
      ok: false,
      stage: "profit-probe",
      failure: { kind: "revert", name: "Error", args: ["45"], summary: 'Error("45")', data: "0x" },
      detail: 'profit probe (eth_call) reverted: Error("45")',
    };
    const failed = await stage.execute(makePlan({ id: "p4" }), context(100));
    expect(failed.status).to.equal("simulation-failed");
    expect(journal.getExecution("p4")!.state).to.equal("failed");
    expect(journal.txAttempts("p4")).to.have.length(0);
    expect(nonces.peek, "no nonce was taken").to.equal(START_NONCE);

    simulation = {
      ok: true,
      simulatedProfit: 1n,
      expectedProfit: 1n,
      minProfit: 1n,
      gasEstimate: 1n,
      gasLimit: 3_000_000n,
      deadlineBlock: 102,
      planStruct: {} as never,
      calldata: "0x",
    };
    refuseBroadcast = true;
    const refused = await stage.execute(makePlan({ id: "p5" }), context(100));
    expect(refused.status).to.equal("not-sent");
    expect(journal.getExecution("p5")!.state).to.equal("dropped");
    expect(stage.inFlightCount).to.equal(0);
    expect(sent).to.have.length(0);
  });

  it("gives the nonce back when the journal refuses the intent, so nothing is signed and the next plan uses it", async () => {
    // Another writer journals the same plan while this one simulates: the intent's commit is refused.
    beforeSimulate = (plan) => void journal.planExecution(plan, { mode: "LIVE" });
    const refused = await stage.execute(makePlan({ id: "p6" }), context(100));
    expect(refused.status).to.equal("duplicate");
    expect(sent, "nothing was signed or sent").to.have.length(0);
    expect(nonces.peek, "the reserved nonce was handed back").to.equal(START_NONCE);

    beforeSimulate = undefined;
    const next = await stage.execute(makePlan({ id: "p7" }), context(100));
    expect(next.status).to.equal("sent");
    expect(Transaction.from(sent[0]!).nonce).to.equal(START_NONCE);
  });

  it("re-reads the nonce from the chain after every endpoint refused, and sends the next plan at the chain's nonce", async () => {
    refuseBroadcast = true;
    managerNonce = START_NONCE + 1; // another transaction from this key took START_NONCE meanwhile
    const refused = await stage.execute(makePlan({ id: "p8" }), context(100));
    expect(refused.status).to.equal("not-sent");
    expect(journal.getExecution("p8")!.state).to.equal("dropped");
    expect(nonces.resyncCount).to.equal(1);
    expect(nonces.peek).to.equal(START_NONCE + 1);

    refuseBroadcast = false;
    const next = await stage.execute(makePlan({ id: "p9" }), context(101));
    expect(next.status).to.equal("sent");
    expect(Transaction.from(sent[0]!).nonce).to.equal(START_NONCE + 1);
  });

  it("gives a refused transaction's nonce back to the next plan when the nonce count also reads the journal's claims (no gap)", async () => {
    // As assemble-keeper.ts wires it: the next nonce is max(chain latest, 1 + the journal's open claims). The refused
    // execution must be closed in the journal BEFORE the count is re-read, or its own claim pushes the next plan one
    // nonce up and leaves a gap nothing fills (the failover bench: nonce 6 queued behind an unused nonce 5 forever).
    const claimed = await NonceManager.open({
      address: signer.address,
      chainId: 8453,
      source: { getTransactionCount: async () => managerNonce },
      claims: journal,
      lockDirectory: null,
    });
    const claimedStage = new ExecutionStage({
      ...stageOptions,
      preparer: await TransactionPreparer.create({ ...preparerOptions, nonces: claimed }),
    });
    refuseBroadcast = true;
    expect((await claimedStage.execute(makePlan({ id: "p13" }), context(100))).status).to.equal("not-sent");
    refuseBroadcast = false;
    simulation = { ...simulation, calldata: "0x87654321" } as typeof simulation; // a fresh plan: other calldata
    expect((await claimedStage.execute(makePlan({ id: "p14" }), context(101))).status).to.equal("sent");
    expect(Transaction.from(sent.at(-1)!).nonce, "the refused nonce is used, not skipped").to.equal(START_NONCE);
  });

  it("settles a reverted transaction as failed, with the gas it burnt, and tells the breaker", async () => {
    await stage.execute(makePlan({ id: "p10" }), context(100));
    const tx = Transaction.from(sent[0]!);
    receipts.set(tx.hash!, { hash: tx.hash!, blockNumber: 101, status: 0, gasUsed: 700_000n, gasPrice: GWEI, logs: [] });

    const settled = await stage.settle(101, at(101));

    expect(settled.failed).to.deep.equal([{ planId: "p10", detail: "reverted on chain" }]);
    const execution = journal.getExecution("p10")!;
    expect([execution.state, execution.gasUsed, execution.gasCostWei]).to.deep.equal(["failed", 700_000n, 700_000n * GWEI]);
    const failure = outcomes.at(-1)!;
    expect(failure).to.include({ kind: "failed", failure: "reverted" });
    expect((failure as { lossUsd: number }).lossUsd).to.be.closeTo(0.0007 * 3_000, 1e-9);
  });

  it("cancels, instead of bidding again, a stuck transaction whose plan is past its deadline (a bump could only revert PlanExpired)", async () => {
    simulation = { ...simulation, deadlineBlock: 102 } as typeof simulation;
    await stage.execute(makePlan({ id: "p12" }), context(100));
    await stage.settle(103, at(103));
    const [original, next] = sent.map((raw) => Transaction.from(raw));
    expect(next!.nonce).to.equal(original!.nonce);
    expect([next!.to, next!.value, next!.data], "a zero-value self-transfer").to.deep.equal([signer.address, 0n, "0x"]);
    expect(journal.txAttempts("p12").map((a) => a.kind)).to.deep.equal(["original", "cancel"]);
  });

  it("cancels at once, at the same nonce, when a fee bump would cross the priority-fee cap", async () => {
    const atCap = { ...makePlan({ id: "p11" }), priorityFeePerGas: 10n * GWEI };
    await stage.execute(atCap, context(100));
    await stage.settle(103, at(103));

    const [original, cancel] = sent.map((raw) => Transaction.from(raw));
    expect(cancel!.nonce).to.equal(original!.nonce);
    expect([cancel!.to, cancel!.value, cancel!.data]).to.deep.equal([signer.address, 0n, "0x"]);
    expect(cancel!.maxPriorityFeePerGas! * 10n >= original!.maxPriorityFeePerGas! * 11n).to.equal(true);
    expect(journal.txAttempts("p11").map((a) => a.kind)).to.deep.equal(["original", "cancel"]);
  });

  it("signs the next plan while the previous one's send is still unanswered, then reports both sent", async () => {
    const signedWhileFirstPending: string[] = [];
    // The first send answers once the second plan is signed, or after many turns of the event loop (never, before
    // the fix: plans were signed only after the previous send answered).
    holdBroadcast = async (raw) => {
      if (sent.length > 1 || sent[0] !== raw) return;
      for (let turn = 0; turn < 200 && !signedPlans.includes("q2"); turn++) await new Promise((resolve) => setImmediate(resolve));
      signedWhileFirstPending.push(...signedPlans);
    };
    const reports = await stage.executeMany([
      { plan: makePlan({ id: "q1", market: "m1" }), context: context(100) },
      { plan: makePlan({ id: "q2", market: "m2" }), context: context(100) },
    ]);
    expect(reports.map((r) => r.status)).to.deep.equal(["sent", "sent"]);
    expect(signedWhileFirstPending).to.deep.equal(["q1", "q2"]);
    expect(sent.map((raw) => Transaction.from(raw).nonce)).to.deep.equal([START_NONCE, START_NONCE + 1]);
    expect(journal.getExecution("q2")!.state).to.equal("sent");
  });

  it("sends again a later nonce that reached a queue-less node before the earlier one, once that one is answered", async () => {
    // A node that keeps no queue, as Hardhat's automining one (its wording; broadcast-order.test.ts runs the genuine
    // node): a nonce above the next one is refused and forgotten. The first send is held back, so the second arrives first.
    let expected = START_NONCE;
    const accepted: number[] = [];
    let held = false;
    const queueLess = new ExecutionStage({
      ...stageOptions,
      broadcaster: {
        broadcast: async (signed) => {
          const nonce = Transaction.from(signed.raw).nonce;
          if (nonce === START_NONCE && !held) {
            held = true;
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
          if (nonce > expected) {
            throw new Error(
              `Nonce too high. Expected nonce to be ${expected} but got ${nonce}. Note that transactions can't be queued when automining.`,
            );
          }
          expected = nonce + 1;
          accepted.push(nonce);
          return { acceptedBy: ["queue-less"], alreadyIncluded: false };
        },
      },
    });
    const reports = await queueLess.executeMany([
      { plan: makePlan({ id: "q1", market: "m1" }), context: context(100) },
      { plan: makePlan({ id: "q2", market: "m2" }), context: context(100) },
    ]);
    expect(
      reports.map((r) => r.status),
      JSON.stringify(reports.map((r) => [r.status, "detail" in r ? r.detail : null])),
    ).to.deep.equal(["sent", "sent"]);
    expect(accepted).to.deep.equal([START_NONCE, START_NONCE + 1]);
    expect(journal.getExecution("q2")!.state).to.equal("sent");
  });

  it("books a revert as a lost race when its position is no longer liquidatable, with no rival seen", async () => {
    const plan = makePlan({ id: "p12" });
    await stage.execute(plan, context(100));
    const tx = Transaction.from(sent[0]!);
    receipts.set(tx.hash!, { hash: tx.hash!, blockNumber: 101, status: 0, gasUsed: 300_000n, gasPrice: GWEI, logs: [] });
    positionStates.set(positionKeyId(plan.candidate.key), "not-liquidatable");

    const settled = await stage.settle(101, at(101));

    expect(settled.lost).to.deep.equal([{ planId: "p12", rival: null }]);
    expect(journal.getExecution("p12")!.error!.startsWith(LOST_RACE_PREFIX)).to.equal(true);
    expect(outcomes.at(-1)).to.deep.include({ kind: "failed", failure: "lost-race" });
  });

  it("keeps a revert whose position is still liquidatable, with no rival seen, a failure (not a race)", async () => {
    await stage.execute(makePlan({ id: "p13" }), context(100));
    const tx = Transaction.from(sent[0]!);
    receipts.set(tx.hash!, { hash: tx.hash!, blockNumber: 101, status: 0, gasUsed: 300_000n, gasPrice: GWEI, logs: [] });
    const settled = await stage.settle(101, at(101));
    expect(settled.lost).to.deep.equal([]);
    expect(journal.getExecution("p13")!.error).to.equal("reverted on chain");
    expect(outcomes.at(-1)).to.deep.include({ kind: "failed", failure: "reverted" });
  });

  it("explains a revert by a rival's liquidation that landed after the plan's state was read, even before the send", async () => {
    // Planned on block 100's state (detectedAtBlock), sent at 104 (a keeper behind the chain): the rival landed at 102.
    const plan = makePlan({ id: "p14" });
    await stage.execute(plan, context(104));
    const tx = Transaction.from(sent[0]!);
    receipts.set(tx.hash!, { hash: tx.hash!, blockNumber: 105, status: 0, gasUsed: 300_000n, gasPrice: GWEI, logs: [] });
    const { market, borrower } = plan.candidate.key;
    races.observe([
      { type: "position-changed", action: "LiquidationCall", market, borrower, transactionHash: "0xr2", blockNumber: 102, logIndex: 3 },
    ]);
    const settled = await stage.settle(105, at(105));
    expect(settled.lost.map((l) => [l.planId, l.rival?.txHash])).to.deep.equal([["p14", "0xr2"]]);
  });

  it("books a revert that landed after the plan's deadline block as a lost race (PlanExpired), not a failure", async () => {
    simulation = { ...simulation, deadlineBlock: 102 } as typeof simulation;
    await stage.execute(makePlan({ id: "p15" }), context(100));
    const tx = Transaction.from(sent[0]!);
    // The simulation's deadline is block 102; the transaction landed at 103 and the executor refused it.
    receipts.set(tx.hash!, { hash: tx.hash!, blockNumber: 103, status: 0, gasUsed: 60_000n, gasPrice: GWEI, logs: [] });
    const settled = await stage.settle(103, at(103));
    expect(settled.lost).to.deep.equal([{ planId: "p15", rival: null }]);
    expect(journal.getExecution("p15")!.error).to.match(/^lost the race: .*after its deadline block 102/);
    expect(outcomes.at(-1)).to.deep.include({ kind: "failed", failure: "lost-race" });
  });

  it("knows its own transaction from the moment it is signed: its liquidation, read before the send is answered, is no rival's", async () => {
    const plan = makePlan({ id: "p16" });
    const { market, borrower } = plan.candidate.key;
    // The transaction lands (and a tick's bookkeeping reads its LiquidationCall) while the endpoints have not answered.
    holdBroadcast = async (raw) => {
      const hash = Transaction.from(raw).hash!;
      races.observe([
        { type: "position-changed", action: "LiquidationCall", market, borrower, transactionHash: hash, blockNumber: 101, logIndex: 0 },
      ]);
    };
    await stage.execute(plan, context(100));
    expect(races.firstRival(market, borrower, 100, 101)).to.equal(null);
  });
});
