/**
 * The PostgreSQL backend: the same journal on a shared database, so keepers on different machines can
 * run one journal (keeper-lease.ts decides which of them sends). Chosen by a `postgres://` or
 * `postgresql://` journal location (KEEPER_DATABASE_URL).
 *
 * Synchronous, like the SQLite backend: the journal's facade keeps its ~60 synchronous call sites, and
 * its contract — "when a method returns, its transaction is committed" — holds for both. node-postgres
 * is asynchronous, so its clients live in a worker thread (postgres-worker.cjs) and every call here waits
 * for the worker's answer with Atomics.wait (synckit's protocol; the waiting side is startWorker below). journal/README.md weighs this against an
 * asynchronous facade. Every call is bounded: by the worker's connect, query, statement, lock and
 * idle-in-transaction timeouts, and here by CALL_TIMEOUT_MS above them all; a call that runs out of time
 * drops its connection (the server rolls back what it had open) and throws, naming the database.
 *
 * A database that is away must not hold the keeper's thread: once a call finds it unreachable (refused, timed out,
 * connection lost), every later call fails AT ONCE — the lease then runs out, the fence refuses every send, /readyz
 * says why, and /metrics and /healthz keep answering — while a probe on the main thread's event loop (asynchronous,
 * never blocking) tries the database every PROBE_INTERVAL_MS; the first probe that gets an answer lets calls through
 * again. Only the call that first meets the outage waits, for at most its connect or query timeout.
 *
 * A lost connection is not an outage. A keeper stopped for a while (SIGSTOP, a stalled VM) resumes to sessions the
 * server ended and to a call whose wait ran out while it slept: the worker runs a statement once more on a new session
 * when the one it held is gone, and a call that outlived CALL_TIMEOUT_MS is followed by one new session's `SELECT 1`
 * (ping) before anything is declared unreachable; a call outside a transaction is then run once more. A transaction is
 * never continued on a new session: it fails with an ordinary JournalError (the server rolled it back).
 *
 * Write transactions are serialised across every process sharing the journal by a transaction-level
 * advisory lock (released by the server at COMMIT or ROLLBACK, or when a session dies — never held
 * between transactions), which is what SQLite's BEGIN IMMEDIATE gives the other backend.
 */
import crypto from "node:crypto";
import path from "node:path";
import { MessageChannel, Worker, receiveMessageOnPort } from "node:worker_threads";
import { errorMessage } from "../core/error-message";
import { redactUrl } from "../telemetry/redact";
import { JournalError } from "./errors";
import { JOURNAL_TABLES } from "./journal-copy";
import type { SqlConnection, SqlValue, WritableCheck } from "./sql-connection";

export interface PostgresOpenOptions {
  readonly readonly?: boolean;
  /** How long a writer waits for another's journal lock (SQLite's busy timeout). Default 5,000 ms. */
  readonly busyTimeoutMs?: number;
  /** Milliseconds; defaults below. */
  readonly connectTimeoutMs?: number;
  readonly statementTimeoutMs?: number;
}

/** Whether a journal location names a PostgreSQL database rather than a SQLite file. */
export function isPostgresLocation(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location.trim());
}

const CONNECT_TIMEOUT_MS = 3_000;
const STATEMENT_TIMEOUT_MS = 5_000;
/** A writer waits this long for another's journal lock, as SQLite's busy_timeout. */
const LOCK_TIMEOUT_MS = 5_000;
/** A session idle inside a transaction this long (a frozen keeper) is ended by the server. */
const IDLE_IN_TRANSACTION_TIMEOUT_MS = 10_000;
/** The outer bound of one call as the main thread waits for it: above every bound inside. */
const CALL_TIMEOUT_MS = 15_000;
/** While the database is unreachable, a background probe tries it at most this often. */
const PROBE_INTERVAL_MS = 500;
/** The worker's prefix for "the database, not a statement, failed" (postgres-worker.cjs). */
const UNREACHABLE_PREFIX = "database unreachable:";
/** pg_advisory_xact_lock key of the journal's write transactions ("CHMR"). */
const JOURNAL_WRITE_LOCK = 0x43484d52;
/** Tables a Chimera journal has; a database holding any other table is refused. */
const JOURNAL_TABLE_NAMES = new Set(["schema_version", ...JOURNAL_TABLES.map((table) => table.name), "keeper_lease"]);

/** What a client in the worker is opened with (postgres-worker.cjs). */
interface PostgresClientOptions {
  readonly url: string;
  readonly connectTimeoutMs: number;
  readonly queryTimeoutMs: number;
  readonly statementTimeoutMs: number;
  readonly lockTimeoutMs: number;
  readonly idleInTransactionTimeoutMs: number;
  readonly readonly: boolean;
}

