/**
 * Where a network's journal lives unless configured otherwise: data/keeper-<network>.sqlite under the
 * project root. One file per network keeps a sandbox run from ever mixing with Base's history.
 */
import fs from "node:fs";
import path from "node:path";
import { JournalError } from "./errors";
import { isPostgresLocation } from "./postgres-connection";
import { SqliteConnection } from "./sqlite-connection";

export const JOURNAL_DIRECTORY = "data";

export function defaultJournalPath(network: string, projectRoot: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(network)) {
    throw new Error(
      `network name "${network}" cannot name a journal file; expected letters, digits, "_" or "-" (pass an explicit journal path instead)`,
    );
  }
  return path.join(projectRoot, JOURNAL_DIRECTORY, `keeper-${network}.sqlite`);
}

/**
 * `--fresh-journal`: moves a SQLite journal aside to `<name>.replaced-<stamp>.sqlite`, never deleting it,
 * so the keeper starts a new one. Its WAL is checkpointed into the file first, so the one file that moves
 * holds every committed transaction and nothing is left behind for the new journal to pick up. Returns
 * the new name of the old file, or null when there was nothing to move.
 */
export function moveJournalAside(file: string, stamp: string): string | null {
  if (isPostgresLocation(file)) {
    throw new JournalError(
      "--fresh-journal moves a SQLite journal file aside; a PostgreSQL journal is never dropped by the keeper: " +
        "create a new database and point KEEPER_DATABASE_URL (or --journal) at it",
    );
  }
  if (!fs.existsSync(file)) return null;
  // Refuses another application's file; closing the only connection checkpoints the WAL into the file.
  SqliteConnection.open(file).close();
  const extension = path.extname(file);
  const target = `${file.slice(0, file.length - extension.length)}.replaced-${stamp}${extension}`;
  fs.renameSync(file, target);
  for (const suffix of ["-wal", "-shm"]) if (fs.existsSync(file + suffix)) fs.rmSync(file + suffix);
  return target;
}

/**
 * Which journal a task or keeper uses: `flag` (--journal: a file path, or a postgres:// URL) when given,
 * else the database the environment names (KEEPER_DATABASE_URL), else the network's file. A file path
 * is resolved against the project root; a URL is used as it is.
 */
export function journalLocation(choice: {
  readonly flag?: string;
  readonly databaseUrl?: string;
  readonly defaultFile: string;
  readonly root: string;
}): string {
  const chosen = choice.flag ?? (choice.databaseUrl?.trim() ? choice.databaseUrl.trim() : undefined) ?? choice.defaultFile;
  return isPostgresLocation(chosen) ? chosen : path.resolve(choice.root, chosen);
}
