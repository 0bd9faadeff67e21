/**
 * `TxSender` for chains without a bundle relay (Base): sign once, broadcast the raw transaction to
 * every private send endpoint, track inclusion. Bids are the priority fee (Base orders each block by it).
 */
import type { ChainReader, InclusionTracker } from "./inclusion-tracker";
import { PreparedTxSender, type FailedBroadcast } from "./prepared-tx-sender";
import { BroadcastRejectedError, type RawTxBroadcaster } from "./raw-tx-broadcaster";
import type { TransactionPreparer } from "./transaction-preparer";
import type { BroadcastReport, InclusionOutcome, SignedTx, SubmissionResult } from "./types";

export interface RawTxSenderOptions {
  readonly preparer: TransactionPreparer;
  readonly broadcaster: RawTxBroadcaster;
  readonly tracker: InclusionTracker;
  /** Head reads for `sentAtBlock`; normally the read pool's provider. */
  readonly chain: ChainReader;
  /** Blocks to wait for a receipt before reporting "not-included". Default 3 (6 s on Base). */
  readonly inclusionBlockBudget?: number;
  /** Wall-clock bound of one wait. Default 30,000 ms. */
  readonly inclusionTimeoutMs?: number;
}

export class RawTxSender extends PreparedTxSender {
  readonly path = "raw" as const;
  readonly #broadcaster: RawTxBroadcaster;
  readonly #tracker: InclusionTracker;
  readonly #blockBudget: number;
  readonly #timeoutMs: number;

  constructor(options: RawTxSenderOptions) {
    super(options.preparer, options.chain);
    this.#broadcaster = options.broadcaster;
    this.#tracker = options.tracker;
    this.#blockBudget = options.inclusionBlockBudget ?? 3;
    this.#timeoutMs = options.inclusionTimeoutMs ?? 30_000;
  }

  async broadcast(signed: SignedTx): Promise<BroadcastReport> {
    try {
      return await this.#broadcaster.broadcast(signed);
    } catch (error) {
      // Whatever went wrong, the local count may now be wrong too: trust the chain again.
      await this.preparer.nonces.resync().catch(() => undefined);
      throw error;
    }
  }

  awaitInclusion(attempts: readonly SignedTx[], sentAtBlock: number): Promise<InclusionOutcome> {
    return this.#tracker.waitForInclusion(
      attempts.map((attempt) => attempt.hash),
      { sentAtBlock, blockBudget: this.#blockBudget, timeoutMs: this.#timeoutMs },
    );
  }

  protected async resultOfFailedBroadcast(error: unknown, { base, earlier, sentAtBlock }: FailedBroadcast): Promise<SubmissionResult> {
    if (!(error instanceof BroadcastRejectedError)) throw error;
    if (earlier.length > 0) {
      // A refused replacement often means an earlier attempt was just mined: look before giving up.
      const landed = await this.#tracker.waitForInclusion(
        earlier.map((attempt) => attempt.hash),
        { sentAtBlock, blockBudget: 0, timeoutMs: this.#timeoutMs },
      );
      if (landed.status !== "not-included") return { ...base, ...landed };
    }
    return { ...base, status: "rejected", reason: error.reason, detail: error.message };
  }
}
