/**
 * The keeper's journal: what it saw, decided and sent, so a restart can reconcile in-flight
 * transactions, operators can steer a running keeper, and reports can add up P&L. `Journal` is the
 * one facade every caller uses; behind it each table has its own module and the database sits behind
 * the SqlConnection seam (sqlite-connection.ts is the embedded default):
 *
 *   opportunity-log.ts       opportunities         every decision, planned or skipped
 *   execution-store.ts       executions, transitions, transactions — the life cycle (execution-lifecycle.ts)
 *   system-event-log.ts      system_events
 *   control-request-queue.ts control_requests      operators' commands for the running keeper
 *   state-store.ts           checkpoints, risk_state
 *   chain-binding.ts         chain_binding         which chain and executor the journal belongs to
 *   keeper-lease.ts          keeper_lease          which keeper instance runs it, until when
 *   row-mapping.ts           rows → records; validation.ts: what is refused before it reaches a row
 *   schema-version.ts        migrations.ts applied in order, per dialect
 *
 * Methods are synchronous: when one returns, its transaction is committed.
 */
import type { ExecutionState, KeeperMode, LiquidationPlan, PlanDecision } from "../core/types";
import { ChainBindingStore, type ChainBindingRecord, type ChainIdentity } from "./chain-binding";
import { ControlRequestQueue } from "./control-request-queue";
import { LEADER_LEASE, LeaseStore, type LeaseRecord, type LeaseView } from "./keeper-lease";
import { JournalError } from "./errors";
import { ExecutionStore, type SettleIncludedInput } from "./execution-store";
import { JOURNAL_MIGRATIONS, type JournalMigration } from "./migrations";
import { NonceBlockStore } from "./nonce-block-store";
import { OpportunityLog } from "./opportunity-log";
import type { NonceBlock } from "../submit/transaction-preparer";
import type {
  ControlRequestKind,
  ControlRequestPayloads,
  ControlRequestRecord,
  ExecutionRecord,
  ExecutionTransitionRecord,
  IntentInput,
  OpenIntent,
  OpportunityRecord,
  ReceiptFacts,
  RiskStateRecord,
  SystemEventKind,
  SystemEventRecord,
  TxAttemptInput,
  TxAttemptKind,
  TxAttemptRecord,
} from "./records";
import { checkSchemaVersion, migrateSchema } from "./schema-version";
import type { SqlConnection, WritableCheck } from "./sql-connection";
import { SqliteConnection } from "./sqlite-connection";
import { PostgresConnection, isPostgresLocation } from "./postgres-connection";
import { StateStore } from "./state-store";
import { SystemEventLog, type SystemEventInput } from "./system-event-log";
import type { TimeRange } from "./time-range";

export { JournalError, JournalSchemaTooNewError } from "./errors";
export { validateControlPayload } from "./validation";
export type { SettleIncludedInput } from "./execution-store";
export type { TimeRange } from "./time-range";

export interface JournalOpenOptions {
  /** Open without writing (reports). The journal must exist and already be at the latest schema. */
  readonly readonly?: boolean;
  /** SQLite: default FULL (sqlite-connection.ts says why). */
  readonly synchronous?: "FULL" | "NORMAL";
  /** SQLite: how long a writer waits for another connection's lock before failing. Default 5,000 ms. */
  readonly busyTimeoutMs?: number;
  /** Source of timestamps (ms since epoch). Default Date.now; tests pin it. */
  readonly clock?: () => number;
  /** Schema to migrate to; tests pass an older list to build old journals. Default: JOURNAL_MIGRATIONS. */
  readonly migrations?: readonly JournalMigration[];
}

export class Journal {
  readonly #connection: SqlConnection;
  readonly #opportunities: OpportunityLog;
  readonly #executions: ExecutionStore;
  readonly #events: SystemEventLog;
  readonly #controls: ControlRequestQueue;
  readonly #state: StateStore;
  readonly #binding: ChainBindingStore;
  readonly #leases: LeaseStore;
  readonly #nonceBlocks: NonceBlockStore;

  private constructor(
    connection: SqlConnection,
    clock: () => number,
    readonly schemaVersion: number,
  ) {
    this.#connection = connection;
    this.#opportunities = new OpportunityLog(connection, clock);
    this.#executions = new ExecutionStore(connection, clock);
    this.#events = new SystemEventLog(connection, clock);
    this.#controls = new ControlRequestQueue(connection, this.#events, clock);
    this.#state = new StateStore(connection, clock);
    this.#binding = new ChainBindingStore(connection, clock);
    this.#leases = new LeaseStore(connection);
    this.#nonceBlocks = new NonceBlockStore(connection, clock);
  }

  /**
   * Opens (creating and migrating when writable) the journal at `location`: a `postgres://` or
   * `postgresql://` URL (a shared PostgreSQL database), otherwise a SQLite file path.
   */
  static open(location: string, options: JournalOpenOptions = {}): Journal {
    const connection = isPostgresLocation(location) ? PostgresConnection.open(location, options) : SqliteConnection.open(location, options);
    return Journal.#onConnection(connection, options);
  }

