/**
 * The `executions`, `execution_transitions` and `transactions` tables: every liquidation the keeper
 * tried, each state change it went through, and every transaction signed for it. Every write checks
 * the life-cycle table (execution-lifecycle.ts) inside its own write transaction, so no process can
 * move an execution backwards, skip its intent, or leave a terminal state.
 */
import type { ExecutionState, KeeperMode, LiquidationPlan } from "../core/types";
import { JournalError } from "./errors";
import { OPEN_INTENT_STATES, assertExecutionTransition, isTerminalExecutionState } from "./execution-lifecycle";
import type {
  ExecutionRecord,
  ExecutionTransitionRecord,
  IntentInput,
  OpenIntent,
  ReceiptFacts,
  TxAttemptInput,
  TxAttemptKind,
  TxAttemptRecord,
  TxAttemptStatus,
} from "./records";
import { attemptFromRow, executionFromRow, transitionFromRow, type AttemptRow, type ExecutionRow, type TransitionRow } from "./row-mapping";
import type { SqlConnection, SqlValue } from "./sql-connection";
import type { TimeRange } from "./time-range";
import { checkNonce, finite } from "./validation";

export interface SettleIncludedInput extends ReceiptFacts {
  readonly realisedProfit: bigint;
  readonly realisedProfitUsd: number;
}

export class ExecutionStore {
  constructor(
    private readonly connection: SqlConnection,
    private readonly clock: () => number,
  ) {}

