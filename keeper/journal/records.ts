/**
 * What the journal stores and returns, as the rest of the keeper sees it: bigints as bigint,
 * timestamps as epoch milliseconds, JSON columns parsed. The SQL row shapes stay inside journal.ts.
 */
import type { Address, ExecutionState, FlashSourceKind, KeeperMode, MarketProtocol, SkipReason } from "../core/types";

export interface OpportunityRecord {
  readonly id: number;
  readonly protocol: MarketProtocol;
  readonly market: string;
  readonly borrower: Address;
  readonly collateralToken: Address;
  readonly debtToken: Address;
  readonly debtToCover: bigint;
  readonly debtToCoverUsd: number;
  readonly healthFactor: bigint;
  readonly sizingRule: string;
  readonly decision: "planned" | "skipped";
  readonly skipReason: SkipReason | null;
  readonly detail: string | null;
  readonly planId: string | null;
  readonly expectedProfitUsd: number | null;
  readonly netProfitUsd: number | null;
  readonly blockNumber: number;
  readonly createdAt: number;
}

export interface ExecutionRecord {
  readonly planId: string;
  readonly mode: KeeperMode;
  readonly state: ExecutionState;
  readonly protocol: MarketProtocol;
  readonly market: string;
  readonly borrower: Address;
  readonly collateralToken: Address;
  readonly debtToken: Address;
  readonly profitToken: Address;
  readonly debtToCover: bigint;
  readonly flashKind: FlashSourceKind;
  readonly flashSource: Address;
  readonly flashAmount: bigint;
  /** Raw, in the debt token (the flash loan borrows the debt asset). */
  readonly flashFee: bigint;
  readonly flashFeeUsd: number;
  readonly expectedProfit: bigint;
  readonly expectedProfitUsd: number;
  readonly gasUnitsEstimate: bigint;
  readonly detectedBlock: number;
  /**
   * The plan's deadline block (the executor reverts PlanExpired in any later block), recorded with the intent; null
   * for executions journaled before schema version 3. A keeper adopting the transaction cancels it past this block.
   */
  readonly deadlineBlock: number | null;
  readonly signer: Address | null;
  readonly nonce: number | null;
  /** The transaction that settled the execution, else the latest attempt. */
  readonly txHash: string | null;
  readonly maxFeePerGas: bigint | null;
  readonly maxPriorityFeePerGas: bigint | null;
  readonly includedBlock: number | null;
  readonly gasUsed: bigint | null;
  readonly effectiveGasPrice: bigint | null;
  /** gasUsed × effectiveGasPrice (Base's L1 data fee is not in it; pass gasCostUsd to include it). */
  readonly gasCostWei: bigint | null;
  readonly gasCostUsd: number | null;
  /** Profit-token delta the treasury received, as measured from the receipt. */
  readonly realisedProfit: bigint | null;
  readonly realisedProfitUsd: number | null;
  readonly error: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly sentAt: number | null;
  readonly settledAt: number | null;
}

export interface ExecutionTransitionRecord {
  readonly id: number;
  readonly planId: string;
  readonly fromState: ExecutionState | null;
  readonly toState: ExecutionState;
  readonly detail: string | null;
  readonly at: number;
}

export type TxAttemptKind = "original" | "replacement" | "cancel";
export type TxAttemptStatus = "pending" | "included" | "replaced" | "dropped" | "failed";

export interface TxAttemptRecord {
  readonly planId: string;
  /** 1 for the original, then 2, 3… for each replacement or cancel. */
  readonly attempt: number;
  readonly kind: TxAttemptKind;
  readonly txHash: string;
  readonly signer: Address;
  readonly nonce: number;
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
  readonly gasLimit: bigint | null;
  readonly status: TxAttemptStatus;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** An execution that may have a transaction in flight, with every transaction signed for it. */
export interface OpenIntent {
  readonly execution: ExecutionRecord;
  readonly attempts: readonly TxAttemptRecord[];
}

export const SYSTEM_EVENT_KINDS = [
  "startup",
  "shutdown",
  "mode_change",
  "breaker_transition",
  "pause",
  "resume",
  "halt",
  "tier_change",
  "key_rotation",
  "control_request",
  "control_applied",
  "reconciliation",
  "alert",
  "leadership",
  /** Someone else's liquidation of a position reached the chain before this keeper's (keeper/execution/race-ledger.ts). */
  "race_lost",
] as const;
export type SystemEventKind = (typeof SYSTEM_EVENT_KINDS)[number];

export interface SystemEventRecord {
  readonly id: number;
  readonly kind: SystemEventKind;
  /** Who caused it: "keeper", "breaker", or the operator named by a task (e.g. "task:keeper:resume by alice"). */
  readonly actor: string;
  readonly detail: string;
  readonly data: unknown;
  readonly createdAt: number;
}

export type ControlRequestKind = "resume" | "mode" | "tier" | "halt";

/** Payload of each control request kind; the running keeper validates again when it applies one. */
export interface ControlRequestPayloads {
  readonly resume: { readonly reason: string };
  readonly mode: { readonly mode: KeeperMode; readonly reason?: string };
  readonly tier: { readonly tier: 1 | 2 | 3; readonly reason?: string };
  readonly halt: { readonly reason: string };
}

export type ControlRequestRecord = {
  [K in ControlRequestKind]: {
    readonly id: number;
    readonly kind: K;
    readonly payload: ControlRequestPayloads[K];
    readonly requestedBy: string;
    readonly createdAt: number;
    readonly appliedAt: number | null;
    readonly outcome: "applied" | "rejected" | null;
    readonly outcomeDetail: string | null;
  };
}[ControlRequestKind];

/** Breaker snapshots and other risk counters are stored under a key as opaque JSON. */
export interface RiskStateRecord<T = unknown> {
  readonly key: string;
  readonly value: T;
  readonly updatedAt: number;
}

/** Facts read from a receipt, for settling an execution. */
export interface ReceiptFacts {
  readonly txHash: string;
  readonly blockNumber: number;
  readonly gasUsed: bigint;
  readonly effectiveGasPrice: bigint;
  /** Total fee in USD if the caller priced it (and, on Base, added the L1 data fee). */
  readonly gasCostUsd?: number;
}

export interface TxAttemptInput {
  readonly txHash: string;
  readonly signer: Address;
  readonly nonce: number;
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
  readonly gasLimit?: bigint;
}

export interface IntentInput {
  readonly signer: Address;
  readonly nonce: number;
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
  /** The plan's deadline block, so that whichever keeper settles the transaction knows when it can only revert. */
  readonly deadlineBlock?: number;
}
