/**
 * A signed transaction whose send is refused (the fence's deadline check, fenced-broadcaster.ts, or every endpoint)
 * still holds its nonce. When a later nonce of the key has already left, that nonce must be used on chain, or every later
 * transaction waits behind the gap for good: a quick start's busy step once stranded 11 liquidations so (nonces 22-25
 * and 27 refused and dropped, 26 and 28-37 sent, none ever mined, each bumped and cancelled 40 times at its own nonce).
 *
 * The real journal, nonce manager and transaction preparer against a scripted chain (receipts and counts from a table);
 * the broadcaster is a double that refuses the first transaction once the second is on its way (the race the quick
 * start lost), with the fence's deadline error or an endpoint's. The simulator reports success (simulation is proven on the sandbox).
 */
import path from "node:path";
import { expect } from "chai";
import { Transaction, Wallet } from "ethers";
import { Journal } from "../../../../keeper/journal/journal";
import { NonceManager } from "../../../../keeper/submit/nonce-manager";
import { TransactionPreparer } from "../../../../keeper/submit/transaction-preparer";
import { SendFencedError } from "../../../../keeper/submit/fenced-broadcaster";
import { ExecutionStage } from "../../../../keeper/execution/execution-stage";
import type { FullReceiptLike } from "../../../../keeper/execution/receipt-facts";
import type { ExecutionOutcome } from "../../../../keeper/risk/execution-outcome";
import { makePlan, makeTempDir, removeDir } from "../journal/journal-fixtures";
import { instantAt, liveContext, scriptedKey, scriptedStageOptions, successfulSimulation } from "./stage-fixtures";

const GWEI = 10n ** 9n;
const START_NONCE = 5;
const DEADLINE = 104;

