/**
 * The journal's two backends as the journal tests see them: each gives a fresh, empty journal location
 * per test (a SQLite file in the test's directory, or a new database on the run's embedded PostgreSQL
 * server, test/shared/postgres-server.ts) and a raw connection to it for assertions the Journal API does
 * not offer. Suites loop over JOURNAL_BACKENDS, so the same tests hold both to the same behaviour.
 */
import path from "node:path";
import { PostgresConnection } from "../../keeper/journal/postgres-connection";
import type { SqlConnection } from "../../keeper/journal/sql-connection";
import { SqliteConnection } from "../../keeper/journal/sqlite-connection";
import { redactUrl } from "../../keeper/telemetry/redact";
import { postgresServer } from "./postgres-server";

export interface JournalBackend {
  readonly name: "SQLite" | "PostgreSQL";
  /** A location no journal uses yet. */
  newLocation(directory: string): Promise<string>;
  /** What `Journal.path` reports for `location`. */
  printed(location: string): string;
  /** A connection of its own to the journal at `location`, for reading or holding locks behind the journal's back. */
  raw(location: string): SqlConnection;
}

export const SQLITE_BACKEND: JournalBackend = {
  name: "SQLite",
  newLocation: async (directory) => path.join(directory, "nested", "keeper-test.sqlite"),
  printed: (location) => path.resolve(location),
  raw: (location) => SqliteConnection.open(location),
};

export const POSTGRES_BACKEND: JournalBackend = {
  name: "PostgreSQL",
  newLocation: async () => (await postgresServer()).createDatabase(),
  printed: (location) => redactUrl(location),
  raw: (location) => PostgresConnection.open(location),
};

export const JOURNAL_BACKENDS: readonly JournalBackend[] = [SQLITE_BACKEND, POSTGRES_BACKEND];