/** The worker's protocol: one request per call, answered with the statement's rows (or nothing). */
type WorkerRequest =
  | { readonly op: "open"; readonly connection: string; readonly options: PostgresClientOptions }
  | {
      readonly op: "query";
      readonly connection: string;
      readonly sql: string;
      readonly params: readonly unknown[];
      /** Sent between a BEGIN the worker ran and its COMMIT or ROLLBACK. */
      readonly inTransaction: boolean;
    }
  | { readonly op: "exec"; readonly connection: string; readonly sql: string; readonly inTransaction: boolean }
  | { readonly op: "reset"; readonly connection: string }
  | { readonly op: "ping"; readonly connection: string }
  | { readonly op: "close"; readonly connection: string };

interface QueryAnswer {
  readonly rows: Record<string, unknown>[];
  readonly rowCount: number;
}

type WorkerCall = (request: WorkerRequest) => QueryAnswer | null;
let workerCall: WorkerCall | null = null;

function worker(): WorkerCall {
  workerCall ??= startWorker();
  return workerCall;
}

/**
 * The main thread's side of the worker (postgres-worker.cjs runs synckit's `runAsWorker`: each answer is posted, then
 * a shared counter is raised and notified). Not synckit's own main side: that one resets the counter to 0 after each
 * wake-up and reads one answer per wake-up, so once a call has been given up (out of time: after a SIGSTOP every wait
 * is), the late answer and the next call's answer can both arrive before the main thread looks; one wake-up is lost,
 * and from then on every call reads the answer before its own and waits out its whole bound (seen: a keeper resumed
 * from a freeze with every journal call taking 15 s). Here the counter is never reset: the main thread waits for it
 * to differ from the value it last saw, then takes every answer that arrived, dropping those of calls it gave up on;
 * and a wait that ran out reads the answers once more before giving up (after a freeze, the answer may be there).
 */
function startWorker(): WorkerCall {
  const { port1: answers, port2: workerPort } = new MessageChannel();
  const raised = new Int32Array(new SharedArrayBuffer(4));
  const thread = new Worker(path.join(__dirname, "postgres-worker.cjs"), {
    workerData: { sharedBufferView: raised, workerPort },
    transferList: [workerPort],
    // Plain CommonJS: none of the main thread's loaders (ts-node) is needed there.
    execArgv: [],
  });
  thread.unref();
  let nextId = 0;
  const take = (id: number): { found: false } | { found: true; result: QueryAnswer | null } => {
    for (let received = receiveMessageOnPort(answers); received !== undefined; received = receiveMessageOnPort(answers)) {
      const answer = received.message as { id: number; result?: QueryAnswer | null; error?: unknown; properties?: object };
      if (answer.id !== id) continue; // a call given up on
      if (answer.error !== undefined) throw Object.assign(answer.error as Error, answer.properties);
      return { found: true, result: answer.result ?? null };
    }
    return { found: false };
  };
  return (request) => {
    const id = nextId++;
    let seen = Atomics.load(raised, 0);
    thread.postMessage({ id, args: [request] });
    const deadline = performance.now() + CALL_TIMEOUT_MS;
    for (;;) {
      const answer = take(id);
      if (answer.found) return answer.result;
      const left = deadline - performance.now();
      if (left <= 0 || Atomics.wait(raised, 0, seen, left) === "timed-out") {
        const late = take(id);
        if (late.found) return late.result;
        throw new Error("Internal error: Atomics.wait() failed: timed-out");
      }
      seen = Atomics.load(raised, 0);
    }
  };
}

export class PostgresConnection implements SqlConnection {
  readonly dialect = "postgres" as const;
  readonly nowMsSql = "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT";
  readonly #id = crypto.randomUUID();
  #open = true;
  #depth = 0;
  /** Between a BEGIN the worker ran and its COMMIT or ROLLBACK: a call in it is never run again on a new session. */
  #inTransaction = false;
  /** Set while the database is known to be away: calls fail at once instead of waiting on it. */
  #unreachable: { readonly sinceMs: number; readonly error: string } | null = null;
  #probing = false;
  #lastProbeAt = -Infinity;

  private constructor(
    readonly location: string,
    readonly readonly: boolean,
    private readonly clientOptions: PostgresClientOptions,
  ) {}

