/**
 * The SQLite backend (the embedded default): one file, better-sqlite3, synchronous like the journal.
 *
 * Durability: WAL mode with `synchronous=FULL` by default. In WAL mode FULL fsyncs the WAL on every
 * commit, so a committed intent survives power loss, not only a process crash; NORMAL would let the
 * last commits before a power cut roll back, and an intent lost after its transaction was broadcast is
 * exactly the duplicate-send the journal exists to prevent. The cost is one fsync per commit, a few
 * per block at most.
 *
 * Concurrency: WAL lets tasks (`report`, `keeper:resume`, …) read and enqueue control requests while
 * the keeper writes; `busy_timeout` makes a briefly locked writer wait instead of failing; every write
 * transaction is BEGIN IMMEDIATE, so it holds the file's write lock from its first read.
 *
 * Identity: a Chimera journal carries SQLite's `application_id` CHIMERA_APPLICATION_ID in its header.
 * Before anything is written (even the switch to WAL), `open` reads it: another application's file is
 * refused untouched; an unmarked file is marked only when it is empty (a new journal) or is a Chimera
 * journal from before the mark (it has the journal's tables). Every failure names the file.
 */
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { errorMessage } from "../core/error-message";
import { JournalError } from "./errors";
import type { SqlConnection, SqlValue, WritableCheck } from "./sql-connection";

export interface SqliteOpenOptions {
  /** Open without writing (reports). The file must exist. */
  readonly readonly?: boolean;
  /** Default FULL; see the module comment for why. */
  readonly synchronous?: "FULL" | "NORMAL";
  /** How long a writer waits for another connection's lock before failing. Default 5,000 ms. */
  readonly busyTimeoutMs?: number;
}

/** SQLite `PRAGMA application_id` of a Chimera journal: "CHMR" as a big-endian 32-bit integer. */
export const CHIMERA_APPLICATION_ID = 0x43484d52;
/** Tables only a Chimera journal has together: an unmarked file with all of them is one from before the mark. */
const CHIMERA_JOURNAL_TABLES = ["schema_version", "executions", "control_requests"] as const;

const DEFAULT_BUSY_TIMEOUT_MS = 5_000;
/** /readyz must not block the event loop for long: probing write access waits at most this. */
const WRITABLE_PROBE_TIMEOUT_MS = 250;

export class SqliteConnection implements SqlConnection {
  readonly dialect = "sqlite" as const;
  readonly nowMsSql = "CAST(unixepoch('subsec') * 1000 AS INTEGER)";
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();
  #closed = false;

  private constructor(
    readonly location: string,
    db: Database.Database,
    readonly readonly: boolean,
  ) {
    this.#db = db;
  }

  /** Opens (creating when writable) the SQLite file at `file`, in WAL mode when writable. */
  static open(file: string, options: SqliteOpenOptions = {}): SqliteConnection {
    const readonly = options.readonly ?? false;
    const resolved = path.resolve(file);
    if (readonly && !fs.existsSync(resolved)) {
      throw new JournalError(`no journal at ${resolved}; a keeper creates it on its first run on this network, or pass --journal <path>`);
    }
    if (fs.existsSync(resolved) && fs.statSync(resolved).isDirectory()) {
      throw new JournalError(
        `journal ${resolved} is a directory; --journal names the journal FILE (e.g. ${path.join(resolved, "keeper.sqlite")})`,
      );
    }
    if (!readonly) {
      try {
        fs.mkdirSync(path.dirname(resolved), { recursive: true });
      } catch (error) {
        throw new JournalError(`cannot create the journal's folder ${path.dirname(resolved)}: ${errorMessage(error)}`);
      }
    }
    const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    let db: Database.Database;
    try {
      db = new Database(resolved, { readonly, fileMustExist: readonly, timeout: busyTimeoutMs });
    } catch (error) {
      throw new JournalError(`cannot open journal ${resolved}: ${errorMessage(error)} (is the folder writable, and is it a file?)`);
    }
    try {
      db.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
      SqliteConnection.#claim(db, resolved, readonly);
      db.pragma("foreign_keys = ON");
      if (!readonly) {
        const mode = db.pragma("journal_mode = WAL", { simple: true });
        if (mode !== "wal") throw new JournalError(`journal ${resolved}: could not switch to WAL mode (got "${String(mode)}")`);
        db.pragma(`synchronous = ${options.synchronous ?? "FULL"}`);
      }
      return new SqliteConnection(resolved, db, readonly);
    } catch (error) {
      db.close();
      if (error instanceof JournalError) throw error;
      throw new JournalError(`cannot use journal ${resolved}: ${errorMessage(error)}`);
    }
  }

