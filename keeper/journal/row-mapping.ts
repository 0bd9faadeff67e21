/**
 * Rows as the database returns them (snake_case, bigints as decimal TEXT, JSON as TEXT) and their
 * conversion into the records the rest of the keeper sees (keeper/journal/records.ts). The row shapes
 * stay inside keeper/journal/.
 */
import type { Address, ExecutionState, KeeperMode } from "../core/types";
import type {
  ControlRequestKind,
  ControlRequestRecord,
  ExecutionRecord,
  ExecutionTransitionRecord,
  OpportunityRecord,
  SystemEventKind,
  SystemEventRecord,
  TxAttemptKind,
  TxAttemptRecord,
  TxAttemptStatus,
} from "./records";

export interface OpportunityRow {
  id: number;
  protocol: string;
  market: string;
  borrower: string;
  collateral_token: string;
  debt_token: string;
  debt_to_cover: string;
  debt_to_cover_usd: number;
  health_factor: string;
  sizing_rule: string;
  decision: string;
  skip_reason: string | null;
  detail: string | null;
  plan_id: string | null;
  expected_profit_usd: number | null;
  net_profit_usd: number | null;
  block_number: number;
  created_at: number;
}

export interface ExecutionRow {
  plan_id: string;
  mode: string;
  state: string;
  protocol: string;
  market: string;
  borrower: string;
  collateral_token: string;
  debt_token: string;
  profit_token: string;
  debt_to_cover: string;
  flash_kind: string;
  flash_source: string;
  flash_amount: string;
  flash_fee: string;
  flash_fee_usd: number;
  expected_profit: string;
  expected_profit_usd: number;
  gas_units_estimate: string;
  detected_block: number;
  deadline_block: number | null;
  signer: string | null;
  nonce: number | null;
  tx_hash: string | null;
  max_fee_per_gas: string | null;
  max_priority_fee_per_gas: string | null;
  included_block: number | null;
  gas_used: string | null;
  effective_gas_price: string | null;
  gas_cost_wei: string | null;
  gas_cost_usd: number | null;
  realised_profit: string | null;
  realised_profit_usd: number | null;
  error: string | null;
  created_at: number;
  updated_at: number;
  sent_at: number | null;
  settled_at: number | null;
}

export interface TransitionRow {
  id: number;
  plan_id: string;
  from_state: string | null;
  to_state: string;
  detail: string | null;
  at: number;
}

export interface AttemptRow {
  plan_id: string;
  attempt: number;
  kind: string;
  tx_hash: string;
  signer: string;
  nonce: number;
  max_fee_per_gas: string;
  max_priority_fee_per_gas: string;
  gas_limit: string | null;
  status: string;
  created_at: number;
  updated_at: number;
}

export interface SystemEventRow {
  id: number;
  kind: string;
  actor: string;
  detail: string;
  data: string | null;
  created_at: number;
}

export interface ControlRequestRow {
  id: number;
  kind: string;
  payload: string;
  requested_by: string;
  created_at: number;
  applied_at: number | null;
  outcome: string | null;
  outcome_detail: string | null;
}

export function big(text: string): bigint {
  return BigInt(text);
}

export function bigOrNull(text: string | null): bigint | null {
  return text === null ? null : BigInt(text);
}

export function opportunityFromRow(r: OpportunityRow): OpportunityRecord {
  return {
    id: r.id,
    protocol: r.protocol as OpportunityRecord["protocol"],
    market: r.market,
    borrower: r.borrower as Address,
    collateralToken: r.collateral_token as Address,
    debtToken: r.debt_token as Address,
    debtToCover: big(r.debt_to_cover),
    debtToCoverUsd: r.debt_to_cover_usd,
    healthFactor: big(r.health_factor),
    sizingRule: r.sizing_rule,
    decision: r.decision as OpportunityRecord["decision"],
    skipReason: r.skip_reason as OpportunityRecord["skipReason"],
    detail: r.detail,
    planId: r.plan_id,
    expectedProfitUsd: r.expected_profit_usd,
    netProfitUsd: r.net_profit_usd,
    blockNumber: r.block_number,
    createdAt: r.created_at,
  };
}