  /**
   * Starts an execution in state `planned`. A plan id is journaled at most once: plan ids are
   * deterministic per opportunity, so a duplicate means the same liquidation is being tried twice.
   * `flashFeeUsd` defaults to the fee's share of the candidate's debt value (the flash loan borrows
   * the debt token).
   */
  plan(
    plan: LiquidationPlan,
    options: { readonly mode: KeeperMode; readonly flashFeeUsd?: number; readonly detail?: string },
  ): ExecutionRecord {
    const c = plan.candidate;
    const flashFeeUsd =
      options.flashFeeUsd ?? (c.debtToCover > 0n ? (Number(plan.flash.fee) / Number(c.debtToCover)) * c.debtToCoverUsd : 0);
    const now = this.clock();
    this.connection.transaction(() => {
      const existing = this.find(plan.id);
      if (existing !== undefined) {
        throw new JournalError(`plan ${plan.id} is already journaled (state "${existing.state}"); an opportunity is planned once`);
      }
      this.connection.run(
        `INSERT INTO executions (plan_id, mode, state, protocol, market, borrower, collateral_token, debt_token,
           profit_token, debt_to_cover, flash_kind, flash_source, flash_amount, flash_fee, flash_fee_usd,
           expected_profit, expected_profit_usd, gas_units_estimate, detected_block, created_at, updated_at)
         VALUES (?, ?, 'planned', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          plan.id,
          options.mode,
          c.key.protocol,
          c.key.market,
          c.key.borrower,
          c.collateralToken,
          c.debtToken,
          plan.profitToken,
          c.debtToCover.toString(),
          plan.flash.kind,
          plan.flash.address,
          plan.flash.amount.toString(),
          plan.flash.fee.toString(),
          finite("flashFeeUsd", flashFeeUsd),
          plan.expectedProfit.toString(),
          finite("plan.expectedProfitUsd", plan.expectedProfitUsd),
          plan.gasUnits.toString(),
          c.detectedAtBlock,
          now,
          now,
        ],
      );
      this.#insertTransition(plan.id, null, "planned", options.detail ?? null, now);
    });
    return this.require(plan.id);
  }

  /** planned → simulated; the simulation may refine the expected profit and gas. */
  markSimulated(
    planId: string,
    result: {
      readonly expectedProfit?: bigint;
      readonly expectedProfitUsd?: number;
      readonly gasUnitsEstimate?: bigint;
      readonly detail?: string;
    } = {},
  ): ExecutionRecord {
    return this.#transition(planId, "simulated", result.detail ?? null, {
      expected_profit: result.expectedProfit?.toString(),
      expected_profit_usd: result.expectedProfitUsd === undefined ? undefined : finite("expectedProfitUsd", result.expectedProfitUsd),
      gas_units_estimate: result.gasUnitsEstimate?.toString(),
    });
  }

  /** simulated → intent_recorded, with the key and nonce about to be signed. Committed before it returns. */
  recordIntent(planId: string, intent: IntentInput): ExecutionRecord {
    checkNonce(intent.nonce);
    if (intent.deadlineBlock !== undefined && (!Number.isSafeInteger(intent.deadlineBlock) || intent.deadlineBlock < 0)) {
      throw new JournalError(`execution ${planId}: deadlineBlock must be a block number, got ${intent.deadlineBlock}`);
    }
    return this.#transition(planId, "intent_recorded", `signer ${intent.signer} nonce ${intent.nonce}`, {
      signer: intent.signer,
      nonce: intent.nonce,
      deadline_block: intent.deadlineBlock,
      max_fee_per_gas: intent.maxFeePerGas.toString(),
      max_priority_fee_per_gas: intent.maxPriorityFeePerGas.toString(),
    });
  }

  /** intent_recorded → signed, recording the signed transaction's hash as attempt 1. */
  markSigned(planId: string, tx: TxAttemptInput): ExecutionRecord {
    return this.#transition(
      planId,
      "signed",
      `tx ${tx.txHash}`,
      { tx_hash: tx.txHash, max_fee_per_gas: tx.maxFeePerGas.toString(), max_priority_fee_per_gas: tx.maxPriorityFeePerGas.toString() },
      (execution, now) => {
        this.#checkSameKeyAndNonce(execution, tx);
        this.#insertAttempt(planId, "original", tx, now);
      },
    );
  }

  /** signed → sent: the transaction was handed to at least one send endpoint. */
  markSent(planId: string, detail?: string): ExecutionRecord {
    return this.#transition(planId, "sent", detail ?? null, { sent_at: this.clock() });
  }

  /**
   * A fee-bumped replacement or a cancel for a signed/sent execution, on the intent's signer and nonce.
   * The execution stays in its state; every attempt stays `pending` until one settles.
   */
  recordReplacement(planId: string, tx: TxAttemptInput, kind: Exclude<TxAttemptKind, "original">): TxAttemptRecord {
    const now = this.clock();
    this.connection.transaction(() => {
      const execution = this.require(planId);
      if (execution.state !== "signed" && execution.state !== "sent") {
        throw new JournalError(
          `execution ${planId}: a ${kind} can only follow a signed or sent transaction, but the state is "${execution.state}"`,
        );
      }
      this.#checkSameKeyAndNonce(execution, tx);
      this.#insertAttempt(planId, kind, tx, now);
      this.connection.run(
        "UPDATE executions SET tx_hash = ?, max_fee_per_gas = ?, max_priority_fee_per_gas = ?, updated_at = ? WHERE plan_id = ?",
        [tx.txHash, tx.maxFeePerGas.toString(), tx.maxPriorityFeePerGas.toString(), now, planId],
      );
    });
    return this.attempts(planId).at(-1)!;
  }

  /**
   * The send of one attempt of an open execution: `refused` (no send endpoint accepted it) turns it `pending` →
   * `dropped`, the execution unchanged (an earlier attempt may still be on the wire); `accepted` (sent again and
   * taken) turns it back. Should a refused one land after all, its receipt settles the execution like any attempt's.
   */
  markAttemptSend(planId: string, txHash: string, result: "refused" | "accepted"): TxAttemptRecord {
    const now = this.clock();
    const [from, to] = result === "refused" ? ["pending", "dropped"] : ["dropped", "pending"];
    this.connection.transaction(() => {
      const attempt = this.attempts(planId).find((candidate) => candidate.txHash.toLowerCase() === txHash.toLowerCase());
      if (attempt === undefined) throw new JournalError(`execution ${planId}: tx ${txHash} is not one of its attempts`);
      if (attempt.status !== from || isTerminalExecutionState(this.require(planId).state)) return;
      this.connection.run("UPDATE transactions SET status = ?, updated_at = ? WHERE plan_id = ? AND attempt = ?", [
        to,
        now,
        planId,
        attempt.attempt,
      ]);
    });
    return this.attempts(planId).find((candidate) => candidate.txHash.toLowerCase() === txHash.toLowerCase())!;
  }

  markIncluded(planId: string, settlement: SettleIncludedInput): ExecutionRecord {
    return this.#settle(planId, "included", `tx ${settlement.txHash} in block ${settlement.blockNumber}`, settlement, "included", {
      realised_profit: settlement.realisedProfit.toString(),
      realised_profit_usd: finite("realisedProfitUsd", settlement.realisedProfitUsd),
    });
  }

  markFailed(planId: string, failure: { readonly error: string; readonly receipt?: ReceiptFacts }): ExecutionRecord {
    return this.#settle(planId, "failed", failure.error, failure.receipt, "failed", { error: failure.error });
  }

  markReplaced(planId: string, outcome: { readonly detail: string; readonly receipt?: ReceiptFacts }): ExecutionRecord {
    return this.#settle(planId, "replaced", outcome.detail, outcome.receipt, "included", { error: outcome.detail });
  }

  markDropped(planId: string, reason: string): ExecutionRecord {
    return this.#settle(planId, "dropped", reason, undefined, "included", { error: reason });
  }

  find(planId: string): ExecutionRecord | undefined {
    const row = this.connection.get<ExecutionRow>("SELECT * FROM executions WHERE plan_id = ?", [planId]);
    return row === undefined ? undefined : executionFromRow(row);
  }

  require(planId: string): ExecutionRecord {
    const execution = this.find(planId);
    if (execution === undefined) throw new JournalError(`no execution with plan id ${planId} in the journal`);
    return execution;
  }

  /** Executions created in the range, oldest first. */
  list(range: TimeRange & { readonly states?: readonly ExecutionState[] } = {}): ExecutionRecord[] {
    const records = this.connection
      .all<ExecutionRow>("SELECT * FROM executions WHERE created_at >= ? AND created_at < ? ORDER BY created_at, id", [
        range.fromMs ?? 0,
        range.toMs ?? Number.MAX_SAFE_INTEGER,
      ])
      .map(executionFromRow);
    return range.states === undefined ? records : records.filter((record) => range.states!.includes(record.state));
  }

  /**
   * The id of the newest transition (0 for none). Every execution's creation and every change of its state — and with
   * it of what it realised or paid in gas — adds one, so a reader that saw this id has seen every execution as it is.
   */
  lastTransitionId(): number {
    return Number(this.connection.get<{ mark: number | null }>("SELECT MAX(id) AS mark FROM execution_transitions")?.mark ?? 0);
  }

  /** Executions with a transition after `afterTransitionId` (created or changed since), oldest first. */
  changedSince(afterTransitionId: number): ExecutionRecord[] {
    return this.connection
      .all<ExecutionRow>(
        "SELECT * FROM executions WHERE plan_id IN (SELECT plan_id FROM execution_transitions WHERE id > ?) ORDER BY created_at, id",
        [afterTransitionId],
      )
      .map(executionFromRow);
  }

  transitions(planId: string): ExecutionTransitionRecord[] {
    return this.connection
      .all<TransitionRow>("SELECT * FROM execution_transitions WHERE plan_id = ? ORDER BY id", [planId])
      .map(transitionFromRow);
  }

  attempts(planId: string): TxAttemptRecord[] {
    return this.connection.all<AttemptRow>("SELECT * FROM transactions WHERE plan_id = ? ORDER BY attempt", [planId]).map(attemptFromRow);
  }

  /** The execution a signed transaction belongs to, by its hash (any of its attempts). */
  planOfTransaction(txHash: string): string | undefined {
    return this.connection.get<{ plan_id: string }>("SELECT plan_id FROM transactions WHERE lower(tx_hash) = lower(?)", [txHash])?.plan_id;
  }

  /**
   * Executions that hold `signer`'s `nonce`: open ones (a transaction may be on the wire) and included
   * ones (it landed). Dropped, failed and replaced executions no longer hold theirs.
   */
  nonceClaims(signer: string, nonce: number): { readonly planId: string; readonly state: ExecutionState }[] {
    return this.connection
      .all<{ plan_id: string; state: string }>(
        `SELECT plan_id, state FROM executions WHERE lower(signer) = lower(?) AND nonce = ? AND state IN (?, ?, ?, ?) ORDER BY id`,
        [signer, nonce, ...OPEN_INTENT_STATES, "included"],
      )
      .map((row) => ({ planId: row.plan_id, state: row.state as ExecutionState }));
  }

  /** Executions that may have a transaction on the wire, oldest nonce first, each with its attempts. */
  openIntents(): OpenIntent[] {
    const placeholders = OPEN_INTENT_STATES.map(() => "?").join(", ");
    return this.connection
      .all<ExecutionRow>(`SELECT * FROM executions WHERE state IN (${placeholders}) ORDER BY signer, nonce, id`, OPEN_INTENT_STATES)
      .map((row) => {
        const execution = executionFromRow(row);
        return { execution, attempts: this.attempts(execution.planId) };
      });
  }

  /**
   * Moves an execution to `to` in one write transaction: checks the life cycle, runs `beforeUpdate`
   * (attempt bookkeeping), updates the given columns and appends the transition row.
   */
  #transition(
    planId: string,
    to: ExecutionState,
    detail: string | null,
    columns: Record<string, SqlValue | undefined>,
    beforeUpdate?: (execution: ExecutionRecord, now: number) => void,
  ): ExecutionRecord {
    const now = this.clock();
    this.connection.transaction(() => {
      const execution = this.require(planId);
      assertExecutionTransition(planId, execution.state, to);
      beforeUpdate?.(execution, now);
      const set: Record<string, SqlValue> = { state: to, updated_at: now };
      if (isTerminalExecutionState(to)) set.settled_at = now;
      for (const [column, value] of Object.entries(columns)) if (value !== undefined) set[column] = value;
      const names = Object.keys(set);
      this.connection.run(`UPDATE executions SET ${names.map((name) => `${name} = ?`).join(", ")} WHERE plan_id = ?`, [
        ...names.map((name) => set[name]!),
        planId,
      ]);
      this.#insertTransition(planId, execution.state, to, detail, now);
    });
    return this.require(planId);
  }

  /**
   * Settles an execution into a terminal state. With a receipt, the attempt it names becomes
   * `receiptAttemptStatus` and the others `replaced`; without one, pending attempts become `dropped`.
   * From intent_recorded (a crash between signing and `markSigned`), the transaction the receipt names
   * is adopted as attempt 1 with the intent's fee fields.
   */
  #settle(
    planId: string,
    to: "included" | "failed" | "replaced" | "dropped",
    detail: string,
    receipt: ReceiptFacts | undefined,
    receiptAttemptStatus: TxAttemptStatus,
    columns: Record<string, SqlValue | undefined>,
  ): ExecutionRecord {
    const receiptColumns: Record<string, SqlValue | undefined> =
      receipt === undefined
        ? {}
        : {
            tx_hash: receipt.txHash,
            included_block: receipt.blockNumber,
            gas_used: receipt.gasUsed.toString(),
            effective_gas_price: receipt.effectiveGasPrice.toString(),
            gas_cost_wei: (receipt.gasUsed * receipt.effectiveGasPrice).toString(),
            gas_cost_usd: receipt.gasCostUsd === undefined ? undefined : finite("gasCostUsd", receipt.gasCostUsd),
          };
    return this.#transition(planId, to, detail, { ...columns, ...receiptColumns }, (execution, now) => {
      if (receipt === undefined) {
        this.connection.run("UPDATE transactions SET status = 'dropped', updated_at = ? WHERE plan_id = ? AND status = 'pending'", [
          now,
          planId,
        ]);
        return;
      }
      const attempts = this.attempts(planId);
      let settled = attempts.find((candidate) => candidate.txHash.toLowerCase() === receipt.txHash.toLowerCase());
      if (settled === undefined) {
        if (attempts.length > 0 || execution.state !== "intent_recorded" || execution.signer === null || execution.nonce === null) {
          throw new JournalError(
            `execution ${planId}: receipt for tx ${receipt.txHash}, which is not one of its attempts (${attempts.map((a) => a.txHash).join(", ") || "none"})`,
          );
        }
        this.#insertAttempt(
          planId,
          "original",
          {
            txHash: receipt.txHash,
            signer: execution.signer,
            nonce: execution.nonce,
            maxFeePerGas: execution.maxFeePerGas ?? 0n,
            maxPriorityFeePerGas: execution.maxPriorityFeePerGas ?? 0n,
          },
          now,
        );
        settled = this.attempts(planId).find((candidate) => candidate.txHash === receipt.txHash)!;
      }
      this.connection.run("UPDATE transactions SET status = ?, updated_at = ? WHERE plan_id = ? AND attempt = ?", [
        receiptAttemptStatus,
        now,
        planId,
        settled.attempt,
      ]);
      this.connection.run(
        "UPDATE transactions SET status = 'replaced', updated_at = ? WHERE plan_id = ? AND attempt != ? AND status = 'pending'",
        [now, planId, settled.attempt],
      );
    });
  }

  #checkSameKeyAndNonce(execution: ExecutionRecord, tx: TxAttemptInput): void {
    checkNonce(tx.nonce);
    if (execution.signer !== null && execution.signer.toLowerCase() !== tx.signer.toLowerCase()) {
      throw new JournalError(
        `execution ${execution.planId}: tx ${tx.txHash} is signed by ${tx.signer} but the intent names ${execution.signer}`,
      );
    }
    if (execution.nonce !== null && execution.nonce !== tx.nonce) {
      throw new JournalError(
        `execution ${execution.planId}: tx ${tx.txHash} uses nonce ${tx.nonce} but the intent recorded nonce ${execution.nonce}`,
      );
    }
  }

  #insertAttempt(planId: string, kind: TxAttemptKind, tx: TxAttemptInput, now: number): void {
    const last = this.connection.get<{ last: number }>("SELECT COALESCE(MAX(attempt), 0) AS last FROM transactions WHERE plan_id = ?", [
      planId,
    ])!.last;
    this.connection.run(
      `INSERT INTO transactions (plan_id, attempt, kind, tx_hash, signer, nonce, max_fee_per_gas,
         max_priority_fee_per_gas, gas_limit, status, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
      [
        planId,
        Number(last) + 1,
        kind,
        tx.txHash,
        tx.signer,
        tx.nonce,
        tx.maxFeePerGas.toString(),
        tx.maxPriorityFeePerGas.toString(),
        tx.gasLimit?.toString() ?? null,
        now,
        now,
      ],
    );
  }

  #insertTransition(planId: string, from: ExecutionState | null, to: ExecutionState, detail: string | null, at: number): void {
    this.connection.run("INSERT INTO execution_transitions (plan_id, from_state, to_state, detail, at) VALUES (?, ?, ?, ?, ?)", [
      planId,
      from,
      to,
      detail,
      at,
    ]);
  }
}