describe("execution: a transaction refused at the send for its deadline never leaves a nonce gap", () => {
  const signer = Wallet.createRandom();
  let dir: string;
  let journal: Journal;
  let nonces: NonceManager;
  let stage: ExecutionStage;
  let receipts: Map<string, FullReceiptLike>;
  let latestNonce: number;
  let sent: Transaction[];
  let outcomes: ExecutionOutcome[];
  /** Nonces the fence refuses: at once, or once the next broadcast has started (a later nonce is on its way). */
  let refuse: Map<number, "at-once" | "after-the-next">;
  /** The simulated call; a new plan's differs (its deadline block is in it), so its transaction is another one. */
  let calldata: string;
  /** What the refusal says: the fence's deadline check unless a test says otherwise. */
  let refusal: string;

  const mined = (tx: Transaction, blockNumber: number) =>
    receipts.set(tx.hash!, { hash: tx.hash!, blockNumber, status: 1, gasUsed: 21_000n, gasPrice: GWEI, logs: [] });

  beforeEach(async () => {
    dir = makeTempDir("refused-nonce");
    journal = Journal.open(path.join(dir, "journal.sqlite"));
    receipts = new Map();
    latestNonce = START_NONCE;
    sent = [];
    outcomes = [];
    refuse = new Map();
    calldata = "0x12345678";
    refusal = `not sent: the plan's deadline is block ${DEADLINE} and the chain is at block ${DEADLINE}; it could only revert PlanExpired`;
    const key = await scriptedKey(signer, dir, () => latestNonce);
    nonces = key.nonces;
    const preparer = await TransactionPreparer.create(key.preparerOptions);
    let nextBroadcast: () => void = () => undefined;
    stage = new ExecutionStage(
      scriptedStageOptions(() => successfulSimulation({ deadlineBlock: DEADLINE, calldata }), {
        journal,
        preparer,
        broadcaster: {
          broadcast: async (signed) => {
            nextBroadcast();
            const tx = Transaction.from(signed.raw);
            const when = signed.deadlineBlock === undefined ? undefined : refuse.get(tx.nonce);
            if (when === "after-the-next") await new Promise<void>((resolve) => (nextBroadcast = resolve));
            if (when !== undefined) throw new SendFencedError(refusal);
            sent.push(tx);
            return { acceptedBy: ["recording"], alreadyIncluded: false };
          },
        },
        chain: {
          getTransactionReceipt: async (hash) => receipts.get(hash) ?? null,
          getTransaction: async () => null,
          getTransactionCount: async () => latestNonce,
        },
        onOutcome: (outcome) => outcomes.push(outcome),
      }),
    );
  });

  afterEach(() => {
    nonces.close();
    journal.close();
    removeDir(dir);
  });

  it("uses the refused nonce with a cancel at the next settle, so the later transaction lands", async () => {
    refuse.set(START_NONCE, "after-the-next");
    const [first, second] = await stage.executeMany([
      { plan: makePlan({ id: "p1", market: "m1" }), context: liveContext(100) },
      { plan: makePlan({ id: "p2", market: "m2" }), context: liveContext(100) },
    ]);
    expect(first).to.deep.include({ status: "not-sent" });
    expect(first!.status === "not-sent" && first!.detail).to.match(/nonce 5 is re-sent or cancelled at the next block/);
    expect(second).to.deep.include({ status: "sent", nonce: START_NONCE + 1 });
    // The refused one stays open (it holds nonce 5) and its positions stay in flight: nothing new is planned for them.
    expect(journal.getExecution("p1")!.state).to.equal("signed");
    expect(journal.txAttempts("p1").map((a) => a.status)).to.deep.equal(["dropped"]);
    expect(stage.inFlightPositions().size).to.equal(2);
    expect(nonces.peek).to.equal(START_NONCE + 2);

    // The next settle, past the deadline, sends a zero-value self-transfer at nonce 5 (not a budget later).
    await stage.settle(DEADLINE, instantAt(DEADLINE));
    const cancel = sent.at(-1)!;
    expect([cancel.nonce, cancel.to, cancel.value, cancel.data]).to.deep.equal([START_NONCE, signer.address, 0n, "0x"]);
    expect(journal.txAttempts("p1").map((a) => a.kind)).to.deep.equal(["original", "cancel"]);

    // Both mine; the chain's count passes them both, and each execution settles.
    mined(cancel, DEADLINE + 1);
    mined(sent[0]!, DEADLINE + 1);
    latestNonce = START_NONCE + 2;
    const settled = await stage.settle(DEADLINE + 1, instantAt(DEADLINE + 1));
    expect(settled.included.map((i) => i.planId)).to.deep.equal(["p2"]);
    expect(journal.getExecution("p1")!.state).to.equal("replaced");
    expect(journal.getExecution("p1")!.error).to.match(/cancelled: the zero-value self-transfer took the nonce, past the plan's deadline/);
    // Too late, not broken: a lost race for the breaker, with the cancel's gas as its loss.
    expect(outcomes.find((o) => o.planId === "p1")).to.deep.include({ kind: "failed", failure: "lost-race" });
    expect(stage.inFlightCount).to.equal(0);
  });

  it("sends a refused transaction again at its nonce, with higher fees, when its deadline has not passed", async () => {
    refusal = "refused by every send endpoint";
    refuse.set(START_NONCE, "after-the-next");
    const [first, second] = await stage.executeMany([
      { plan: makePlan({ id: "p1", market: "m1" }), context: liveContext(100) },
      { plan: makePlan({ id: "p2", market: "m2" }), context: liveContext(100) },
    ]);
    expect(first).to.deep.include({ status: "not-sent" });
    expect(second).to.deep.include({ status: "sent", nonce: START_NONCE + 1 });
    expect(journal.getExecution("p1")!.state, "it still holds nonce 5").to.equal("signed");

    await stage.settle(101, instantAt(101));
    const again = sent.at(-1)!;
    const original = journal.txAttempts("p1")[0]!;
    expect([again.nonce, again.data]).to.deep.equal([START_NONCE, "0x12345678"]);
    expect(again.maxFeePerGas! > original.maxFeePerGas, "fees above the refused one's").to.equal(true);
    expect(journal.txAttempts("p1").map((a) => a.kind)).to.deep.equal(["original", "replacement"]);
  });

  it("gives the nonce back when nothing after it has left: dropped, and the next transaction takes it", async () => {
    refuse.set(START_NONCE, "at-once");
    const report = await stage.execute(makePlan({ id: "p1", market: "m1" }), liveContext(100));
    expect(report).to.deep.include({ status: "not-sent" });
    expect(journal.getExecution("p1")!.state).to.equal("dropped");
    expect(stage.inFlightCount).to.equal(0);

    refuse.clear();
    calldata = "0x12345679";
    const again = await stage.execute(makePlan({ id: "p3", market: "m1" }), liveContext(101));
    expect(again).to.deep.include({ status: "sent", nonce: START_NONCE });
    expect(sent.map((tx) => tx.nonce)).to.deep.equal([START_NONCE]);
  });
});
