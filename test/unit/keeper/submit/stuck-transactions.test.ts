/**
 * The replacement and cancel policy for a transaction that does not land, across a change of leader: what the new
 * leader adopts from the journal (restart reconciliation) it settles by the same rules as its own sends.
 *   - An adopted transaction past its plan's deadline (journaled with the intent) is cancelled, never bid again, and
 *     its cancel is not a breaker failure (it was too late, like a PlanExpired revert: a race lost).
 *   - A replacement is priced from the newest attempt a node accepted, not from one every endpoint refused.
 * Real journal, real transaction preparer (nonce manager, fee policy, ethers signing) and execution stage; the chain
 * is a scripted double (receipts, nonces, the node's pool by hash) and the send endpoint a recording one that can
 * refuse. The simulator is a stub that reports success (simulation is proven on the sandbox).
 */
import path from "node:path";
import { expect } from "chai";
import { Transaction, Wallet } from "ethers";
import { Journal } from "../../../../keeper/journal/journal";
import { createLogger } from "../../../../keeper/telemetry/logger";
import { NonceManager } from "../../../../keeper/submit/nonce-manager";
import { TransactionPreparer } from "../../../../keeper/submit/transaction-preparer";
import { ExecutionStage } from "../../../../keeper/execution/execution-stage";
import { reconcileOpenIntents } from "../../../../keeper/execution/intent-reconciler";
import type { FullReceiptLike } from "../../../../keeper/execution/receipt-facts";
import type { ExecutionOutcome } from "../../../../keeper/risk/execution-outcome";
import { CircuitBreaker, DEFAULT_BREAKER_THRESHOLDS } from "../../../../keeper/risk/circuit-breaker";
import { makePlan, makeTempDir, removeDir } from "../journal/journal-fixtures";
import { KEEPER_SHAPED_FEE_POLICY } from "./helpers/fee-policies";
import { instantAt, liveContext, scriptedStageOptions, successfulSimulation } from "../execution/stage-fixtures";

const GWEI = 10n ** 9n;
const logger = createLogger({ level: "silent" });

