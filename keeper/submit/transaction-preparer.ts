/**
 * Turns a simulated call into a fully specified EIP-1559 transaction (nonce, fees, gas) without
 * signing it, builds replacements and cancels for a stuck nonce, and signs. The execution stage uses
 * it whichever way the signed transaction then leaves (raw to the send endpoints, or a relay bundle),
 * so both number and price transactions identically.
 */
import { getAddress, keccak256, type TransactionRequest } from "ethers";
import type { Address } from "../core/types";
import { initialFees, replacementDecision, validateFeePolicy, type FeePolicyConfig } from "./fee-policy";
import type { NonceManager } from "./nonce-manager";
import type { PreparedTx, SignedTx, SubmissionMeta, TxRequest } from "./types";

/** The signing capability; an ethers Wallet satisfies it. */
export interface TransactionSigner {
  getAddress(): Promise<string>;
  signTransaction(tx: TransactionRequest): Promise<string>;
}

/** Where the current base fee comes from (the latest block's, in practice). */
export interface BaseFeeSource {
  currentBaseFee(): Promise<bigint>;
}

/** Reads the latest block's base fee through any ethers-style provider. */
export function latestBlockBaseFee(provider: { getBlock(tag: "latest"): Promise<{ baseFeePerGas: bigint | null } | null> }): BaseFeeSource {
  return {
    currentBaseFee: async () => {
      const block = await provider.getBlock("latest");
      if (block === null) throw new Error("the latest block is unavailable; cannot price a transaction");
      if (block.baseFeePerGas === null)
        throw new Error("the latest block has no baseFeePerGas; EIP-1559 pricing needs a London-or-later chain");
      return block.baseFeePerGas;
    },
  };
}

/** Gas of a plain ETH transfer, which is what a cancel is. */
export const CANCEL_GAS_LIMIT = 21_000n;

export class FeesExhaustedError extends Error {
  override readonly name = "FeesExhaustedError";
}

/**
 * A nonce no transaction within `cancelMaxFeePerGasCeiling` can replace (even the +10% nodes require is above it).
 * Every later nonce of the key would queue behind it on the node, so nothing new is sent until it is mined (the
 * stuck transaction lands, e.g. once the base fee falls) or an operator raises the ceiling and restarts.
 */
export interface NonceBlock {
  readonly address: Address;
  readonly nonce: number;
  /** The transaction that holds the nonce (the newest attempt at it). */
  readonly stuckTxHash: string | null;
  readonly stuckMaxFeePerGas: bigint;
  /** The smallest maxFeePerGas a node would take in its place. */
  readonly neededMaxFeePerGas: bigint;
  readonly cancelMaxFeePerGasCeiling: bigint;
  readonly reason: string;
  /** When it was found blocked (ms since the epoch). */
  readonly sinceMs: number;
}

/**
 * Where a blocked nonce is kept beyond this process (the journal): a restarted keeper, or a standby taking over, knows
 * at once that the key is blocked instead of finding it again at its first fee bump. Journal satisfies it.
 */
export interface NonceBlockRecords {
  nonceBlock(signer: string): NonceBlock | null;
  recordNonceBlock(signer: string, block: NonceBlock | null): void;
}

/** Nothing was prepared: the key's nonce is blocked (see NonceBlock). */
export class NonceBlockedError extends Error {
  override readonly name = "NonceBlockedError";
}

export interface TransactionPreparerOptions {
  readonly signer: TransactionSigner;
  readonly chainId: number;
  readonly nonces: NonceManager;
  readonly fees: FeePolicyConfig;
  readonly baseFee: BaseFeeSource;
  /** Told when a nonce becomes blocked (the block) and when it is free again (null): alerts, metrics. */
  readonly onNonceBlock?: (block: NonceBlock | null) => void;
  /** Keeps the block across restarts and takeovers (the journal); read at create and by `reloadNonceBlock`. */
  readonly nonceBlockRecords?: NonceBlockRecords;
  /** Wall clock for `NonceBlock.sinceMs`. Default Date.now. */
  readonly clock?: () => number;
}

