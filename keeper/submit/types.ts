/**
 * The submission layer's vocabulary. Submission is split into steps so the journal can record each
 * before the next happens (keeper/execution/execution-stage.ts drives them):
 *
 *   prepare (nonce + fees, nothing signed) → [journal: intent] → sign → [journal: signed]
 *     → broadcast (RawTxBroadcaster, or the relay's bundle broadcaster) → [journal: sent]
 */
import type { Address } from "../core/types";
import type { Eip1559Fees } from "./fee-policy";
import type { SendOutcome } from "./send-answer";

export type { Eip1559Fees };

/** An already-simulated call the execution stage wants on chain. */
export interface TxRequest {
  readonly to: Address;
  readonly data: string;
  readonly value?: bigint;
  /**
   * From the simulation (estimateGas plus a margin). Required: this layer never estimates, so it
   * can never send something the execution stage did not simulate.
   */
  readonly gasLimit: bigint;
  /** Priority fee bid per gas (e.g. from `priorityFeeFromProfit`); capped by the fee policy. */
  readonly priorityFeePerGas: bigint;
}

export interface SubmissionMeta {
  /** The journal's execution id, carried through for correlation. */
  readonly executionId: string;
}

export type PreparedTxKind = "original" | "replacement" | "cancel";

/** A fully specified EIP-1559 transaction, not yet signed. */
export interface PreparedTx {
  readonly kind: PreparedTxKind;
  readonly meta: SubmissionMeta;
  readonly chainId: number;
  readonly from: Address;
  readonly nonce: number;
  readonly to: Address;
  readonly data: string;
  readonly value: bigint;
  readonly gasLimit: bigint;
  readonly fees: Eip1559Fees;
  /** Replacement and cancel: the hash of the transaction this one supersedes. */
  readonly replaces?: string;
}

export interface SignedTx {
  readonly prepared: PreparedTx;
  /** The serialized signed transaction (what eth_sendRawTransaction takes). */
  readonly raw: string;
  readonly hash: string;
}

/** One send endpoint's answer, with the endpoint named by its redacted label. */
export interface EndpointSendAnswer {
  readonly endpoint: string;
  readonly outcome: SendOutcome;
  readonly detail: string;
}

/** What RawTxBroadcaster reports once a raw transaction has left for every send endpoint. */
export interface BroadcastReport {
  readonly path: "raw";
  /** Endpoints that accepted (or already had) the transaction by the time the report was made. */
  readonly acceptedBy: readonly string[];
  /** True when no endpoint accepted but a receipt shows our transaction already used the nonce. */
  readonly alreadyIncluded: boolean;
  /** Every endpoint's answer, once all have answered or timed out. */
  readonly allAnswers: Promise<readonly EndpointSendAnswer[]>;
}