  /**
   * Refuses a file that is not a Chimera journal before anything is written to it, and marks a new
   * journal (or one from before the mark) with CHIMERA_APPLICATION_ID.
   */
  static #claim(db: Database.Database, file: string, readonly: boolean): void {
    let applicationId: number;
    let tables: string[];
    try {
      applicationId = db.pragma("application_id", { simple: true }) as number;
      tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((row) => row.name);
    } catch (error) {
      throw new JournalError(
        `${file} is not a SQLite database (${errorMessage(error)}); point --journal at a Chimera journal or a new file`,
      );
    }
    if (applicationId === CHIMERA_APPLICATION_ID) return;
    if (applicationId !== 0) {
      throw new JournalError(
        `${file} belongs to another application (SQLite application_id 0x${(applicationId >>> 0).toString(16)}, a Chimera journal has ` +
          `0x${CHIMERA_APPLICATION_ID.toString(16)}); refusing to write into it. Point --journal at a Chimera journal or a new file.`,
      );
    }
    const userTables = tables.filter((name) => !name.startsWith("sqlite_"));
    const isUnmarkedJournal = CHIMERA_JOURNAL_TABLES.every((name) => userTables.includes(name));
    if (userTables.length > 0 && !isUnmarkedJournal) {
      throw new JournalError(
        `${file} is a SQLite database of another application (tables: ${userTables.slice(0, 6).join(", ")}${userTables.length > 6 ? ", …" : ""}), ` +
          `not a Chimera journal; refusing to write into it. Point --journal at a Chimera journal or a new file.`,
      );
    }
    // A new file, or a Chimera journal written before journals were marked: mark it now.
    if (!readonly) db.pragma(`application_id = ${CHIMERA_APPLICATION_ID}`);
  }

  get isOpen(): boolean {
    return !this.#closed;
  }

  /** The connection's `synchronous` setting as SQLite reports it. */
  get synchronous(): "OFF" | "NORMAL" | "FULL" | "EXTRA" {
    const level = this.#db.pragma("synchronous", { simple: true }) as number;
    return (["OFF", "NORMAL", "FULL", "EXTRA"] as const)[level]!;
  }

  run(sql: string, params: readonly SqlValue[] = []): number {
    return this.#statement(sql).run(...params).changes;
  }

  get<Row>(sql: string, params: readonly SqlValue[] = []): Row | undefined {
    return this.#statement(sql).get(...params) as Row | undefined;
  }

  all<Row>(sql: string, params: readonly SqlValue[] = []): Row[] {
    return this.#statement(sql).all(...params) as Row[];
  }

  exec(sql: string): void {
    this.#db.exec(sql);
  }

  tableExists(name: string): boolean {
    return this.get("SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = ?", [name]) !== undefined;
  }

  /** BEGIN IMMEDIATE (better-sqlite3 turns a nested call into a savepoint). */
  transaction<T>(work: () => T): T {
    return this.#db.transaction(work).immediate();
  }

  /** Takes the write lock and gives it back, waiting at most 250 ms for another writer. */
  checkWritable(): WritableCheck {
    if (this.#closed) return { ok: false, error: "journal is closed" };
    if (this.readonly) return { ok: false, error: "journal was opened read-only" };
    const previous = this.#db.pragma("busy_timeout", { simple: true }) as number;
    try {
      this.#db.pragma(`busy_timeout = ${WRITABLE_PROBE_TIMEOUT_MS}`);
      this.#db.exec("BEGIN IMMEDIATE");
      this.#db.exec("ROLLBACK");
      return { ok: true };
    } catch (error) {
      if (this.#db.inTransaction) this.#db.exec("ROLLBACK");
      return { ok: false, error: errorMessage(error) };
    } finally {
      this.#db.pragma(`busy_timeout = ${previous}`);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#statements.clear();
    this.#db.close();
  }

  #statement(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}
