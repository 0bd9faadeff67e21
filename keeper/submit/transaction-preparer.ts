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

export interface TransactionPreparerOptions {
  readonly signer: TransactionSigner;
  readonly chainId: number;
  readonly nonces: NonceManager;
  readonly fees: FeePolicyConfig;
  readonly baseFee: BaseFeeSource;
}

export class TransactionPreparer {
  readonly from: Address;
  readonly chainId: number;
  readonly #signer: TransactionSigner;
  readonly #nonces: NonceManager;
  readonly #fees: FeePolicyConfig;
  readonly #baseFee: BaseFeeSource;

  private constructor(options: TransactionPreparerOptions, from: Address) {
    this.from = from;
    this.chainId = options.chainId;
    this.#signer = options.signer;
    this.#nonces = options.nonces;
    this.#fees = validateFeePolicy(options.fees);
    this.#baseFee = options.baseFee;
  }

  static async create(options: TransactionPreparerOptions): Promise<TransactionPreparer> {
    const from = getAddress(await options.signer.getAddress()) as Address;
    if (from !== getAddress(options.nonces.address)) {
      throw new Error(`the nonce manager is for ${options.nonces.address} but the signer is ${from}; they must be the same key`);
    }
    if (options.nonces.chainId !== options.chainId) {
      throw new Error(`the nonce manager is for chain ${options.nonces.chainId} but the preparer for chain ${options.chainId}`);
    }
    return new TransactionPreparer(options, from);
  }

  get nonces(): NonceManager {
    return this.#nonces;
  }

  get feePolicy(): FeePolicyConfig {
    return this.#fees;
  }

  /** Reserves a nonce and prices the call; the nonce is given back if pricing fails. */
  async prepare(request: TxRequest, meta: SubmissionMeta): Promise<PreparedTx> {
    if (request.gasLimit <= 0n) throw new Error(`gasLimit must come from the simulation and be > 0, got ${request.gasLimit}`);
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
      throw new FeesExhaustedError(`cannot replace nonce ${stuck.nonce} of ${this.from}: ${decision.reason}`);
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
