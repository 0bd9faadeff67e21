/**
 * `TxSender` for chains with a bundle relay (Ethereum mainnet): the signed transaction is offered
 * as a one-transaction bundle for the next block, re-simulated and re-offered for each following
 * block up to the budget (+1..+N). A bundle that would revert, or whose gas cost exceeds what the
 * plan allows, is never sent. A bundle that was not included left nothing in flight (the relay
 * does not gossip it), so the nonce is re-read and can be used again.
 */
import { RelayRequestError, type BundleCheck, type BundleSimulation, type BundleSubmitter } from "./bundle-submitter";
import { findInclusion, type ChainReader } from "./inclusion-tracker";
import { PreparedTxSender, type FailedBroadcast } from "./prepared-tx-sender";
import type { TransactionPreparer } from "./transaction-preparer";
import type { BroadcastReport, InclusionOutcome, PreparedTx, SignedTx, SubmissionResult } from "./types";

export interface BundleTxSenderOptions {
  readonly preparer: TransactionPreparer;
  readonly submitter: BundleSubmitter;
  readonly chain: ChainReader;
  /** N: target blocks +1..+N are tried. Default 3. */
  readonly targetBlocks?: number;
  /** How often to look for the next block. Default 1,000 ms (Ethereum blocks are 12 s). */
  readonly pollIntervalMs?: number;
  /** Longest wait for a target block to be produced before moving on. Default 60,000 ms. */
  readonly blockWaitTimeoutMs?: number;
  /** Extra refusal rule over the simulation (e.g. a decoded profit floor); runs after the gas-cost check. */
  readonly extraCheck?: (simulation: BundleSimulation, prepared: PreparedTx) => string | null;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly clock?: () => number;
}

/** The relay path refused to send (simulation revert or failed check); nothing is in flight. */
export class BundleNotSentError extends Error {
  override readonly name = "BundleNotSentError";
  constructor(
    readonly reason: "bundle-simulation-reverted" | "bundle-profit-check-failed",
    readonly detail: string,
  ) {
    super(detail);
  }
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class BundleTxSender extends PreparedTxSender {
  readonly path = "bundle" as const;
  readonly #submitter: BundleSubmitter;
  readonly #targetBlocks: number;
  readonly #pollIntervalMs: number;
  readonly #blockWaitTimeoutMs: number;
  readonly #extraCheck: BundleTxSenderOptions["extraCheck"];
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #clock: () => number;

  constructor(options: BundleTxSenderOptions) {
    if (options.submitter.authAddress === options.preparer.from) {
      // BundleSubmitter.create already refuses this; checked again because both are injectable.
      throw new Error("the bundle auth key must differ from the transaction signing key");
    }
    super(options.preparer, options.chain);
    this.#submitter = options.submitter;
    this.#targetBlocks = options.targetBlocks ?? 3;
    if (!Number.isInteger(this.#targetBlocks) || this.#targetBlocks < 1) {
      throw new Error(`targetBlocks must be an integer >= 1, got ${String(options.targetBlocks)}`);
    }
    this.#pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.#blockWaitTimeoutMs = options.blockWaitTimeoutMs ?? 60_000;
    this.#extraCheck = options.extraCheck;
    this.#sleep = options.sleep ?? defaultSleep;
    this.#clock = options.clock ?? Date.now;
  }

  /** Simulates and offers the bundle for the next block; throws `BundleNotSentError` if it must not be sent. */
  async broadcast(signed: SignedTx): Promise<BroadcastReport> {
    try {
      const head = await this.chain.getBlockNumber();
      return await this.#offer(signed, head + 1);
    } catch (error) {
      await this.preparer.nonces.resync().catch(() => undefined);
      throw error;
    }
  }

  /**
   * Waits for each target block in turn; if it passed without the transaction, re-simulates and
   * re-offers the newest attempt for the next block, until N blocks have passed since `sentAtBlock`.
   */
  async awaitInclusion(attempts: readonly SignedTx[], sentAtBlock: number): Promise<InclusionOutcome> {
    const newest = attempts.at(-1);
    if (newest === undefined) throw new Error("awaitInclusion needs at least one signed transaction");
    let target = sentAtBlock + 1;
    for (;;) {
      const head = await this.#waitForBlock(target);
      const landed = await findInclusion(
        this.chain,
        attempts.map((attempt) => attempt.hash),
      );
      if (landed !== null) return landed;
      const blocksWaited = head - sentAtBlock;
      if (head < target) {
        return {
          status: "not-included",
          blocksWaited,
          lastSeenBlock: head,
          note: `block ${target} not produced within ${this.#blockWaitTimeoutMs} ms`,
        };
      }
      if (blocksWaited >= this.#targetBlocks) {
        await this.preparer.nonces.resync();
        return { status: "not-included", blocksWaited, lastSeenBlock: head };
      }
      target = head + 1;
      try {
        await this.#offer(newest, target);
      } catch (error) {
        await this.preparer.nonces.resync();
        const reason = error instanceof Error ? error.message : String(error);
        return { status: "not-included", blocksWaited, lastSeenBlock: head, note: `stopped re-offering for block ${target}: ${reason}` };
      }
    }
  }

  protected async resultOfFailedBroadcast(error: unknown, { base }: FailedBroadcast): Promise<SubmissionResult> {
    if (error instanceof BundleNotSentError) return { ...base, status: "rejected", reason: error.reason, detail: error.detail };
    if (error instanceof RelayRequestError) {
      return { ...base, status: "rejected", reason: "relay-refused", detail: error.message };
    }
    throw error;
  }

  async #offer(signed: SignedTx, targetBlock: number): Promise<BroadcastReport> {
    const check: BundleCheck = (simulation) => {
      const maxGasCost = signed.prepared.meta.maxGasCostWei;
      if (maxGasCost !== undefined && simulation.gasFeesWei > maxGasCost) {
        return `simulated gas fees ${simulation.gasFeesWei} wei exceed the plan's maxGasCostWei ${maxGasCost}`;
      }
      return this.#extraCheck?.(simulation, signed.prepared) ?? null;
    };
    const outcome = await this.#submitter.simulateAndSend([signed.raw], targetBlock, check);
    if (!outcome.sent) throw new BundleNotSentError(outcome.reason, outcome.detail);
    return {
      path: "bundle",
      targetBlock,
      bundleHash: outcome.bundleHash,
      simulatedGasUsed: outcome.simulation.totalGasUsed,
      simulatedGasFeesWei: outcome.simulation.gasFeesWei,
    };
  }

  /** Polls until the head reaches `block` or the wait times out; returns the last head seen. */
  async #waitForBlock(block: number): Promise<number> {
    const deadline = this.#clock() + this.#blockWaitTimeoutMs;
    for (;;) {
      const head = await this.chain.getBlockNumber();
      if (head >= block || this.#clock() >= deadline) return head;
      await this.#sleep(this.#pollIntervalMs);
    }
  }
}