export class TransactionPreparer {
  readonly from: Address;
  readonly chainId: number;
  readonly #signer: TransactionSigner;
  readonly #nonces: NonceManager;
  readonly #fees: FeePolicyConfig;
  readonly #baseFee: BaseFeeSource;
  readonly #onNonceBlock: (block: NonceBlock | null) => void;
  readonly #clock: () => number;
  readonly #records: NonceBlockRecords | undefined;
  #blocked: NonceBlock | null = null;
  /** The records could not be written (the database was away): written again at the next refresh. */
  #unrecorded = false;

  private constructor(options: TransactionPreparerOptions, from: Address) {
    this.from = from;
    this.chainId = options.chainId;
    this.#signer = options.signer;
    this.#nonces = options.nonces;
    this.#fees = validateFeePolicy(options.fees);
    this.#baseFee = options.baseFee;
    this.#onNonceBlock = options.onNonceBlock ?? (() => undefined);
    this.#clock = options.clock ?? Date.now;
    this.#records = options.nonceBlockRecords;
  }

  static async create(options: TransactionPreparerOptions): Promise<TransactionPreparer> {
    const from = getAddress(await options.signer.getAddress()) as Address;
    if (from !== getAddress(options.nonces.address)) {
      throw new Error(`the nonce manager is for ${options.nonces.address} but the signer is ${from}; they must be the same key`);
    }
    if (options.nonces.chainId !== options.chainId) {
      throw new Error(`the nonce manager is for chain ${options.nonces.chainId} but the preparer for chain ${options.chainId}`);
    }
    const preparer = new TransactionPreparer(options, from);
    // Blocked by an earlier run or another instance: known (alert, gauges, /status) from start-up.
    preparer.#adoptRecordedBlock();
    return preparer;
  }

  get nonces(): NonceManager {
    return this.#nonces;
  }

  get feePolicy(): FeePolicyConfig {
    return this.#fees;
  }

  /** The nonce that stops this key from sending, or null. */
  get nonceBlock(): NonceBlock | null {
    return this.#blocked;
  }

  /**
   * Reserves a nonce and prices the call; the nonce is given back if pricing fails. Throws `NonceBlockedError`
   * (nothing reserved) while an earlier nonce is blocked and still unmined: a transaction behind it could not land.
   */
  async prepare(request: TxRequest, meta: SubmissionMeta): Promise<PreparedTx> {
    if (request.gasLimit <= 0n) throw new Error(`gasLimit must come from the simulation and be > 0, got ${request.gasLimit}`);
    await this.#refuseWhileBlocked();
    const baseFee = await this.#baseFee.currentBaseFee();
    const fees = initialFees(baseFee, request.priorityFeePerGas, this.#fees);
    const nonce = await this.#nonces.next();
    return {
      kind: "original",
      meta,
      chainId: this.chainId,
      from: this.from,
      nonce,
      to: getAddress(request.to) as Address,
      data: request.data,
      value: request.value ?? 0n,
      gasLimit: request.gasLimit,
      fees,
    };
  }

  /**
   * The transaction to send in place of `stuck` at the same nonce: the same call with both fees
   * bumped, or — beyond the bid caps, or when `stuck` is already a cancel — a zero-value
   * self-transfer. Throws `FeesExhaustedError` when even a cancel would cross the ceiling.
   */
  async prepareReplacement(stuck: PreparedTx, stuckHash?: string): Promise<PreparedTx> {
    const baseFee = await this.#baseFee.currentBaseFee();
    const decision = replacementDecision(stuck.fees, stuck.kind, baseFee, this.#fees);
    if (decision.kind === "exhausted") {
      const reason = `cannot replace nonce ${stuck.nonce} of ${this.from}: ${decision.reason}`;
      // The lowest blocked nonce is the one that stops the key (those above it queue behind it): one incident, told once.
      if (this.#blocked === null || stuck.nonce < this.#blocked.nonce) {
        this.#setBlock({
          address: this.from,
          nonce: stuck.nonce,
          stuckTxHash: stuckHash ?? null,
          stuckMaxFeePerGas: stuck.fees.maxFeePerGas,
          neededMaxFeePerGas: decision.neededMaxFeePerGas,
          cancelMaxFeePerGasCeiling: this.#fees.cancelMaxFeePerGasCeiling,
          reason,
          sinceMs: this.#clock(),
        });
      }
      throw new FeesExhaustedError(reason);
    }
    const common = {
      meta: stuck.meta,
      chainId: this.chainId,
      from: this.from,
      nonce: stuck.nonce,
      fees: decision.fees,
      replaces: stuckHash,
    };
    if (decision.kind === "replace") {
      return { ...common, kind: "replacement", to: stuck.to, data: stuck.data, value: stuck.value, gasLimit: stuck.gasLimit };
    }
    return { ...common, kind: "cancel", to: this.from, data: "0x", value: 0n, gasLimit: CANCEL_GAS_LIMIT };
  }

