/**
 * The submission layer's vocabulary and the `TxSender` interface the keeper's execution stage
 * calls. Submission is split into steps so the journal can record each before the next happens:
 *
 *   prepare (nonce + fees, nothing signed) → [journal: intent] → sign → [journal: signed]
 *     → broadcast → [journal: sent] → awaitInclusion → included | reverted | not-included
 *
 * `submit` runs those steps with hooks at each seam; a caller that needs finer control calls the
 * steps itself. On "not-included" the caller decides: `replace` (bump, or cancel beyond the caps),
 * keep waiting, or drop.
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
  /** Bundle path: refuse to send a bundle whose simulated gas fees exceed this (wei). */
  readonly maxGasCostWei?: bigint;
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

export type BroadcastReport =
  | {
      readonly path: "raw";
      /** Endpoints that accepted (or already had) the transaction by the time the report was made. */
      readonly acceptedBy: readonly string[];
      /** True when no endpoint accepted but a receipt shows our transaction already used the nonce. */
      readonly alreadyIncluded: boolean;
      /** Every endpoint's answer, once all have answered or timed out. */
      readonly allAnswers: Promise<readonly EndpointSendAnswer[]>;
    }
  | {
      readonly path: "bundle";
      readonly targetBlock: number;
      readonly bundleHash: string;
      readonly simulatedGasUsed: number;
      readonly simulatedGasFeesWei: bigint;
    };

/** What a mined attempt's receipt says. */
export interface MinedReceipt {
  readonly txHash: string;
  readonly blockNumber: number;
  readonly gasUsed: bigint;
  readonly effectiveGasPrice: bigint;
}

export interface NotIncluded {
  readonly status: "not-included";
  /** Blocks that passed since the send without any of the transactions landing. */
  readonly blocksWaited: number;
  readonly lastSeenBlock: number;
  /** Set when the wait ended on the wall-clock limit, RPC failures or a refused re-offer rather than the block budget. */
  readonly note?: string;
}

export type InclusionOutcome =
  ({ readonly status: "included" } & MinedReceipt) | ({ readonly status: "reverted" } & MinedReceipt) | NotIncluded;

/** Why nothing is in flight after a submission attempt. */
export type RejectionReason =
  | "refused-by-all-endpoints" // raw path: no endpoint accepted the transaction
  | "nonce-consumed" // the nonce was used by another transaction
  | "bundle-simulation-reverted" // bundle path: eth_callBundle showed a revert; nothing was sent
  | "bundle-profit-check-failed" // bundle path: simulation OK but not worth it; nothing was sent
  | "relay-refused" // bundle path: the relay answered with an error (auth, malformed...)
  | "fees-exhausted"; // replacement: even a cancel would cross the fee ceiling

export interface SubmissionAttempts {
  readonly path: "raw" | "bundle";
  readonly nonce: number;
  /** Every transaction signed for this nonce, oldest first. */
  readonly attempts: readonly SignedTx[];
}

export type SubmissionResult = SubmissionAttempts &
  (InclusionOutcome | { readonly status: "rejected"; readonly reason: RejectionReason; readonly detail: string });

/** Seams for the journal. A hook that throws stops the submission before the next step happens. */
export interface SubmissionHooks {
  /** Nonce and fees chosen, nothing signed yet: record the intent here. */
  onPrepared?(prepared: PreparedTx): void | Promise<void>;
  /** Signed, not yet sent: record the hash here (a crash after this must be reconciled by hash). */
  onSigned?(signed: SignedTx): void | Promise<void>;
  /** Handed to the endpoints / relay. */
  onBroadcast?(signed: SignedTx, report: BroadcastReport): void | Promise<void>;
}

/** What the keeper's execution stage calls to put a transaction on chain. */
export interface TxSender {
  readonly path: "raw" | "bundle";
  /** The signing key's address. */
  readonly from: Address;
  /** Nonce + fees; signs nothing. */
  prepare(request: TxRequest, meta: SubmissionMeta): Promise<PreparedTx>;
  /** Same nonce with both fees bumped ≥ bumpBps, or a cancel beyond the caps; throws `FeesExhaustedError` past the cancel ceiling. */
  prepareReplacement(stuck: PreparedTx, stuckHash?: string): Promise<PreparedTx>;
  sign(prepared: PreparedTx): Promise<SignedTx>;
  /** Sends; on any error the nonce is re-read from the chain before the error is rethrown. */
  broadcast(signed: SignedTx): Promise<BroadcastReport>;
  /** Waits for any of `attempts` (same nonce) to land, within the configured block budget. */
  awaitInclusion(attempts: readonly SignedTx[], sentAtBlock: number): Promise<InclusionOutcome>;
  /** prepare → hooks → sign → hooks → broadcast → hooks → awaitInclusion. Never throws for a refused send: returns "rejected". */
  submit(request: TxRequest, meta: SubmissionMeta, hooks?: SubmissionHooks): Promise<SubmissionResult>;
  /** Replaces the newest of `attempts` (bump or cancel) and waits for any of them to land. */
  replace(attempts: readonly SignedTx[], hooks?: SubmissionHooks): Promise<SubmissionResult>;
}
