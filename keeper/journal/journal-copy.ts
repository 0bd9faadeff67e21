/**
 * Copies a whole journal into an empty one — in practice a SQLite file into PostgreSQL
 * (`npx hardhat journal:migrate --from <file> --to <url>`), but any backend into any other: every row of
 * every table, ids included, in an order that satisfies the foreign keys, then the identity sequences
 * moved past the copied ids, then a per-table row count and SHA-256 of the rows compared on both sides.
 * The source is only read. The lease is not copied: it belongs to whichever keeper runs the journal next.
 */
import crypto from "node:crypto";
import { JournalError } from "./errors";
import type { SqlConnection, SqlValue } from "./sql-connection";

/** Every table that holds journal data, parents before children, with the columns that order its rows. */
export const JOURNAL_TABLES: readonly { readonly name: string; readonly key: string; readonly identity: boolean }[] = [
  { name: "opportunities", key: "id", identity: true },
  { name: "executions", key: "id", identity: true },
  { name: "execution_transitions", key: "id", identity: true },
  { name: "transactions", key: "id", identity: true },
  { name: "system_events", key: "id", identity: true },
  { name: "checkpoints", key: "key", identity: false },
  { name: "control_requests", key: "id", identity: true },
  { name: "risk_state", key: "key", identity: false },
  { name: "chain_binding", key: "id", identity: false },
  { name: "nonce_blocks", key: "signer", identity: false },
];

/** Rows per INSERT statement (each statement is one round trip to the target). */
const BATCH_ROWS = 100;

export interface TableCopy {
  readonly table: string;
  readonly rows: number;
  readonly sha256: string;
}

/** Copies `source` into `target` (both at the same schema version; `target` empty) and verifies the result. */
export function copyJournal(source: SqlConnection, target: SqlConnection): TableCopy[] {
  const sourceVersion = schemaVersionOf(source);
  const targetVersion = schemaVersionOf(target);
  if (sourceVersion !== targetVersion) {
    throw new JournalError(
      `${source.location} is at schema version ${sourceVersion} and ${target.location} at ${targetVersion}; open both with this keeper first so both migrate`,
    );
  }
  for (const table of JOURNAL_TABLES) {
    const count = Number(target.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table.name}`)!.n);
    if (count > 0) {
      throw new JournalError(
        `${target.location} already holds ${count} row(s) in ${table.name}; journal:migrate copies into an empty journal only`,
      );
    }
  }
  target.transaction(() => {
    for (const table of JOURNAL_TABLES) {
      const rows = source.all<Record<string, SqlValue>>(`SELECT * FROM ${table.name} ORDER BY ${table.key}`);
      for (let start = 0; start < rows.length; start += BATCH_ROWS) insertRows(target, table.name, rows.slice(start, start + BATCH_ROWS));
      if (table.identity && target.dialect === "postgres") {
        target.get(
          `SELECT setval(pg_get_serial_sequence('${table.name}', 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) AS moved FROM ${table.name}`,
        );
      }
    }
  });
  const copied = JOURNAL_TABLES.map((table) => ({ table: table.name, ...digest(source, table.name, table.key) }));
  for (const expected of copied) {
    const actual = digest(target, expected.table, JOURNAL_TABLES.find((t) => t.name === expected.table)!.key);
    if (actual.rows !== expected.rows || actual.sha256 !== expected.sha256) {
      throw new JournalError(
        `${expected.table}: the copy differs from the source (${actual.rows} rows, sha256 ${actual.sha256.slice(0, 12)}… vs ${expected.rows}, ${expected.sha256.slice(0, 12)}…)`,
      );
    }
  }
  return copied;
}

function insertRows(target: SqlConnection, table: string, rows: readonly Record<string, SqlValue>[]): void {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  const tuple = `(${columns.map(() => "?").join(", ")})`;
  target.run(
    `INSERT INTO ${table} (${columns.join(", ")}) VALUES ${rows.map(() => tuple).join(", ")}`,
    rows.flatMap((row) => columns.map((column) => row[column] ?? null)),
  );
}

/** Row count and SHA-256 over every row's values, in key order, in a form both backends produce alike. */
function digest(connection: SqlConnection, table: string, key: string): { rows: number; sha256: string } {
  const hash = crypto.createHash("sha256");
  const rows = connection.all<Record<string, SqlValue>>(`SELECT * FROM ${table} ORDER BY ${key}`);
  for (const row of rows) {
    const columns = Object.keys(row).sort();
    hash.update(JSON.stringify(columns.map((column) => [column, normalise(row[column])])));
    hash.update("\n");
  }
  return { rows: rows.length, sha256: hash.digest("hex") };
}

function normalise(value: SqlValue | undefined): string | number | null {
  if (value === undefined || value === null) return null;
  return typeof value === "bigint" ? Number(value) : value;
}

function schemaVersionOf(connection: SqlConnection): number {
  if (!connection.tableExists("schema_version")) return 0;
  return Number(connection.get<{ version: number | null }>("SELECT MAX(version) AS version FROM schema_version")?.version ?? 0);
}
