/**
 * Waits for one of a nonce's transactions (the original and any replacements) to be mined, within
 * a block budget. Reports the receipt (included or reverted, with gas used and effective gas price)
 * or "not-included" once the budget has passed, leaving bump/cancel/drop to the caller, which
 * knows the opportunity. Polls: on Base (200 ms blocks since Denim) a poll per block sees a receipt
 * within a block of its inclusion, and polling survives RPC failover where subscriptions do not.
 */
import type { InclusionOutcome } from "./types";

/** The reads the tracker needs; an ethers Provider (e.g. the read pool's) satisfies them. */
export interface ChainReader {
  getBlockNumber(): Promise<number>;
  getTransactionReceipt(hash: string): Promise<ReceiptLike | null>;
}

/** The receipt fields used; ethers v6 `TransactionReceipt` has them (`gasPrice` is the effective price). */
export interface ReceiptLike {
  readonly hash: string;
  readonly blockNumber: number;
  readonly status: number | null;
  readonly gasUsed: bigint;
  readonly gasPrice: bigint;
}

export interface InclusionTrackerOptions {
  readonly chain: ChainReader;
  /** Default 250 ms. */
  readonly pollIntervalMs?: number;
  /** Injected for tests; defaults to setTimeout. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly clock?: () => number;
}

export interface InclusionWait {
  /** Head block when the transaction was sent. */
  readonly sentAtBlock: number;
  /** Give up once the head is this many blocks past `sentAtBlock` without a receipt. */
  readonly blockBudget: number;
  /** Wall-clock bound, for a chain that stops producing blocks. */
  readonly timeoutMs: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class InclusionTracker {
  readonly #chain: ChainReader;
  readonly #pollIntervalMs: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #clock: () => number;

  constructor(options: InclusionTrackerOptions) {
    this.#chain = options.chain;
    this.#pollIntervalMs = options.pollIntervalMs ?? 250;
    this.#sleep = options.sleep ?? defaultSleep;
    this.#clock = options.clock ?? Date.now;
  }

  async waitForInclusion(hashes: readonly string[], wait: InclusionWait): Promise<InclusionOutcome> {
    if (hashes.length === 0) throw new Error("waitForInclusion needs at least one transaction hash");
    if (!Number.isInteger(wait.blockBudget) || wait.blockBudget < 0) {
      throw new Error(`blockBudget must be a non-negative integer of blocks, got ${wait.blockBudget}`);
    }
    const deadline = this.#clock() + wait.timeoutMs;
    let lastSeenBlock = wait.sentAtBlock;
    let lastError: string | null = null;
    for (;;) {
      try {
        // Head first, receipts second: a receipt in any block up to `head` is then always seen
        // before the budget check declares the transaction missing.
        const head = await this.#chain.getBlockNumber();
        lastSeenBlock = Math.max(lastSeenBlock, head);
        const found = await findInclusion(this.#chain, hashes);
        if (found !== null) return found;
        if (head - wait.sentAtBlock >= wait.blockBudget) {
          return { status: "not-included", blocksWaited: head - wait.sentAtBlock, lastSeenBlock };
        }
        lastError = null;
      } catch (error) {
        // The read pool already failed over; keep polling until the deadline rather than
        // declaring a transaction lost because the RPC had a bad moment.
        lastError = error instanceof Error ? error.message : String(error);
      }
      if (this.#clock() >= deadline) {
        return {
          status: "not-included",
          blocksWaited: lastSeenBlock - wait.sentAtBlock,
          lastSeenBlock,
          note: `gave up after ${wait.timeoutMs} ms${lastError ? `; last RPC error: ${lastError}` : " without reaching the block budget"}`,
        };
      }
      await this.#sleep(this.#pollIntervalMs);
    }
  }
}

/** The receipt of whichever of `hashes` (one nonce's attempts) was mined, as an outcome; null if none. */
export async function findInclusion(chain: ChainReader, hashes: readonly string[]): Promise<InclusionOutcome | null> {
  const receipts = await Promise.all(hashes.map((hash) => chain.getTransactionReceipt(hash)));
  const receipt = receipts.find((candidate): candidate is ReceiptLike => candidate !== null && candidate !== undefined);
  if (receipt === undefined) return null;
  return {
    status: receipt.status === 1 ? "included" : "reverted",
    txHash: receipt.hash,
    blockNumber: receipt.blockNumber,
    gasUsed: receipt.gasUsed,
    effectiveGasPrice: receipt.gasPrice,
  };
}