export function executionFromRow(r: ExecutionRow): ExecutionRecord {
  return {
    planId: r.plan_id,
    mode: r.mode as KeeperMode,
    state: r.state as ExecutionState,
    protocol: r.protocol as ExecutionRecord["protocol"],
    market: r.market,
    borrower: r.borrower as Address,
    collateralToken: r.collateral_token as Address,
    debtToken: r.debt_token as Address,
    profitToken: r.profit_token as Address,
    debtToCover: big(r.debt_to_cover),
    flashKind: r.flash_kind as ExecutionRecord["flashKind"],
    flashSource: r.flash_source as Address,
    flashAmount: big(r.flash_amount),
    flashFee: big(r.flash_fee),
    flashFeeUsd: r.flash_fee_usd,
    expectedProfit: big(r.expected_profit),
    expectedProfitUsd: r.expected_profit_usd,
    gasUnitsEstimate: big(r.gas_units_estimate),
    detectedBlock: r.detected_block,
    deadlineBlock: r.deadline_block,
    signer: r.signer as Address | null,
    nonce: r.nonce,
    txHash: r.tx_hash,
    maxFeePerGas: bigOrNull(r.max_fee_per_gas),
    maxPriorityFeePerGas: bigOrNull(r.max_priority_fee_per_gas),
    includedBlock: r.included_block,
    gasUsed: bigOrNull(r.gas_used),
    effectiveGasPrice: bigOrNull(r.effective_gas_price),
    gasCostWei: bigOrNull(r.gas_cost_wei),
    gasCostUsd: r.gas_cost_usd,
    realisedProfit: bigOrNull(r.realised_profit),
    realisedProfitUsd: r.realised_profit_usd,
    error: r.error,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    sentAt: r.sent_at,
    settledAt: r.settled_at,
  };
}

export function attemptFromRow(r: AttemptRow): TxAttemptRecord {
  return {
    planId: r.plan_id,
    attempt: r.attempt,
    kind: r.kind as TxAttemptKind,
    txHash: r.tx_hash,
    signer: r.signer as Address,
    nonce: r.nonce,
    maxFeePerGas: big(r.max_fee_per_gas),
    maxPriorityFeePerGas: big(r.max_priority_fee_per_gas),
    gasLimit: bigOrNull(r.gas_limit),
    status: r.status as TxAttemptStatus,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function systemEventFromRow(r: SystemEventRow): SystemEventRecord {
  return {
    id: r.id,
    kind: r.kind as SystemEventKind,
    actor: r.actor,
    detail: r.detail,
    data: r.data === null ? null : (JSON.parse(r.data) as unknown),
    createdAt: r.created_at,
  };
}

export function controlRequestFromRow(r: ControlRequestRow): ControlRequestRecord {
  return {
    id: r.id,
    kind: r.kind as ControlRequestKind,
    payload: JSON.parse(r.payload),
    requestedBy: r.requested_by,
    createdAt: r.created_at,
    appliedAt: r.applied_at,
    outcome: r.outcome as "applied" | "rejected" | null,
    outcomeDetail: r.outcome_detail,
  } as ControlRequestRecord;
}

export function transitionFromRow(r: TransitionRow): ExecutionTransitionRecord {
  return {
    id: r.id,
    planId: r.plan_id,
    fromState: r.from_state as ExecutionState | null,
    toState: r.to_state as ExecutionState,
    detail: r.detail,
    at: r.at,
  };
}

/** A `checkpoints` or `risk_state` row: a value (JSON text, or any text for checkpoints) under a key. */
export interface KeyValueRow {
  key: string;
  value: string;
  updated_at: number;
}
