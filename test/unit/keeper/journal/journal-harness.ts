/**
 * One journal per test on a backend (SQLite file or PostgreSQL database), opened through `open` and closed after the
 * test with every raw connection the test made (`raw`: behind the journal's back). Shared by the journal's suites so
 * each backend runs them the same way.
 */
import { Journal } from "../../../../keeper/journal/journal";
import { SQLITE_BACKEND, type JournalBackend } from "../../../shared/journal-backends";
import { makeTempDir, removeDir } from "./journal-fixtures";

export interface JournalHarness {
  /** The test's journal location (a file path, or a PostgreSQL URL). */
  readonly journalPath: string;
  /** The test's scratch folder. */
  readonly dir: string;
  open(options?: Parameters<typeof Journal.open>[1]): Journal;
  raw(): ReturnType<JournalBackend["raw"]>;
  /** Property runs: each PostgreSQL statement is a round trip, so a quarter as many there, unless on CI. */
  runs(n: number): number;
  /** `it` on SQLite, `it.skip` on PostgreSQL (cases about the SQLite file itself). */
  readonly sqliteOnly: typeof it | typeof it.skip;
}

/** Registers the per-test set-up and tear-down in the calling `describe`; read the locations inside tests only. */
export function journalHarness(backend: JournalBackend): JournalHarness {
  let dir = "";
  let journalPath = "";
  const opened: { close(): void }[] = [];

  beforeEach(async () => {
    dir = makeTempDir("journal");
    journalPath = await backend.newLocation(dir);
  });

  afterEach(() => {
    for (const connection of opened.splice(0).reverse()) connection.close();
    removeDir(dir);
  });

  return {
    get journalPath() {
      return journalPath;
    },
    get dir() {
      return dir;
    },
    open(options = {}) {
      const journal = Journal.open(journalPath, options);
      opened.push(journal);
      return journal;
    },
    raw() {
      const connection = backend.raw(journalPath);
      opened.push(connection);
      return connection;
    },
    runs: (n) => (backend === SQLITE_BACKEND || process.env.CI === "true" ? n : Math.ceil(n / 4)),
    sqliteOnly: backend === SQLITE_BACKEND ? it : it.skip,
  };
}
