/**
 * `npx hardhat journal:migrate`: moves a journal to another location — in practice a keeper's SQLite file
 * into the PostgreSQL database keepers will share — without loss (journal-copy.ts copies and verifies).
 *
 * Safe to run at any time, and refuses what would lose or mix data:
 *   - the source must be at this keeper's schema version (run the keeper, or open it once, first);
 *   - no keeper may be running on the source (its leader lease live): rows written after the copy
 *     started would be left behind; stop the keeper first;
 *   - the target must hold no journal data (a new, empty database, or an empty journal).
 * The source is only read and stays where it is; the target is created and migrated if needed.
 * `dryRun` checks all of this and counts what would be copied, writing nothing anywhere.
 */
import fs from "node:fs";
import { JournalError } from "./errors";
import { JOURNAL_TABLES, copyJournal, type TableCopy } from "./journal-copy";
import { Journal } from "./journal";
import { leaseIsLive } from "./keeper-lease";
import { PostgresConnection, isPostgresLocation } from "./postgres-connection";
import type { SqlConnection } from "./sql-connection";
import { SqliteConnection } from "./sqlite-connection";

export interface JournalMigrationPlan {
  /** Printable locations (a URL without its password). */
  readonly from: string;
  readonly to: string;
  readonly schemaVersion: number;
  /** Rows per table the copy would move. */
  readonly tables: readonly { readonly table: string; readonly rows: number }[];
  /** What the target holds now: absent (to be created), empty, or its schema version. */
  readonly target: string;
}

export interface JournalMigrationResult extends JournalMigrationPlan {
  readonly copied: readonly TableCopy[];
}

/** Checks both ends and counts the rows; writes nothing. */
export function planJournalMigration(from: string, to: string): JournalMigrationPlan {
  if (from === to) throw new JournalError("--from and --to name the same journal");
  if (!isPostgresLocation(from) && !fs.existsSync(from)) throw new JournalError(`no journal at ${from} (--from)`);
  const source = Journal.open(from, { readonly: true });
  let schemaVersion: number;
  let printedFrom: string;
  try {
    schemaVersion = source.schemaVersion;
    printedFrom = source.path;
    refuseRunningKeeper(source, "--from");
  } finally {
    source.close();
  }
  const tables = withConnection(from, true, (connection) =>
    JOURNAL_TABLES.map((table) => ({ table: table.name, rows: countRows(connection, table.name) })),
  );
  const target = describeTarget(to);
  return { from: printedFrom, to: target.printed, schemaVersion, tables, target: target.state };
}

/** Copies `from` into `to` (created and migrated if needed) and verifies every table; the source is untouched. */
export function migrateJournal(from: string, to: string): JournalMigrationResult {
  const plan = planJournalMigration(from, to);
  // Creates the target (or brings an empty one to this schema); refuses a target a keeper is running on.
  const target = Journal.open(to);
  try {
    refuseRunningKeeper(target, "--to");
  } finally {
    target.close();
  }
  const copied = withConnection(from, true, (source) => withConnection(to, false, (destination) => copyJournal(source, destination)));
  return { ...plan, copied };
}

function refuseRunningKeeper(journal: Journal, flag: string): void {
  const view = journal.leaseView();
  if (leaseIsLive(view)) {
    throw new JournalError(
      `a keeper (${view.lease!.holderInfo}) is running on ${journal.path} (${flag}): its leader lease is live for ` +
        `${Math.ceil((view.lease!.expiresAt - view.now) / 1000)} s more. Stop it first, so nothing it writes is left behind.`,
    );
  }
}

function describeTarget(to: string): { printed: string; state: string } {
  if (!isPostgresLocation(to) && !fs.existsSync(to)) return { printed: to, state: "absent: a new SQLite journal will be created" };
  return withConnection(to, true, (connection) => {
    if (!connection.tableExists("schema_version")) return { printed: connection.location, state: "empty: the schema will be created" };
    const nonEmpty = JOURNAL_TABLES.map((table) => ({ table: table.name, rows: countRows(connection, table.name) })).filter(
      (t) => t.rows > 0,
    );
    if (nonEmpty.length > 0) {
      throw new JournalError(
        `${connection.location} (--to) already holds journal data (${nonEmpty.map((t) => `${t.table}: ${t.rows}`).join(", ")}); ` +
          "journal:migrate copies into an empty journal only. Point --to at a new, empty database.",
      );
    }
    return { printed: connection.location, state: "an empty journal" };
  });
}

function withConnection<T>(location: string, readonly: boolean, work: (connection: SqlConnection) => T): T {
  const connection = isPostgresLocation(location)
    ? PostgresConnection.open(location, { readonly })
    : SqliteConnection.open(location, { readonly });
  try {
    return work(connection);
  } finally {
    connection.close();
  }
}

function countRows(connection: SqlConnection, table: string): number {
  if (!connection.tableExists(table)) return 0;
  return Number(connection.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`)!.n);
}
