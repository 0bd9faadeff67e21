/**
 * Brings a journal's schema to the version this keeper knows (writable) or checks that it is there
 * (read-only), through the SqlConnection seam so both backends follow one procedure: every missing
 * migration runs in its own write transaction, which first re-reads the version under the writers'
 * lock, so two processes opening a new journal at once cannot both apply the same migration.
 */
import type { JournalMigration } from "./migrations";
import { JournalError, JournalSchemaTooNewError } from "./errors";
import type { SqlConnection } from "./sql-connection";

const VERSION_TABLE_DDL =
  "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at BIGINT NOT NULL)";

/** The highest version `migrations` reaches (0 for none). */
export function knownVersionOf(migrations: readonly JournalMigration[]): number {
  return migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.version;
}

/** Applies every missing migration and returns the final version. */
export function migrateSchema(connection: SqlConnection, migrations: readonly JournalMigration[], clock: () => number): number {
  const knownVersion = knownVersionOf(migrations);
  // Up to date (the usual case): a plain read, so a task opening the journal while the keeper
  // writes does not queue for the write lock.
  if (connection.tableExists("schema_version")) {
    const current = readVersion(connection);
    if (current > knownVersion) throw new JournalSchemaTooNewError(connection.location, current, knownVersion);
    if (current === knownVersion) return current;
  }
  for (;;) {
    const applied = connection.transaction((): number | null => {
      connection.exec(VERSION_TABLE_DDL);
      const current = readVersion(connection);
      if (current > knownVersion) throw new JournalSchemaTooNewError(connection.location, current, knownVersion);
      const next = migrations.find((migration) => migration.version === current + 1);
      if (next === undefined) return null;
      connection.exec(next.sql[connection.dialect]);
      connection.run("INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)", [
        next.version,
        next.description,
        clock(),
      ]);
      return next.version;
    });
    if (applied === null) return readVersion(connection);
  }
}

/** A read-only journal must already be at exactly the known version. */
export function checkSchemaVersion(connection: SqlConnection, migrations: readonly JournalMigration[]): number {
  const knownVersion = knownVersionOf(migrations);
  if (!connection.tableExists("schema_version")) {
    throw new JournalError(`${connection.location} is not a Chimera journal (it has no schema_version table)`);
  }
  const version = readVersion(connection);
  if (version > knownVersion) throw new JournalSchemaTooNewError(connection.location, version, knownVersion);
  if (version < knownVersion) {
    throw new JournalError(
      `journal ${connection.location} is at schema version ${version}, older than ${knownVersion}; ` +
        `open it read-write once (start the keeper, or run any keeper:* task) to migrate it`,
    );
  }
  return version;
}

export function readVersion(connection: SqlConnection): number {
  return connection.get<{ version: number | null }>("SELECT MAX(version) AS version FROM schema_version")?.version ?? 0;
}
