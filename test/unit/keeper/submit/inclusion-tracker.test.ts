/**
 * InclusionTracker's waiting rules with a scripted chain. Test double: a ChainReader whose head and
 * receipts the test sets, with an injected clock and sleep, because the cases here (a chain that
 * stops producing blocks, an RPC that keeps failing) are about time and cannot be produced on the
 * automining in-process chain. Inclusion against the real chain is covered in raw-tx-sender.test.ts.
 */
import { expect } from "chai";
import { InclusionTracker, type ChainReader, type ReceiptLike } from "../../../../keeper/submit/inclusion-tracker";

const HASH_A = `0x${"aa".repeat(32)}`;
const HASH_B = `0x${"bb".repeat(32)}`;

class ScriptedChain implements ChainReader {
  head = 100;
  failing: string | null = null;
  readonly receipts = new Map<string, ReceiptLike>();
  async getBlockNumber(): Promise<number> {
    if (this.failing) throw new Error(this.failing);
    return this.head;
  }
  async getTransactionReceipt(hash: string): Promise<ReceiptLike | null> {
    return this.receipts.get(hash) ?? null;
  }
}

describe("InclusionTracker", function () {
  let chain: ScriptedChain;
  let now: number;
  let tracker: InclusionTracker;
  /** Each sleep advances the clock and runs the scripted chain's next step. */
  let onSleep: () => void;

  beforeEach(function () {
    chain = new ScriptedChain();
    now = 0;
    onSleep = () => undefined;
    tracker = new InclusionTracker({
      chain,
      pollIntervalMs: 100,
      clock: () => now,
      sleep: async (ms) => {
        now += ms;
        onSleep();
      },
    });
  });

  it("returns the receipt of whichever attempt for the nonce was mined", async function () {
    onSleep = () => {
      chain.head++;
      if (chain.head === 102) chain.receipts.set(HASH_B, { hash: HASH_B, blockNumber: 102, status: 1, gasUsed: 21_000n, gasPrice: 7n });
    };

    const outcome = await tracker.waitForInclusion([HASH_A, HASH_B], { sentAtBlock: 100, blockBudget: 5, timeoutMs: 60_000 });

    expect(outcome).to.deep.equal({ status: "included", txHash: HASH_B, blockNumber: 102, gasUsed: 21_000n, effectiveGasPrice: 7n });
  });

  it("reports a status-0 receipt as reverted", async function () {
    chain.receipts.set(HASH_A, { hash: HASH_A, blockNumber: 100, status: 0, gasUsed: 50_000n, gasPrice: 9n });

    const outcome = await tracker.waitForInclusion([HASH_A], { sentAtBlock: 100, blockBudget: 2, timeoutMs: 60_000 });

    expect(outcome.status).to.equal("reverted");
  });

  it("reports not included once the block budget has passed", async function () {
    onSleep = () => void chain.head++;

    const outcome = await tracker.waitForInclusion([HASH_A], { sentAtBlock: 100, blockBudget: 3, timeoutMs: 60_000 });

    expect(outcome).to.deep.equal({ status: "not-included", blocksWaited: 3, lastSeenBlock: 103 });
  });

  it("gives up on the wall clock when the chain stops producing blocks", async function () {
    const outcome = await tracker.waitForInclusion([HASH_A], { sentAtBlock: 100, blockBudget: 3, timeoutMs: 1_000 });

    expect(outcome.status).to.equal("not-included");
    if (outcome.status !== "not-included") return;
    expect(outcome.blocksWaited).to.equal(0);
    expect(outcome.note).to.match(/gave up after 1000 ms without reaching the block budget/);
  });

  it("keeps polling through RPC failures and still finds the receipt", async function () {
    chain.failing = "all 2 RPC endpoint(s) failed eth_blockNumber";
    let sleeps = 0;
    onSleep = () => {
      if (++sleeps === 3) {
        chain.failing = null;
        chain.receipts.set(HASH_A, { hash: HASH_A, blockNumber: 101, status: 1, gasUsed: 1n, gasPrice: 1n });
      }
    };

    const outcome = await tracker.waitForInclusion([HASH_A], { sentAtBlock: 100, blockBudget: 3, timeoutMs: 60_000 });

    expect(outcome.status).to.equal("included");
  });

  it("names the last RPC error when the RPC never recovers", async function () {
    chain.failing = "all 2 RPC endpoint(s) failed eth_blockNumber";

    const outcome = await tracker.waitForInclusion([HASH_A], { sentAtBlock: 100, blockBudget: 3, timeoutMs: 500 });

    expect(outcome.status === "not-included" && outcome.note).to.match(/last RPC error: all 2 RPC endpoint\(s\) failed/);
  });
});
