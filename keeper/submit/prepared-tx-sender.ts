/**
 * The submit/replace flow both `TxSender`s share: prepare → hooks → sign → hooks → broadcast →
 * hooks → awaitInclusion, with the nonce bookkeeping around it. It lives once here so the raw path
 * (Base) and the bundle path (Ethereum) cannot drift apart in the order of hooks or in when a nonce
 * is given back; each path supplies only how it broadcasts, how it waits for inclusion, and which
 * broadcast failures mean "nothing is in flight" (a "rejected" result) rather than a crash.
 */
import type { Address } from "../core/types";
import type { ChainReader } from "./inclusion-tracker";
import { FeesExhaustedError, type TransactionPreparer } from "./transaction-preparer";
import type {
  BroadcastReport,
  InclusionOutcome,
  PreparedTx,
  SignedTx,
  SubmissionAttempts,
  SubmissionHooks,
  SubmissionMeta,
  SubmissionResult,
  TxRequest,
  TxSender,
} from "./types";

/** What a path needs to know to turn a failed broadcast into a result. */
export interface FailedBroadcast {
  /** Path, nonce and every attempt signed for the nonce, including the one that failed to send. */
  readonly base: SubmissionAttempts;
  /** The attempts sent before this one (empty for a first submission). */
  readonly earlier: readonly SignedTx[];
  /** Head when this attempt was signed, for any inclusion look-up. */
  readonly sentAtBlock: number;
}

export abstract class PreparedTxSender implements TxSender {
  abstract readonly path: "raw" | "bundle";
  protected readonly preparer: TransactionPreparer;
  /** Head reads for `sentAtBlock`. */
  protected readonly chain: ChainReader;

  protected constructor(preparer: TransactionPreparer, chain: ChainReader) {
    this.preparer = preparer;
    this.chain = chain;
  }

  get from(): Address {
    return this.preparer.from;
  }

  prepare(request: TxRequest, meta: SubmissionMeta): Promise<PreparedTx> {
    return this.preparer.prepare(request, meta);
  }

  prepareReplacement(stuck: PreparedTx, stuckHash?: string): Promise<PreparedTx> {
    return this.preparer.prepareReplacement(stuck, stuckHash);
  }

  sign(prepared: PreparedTx): Promise<SignedTx> {
    return this.preparer.sign(prepared);
  }

  abstract broadcast(signed: SignedTx): Promise<BroadcastReport>;

  abstract awaitInclusion(attempts: readonly SignedTx[], sentAtBlock: number): Promise<InclusionOutcome>;

  /**
   * The result for a broadcast that threw: "rejected" (or an earlier attempt found mined) when the
   * error means nothing is in flight; any other error must be rethrown.
   */
  protected abstract resultOfFailedBroadcast(error: unknown, failed: FailedBroadcast): Promise<SubmissionResult>;

  async submit(request: TxRequest, meta: SubmissionMeta, hooks: SubmissionHooks = {}): Promise<SubmissionResult> {
    const prepared = await this.prepare(request, meta);
    try {
      await hooks.onPrepared?.(prepared);
    } catch (error) {
      // Nothing was signed: the nonce can be handed out again.
      await this.preparer.nonces.abandon(prepared.nonce);
      throw error;
    }
    return this.#signBroadcastTrack(prepared, [], hooks);
  }

  async replace(attempts: readonly SignedTx[], hooks: SubmissionHooks = {}): Promise<SubmissionResult> {
    const stuck = attempts.at(-1);
    if (stuck === undefined) throw new Error("replace needs the transactions already sent for the nonce");
    let prepared: PreparedTx;
    try {
      prepared = await this.prepareReplacement(stuck.prepared, stuck.hash);
    } catch (error) {
      if (!(error instanceof FeesExhaustedError)) throw error;
      return {
        path: this.path,
        nonce: stuck.prepared.nonce,
        attempts,
        status: "rejected",
        reason: "fees-exhausted",
        detail: error.message,
      };
    }
    await hooks.onPrepared?.(prepared);
    return this.#signBroadcastTrack(prepared, attempts, hooks);
  }

  async #signBroadcastTrack(prepared: PreparedTx, earlier: readonly SignedTx[], hooks: SubmissionHooks): Promise<SubmissionResult> {
    const signed = await this.sign(prepared);
    await hooks.onSigned?.(signed);
    const attempts = [...earlier, signed];
    const base = { path: this.path, nonce: prepared.nonce, attempts } as const;
    const sentAtBlock = await this.chain.getBlockNumber();
    let report: BroadcastReport;
    try {
      report = await this.broadcast(signed);
    } catch (error) {
      return this.resultOfFailedBroadcast(error, { base, earlier, sentAtBlock });
    }
    await hooks.onBroadcast?.(signed, report);
    const outcome = await this.awaitInclusion(attempts, sentAtBlock);
    return { ...base, ...outcome };
  }
}