describe("submit: stuck transactions across a change of leader", function () {
  const signer = Wallet.createRandom();
  let dir: string;
  let journal: Journal;
  /** Everything any keeper broadcast and a node accepted, by hash (the node's pool). */
  let pool: Map<string, Transaction>;
  let receipts: Map<string, FullReceiptLike>;
  let refuse: boolean;
  let sent: Transaction[];
  const opened: NonceManager[] = [];

  const context = (block: number) => liveContext(block, Date.UTC(2026, 11, 7));
  const at = (block: number) => instantAt(block, Date.UTC(2026, 11, 7));
  const simulation = successfulSimulation({ deadlineBlock: 102 });

  /** One keeper instance on the shared journal and key: its own nonce manager, preparer and stage. */
  async function keeper(outcomes: ExecutionOutcome[]): Promise<ExecutionStage> {
    const nonces = await NonceManager.open({
      address: signer.address,
      chainId: 8453,
      source: { getTransactionCount: async () => 5 },
      claims: journal,
      lockDirectory: null,
    });
    opened.push(nonces);
    const preparer = await TransactionPreparer.create({
      signer,
      chainId: 8453,
      nonces,
      fees: KEEPER_SHAPED_FEE_POLICY,
      baseFee: { currentBaseFee: async () => GWEI },
    });
    return new ExecutionStage(
      scriptedStageOptions(() => simulation, {
        journal,
        preparer,
        broadcaster: {
          broadcast: async (signed) => {
            const tx = Transaction.from(signed.raw);
            sent.push(tx);
            if (refuse) throw new Error("replacement transaction underpriced (every send endpoint)");
            pool.set(tx.hash!, tx);
            return { acceptedBy: ["recording"], alreadyIncluded: false };
          },
        },
        chain: {
          getTransactionReceipt: async (hash) => receipts.get(hash) ?? null,
          getTransaction: async (hash) => {
            const tx = pool.get(hash);
            return tx === undefined
              ? null
              : { hash, to: tx.to, data: tx.data, value: tx.value, gasLimit: tx.gasLimit, chainId: tx.chainId };
          },
          getTransactionCount: async () => 5,
        },
        onOutcome: (outcome) => outcomes.push(outcome),
        maxBumps: 5,
      }),
    );
  }

  beforeEach(() => {
    dir = makeTempDir("stuck");
    journal = Journal.open(path.join(dir, "journal.sqlite"));
    pool = new Map();
    receipts = new Map();
    refuse = false;
    sent = [];
  });

  afterEach(() => {
    for (const nonces of opened.splice(0)) nonces.close();
    journal.close();
    removeDir(dir);
  });

  it("cancels an adopted transaction past its plan's deadline instead of bidding again, and the breaker does not count it", async () => {
    const oldLeader = await keeper([]);
    expect((await oldLeader.execute(makePlan({ id: "p-adopted" }), context(100))).status).to.equal("sent");
    expect(journal.getExecution("p-adopted")!.deadlineBlock, "journaled with the intent").to.equal(102);

    // The old leader dies; the new one adopts the transaction (still in the node's pool) at block 104.
    const outcomes: ExecutionOutcome[] = [];
    const newLeader = await keeper(outcomes);
    const reconciled = await reconcileOpenIntents({
      journal,
      chain: newLeaderChain(),
      stage: newLeader,
      headBlock: 104,
      at: at(104),
      logger,
    });
    expect(reconciled.outcomes.map((o) => o.outcome)).to.deep.equal(["still-in-flight"]);
    await newLeader.settle(107, at(107));

    const [original, next] = sent;
    expect(next, "the new leader replaced the stuck transaction").to.not.equal(undefined);
    expect(next!.nonce).to.equal(original!.nonce);
    expect([next!.to, next!.value, next!.data], "a zero-value self-transfer, not the plan again").to.deep.equal([signer.address, 0n, "0x"]);
    expect(journal.txAttempts("p-adopted").map((a) => a.kind)).to.deep.equal(["original", "cancel"]);

    // The cancel lands: the plan was too late, which is a race lost, not a failure of the keeper.
    receipts.set(next!.hash!, { hash: next!.hash!, blockNumber: 108, status: 1, gasUsed: 21_000n, gasPrice: GWEI, logs: [] });
    await newLeader.settle(108, at(108));
    expect(journal.getExecution("p-adopted")!.state).to.equal("replaced");
    expect(journal.getExecution("p-adopted")!.error).to.match(/past the plan's deadline block 102/);
    expect(outcomes.at(-1)).to.deep.include({ kind: "failed", failure: "lost-race" });
    // A breaker that halts at the first failure does not move.
    const breaker = new CircuitBreaker({ ...DEFAULT_BREAKER_THRESHOLDS, consecutiveFailures: { count: 1, severity: "HALTED" } });
    expect(breaker.recordOutcome(outcomes.at(-1)!), "no breaker trigger").to.deep.equal([]);
    expect(breaker.state).to.equal("NORMAL");
  });

  it("prices a replacement from the newest attempt a node accepted, not from a refused one — also after a change of leader", async () => {
    const outcomes: ExecutionOutcome[] = [];
    const stage = await keeper(outcomes);
    simulationDeadline(200);
    await stage.execute(makePlan({ id: "p-refused" }), context(100));
    refuse = true;
    await stage.settle(103, at(103)); // replacement 1: every endpoint refuses it
    refuse = false;
    await stage.settle(106, at(106)); // replacement 2
    const [original, refused, accepted] = sent;
    expect(refused!.maxFeePerGas! > original!.maxFeePerGas!).to.equal(true);
    expect(accepted!.maxFeePerGas, "one bump over the original the node holds, not a bump over the refused one").to.equal(
      refused!.maxFeePerGas,
    );
    expect(accepted!.maxPriorityFeePerGas).to.equal(refused!.maxPriorityFeePerGas);
    expect(accepted!.hash).to.equal(refused!.hash);
    const statuses = () => journal.txAttempts("p-refused").map((a) => [a.kind, a.status]);
    expect(statuses(), "priced like the refused one, it is that transaction sent again").to.deep.equal([
      ["original", "pending"],
      ["replacement", "pending"],
    ]);

    // Refused again, then the leader changes: the new one reads the refusal from the journal.
    refuse = true;
    await stage.settle(109, at(109));
    expect(statuses()).to.deep.equal([
      ["original", "pending"],
      ["replacement", "pending"],
      ["replacement", "dropped"],
    ]);
    refuse = false;
    const newLeader = await keeper([]);
    await reconcileOpenIntents({ journal, chain: newLeaderChain(), stage: newLeader, headBlock: 110, at: at(110), logger });
    await newLeader.settle(113, at(113));
    const [refusedAgain, adoptedBump] = sent.slice(3);
    expect(refusedAgain!.maxFeePerGas! > accepted!.maxFeePerGas!).to.equal(true);
    expect(adoptedBump!.maxFeePerGas, "one bump over the newest accepted attempt, not over the refused one").to.equal(
      refusedAgain!.maxFeePerGas,
    );
    expect(adoptedBump!.hash).to.equal(refusedAgain!.hash);
    expect(statuses().at(-1)).to.deep.equal(["replacement", "pending"]);
  });

  function simulationDeadline(block: number): void {
    (simulation as { deadlineBlock: number }).deadlineBlock = block;
  }

  afterEach(() => simulationDeadline(102));

  function newLeaderChain() {
    return {
      getTransactionReceipt: async (hash: string) => receipts.get(hash) ?? null,
      getTransaction: async (hash: string) => {
        const tx = pool.get(hash);
        return tx === undefined ? null : { hash, to: tx.to, data: tx.data, value: tx.value, gasLimit: tx.gasLimit, chainId: tx.chainId };
      },
      getTransactionCount: async () => 5,
    };
  }
});