  static #onConnection(connection: SqlConnection, options: JournalOpenOptions): Journal {
    const clock = options.clock ?? Date.now;
    const migrations = options.migrations ?? JOURNAL_MIGRATIONS;
    try {
      const version = connection.readonly ? checkSchemaVersion(connection, migrations) : migrateSchema(connection, migrations, clock);
      return new Journal(connection, clock, version);
    } catch (error) {
      connection.close();
      throw error;
    }
  }

  /** Where the journal lives: the SQLite file's absolute path, or the database URL without its password. */
  get path(): string {
    return this.#connection.location;
  }

  /** The database behind it. */
  get backend(): "sqlite" | "postgres" {
    return this.#connection.dialect;
  }

  get readonly(): boolean {
    return this.#connection.readonly;
  }

  /** SQLite's `synchronous` setting on this connection (FULL unless opened with NORMAL). */
  get synchronous(): "OFF" | "NORMAL" | "FULL" | "EXTRA" {
    if (!(this.#connection instanceof SqliteConnection))
      throw new JournalError(`synchronous is a SQLite setting; ${this.path} is not SQLite`);
    return this.#connection.synchronous;
  }

  get isOpen(): boolean {
    return this.#connection.isOpen;
  }

  close(): void {
    this.#connection.close();
  }

  /** Whether a write could start right now (readiness probe); waits at most 250 ms for another writer. */
  checkWritable(): WritableCheck {
    return this.#connection.checkWritable();
  }

  /**
   * Runs several journal writes as ONE write transaction, so they cost one commit (one fsync) and
   * land together or not at all. The execution stage records a plan, its simulation and its intent
   * this way just before signing. Writes inside are savepoints; an exception rolls all of them back.
   */
  atomically<T>(writes: () => T): T {
    try {
      return this.#connection.transaction(writes);
    } catch (error) {
      this.#state.forgetHeldRiskState();
      throw error;
    }
  }

  /* ── opportunities ── */

  recordDecision(decision: PlanDecision, blockNumber?: number): number {
    return this.#opportunities.record(decision, blockNumber);
  }

  /** A block's decisions in one transaction (one fsync instead of one per candidate). */
  recordDecisions(decisions: readonly PlanDecision[], blockNumber?: number): number {
    return this.#opportunities.recordAll(decisions, blockNumber);
  }

  listOpportunities(range: TimeRange & { readonly limit?: number } = {}): OpportunityRecord[] {
    return this.#opportunities.list(range);
  }

  /* ── executions (life cycle: journal/README.md) ── */

  planExecution(
    plan: LiquidationPlan,
    options: { readonly mode: KeeperMode; readonly flashFeeUsd?: number; readonly detail?: string },
  ): ExecutionRecord {
    return this.#executions.plan(plan, options);
  }

  markSimulated(
    planId: string,
    result?: {
      readonly expectedProfit?: bigint;
      readonly expectedProfitUsd?: number;
      readonly gasUnitsEstimate?: bigint;
      readonly detail?: string;
    },
  ): ExecutionRecord {
    return this.#executions.markSimulated(planId, result);
  }

  /** Committed (and, on SQLite with synchronous=FULL, fsynced) before this returns: sign only after it does. */
  recordIntent(planId: string, intent: IntentInput): ExecutionRecord {
    return this.#executions.recordIntent(planId, intent);
  }

  /** Call before broadcasting, so a crash after the broadcast leaves the hash to look up. */
  markSigned(planId: string, tx: TxAttemptInput): ExecutionRecord {
    return this.#executions.markSigned(planId, tx);
  }

  markSent(planId: string, detail?: string): ExecutionRecord {
    return this.#executions.markSent(planId, detail);
  }

  recordReplacement(planId: string, tx: TxAttemptInput, kind: Exclude<TxAttemptKind, "original">): TxAttemptRecord {
    return this.#executions.recordReplacement(planId, tx, kind);
  }

  /** → included: the plan's transaction (one of its attempts) was mined and succeeded. */
  markIncluded(planId: string, settlement: SettleIncludedInput): ExecutionRecord {
    return this.#executions.markIncluded(planId, settlement);
  }

  /** → failed: the simulation failed, the transaction reverted (pass its receipt), or it could not be sent. */
  markFailed(planId: string, failure: { readonly error: string; readonly receipt?: ReceiptFacts }): ExecutionRecord {
    return this.#executions.markFailed(planId, failure);
  }

  /** → replaced: the nonce was consumed by our cancel or another transaction from the same key. */
  markReplaced(planId: string, outcome: { readonly detail: string; readonly receipt?: ReceiptFacts }): ExecutionRecord {
    return this.#executions.markReplaced(planId, outcome);
  }

  /** → dropped: never sent (DRY, risk gate) or never mined; nothing was spent. */
  markDropped(planId: string, reason: string): ExecutionRecord {
    return this.#executions.markDropped(planId, reason);
  }

  /**
   * One attempt (a replacement or a cancel) that no send endpoint accepted: it is marked `dropped` (not on the wire)
   * while the execution stays open, so the next replacement is priced from an attempt a node actually holds.
   */
  markAttemptRefused(planId: string, txHash: string): TxAttemptRecord {
    return this.#executions.markAttemptSend(planId, txHash, "refused");
  }

  /** A refused attempt sent again (the next replacement was priced exactly like it) and accepted this time: pending. */
  markAttemptAccepted(planId: string, txHash: string): TxAttemptRecord {
    return this.#executions.markAttemptSend(planId, txHash, "accepted");
  }

  getExecution(planId: string): ExecutionRecord | undefined {
    return this.#executions.find(planId);
  }

  listExecutions(range: TimeRange & { readonly states?: readonly ExecutionState[] } = {}): ExecutionRecord[] {
    return this.#executions.list(range);
  }

  /** Changes whenever an execution is created or changes state (the newest transition's id): a cheap "anything new?". */
  lastExecutionTransitionId(): number {
    return this.#executions.lastTransitionId();
  }

  /** Executions created or changed after transition `afterTransitionId` (see lastExecutionTransitionId), oldest first. */
  executionsChangedSince(afterTransitionId: number): ExecutionRecord[] {
    return this.#executions.changedSince(afterTransitionId);
  }

  executionTransitions(planId: string): ExecutionTransitionRecord[] {
    return this.#executions.transitions(planId);
  }

  txAttempts(planId: string): TxAttemptRecord[] {
    return this.#executions.attempts(planId);
  }

  /** The execution a signed transaction (any attempt) belongs to. */
  planOfTransaction(txHash: string): string | undefined {
    return this.#executions.planOfTransaction(txHash);
  }

  /** Executions holding `signer`'s `nonce` (open, or included). The send fence checks there is only one. */
  nonceClaims(signer: string, nonce: number): { readonly planId: string; readonly state: ExecutionState }[] {
    return this.#executions.nonceClaims(signer, nonce);
  }

  /** Every execution that may have a transaction on the wire: settle each against the chain before sending anything new. */
  openIntents(): OpenIntent[] {
    return this.#executions.openIntents();
  }

  /* ── system events ── */

  recordSystemEvent(event: SystemEventInput): SystemEventRecord {
    return this.#events.record(event);
  }

  listSystemEvents(
    filter: { readonly kinds?: readonly SystemEventKind[]; readonly afterId?: number; readonly limit?: number } = {},
  ): SystemEventRecord[] {
    return this.#events.list(filter);
  }

  /* ── checkpoints and risk state ── */

  getCheckpoint(key: string): string | undefined {
    return this.#state.getCheckpoint(key);
  }

  checkpointKeys(prefix: string): string[] {
    return this.#state.checkpointKeys(prefix);
  }

  setCheckpoint(key: string, value: string): void {
    this.#state.setCheckpoint(key, value);
  }

  saveRiskState(key: string, value: unknown): void {
    this.#state.saveRiskState(key, value);
  }

  loadRiskState<T = unknown>(key: string): RiskStateRecord<T> | undefined {
    return this.#state.loadRiskState<T>(key);
  }

  /* ── chain binding (chain-binding.ts) ── */

  chainBinding(): ChainBindingRecord | undefined {
    return this.#binding.get();
  }

  recordChainBinding(identity: ChainIdentity): void {
    this.#binding.record(identity);
  }

  anchorChain(block: number, hash: string): void {
    this.#binding.anchor(block, hash);
  }

  /* ── the leader lease (keeper-lease.ts) ── */

  /** Takes or renews the leader lease for `durationMs` of the database's clock; undefined while another holder's is live. */
  acquireLease(holder: string, holderInfo: string, durationMs: number): LeaseRecord | undefined {
    return this.#leases.acquire(LEADER_LEASE, holder, holderInfo, durationMs);
  }

  leaseView(): LeaseView {
    return this.#leases.view(LEADER_LEASE);
  }

  releaseLease(holder: string): boolean {
    return this.#leases.release(LEADER_LEASE, holder);
  }

  /* ── the key's blocked nonce (nonce-block-store.ts) ── */

  /** The signing key's nonce that no cancel within the fee ceiling can replace, as last recorded; null when none. */
  nonceBlock(signer: string): NonceBlock | null {
    return this.#nonceBlocks.get(signer);
  }

  /** Records the key's blocked nonce, or clears it (null) once the chain shows it mined. */
  recordNonceBlock(signer: string, block: NonceBlock | null): void {
    this.#nonceBlocks.set(signer, block);
  }

  /* ── control requests ── */

  enqueueControlRequest<K extends ControlRequestKind>(
    kind: K,
    payload: ControlRequestPayloads[K],
    requestedBy: string,
  ): ControlRequestRecord {
    return this.#controls.enqueue(kind, payload, requestedBy);
  }

  pendingControlRequests(): ControlRequestRecord[] {
    return this.#controls.pending();
  }

  getControlRequest(id: number): ControlRequestRecord | undefined {
    return this.#controls.get(id);
  }

  completeControlRequest(id: number, outcome: "applied" | "rejected", detail: string, actor = "keeper"): ControlRequestRecord {
    return this.#controls.complete(id, outcome, detail, actor);
  }
}
