/**
 * `TxSender` for chains without a bundle relay (Base): sign once, broadcast the raw transaction to
 * every private send endpoint, track inclusion. Bids are the priority fee (Flashblocks order by it).
 */
import type { Address } from "../core/types";
import type { ChainReader, InclusionTracker } from "./inclusion-tracker";
import { BroadcastRejectedError, type RawTxBroadcaster } from "./raw-tx-broadcaster";
import { FeesExhaustedError, type TransactionPreparer } from "./transaction-preparer";
import type {
  BroadcastReport,
  InclusionOutcome,
  PreparedTx,
  SignedTx,
  SubmissionHooks,
  SubmissionMeta,
  SubmissionResult,
  TxRequest,
  TxSender,
} from "./types";

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

export class RawTxSender implements TxSender {
  readonly path = "raw" as const;
  readonly #preparer: TransactionPreparer;
  readonly #broadcaster: RawTxBroadcaster;
  readonly #tracker: InclusionTracker;
  readonly #chain: ChainReader;
  readonly #blockBudget: number;
  readonly #timeoutMs: number;

  constructor(options: RawTxSenderOptions) {
    this.#preparer = options.preparer;
    this.#broadcaster = options.broadcaster;
    this.#tracker = options.tracker;
    this.#chain = options.chain;
    this.#blockBudget = options.inclusionBlockBudget ?? 3;
    this.#timeoutMs = options.inclusionTimeoutMs ?? 30_000;
  }

  get from(): Address {
    return this.#preparer.from;
  }

  prepare(request: TxRequest, meta: SubmissionMeta): Promise<PreparedTx> {
    return this.#preparer.prepare(request, meta);
  }

  prepareReplacement(stuck: PreparedTx, stuckHash?: string): Promise<PreparedTx> {
    return this.#preparer.prepareReplacement(stuck, stuckHash);
  }

  sign(prepared: PreparedTx): Promise<SignedTx> {
    return this.#preparer.sign(prepared);
  }

  async broadcast(signed: SignedTx): Promise<BroadcastReport> {
    try {
      return await this.#broadcaster.broadcast(signed);
    } catch (error) {
      // Whatever went wrong, the local count may now be wrong too: trust the chain again.
      await this.#preparer.nonces.resync().catch(() => undefined);
      throw error;
    }
  }

  awaitInclusion(attempts: readonly SignedTx[], sentAtBlock: number): Promise<InclusionOutcome> {
    return this.#tracker.waitForInclusion(
      attempts.map((attempt) => attempt.hash),
      { sentAtBlock, blockBudget: this.#blockBudget, timeoutMs: this.#timeoutMs },
    );
  }

  async submit(request: TxRequest, meta: SubmissionMeta, hooks: SubmissionHooks = {}): Promise<SubmissionResult> {
    const prepared = await this.prepare(request, meta);
    try {
      await hooks.onPrepared?.(prepared);
    } catch (error) {
      // Nothing was signed: the nonce can be handed out again.
      await this.#preparer.nonces.abandon(prepared.nonce);
      throw error;
    }
    return this.#signSendTrack(prepared, [], hooks);
  }

  async replace(attempts: readonly SignedTx[], hooks: SubmissionHooks = {}): Promise<SubmissionResult> {
    const stuck = attempts.at(-1);
    if (stuck === undefined) throw new Error("replace needs the transactions already sent for the nonce");
    let prepared: PreparedTx;
    try {
      prepared = await this.prepareReplacement(stuck.prepared, stuck.hash);
    } catch (error) {
      if (!(error instanceof FeesExhaustedError)) throw error;
      return { path: this.path, nonce: stuck.prepared.nonce, attempts, status: "rejected", reason: "fees-exhausted", detail: error.message };
    }
    await hooks.onPrepared?.(prepared);
    return this.#signSendTrack(prepared, attempts, hooks);
  }

  async #signSendTrack(prepared: PreparedTx, earlier: readonly SignedTx[], hooks: SubmissionHooks): Promise<SubmissionResult> {
    const signed = await this.sign(prepared);
    await hooks.onSigned?.(signed);
    const attempts = [...earlier, signed];
    const base = { path: this.path, nonce: prepared.nonce, attempts } as const;
    const sentAtBlock = await this.#chain.getBlockNumber();
    let report: BroadcastReport;
    try {
      report = await this.broadcast(signed);
    } catch (error) {
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
    await hooks.onBroadcast?.(signed, report);
    const outcome = await this.awaitInclusion(attempts, sentAtBlock);
    return { ...base, ...outcome };
  }
}
