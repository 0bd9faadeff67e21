/**
 * The journal's schema on each backend: created at the latest version, migrated forward in one transaction each,
 * refused when newer than this keeper knows, and opened read-only without creating anything.
 */
import path from "node:path";
import { expect } from "chai";
import Database from "better-sqlite3";
import { Journal, JournalError, JournalSchemaTooNewError } from "../../../../keeper/journal/journal";
import { JOURNAL_MIGRATIONS, LATEST_JOURNAL_VERSION, type JournalMigration } from "../../../../keeper/journal/migrations";
import { defaultJournalPath } from "../../../../keeper/journal/journal-path";
import { JOURNAL_BACKENDS, SQLITE_BACKEND } from "../../../shared/journal-backends";
import { journalHarness } from "./journal-harness";

/** A second migration used only to exercise upgrades; never part of the shipped list. */
const TEST_MIGRATION_V2: JournalMigration = {
  version: LATEST_JOURNAL_VERSION + 1,
  description: "test-only: adds a notes table",
  sql: {
    sqlite: "CREATE TABLE test_notes (id INTEGER PRIMARY KEY, note TEXT NOT NULL);",
    postgres: "CREATE TABLE test_notes (id BIGINT PRIMARY KEY, note TEXT NOT NULL);",
  },
};

for (const backend of JOURNAL_BACKENDS)
  describe(`Journal migrations (${backend.name})`, function () {
    this.timeout(60_000);
    const h = journalHarness(backend);
    const { open, raw, sqliteOnly } = h;

    describe("#open and migrations", () => {
      it("creates the journal at the latest schema, with every table", () => {
        const journal = open();
        expect(journal.schemaVersion).to.equal(LATEST_JOURNAL_VERSION);
        expect(journal.path).to.equal(backend.printed(h.journalPath));
        expect(journal.backend).to.equal(backend === SQLITE_BACKEND ? "sqlite" : "postgres");
        journal.close();
        const check = raw();
        for (const table of [
          "schema_version",
          "opportunities",
          "executions",
          "execution_transitions",
          "transactions",
          "system_events",
          "checkpoints",
          "control_requests",
          "risk_state",
          "chain_binding",
          "keeper_lease",
          "nonce_blocks",
        ]) {
          expect(check.tableExists(table), table).to.equal(true);
        }
      });

      sqliteOnly("creates the file and its directory in WAL mode with synchronous=FULL", () => {
        open().close();
        const file = new Database(h.journalPath, { readonly: true });
        try {
          expect(file.pragma("journal_mode", { simple: true })).to.equal("wal");
        } finally {
          file.close();
        }
        // synchronous is a per-connection setting, so it is read from the journal's own connection.
        expect(open().synchronous).to.equal("FULL");
        expect(open({ synchronous: "NORMAL" }).synchronous).to.equal("NORMAL");
      });

      it("ships consecutive migration versions starting at 1", () => {
        expect(JOURNAL_MIGRATIONS.map((m) => m.version)).to.deep.equal(JOURNAL_MIGRATIONS.map((_, i) => i + 1));
      });

      it("re-opens an existing journal without re-applying migrations and keeps its data", () => {
        const first = open();
        first.setCheckpoint("aave-v3-base:lastBlock", "1234");
        first.close();

        const second = open();
        expect(second.getCheckpoint("aave-v3-base:lastBlock")).to.equal("1234");
        second.close();
        const rows = raw().all<{ version: number }>("SELECT version FROM schema_version ORDER BY version");
        expect(rows.map((r) => r.version)).to.deep.equal(JOURNAL_MIGRATIONS.map((m) => m.version));
      });

      it("upgrades an older journal by applying only the missing migrations", () => {
        const old = open();
        old.setCheckpoint("k", "v");
        old.close();

        const upgraded = open({ migrations: [...JOURNAL_MIGRATIONS, TEST_MIGRATION_V2] });
        expect(upgraded.schemaVersion).to.equal(TEST_MIGRATION_V2.version);
        expect(upgraded.getCheckpoint("k")).to.equal("v");
      });

      it("rolls back a failing migration entirely and leaves the journal at its previous version", () => {
        open().close();
        const broken: JournalMigration = {
          version: LATEST_JOURNAL_VERSION + 1,
          description: "test-only: first statement succeeds, second fails",
          sql: {
            sqlite: "CREATE TABLE half_done (id INTEGER); INSERT INTO no_such_table VALUES (1);",
            postgres: "CREATE TABLE half_done (id BIGINT); INSERT INTO no_such_table VALUES (1);",
          },
        };
        expect(() => Journal.open(h.journalPath, { migrations: [...JOURNAL_MIGRATIONS, broken] })).to.throw(/no_such_table/);

        const check = raw();
        expect(check.tableExists("half_done")).to.equal(false);
        expect(check.get<{ v: number }>("SELECT MAX(version) AS v FROM schema_version")!.v).to.equal(LATEST_JOURNAL_VERSION);
      });

      it("refuses to open a journal written by a newer schema, naming both versions", () => {
        open({ migrations: [...JOURNAL_MIGRATIONS, TEST_MIGRATION_V2] }).close();

        expect(() => Journal.open(h.journalPath)).to.throw(
          JournalSchemaTooNewError,
          new RegExp(`schema version ${TEST_MIGRATION_V2.version}, newer than the ${LATEST_JOURNAL_VERSION}`),
        );
        expect(() => Journal.open(h.journalPath, { readonly: true })).to.throw(JournalSchemaTooNewError);
      });

      it("read-only open names a missing file and an unmigrated one", () => {
        expect(() => Journal.open(path.join(h.dir, "absent.sqlite"), { readonly: true })).to.throw(
          JournalError,
          /no journal at .*absent\.sqlite/,
        );
        open({ migrations: [] }).close(); // schema_version exists, version 0
        expect(() => Journal.open(h.journalPath, { readonly: true })).to.throw(JournalError, /schema version 0, older than/);
      });

      it("puts the default journal under data/ per network and rejects names that are not file-safe", () => {
        expect(defaultJournalPath("base", "/repo")).to.equal(path.join("/repo", "data", "keeper-base.sqlite"));
        expect(() => defaultJournalPath("../etc", "/repo")).to.throw(/network name "\.\.\/etc"/);
      });
    });
  });
