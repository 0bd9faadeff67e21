/**
 * The keeper's journal: one SQLite file per network that records what the keeper saw, decided and
 * sent, so a restart can reconcile in-flight transactions, operators can steer a running keeper, and
 * reports can add up P&L. All of Chimera's SQL lives in this module.
 *
 * Durability: WAL mode with `synchronous=FULL` by default. In WAL mode FULL fsyncs the WAL on every
 * commit, so a committed intent survives power loss, not only a process crash; NORMAL would let the
 * last commits before a power cut roll back, and an intent lost after its transaction was broadcast is
 * exactly the duplicate-send the journal exists to prevent. The cost is one fsync per commit, a few
 * per block at most (batch opportunities with `recordDecisions`). better-sqlite3 is synchronous: when
 * a method returns, its transaction is committed.
 *
 * Concurrency: WAL lets tasks (`report`, `keeper:resume`, …) read and enqueue control requests while
 * the keeper writes; `busy_timeout` makes a briefly locked writer wait instead of failing.
 */
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type { Address, ExecutionState, KeeperMode, LiquidationPlan, PlanDecision } from "../core/types";
import { JOURNAL_MIGRATIONS, type JournalMigration } from "./migrations";
import { OPEN_INTENT_STATES, assertExecutionTransition, isTerminalExecutionState } from "./execution-lifecycle";
import {
  SYSTEM_EVENT_KINDS,
  type ControlRequestKind,
  type ControlRequestPayloads,
  type ControlRequestRecord,
  type ExecutionRecord,
  type ExecutionTransitionRecord,
  type IntentInput,
  type OpenIntent,
  type OpportunityRecord,
  type ReceiptFacts,
  type RiskStateRecord,
  type SystemEventKind,
  type SystemEventRecord,
  type TxAttemptInput,
  type TxAttemptKind,
  type TxAttemptRecord,
  type TxAttemptStatus,
} from "./records";

export interface JournalOpenOptions {
  /** Open without writing (reports). The file must exist and already be at the latest schema. */
  readonly readonly?: boolean;
  /** Default FULL; see the module comment for why. */
  readonly synchronous?: "FULL" | "NORMAL";
  /** How long a writer waits for another connection's lock before failing. Default 5,000 ms. */
  readonly busyTimeoutMs?: number;
  /** Source of timestamps (ms since epoch). Default Date.now; tests pin it. */
  readonly clock?: () => number;
  /** Schema to migrate to; tests pass an older list to build old files. Default: JOURNAL_MIGRATIONS. */
  readonly migrations?: readonly JournalMigration[];
}

export class JournalSchemaTooNewError extends Error {
  constructor(
    readonly journalPath: string,
    readonly fileVersion: number,
    readonly knownVersion: number,
  ) {
    super(
      `journal ${journalPath} has schema version ${fileVersion}, newer than the ${knownVersion} this keeper knows; ` +
        `it was written by a newer Chimera. Upgrade this checkout, or point the keeper at another journal file.`,
    );
    this.name = "JournalSchemaTooNewError";
  }
}

export class JournalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "JournalError";
  }
}

export interface SettleIncludedInput extends ReceiptFacts {
  readonly realisedProfit: bigint;
  readonly realisedProfitUsd: number;
}

export interface TimeRange {
  /** Inclusive, ms since epoch. */
  readonly fromMs?: number;
  /** Exclusive, ms since epoch. */
  readonly toMs?: number;
}

type SqlValue = string | number | bigint | null;

const DEFAULT_BUSY_TIMEOUT_MS = 5_000;
/** readyz must not block the event loop for long: probing write access waits at most this. */
const WRITABLE_PROBE_TIMEOUT_MS = 250;

export class Journal {
  private readonly db: Database.Database;
  private readonly clock: () => number;
  private closed = false;

  private constructor(
    readonly path: string,
    db: Database.Database,
    clock: () => number,
    readonly schemaVersion: number,
    readonly readonly: boolean,
  ) {
    this.db = db;
    this.clock = clock;
  }