  /**
   * Reads the block the records hold (another instance may have found one since this one started) and checks it
   * against the chain: call on taking over. The block that stands, or null.
   */
  async reloadNonceBlock(): Promise<NonceBlock | null> {
    this.#adoptRecordedBlock();
    return this.refreshNonceBlock();
  }

  /** Clears the block once its nonce is mined (one chain read, only while blocked); the block that stands, or null. */
  async refreshNonceBlock(): Promise<NonceBlock | null> {
    if (this.#unrecorded) this.#record(this.#blocked);
    const blocked = this.#blocked;
    // Mined after all (the base fee fell under its max fee, or someone replaced it): the key is free again.
    if (blocked !== null && (await this.#nonces.minedCount()) > blocked.nonce) this.#setBlock(null);
    return this.#blocked;
  }

  async #refuseWhileBlocked(): Promise<void> {
    const blocked = await this.refreshNonceBlock();
    if (blocked === null) return;
    throw new NonceBlockedError(
      `not sent: nonce ${blocked.nonce} of ${this.from} is blocked by ${blocked.stuckTxHash ?? "a stuck transaction"} since ` +
        `${new Date(blocked.sinceMs).toISOString()} (${blocked.reason}); anything sent now would queue behind it`,
    );
  }

  #setBlock(block: NonceBlock | null): void {
    this.#blocked = block;
    this.#onNonceBlock(block);
    this.#record(block);
  }

  #record(block: NonceBlock | null): void {
    if (this.#records === undefined) return;
    try {
      this.#records.recordNonceBlock(this.from, block);
      this.#unrecorded = false;
    } catch {
      // This process still holds the block (it refuses to send behind it); the record is written at the next refresh.
      this.#unrecorded = true;
    }
  }

  /** Takes the recorded block as this key's, telling the operator only when it differs from the one already known. */
  #adoptRecordedBlock(): void {
    if (this.#records === undefined || this.#unrecorded) return;
    const recorded = this.#records.nonceBlock(this.from);
    const known = this.#blocked;
    if (recorded?.nonce === known?.nonce && recorded?.stuckTxHash === known?.stuckTxHash) return;
    this.#blocked = recorded;
    this.#onNonceBlock(recorded);
  }

  async sign(prepared: PreparedTx): Promise<SignedTx> {
    if (prepared.from !== this.from) throw new Error(`prepared for ${prepared.from}, but this signer is ${this.from}`);
    const raw = await this.#signer.signTransaction({
      type: 2,
      chainId: prepared.chainId,
      nonce: prepared.nonce,
      to: prepared.to,
      data: prepared.data,
      value: prepared.value,
      gasLimit: prepared.gasLimit,
      maxFeePerGas: prepared.fees.maxFeePerGas,
      maxPriorityFeePerGas: prepared.fees.maxPriorityFeePerGas,
    });
    return { prepared, raw, hash: keccak256(raw) };
  }
}