  static open(url: string, options: PostgresOpenOptions = {}): PostgresConnection {
    const location = redactUrl(url);
    const readonly = options.readonly ?? false;
    const clientOptions: PostgresClientOptions = {
      url,
      connectTimeoutMs: options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
      queryTimeoutMs: (options.statementTimeoutMs ?? STATEMENT_TIMEOUT_MS) + 2_000,
      statementTimeoutMs: options.statementTimeoutMs ?? STATEMENT_TIMEOUT_MS,
      lockTimeoutMs: options.busyTimeoutMs ?? LOCK_TIMEOUT_MS,
      idleInTransactionTimeoutMs: IDLE_IN_TRANSACTION_TIMEOUT_MS,
      readonly,
    };
    const connection = new PostgresConnection(location, readonly, clientOptions);
    try {
      connection.#call({ op: "open", connection: connection.#id, options: clientOptions });
      connection.#claim();
    } catch (error) {
      connection.close();
      throw error instanceof JournalError ? error : new JournalError(`cannot open journal ${location}: ${errorMessage(error)}`);
    }
    return connection;
  }

  get isOpen(): boolean {
    return this.#open;
  }

  /** Since when (ms since the epoch) the database is known to be away, or null while it answers. */
  get unreachableSince(): number | null {
    return this.#unreachable?.sinceMs ?? null;
  }

  run(sql: string, params: readonly SqlValue[] = []): number {
    return this.#query(sql, params).rowCount;
  }

  get<Row>(sql: string, params: readonly SqlValue[] = []): Row | undefined {
    return this.#query(sql, params).rows[0] as Row | undefined;
  }

  all<Row>(sql: string, params: readonly SqlValue[] = []): Row[] {
    return this.#query(sql, params).rows as Row[];
  }

  exec(sql: string): void {
    this.#call({ op: "exec", connection: this.#id, sql, inTransaction: this.#inTransaction });
  }

  tableExists(name: string): boolean {
    return (
      this.get("SELECT 1 AS found FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?", [name]) !==
      undefined
    );
  }

  /** BEGIN + the journal's advisory write lock; nested calls are savepoints. */
  transaction<T>(work: () => T): T {
    if (this.#depth > 0) {
      const savepoint = `journal_${this.#depth}`;
      this.exec(`SAVEPOINT ${savepoint}`);
      this.#depth += 1;
      try {
        const result = work();
        this.exec(`RELEASE SAVEPOINT ${savepoint}`);
        return result;
      } catch (error) {
        this.#quietly(`ROLLBACK TO SAVEPOINT ${savepoint}`);
        throw error;
      } finally {
        this.#depth -= 1;
      }
    }
    this.exec("BEGIN");
    this.#depth = 1;
    try {
      this.run("SELECT pg_advisory_xact_lock(?)", [JOURNAL_WRITE_LOCK]);
      const result = work();
      this.exec("COMMIT");
      return result;
    } catch (error) {
      this.#quietly("ROLLBACK");
      throw error;
    } finally {
      this.#depth = 0;
      this.#inTransaction = false;
    }
  }