  /** Opens (creating and migrating when writable) the journal at `journalPath`. */
  static open(journalPath: string, options: JournalOpenOptions = {}): Journal {
    const readonly = options.readonly ?? false;
    const migrations = options.migrations ?? JOURNAL_MIGRATIONS;
    const knownVersion = migrations.length === 0 ? 0 : migrations[migrations.length - 1].version;
    const resolved = path.resolve(journalPath);
    if (readonly && !fs.existsSync(resolved)) {
      throw new JournalError(`no journal at ${resolved}; a keeper creates it on its first run on this network, or pass --journal <path>`);
    }
    if (!readonly) fs.mkdirSync(path.dirname(resolved), { recursive: true });

    const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    const db = new Database(resolved, { readonly, fileMustExist: readonly, timeout: busyTimeoutMs });
    try {
      db.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
      db.pragma("foreign_keys = ON");
      if (!readonly) {
        const mode = db.pragma("journal_mode = WAL", { simple: true });
        if (mode !== "wal") throw new JournalError(`journal ${resolved}: could not switch to WAL mode (got "${String(mode)}")`);
        db.pragma(`synchronous = ${options.synchronous ?? "FULL"}`);
      }
      const version = readonly
        ? Journal.checkReadonlyVersion(db, resolved, knownVersion)
        : Journal.migrate(db, resolved, migrations, knownVersion, options.clock ?? Date.now);
      return new Journal(resolved, db, options.clock ?? Date.now, version, readonly);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** Applies every missing migration, each in its own write transaction, and returns the final version. */
  private static migrate(
    db: Database.Database,
    journalPath: string,
    migrations: readonly JournalMigration[],
    knownVersion: number,
    clock: () => number,
  ): number {
    // Up to date (the usual case): a plain read, so a task opening the journal while the keeper
    // writes does not queue for the write lock.
    const hasVersionTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get() !== undefined;
    if (hasVersionTable) {
      const current = Journal.readVersion(db);
      if (current > knownVersion) throw new JournalSchemaTooNewError(journalPath, current, knownVersion);
      if (current === knownVersion) return current;
    }
    // BEGIN IMMEDIATE takes the write lock before reading the version again, so two processes opening
    // a new file at once cannot both apply the same migration.
    const step = db.transaction((): number | null => {
      db.exec(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)",
      );
      const current = Journal.readVersion(db);
      if (current > knownVersion) throw new JournalSchemaTooNewError(journalPath, current, knownVersion);
      const next = migrations.find((m) => m.version === current + 1);
      if (next === undefined) return null;
      db.exec(next.sql);
      db.prepare("INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)").run(
        next.version,
        next.description,
        clock(),
      );
      return next.version;
    });
    for (;;) {
      const applied = step.immediate();
      if (applied === null) return Journal.readVersion(db);
    }
  }

  private static checkReadonlyVersion(db: Database.Database, journalPath: string, knownVersion: number): number {
    const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get();
    if (hasTable === undefined) {
      throw new JournalError(`${journalPath} is not a Chimera journal (it has no schema_version table)`);
    }
    const version = Journal.readVersion(db);
    if (version > knownVersion) throw new JournalSchemaTooNewError(journalPath, version, knownVersion);
    if (version < knownVersion) {
      throw new JournalError(
        `journal ${journalPath} is at schema version ${version}, older than ${knownVersion}; ` +
          `open it read-write once (start the keeper, or run any keeper:* task) to migrate it`,
      );
    }
    return version;
  }

  private static readVersion(db: Database.Database): number {
    const row = db.prepare("SELECT MAX(version) AS version FROM schema_version").get() as { version: number | null };
    return row.version ?? 0;
  }

  /** The connection's `synchronous` setting as SQLite reports it (FULL unless opened with NORMAL). */
  get synchronous(): "OFF" | "NORMAL" | "FULL" | "EXTRA" {
    const level = this.db.pragma("synchronous", { simple: true }) as number;
    return (["OFF", "NORMAL", "FULL", "EXTRA"] as const)[level];
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /**
   * Whether this connection can take the write lock right now (readiness probe). Waits at most
   * 250 ms for another writer, then reports the failure instead of blocking the loop.
   */
  checkWritable(): { readonly ok: true } | { readonly ok: false; readonly error: string } {
    if (this.closed) return { ok: false, error: "journal is closed" };
    if (this.readonly) return { ok: false, error: "journal was opened read-only" };
    const previous = this.db.pragma("busy_timeout", { simple: true }) as number;
    try {
      this.db.pragma(`busy_timeout = ${WRITABLE_PROBE_TIMEOUT_MS}`);
      this.db.exec("BEGIN IMMEDIATE");
      this.db.exec("ROLLBACK");
      return { ok: true };
    } catch (error) {
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    } finally {
      this.db.pragma(`busy_timeout = ${previous}`);
    }
  }

  /**
   * Runs several journal writes as ONE write transaction, so they cost one commit (one fsync) and
   * land together or not at all. The keeper's execution stage records a plan, its simulation and its
   * intent this way just before signing, keeping the fsyncs on its reaction path to one. Writes inside
   * are nested transactions (savepoints); an exception rolls all of them back.
   */
  atomically<T>(writes: () => T): T {
    return this.db.transaction(writes).immediate();
  }

  /* ───────────────────────────── opportunities ───────────────────────────── */

  /** Journals one strategy/risk decision. `blockNumber` defaults to the candidate's detection block. */
  recordDecision(decision: PlanDecision, blockNumber?: number): number {
    const c = decision.candidate;
    const result = this.db
      .prepare(
        `INSERT INTO opportunities (protocol, market, borrower, collateral_token, debt_token, debt_to_cover,
           debt_to_cover_usd, health_factor, sizing_rule, decision, skip_reason, detail, plan_id,
           expected_profit_usd, net_profit_usd, block_number, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        c.key.protocol,
        c.key.market,
        c.key.borrower,
        c.collateralToken,
        c.debtToken,
        c.debtToCover.toString(),
        finite("candidate.debtToCoverUsd", c.debtToCoverUsd),
        c.healthFactor.toString(),
        c.sizingRule,
        decision.outcome,
        decision.reason ?? null,
        decision.detail ?? null,
        decision.plan?.id ?? null,
        decision.plan ? finite("plan.expectedProfitUsd", decision.plan.expectedProfitUsd) : null,
        decision.plan ? finite("plan.netProfitUsd", decision.plan.netProfitUsd) : null,
        blockNumber ?? c.detectedAtBlock,
        this.clock(),
      );
    return Number(result.lastInsertRowid);
  }

  /** Journals a block's decisions in one transaction (one fsync instead of one per candidate). */
  recordDecisions(decisions: readonly PlanDecision[], blockNumber?: number): number {
    this.db.transaction(() => {
      for (const decision of decisions) this.recordDecision(decision, blockNumber);
    })();
    return decisions.length;
  }

  listOpportunities(range: TimeRange & { readonly limit?: number } = {}): OpportunityRecord[] {
    const rows = this.db
      .prepare(`SELECT * FROM opportunities WHERE created_at >= ? AND created_at < ? ORDER BY id LIMIT ?`)
      .all(range.fromMs ?? 0, range.toMs ?? Number.MAX_SAFE_INTEGER, range.limit ?? -1) as OpportunityRow[];
    return rows.map(opportunityFromRow);
  }

  /* ───────────────────────────── executions ───────────────────────────── */

  /**
   * Starts an execution in state `planned`. A plan id is journaled at most once: plan ids are
   * deterministic per opportunity, so a duplicate means the same liquidation is being tried twice.
   * `flashFeeUsd` defaults to the fee's share of the candidate's debt value (the flash loan borrows
   * the debt token).
   */
  planExecution(
    plan: LiquidationPlan,
    options: { readonly mode: KeeperMode; readonly flashFeeUsd?: number; readonly detail?: string },
  ): ExecutionRecord {
    const c = plan.candidate;
    const flashFeeUsd =
      options.flashFeeUsd ?? (c.debtToCover > 0n ? (Number(plan.flash.fee) / Number(c.debtToCover)) * c.debtToCoverUsd : 0);
    const now = this.clock();
    this.db
      .transaction(() => {
        const existing = this.findExecution(plan.id);
        if (existing !== undefined) {
          throw new JournalError(`plan ${plan.id} is already journaled (state "${existing.state}"); an opportunity is planned once`);
        }
        this.db
          .prepare(
            `INSERT INTO executions (plan_id, mode, state, protocol, market, borrower, collateral_token, debt_token,
             profit_token, debt_to_cover, flash_kind, flash_source, flash_amount, flash_fee, flash_fee_usd,
             expected_profit, expected_profit_usd, gas_units_estimate, detected_block, created_at, updated_at)
           VALUES (?, ?, 'planned', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
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
          );
        this.insertTransition(plan.id, null, "planned", options.detail ?? null, now);
      })
      .immediate();
    return this.requireExecution(plan.id);
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
    return this.transition(planId, "simulated", result.detail ?? null, {
      expected_profit: result.expectedProfit?.toString(),
      expected_profit_usd: result.expectedProfitUsd === undefined ? undefined : finite("expectedProfitUsd", result.expectedProfitUsd),
      gas_units_estimate: result.gasUnitsEstimate?.toString(),
    });
  }

  /**
   * simulated → intent_recorded, with the key and nonce about to be signed. The transaction is
   * committed (and, with synchronous=FULL, fsynced) before this returns: sign only after it does.
   */
  recordIntent(planId: string, intent: IntentInput): ExecutionRecord {
    checkNonce(intent.nonce);
    return this.transition(planId, "intent_recorded", `signer ${intent.signer} nonce ${intent.nonce}`, {
      signer: intent.signer,
      nonce: intent.nonce,
      max_fee_per_gas: intent.maxFeePerGas.toString(),
      max_priority_fee_per_gas: intent.maxPriorityFeePerGas.toString(),
    });
  }

  /**
   * intent_recorded → signed, recording the signed transaction's hash as attempt 1. Call before
   * broadcasting so a crash after the broadcast leaves the hash to look up.
   */
  markSigned(planId: string, tx: TxAttemptInput): ExecutionRecord {
    return this.transition(
      planId,
      "signed",
      `tx ${tx.txHash}`,
      { tx_hash: tx.txHash, max_fee_per_gas: tx.maxFeePerGas.toString(), max_priority_fee_per_gas: tx.maxPriorityFeePerGas.toString() },
      (execution, now) => {
        this.checkSameKeyAndNonce(execution, tx);
        this.insertAttempt(planId, "original", tx, now);
      },
    );
  }

  /** signed → sent: the transaction was handed to at least one send endpoint. */
  markSent(planId: string, detail?: string): ExecutionRecord {
    const now = this.clock();
    return this.transition(planId, "sent", detail ?? null, { sent_at: now });
  }

  /**
   * Records a fee-bumped replacement or a cancel (zero-value self-transfer) for a signed/sent
   * execution. It must reuse the intent's signer and nonce; that is what makes it a replacement.
   * The execution stays in its state; every attempt stays `pending` until one settles.
   */
  recordReplacement(planId: string, tx: TxAttemptInput, kind: Exclude<TxAttemptKind, "original">): TxAttemptRecord {
    const now = this.clock();
    this.db
      .transaction(() => {
        const execution = this.requireExecution(planId);
        if (execution.state !== "signed" && execution.state !== "sent") {
          throw new JournalError(
            `execution ${planId}: a ${kind} can only follow a signed or sent transaction, but the state is "${execution.state}"`,
          );
        }
        this.checkSameKeyAndNonce(execution, tx);
        this.insertAttempt(planId, kind, tx, now);
        this.db
          .prepare("UPDATE executions SET tx_hash = ?, max_fee_per_gas = ?, max_priority_fee_per_gas = ?, updated_at = ? WHERE plan_id = ?")
          .run(tx.txHash, tx.maxFeePerGas.toString(), tx.maxPriorityFeePerGas.toString(), now, planId);
      })
      .immediate();
    const attempts = this.txAttempts(planId);
    return attempts[attempts.length - 1];
  }

  /**
   * → included: the plan's transaction (`txHash`, one of its attempts) was mined and succeeded.
   * From intent_recorded (a crash between signing and `markSigned`), the transaction found on chain
   * is adopted as attempt 1 with the intent's fee fields.
   */
  markIncluded(planId: string, settlement: SettleIncludedInput): ExecutionRecord {
    return this.settle(planId, "included", `tx ${settlement.txHash} in block ${settlement.blockNumber}`, settlement, "included", {
      realised_profit: settlement.realisedProfit.toString(),
      realised_profit_usd: finite("realisedProfitUsd", settlement.realisedProfitUsd),
    });
  }

  /**
   * → failed: the simulation failed, or the transaction reverted (pass its receipt so the gas it
   * burnt is counted), or it could not be sent at all.
   */
  markFailed(planId: string, failure: { readonly error: string; readonly receipt?: ReceiptFacts }): ExecutionRecord {
    return this.settle(planId, "failed", failure.error, failure.receipt, "failed", { error: failure.error });
  }

  /**
   * → replaced: the nonce was consumed by a transaction that is not this plan's liquidation (our own
   * cancel, or another transaction from the same key). Pass the receipt when it is one of ours.
   */
  markReplaced(planId: string, outcome: { readonly detail: string; readonly receipt?: ReceiptFacts }): ExecutionRecord {
    return this.settle(planId, "replaced", outcome.detail, outcome.receipt, "included", { error: outcome.detail });
  }

  /** → dropped: never sent (DRY mode, risk gate) or never mined; nothing was spent. */
  markDropped(planId: string, reason: string): ExecutionRecord {
    return this.settle(planId, "dropped", reason, undefined, "included", { error: reason });
  }

  getExecution(planId: string): ExecutionRecord | undefined {
    return this.findExecution(planId);
  }

  /** Executions created in the range, oldest first. */
  listExecutions(range: TimeRange & { readonly states?: readonly ExecutionState[] } = {}): ExecutionRecord[] {
    const rows = this.db
      .prepare("SELECT * FROM executions WHERE created_at >= ? AND created_at < ? ORDER BY created_at, id")
      .all(range.fromMs ?? 0, range.toMs ?? Number.MAX_SAFE_INTEGER) as ExecutionRow[];
    const records = rows.map(executionFromRow);
    return range.states === undefined ? records : records.filter((r) => range.states!.includes(r.state));
  }

  executionTransitions(planId: string): ExecutionTransitionRecord[] {
    const rows = this.db.prepare("SELECT * FROM execution_transitions WHERE plan_id = ? ORDER BY id").all(planId) as TransitionRow[];
    return rows.map((r) => ({
      id: r.id,
      planId: r.plan_id,
      fromState: r.from_state as ExecutionState | null,
      toState: r.to_state as ExecutionState,
      detail: r.detail,
      at: r.at,
    }));
  }

  txAttempts(planId: string): TxAttemptRecord[] {
    const rows = this.db.prepare("SELECT * FROM transactions WHERE plan_id = ? ORDER BY attempt").all(planId) as AttemptRow[];
    return rows.map(attemptFromRow);
  }

  /**
   * Executions that may have a transaction on the wire (intent_recorded, signed, sent), oldest nonce
   * first, each with every transaction signed for it. On restart the executor checks each against the
   * chain (receipts of the attempts, the key's nonce) and settles it before sending anything new.
   */
  openIntents(): OpenIntent[] {
    const placeholders = OPEN_INTENT_STATES.map(() => "?").join(", ");
    const rows = this.db
      .prepare(`SELECT * FROM executions WHERE state IN (${placeholders}) ORDER BY signer, nonce, id`)
      .all(...OPEN_INTENT_STATES) as ExecutionRow[];
    return rows.map((row) => {
      const execution = executionFromRow(row);
      return { execution, attempts: this.txAttempts(execution.planId) };
    });
  }

  /* ───────────────────────────── system events ───────────────────────────── */

  recordSystemEvent(event: {
    readonly kind: SystemEventKind;
    readonly actor: string;
    readonly detail: string;
    readonly data?: unknown;
  }): SystemEventRecord {
    if (!(SYSTEM_EVENT_KINDS as readonly string[]).includes(event.kind)) {
      throw new JournalError(`unknown system event kind "${event.kind}"; expected one of ${SYSTEM_EVENT_KINDS.join(", ")}`);
    }
    const result = this.db
      .prepare("INSERT INTO system_events (kind, actor, detail, data, created_at) VALUES (?, ?, ?, ?, ?)")
      .run(event.kind, event.actor, event.detail, event.data === undefined ? null : toJson("system event data", event.data), this.clock());
    return this.systemEventById(Number(result.lastInsertRowid));
  }

  /** Events after `afterId` (exclusive), oldest first, optionally of some kinds only. */
  listSystemEvents(
    filter: { readonly kinds?: readonly SystemEventKind[]; readonly afterId?: number; readonly limit?: number } = {},
  ): SystemEventRecord[] {
    const rows = this.db.prepare("SELECT * FROM system_events WHERE id > ? ORDER BY id").all(filter.afterId ?? 0) as SystemEventRow[];
    const records = rows.map(systemEventFromRow).filter((e) => filter.kinds === undefined || filter.kinds.includes(e.kind));
    return filter.limit === undefined ? records : records.slice(0, filter.limit);
  }

  /* ───────────────────────────── checkpoints ───────────────────────────── */

  getCheckpoint(key: string): string | undefined {
    const row = this.db.prepare("SELECT value FROM checkpoints WHERE key = ?").get(key) as { value: string } | undefined;
    return row?.value;
  }

  setCheckpoint(key: string, value: string): void {
    this.db
      .prepare(
        "INSERT INTO checkpoints (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
      )
      .run(key, value, this.clock());
  }

  /* ───────────────────────────── control requests ───────────────────────────── */

  /**
   * Queues a command for the running keeper (it polls `pendingControlRequests` every loop iteration)
   * and records a `control_request` system event, in one transaction.
   */
  enqueueControlRequest<K extends ControlRequestKind>(
    kind: K,
    payload: ControlRequestPayloads[K],
    requestedBy: string,
  ): ControlRequestRecord {
    validateControlPayload(kind, payload);
    if (requestedBy.trim() === "") throw new JournalError("control request: requestedBy must name who asked");
    const now = this.clock();
    const id = this.db
      .transaction((): number => {
        const result = this.db
          .prepare("INSERT INTO control_requests (kind, payload, requested_by, created_at) VALUES (?, ?, ?, ?)")
          .run(kind, toJson("control request payload", payload), requestedBy, now);
        const requestId = Number(result.lastInsertRowid);
        this.recordSystemEvent({
          kind: "control_request",
          actor: requestedBy,
          detail: `${kind} requested (#${requestId})`,
          data: { requestId, kind, payload },
        });
        return requestId;
      })
      .immediate();
    return this.getControlRequest(id)!;
  }

  /** Requests not yet applied or rejected, oldest first. */
  pendingControlRequests(): ControlRequestRecord[] {
    const rows = this.db.prepare("SELECT * FROM control_requests WHERE applied_at IS NULL ORDER BY id").all() as ControlRequestRow[];
    return rows.map(controlRequestFromRow);
  }

  getControlRequest(id: number): ControlRequestRecord | undefined {
    const row = this.db.prepare("SELECT * FROM control_requests WHERE id = ?").get(id) as ControlRequestRow | undefined;
    return row === undefined ? undefined : controlRequestFromRow(row);
  }

  /**
   * The keeper marks a request done (`applied`) or refused (`rejected`, e.g. LIVE safeguards not met
   * in the keeper's environment), with a `control_applied` system event. A request completes once.
   */
  completeControlRequest(id: number, outcome: "applied" | "rejected", detail: string, actor = "keeper"): ControlRequestRecord {
    const now = this.clock();
    this.db
      .transaction(() => {
        const request = this.getControlRequest(id);
        if (request === undefined) throw new JournalError(`control request #${id} does not exist`);
        if (request.appliedAt !== null) {
          throw new JournalError(`control request #${id} was already ${request.outcome} at ${new Date(request.appliedAt).toISOString()}`);
        }
        this.db
          .prepare("UPDATE control_requests SET applied_at = ?, outcome = ?, outcome_detail = ? WHERE id = ?")
          .run(now, outcome, detail, id);
        this.recordSystemEvent({
          kind: "control_applied",
          actor,
          detail: `${request.kind} #${id} ${outcome}: ${detail}`,
          data: { requestId: id, kind: request.kind, outcome },
        });
      })
      .immediate();
    return this.getControlRequest(id)!;
  }

  /* ───────────────────────────── risk state ───────────────────────────── */

  /** Persists an opaque JSON snapshot (breaker state, daily counters) under `key`. */
  saveRiskState(key: string, value: unknown): void {
    this.db
      .prepare(
        "INSERT INTO risk_state (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
      )
      .run(key, toJson(`risk state "${key}"`, value), this.clock());
  }

  loadRiskState<T = unknown>(key: string): RiskStateRecord<T> | undefined {
    const row = this.db.prepare("SELECT * FROM risk_state WHERE key = ?").get(key) as
      { key: string; value: string; updated_at: number } | undefined;
    return row === undefined ? undefined : { key: row.key, value: JSON.parse(row.value) as T, updatedAt: row.updated_at };
  }

  /* ───────────────────────────── internals ───────────────────────────── */

  private findExecution(planId: string): ExecutionRecord | undefined {
    const row = this.db.prepare("SELECT * FROM executions WHERE plan_id = ?").get(planId) as ExecutionRow | undefined;
    return row === undefined ? undefined : executionFromRow(row);
  }

  private requireExecution(planId: string): ExecutionRecord {
    const execution = this.findExecution(planId);
    if (execution === undefined) throw new JournalError(`no execution with plan id ${planId} in the journal`);
    return execution;
  }

  /**
   * Moves an execution to `to` in one write transaction: checks the life cycle, runs `beforeUpdate`
   * (attempt bookkeeping), updates the given columns and appends the transition row.
   */
  private transition(
    planId: string,
    to: ExecutionState,
    detail: string | null,
    columns: Record<string, SqlValue | undefined>,
    beforeUpdate?: (execution: ExecutionRecord, now: number) => void,
  ): ExecutionRecord {
    const now = this.clock();
    this.db
      .transaction(() => {
        const execution = this.requireExecution(planId);
        assertExecutionTransition(planId, execution.state, to);
        beforeUpdate?.(execution, now);
        const set: Record<string, SqlValue> = { state: to, updated_at: now };
        if (isTerminalExecutionState(to)) set.settled_at = now;
        for (const [column, value] of Object.entries(columns)) if (value !== undefined) set[column] = value;
        const names = Object.keys(set);
        this.db
          .prepare(`UPDATE executions SET ${names.map((n) => `${n} = ?`).join(", ")} WHERE plan_id = ?`)
          .run(...names.map((n) => set[n]), planId);
        this.insertTransition(planId, execution.state, to, detail, now);
      })
      .immediate();
    return this.requireExecution(planId);
  }

  /**
   * Settles an execution into a terminal state. With a receipt, the attempt it names becomes
   * `receiptAttemptStatus` and the others `replaced`; without one, pending attempts become `dropped`.
   */
  private settle(
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
    return this.transition(planId, to, detail, { ...columns, ...receiptColumns }, (execution, now) => {
      const attempts = this.txAttempts(planId);
      if (receipt === undefined) {
        this.db
          .prepare("UPDATE transactions SET status = 'dropped', updated_at = ? WHERE plan_id = ? AND status = 'pending'")
          .run(now, planId);
        return;
      }
      let settled = attempts.find((a) => a.txHash.toLowerCase() === receipt.txHash.toLowerCase());
      if (settled === undefined) {
        if (attempts.length > 0 || execution.state !== "intent_recorded" || execution.signer === null || execution.nonce === null) {
          throw new JournalError(
            `execution ${planId}: receipt for tx ${receipt.txHash}, which is not one of its attempts (${attempts.map((a) => a.txHash).join(", ") || "none"})`,
          );
        }
        // Crash between signing and markSigned: adopt the transaction reconciliation found on chain.
        this.insertAttempt(
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
        settled = this.txAttempts(planId).find((a) => a.txHash === receipt.txHash)!;
      }
      this.db
        .prepare("UPDATE transactions SET status = ?, updated_at = ? WHERE plan_id = ? AND attempt = ?")
        .run(receiptAttemptStatus, now, planId, settled.attempt);
      this.db
        .prepare("UPDATE transactions SET status = 'replaced', updated_at = ? WHERE plan_id = ? AND attempt != ? AND status = 'pending'")
        .run(now, planId, settled.attempt);
    });
  }

  private checkSameKeyAndNonce(execution: ExecutionRecord, tx: TxAttemptInput): void {
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

  private insertAttempt(planId: string, kind: TxAttemptKind, tx: TxAttemptInput, now: number): void {
    const row = this.db.prepare("SELECT COALESCE(MAX(attempt), 0) AS last FROM transactions WHERE plan_id = ?").get(planId) as {
      last: number;
    };
    this.db
      .prepare(
        `INSERT INTO transactions (plan_id, attempt, kind, tx_hash, signer, nonce, max_fee_per_gas,
           max_priority_fee_per_gas, gas_limit, status, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
      )
      .run(
        planId,
        row.last + 1,
        kind,
        tx.txHash,
        tx.signer,
        tx.nonce,
        tx.maxFeePerGas.toString(),
        tx.maxPriorityFeePerGas.toString(),
        tx.gasLimit?.toString() ?? null,
        now,
        now,
      );
  }

  private insertTransition(planId: string, from: ExecutionState | null, to: ExecutionState, detail: string | null, at: number): void {
    this.db
      .prepare("INSERT INTO execution_transitions (plan_id, from_state, to_state, detail, at) VALUES (?, ?, ?, ?, ?)")
      .run(planId, from, to, detail, at);
  }

  private systemEventById(id: number): SystemEventRecord {
    const row = this.db.prepare("SELECT * FROM system_events WHERE id = ?").get(id) as SystemEventRow;
    return systemEventFromRow(row);
  }
}

/* ───────────────────────────── row mapping ───────────────────────────── */

interface OpportunityRow {
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

interface ExecutionRow {
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

interface TransitionRow {
  id: number;
  plan_id: string;
  from_state: string | null;
  to_state: string;
  detail: string | null;
  at: number;
}

interface AttemptRow {
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

interface SystemEventRow {
  id: number;
  kind: string;
  actor: string;
  detail: string;
  data: string | null;
  created_at: number;
}

interface ControlRequestRow {
  id: number;
  kind: string;
  payload: string;
  requested_by: string;
  created_at: number;
  applied_at: number | null;
  outcome: string | null;
  outcome_detail: string | null;
}

function big(text: string): bigint {
  return BigInt(text);
}

function bigOrNull(text: string | null): bigint | null {
  return text === null ? null : BigInt(text);
}

function opportunityFromRow(r: OpportunityRow): OpportunityRecord {
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

function executionFromRow(r: ExecutionRow): ExecutionRecord {
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

function attemptFromRow(r: AttemptRow): TxAttemptRecord {
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

function systemEventFromRow(r: SystemEventRow): SystemEventRecord {
  return {
    id: r.id,
    kind: r.kind as SystemEventKind,
    actor: r.actor,
    detail: r.detail,
    data: r.data === null ? null : (JSON.parse(r.data) as unknown),
    createdAt: r.created_at,
  };
}

function controlRequestFromRow(r: ControlRequestRow): ControlRequestRecord {
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

/* ───────────────────────────── validation ───────────────────────────── */

function finite(field: string, value: number): number {
  if (!Number.isFinite(value)) throw new JournalError(`${field} must be a finite number, got ${value}`);
  return value;
}

function checkNonce(nonce: number): void {
  if (!Number.isSafeInteger(nonce) || nonce < 0) throw new JournalError(`nonce must be a non-negative integer, got ${nonce}`);
}

function toJson(what: string, value: unknown): string {
  try {
    const text = JSON.stringify(value);
    if (text === undefined) throw new Error("value is not JSON-serialisable");
    return text;
  } catch (error) {
    throw new JournalError(
      `${what} must be JSON-serialisable (convert bigints to strings first): ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** Checks a control payload before it reaches the queue, so a running keeper never reads a malformed one. */
export function validateControlPayload(kind: ControlRequestKind, payload: unknown): void {
  const p = payload as Record<string, unknown> | null;
  const fail = (expected: string): never => {
    throw new JournalError(`control request "${kind}": ${expected}, got ${JSON.stringify(payload)}`);
  };
  if (p === null || typeof p !== "object") fail("payload must be an object");
  switch (kind) {
    case "resume":
    case "halt":
      if (typeof p!.reason !== "string" || p!.reason.trim() === "") fail("payload.reason must be a non-empty string");
      return;
    case "mode":
      if (p!.mode !== "DRY" && p!.mode !== "LIVE") fail('payload.mode must be "DRY" or "LIVE"');
      return;
    case "tier":
      if (p!.tier !== 1 && p!.tier !== 2 && p!.tier !== 3) fail("payload.tier must be 1, 2 or 3");
      return;
    default:
      fail('kind must be one of "resume", "mode", "tier", "halt"');
  }
}
