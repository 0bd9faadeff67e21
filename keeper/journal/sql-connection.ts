/**
 * The seam between the journal's logic and its database. Everything above it (executions, control
 * requests, events, state, row mapping) writes portable SQL — `?` placeholders, `INSERT … RETURNING`,
 * `ON CONFLICT … DO UPDATE`, TEXT for bigints, integer milliseconds for time — and calls these methods
 * synchronously: when one returns, its statement has run (and, outside a transaction, is committed).
 * Everything that differs between databases lives behind it, in one module per backend
 * (sqlite-connection.ts; the migration texts per dialect are in migrations.ts).
 */

export type SqlValue = string | number | bigint | null;

export type SqlDialect = "sqlite" | "postgres";

export type WritableCheck = { readonly ok: true } | { readonly ok: false; readonly error: string };

export interface SqlConnection {
  readonly dialect: SqlDialect;
  /** Where the data lives, printable (a file path, or a URL without its password). */
  readonly location: string;
  readonly readonly: boolean;
  readonly isOpen: boolean;
  /**
   * An SQL expression for the database's clock in integer ms since the Unix epoch. Leases are judged by
   * it, so every keeper sharing a journal uses one clock (Postgres: the server's; SQLite: this machine's,
   * the only one its file is shared on).
   */
  readonly nowMsSql: string;
  /** One statement; returns the number of rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): number;
  get<Row>(sql: string, params?: readonly SqlValue[]): Row | undefined;
  all<Row>(sql: string, params?: readonly SqlValue[]): Row[];
  /** A script of statements without parameters (migrations). */
  exec(sql: string): void;
  tableExists(name: string): boolean;
  /**
   * Runs `work` as ONE write transaction, serialised against every other writer of this journal (the
   * journal's read-check-write steps rely on it), committed when `work` returns and rolled back when
   * it throws. A call inside `work` becomes a savepoint of the outer transaction.
   */
  transaction<T>(work: () => T): T;
  /** Whether a write could start right now, waiting only briefly (readiness probe). */
  checkWritable(): WritableCheck;
  close(): void;
}