  /**
   * The server answers, is a primary (a replica, e.g. after a failover, cannot take writes), and the
   * journal's write lock is free right now (tried, not waited for).
   */
  checkWritable(): WritableCheck {
    if (!this.#open) return { ok: false, error: "journal is closed" };
    if (this.readonly) return { ok: false, error: "journal was opened read-only" };
    try {
      this.exec("BEGIN");
      try {
        const row = this.get<{ primary: boolean; free: boolean }>(
          "SELECT NOT pg_is_in_recovery() AS primary, pg_try_advisory_xact_lock(?) AS free",
          [JOURNAL_WRITE_LOCK],
        );
        if (row?.primary !== true) return { ok: false, error: `${this.location} is a read-only replica` };
        if (row.free !== true) return { ok: false, error: "another connection holds the journal's write lock" };
        return { ok: true };
      } finally {
        this.#quietly("ROLLBACK");
        this.#inTransaction = false;
      }
    } catch (error) {
      return { ok: false, error: errorMessage(error) };
    }
  }

  close(): void {
    if (!this.#open) return;
    this.#open = false;
    try {
      worker()({ op: "close", connection: this.#id });
    } catch {
      // The session ends with the worker's socket either way.
    }
  }

  /** Refuses a database that holds another application's tables; a new (empty) database becomes a journal. */
  #claim(): void {
    const tables = this.all<{ name: string }>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
    ).map((row) => row.name);
    const foreign = tables.filter((name) => !JOURNAL_TABLE_NAMES.has(name));
    // A newer Chimera may have tables this one does not know; it has the ones every journal has.
    if (foreign.length === 0 || ["schema_version", "executions", "control_requests"].every((name) => tables.includes(name))) return;
    throw new JournalError(
      `${this.location} holds another application's tables (${tables.slice(0, 6).join(", ")}${tables.length > 6 ? ", …" : ""}), not a Chimera journal; ` +
        `refusing to write into it. Point KEEPER_DATABASE_URL at a database of its own.`,
    );
  }

  #query(sql: string, params: readonly SqlValue[]): QueryAnswer {
    return this.#call({
      op: "query",
      connection: this.#id,
      sql: numberPlaceholders(sql),
      params: params.map(toPostgresValue),
      inTransaction: this.#inTransaction,
    })!;
  }

  #call(request: WorkerRequest, again = false): QueryAnswer | null {
    if (!this.#open) throw new JournalError(`journal ${this.location} is closed`);
    const away = this.#unreachable;
    if (away !== null && request.op !== "open") {
      this.#probe();
      throw new JournalError(
        `journal ${this.location} is unreachable since ${new Date(away.sinceMs).toISOString()} (${away.error}); ` +
          "not waiting on it: a probe in the background lets calls through once it answers",
      );
    }
    const control = request.op === "exec" ? request.sql : "";
    const inTransaction = this.#inTransaction;
    try {
      const answer = worker()(request);
      if (control === "BEGIN") this.#inTransaction = true;
      if (control === "COMMIT" || control === "ROLLBACK") this.#inTransaction = false;
      return answer;
    } catch (error) {
      if (control === "COMMIT" || control === "ROLLBACK") this.#inTransaction = false;
      const message = errorMessage(error);
      if (/Atomics\.wait\(\) failed: timed-out/.test(message)) {
        // The worker may still be waiting on the database: drop the connection so nothing it had open survives.
        this.#quietlyReset();
        // Out of time by the clock, but the clock ran on while this process was stopped (SIGSTOP, a stalled VM): ask a
        // new session before calling the database away. A call outside a transaction then runs once more; one inside
        // fails (its session is gone: the server rolled it back).
        if (request.op !== "open" && this.#pings()) {
          if (!inTransaction && !again) return this.#call(request, true);
          throw new JournalError(
            `journal ${this.location}: a call got no answer within ${CALL_TIMEOUT_MS / 1000} s, although the database answers ` +
              `now (this process was stopped or starved); ${inTransaction ? "its transaction was rolled back" : "it was not run again"}`,
          );
        }
        this.#markUnreachable(`no answer within ${CALL_TIMEOUT_MS / 1000} s`);
        throw new JournalError(
          `journal ${this.location} did not answer within ${CALL_TIMEOUT_MS / 1000} s (the database is down or unreachable)`,
        );
      }
      const lost = message.indexOf(UNREACHABLE_PREFIX);
      if (lost >= 0 && request.op !== "open") {
        const cause = message.slice(lost + UNREACHABLE_PREFIX.length).trim();
        this.#markUnreachable(cause);
        throw new JournalError(`journal ${this.location}: the database is unreachable (${cause})`);
      }
      throw new JournalError(`journal ${this.location}: ${message}`);
    }
  }

  /** Whether a new session answers `SELECT 1` (the worker's own connect and query bounds apply). */
  #pings(): boolean {
    try {
      worker()({ op: "ping", connection: this.#id });
      return true;
    } catch {
      return false;
    }
  }

  #markUnreachable(error: string): void {
    this.#unreachable ??= { sinceMs: Date.now(), error };
    this.#lastProbeAt = performance.now();
  }

  /**
   * One connection attempt on the event loop (asynchronous: nothing waits for it), at most every PROBE_INTERVAL_MS;
   * when the database answers, calls go to it again (the worker reconnects on the next one).
   */
  #probe(): void {
    if (this.#probing || performance.now() - this.#lastProbeAt < PROBE_INTERVAL_MS) return;
    this.#probing = true;
    this.#lastProbeAt = performance.now();
    void answers(this.clientOptions).then((up) => {
      this.#probing = false;
      this.#lastProbeAt = performance.now();
      if (up) this.#unreachable = null;
    });
  }

  #quietly(sql: string): void {
    try {
      this.exec(sql);
    } catch {
      this.#quietlyReset();
    }
  }

  #quietlyReset(): void {
    try {
      worker()({ op: "reset", connection: this.#id });
    } catch {
      // Nothing more to do: the next call reconnects.
    }
  }
}

/** Whether the database takes a connection and answers `SELECT 1`, within the connection's own timeouts. */
async function answers(options: PostgresClientOptions): Promise<boolean> {
  // Loaded here: only a keeper whose journal's database went away needs a client on the main thread.
  const { Client } = await import("pg");
  const client = new Client({
    connectionString: options.url,
    connectionTimeoutMillis: options.connectTimeoutMs,
    query_timeout: options.queryTimeoutMs,
    application_name: "chimera-keeper-probe",
  });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    void client.end().catch(() => undefined);
  }
}

/** `?` placeholders (the journal's portable SQL) as PostgreSQL's `$1, $2, …`. The journal's SQL has no `?` inside literals. */
function numberPlaceholders(sql: string): string {
  let index = 0;
  return sql.replace(/\?/g, () => `$${++index}`);
}

function toPostgresValue(value: SqlValue): string | number | null {
  return typeof value === "bigint" ? value.toString() : value;
}
