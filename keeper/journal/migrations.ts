/**
 * The journal's schema as an ordered list of migrations, each written once per SQL dialect: the same
 * version, the same tables, columns, constraints and indexes in SQLite and in PostgreSQL, so a journal
 * moves between them without loss (`npx hardhat journal:migrate`). A migration is never edited once
 * shipped: a keeper's journal was built by exactly these statements, so a change is a new entry with
 * the next version. `Journal.open` applies the missing ones, each in its own transaction, and refuses a
 * journal whose version is newer than the last entry here (an older keeper must not write into a
 * schema it does not understand).
 *
 * Conventions: token amounts, wei and other bigints are TEXT holding a decimal integer (a 64-bit
 * INTEGER would overflow or lose precision); timestamps are integer milliseconds since the Unix epoch
 * (SQLite INTEGER, PostgreSQL BIGINT); USD figures are REAL / DOUBLE PRECISION (they rank and report,
 * they are never sent on chain); ids are SQLite's INTEGER PRIMARY KEY AUTOINCREMENT and PostgreSQL's
 * BIGINT identity.
 */
import type { SqlDialect } from "./sql-connection";

export interface JournalMigration {
  /** 1, 2, 3… in order; the journal's schema_version after this migration has run. */
  readonly version: number;
  /** One line saying what the migration adds, stored with it in schema_version. */
  readonly description: string;
  /** The statements, per dialect. */
  readonly sql: Readonly<Record<SqlDialect, string>>;
}

export const JOURNAL_MIGRATIONS: readonly JournalMigration[] = [
  {
    version: 1,
    description: "opportunities, executions with transitions and tx attempts, system events, checkpoints, control requests, risk state",
    sql: {
      sqlite: `
      CREATE TABLE opportunities (
        id                  INTEGER PRIMARY KEY AUTOINCREMENT,
        protocol            TEXT NOT NULL,
        market              TEXT NOT NULL,
        borrower            TEXT NOT NULL,
        collateral_token    TEXT NOT NULL,
        debt_token          TEXT NOT NULL,
        debt_to_cover       TEXT NOT NULL,
        debt_to_cover_usd   REAL NOT NULL,
        health_factor       TEXT NOT NULL,
        sizing_rule         TEXT NOT NULL,
        decision            TEXT NOT NULL CHECK (decision IN ('planned', 'skipped')),
        skip_reason         TEXT,
        detail              TEXT,
        plan_id             TEXT,
        expected_profit_usd REAL,
        net_profit_usd      REAL,
        block_number        INTEGER NOT NULL,
        created_at          INTEGER NOT NULL
      );
      CREATE INDEX opportunities_by_time ON opportunities (created_at);
      CREATE INDEX opportunities_by_market ON opportunities (market, created_at);

      CREATE TABLE executions (
        id                       INTEGER PRIMARY KEY AUTOINCREMENT,
        plan_id                  TEXT NOT NULL UNIQUE,
        mode                     TEXT NOT NULL CHECK (mode IN ('DRY', 'LIVE')),
        state                    TEXT NOT NULL,
        protocol                 TEXT NOT NULL,
        market                   TEXT NOT NULL,
        borrower                 TEXT NOT NULL,
        collateral_token         TEXT NOT NULL,
        debt_token               TEXT NOT NULL,
        profit_token             TEXT NOT NULL,
        debt_to_cover            TEXT NOT NULL,
        flash_kind               TEXT NOT NULL,
        flash_source             TEXT NOT NULL,
        flash_amount             TEXT NOT NULL,
        flash_fee                TEXT NOT NULL,
        flash_fee_usd            REAL NOT NULL,
        expected_profit          TEXT NOT NULL,
        expected_profit_usd      REAL NOT NULL,
        gas_units_estimate       TEXT NOT NULL,
        detected_block           INTEGER NOT NULL,
        signer                   TEXT,
        nonce                    INTEGER,
        tx_hash                  TEXT,
        max_fee_per_gas          TEXT,
        max_priority_fee_per_gas TEXT,
        included_block           INTEGER,
        gas_used                 TEXT,
        effective_gas_price      TEXT,
        gas_cost_wei             TEXT,
        gas_cost_usd             REAL,
        realised_profit          TEXT,
        realised_profit_usd      REAL,
        error                    TEXT,
        created_at               INTEGER NOT NULL,
        updated_at               INTEGER NOT NULL,
        sent_at                  INTEGER,
        settled_at               INTEGER
      );
      CREATE INDEX executions_by_state ON executions (state);
      CREATE INDEX executions_by_time ON executions (created_at);

      -- Append-only: one row per state change, never updated or deleted.
      CREATE TABLE execution_transitions (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        plan_id    TEXT NOT NULL REFERENCES executions (plan_id),
        from_state TEXT,
        to_state   TEXT NOT NULL,
        detail     TEXT,
        at         INTEGER NOT NULL
      );
      CREATE INDEX execution_transitions_by_plan ON execution_transitions (plan_id, id);

      -- Every signed transaction for an execution: the original, fee-bumped replacements and cancels.
      CREATE TABLE transactions (
        id                       INTEGER PRIMARY KEY AUTOINCREMENT,
        plan_id                  TEXT NOT NULL REFERENCES executions (plan_id),
        attempt                  INTEGER NOT NULL,
        kind                     TEXT NOT NULL CHECK (kind IN ('original', 'replacement', 'cancel')),
        tx_hash                  TEXT NOT NULL UNIQUE,
        signer                   TEXT NOT NULL,
        nonce                    INTEGER NOT NULL,
        max_fee_per_gas          TEXT NOT NULL,
        max_priority_fee_per_gas TEXT NOT NULL,
        gas_limit                TEXT,
        status                   TEXT NOT NULL CHECK (status IN ('pending', 'included', 'replaced', 'dropped', 'failed')),
        created_at               INTEGER NOT NULL,
        updated_at               INTEGER NOT NULL,
        UNIQUE (plan_id, attempt)
      );

      CREATE TABLE system_events (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        kind       TEXT NOT NULL,
        actor      TEXT NOT NULL,
        detail     TEXT NOT NULL,
        data       TEXT,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX system_events_by_kind ON system_events (kind, id);

      CREATE TABLE checkpoints (
        key        TEXT PRIMARY KEY,
        value      TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );

      -- Commands for a running keeper, written by hardhat tasks and applied at its next loop iteration.
      CREATE TABLE control_requests (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        kind           TEXT NOT NULL CHECK (kind IN ('resume', 'mode', 'tier', 'halt')),
        payload        TEXT NOT NULL,
        requested_by   TEXT NOT NULL,
        created_at     INTEGER NOT NULL,
        applied_at     INTEGER,
        outcome        TEXT CHECK (outcome IN ('applied', 'rejected')),
        outcome_detail TEXT
      );
      CREATE INDEX control_requests_pending ON control_requests (applied_at, id);

      CREATE TABLE risk_state (
        key        TEXT PRIMARY KEY,
        value      TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );
    `,
      postgres: `
      CREATE TABLE opportunities (
        id                  BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        protocol            TEXT NOT NULL,
        market              TEXT NOT NULL,
        borrower            TEXT NOT NULL,
        collateral_token    TEXT NOT NULL,
        debt_token          TEXT NOT NULL,
        debt_to_cover       TEXT NOT NULL,
        debt_to_cover_usd   DOUBLE PRECISION NOT NULL,
        health_factor       TEXT NOT NULL,
        sizing_rule         TEXT NOT NULL,
        decision            TEXT NOT NULL CHECK (decision IN ('planned', 'skipped')),
        skip_reason         TEXT,
        detail              TEXT,
        plan_id             TEXT,
        expected_profit_usd DOUBLE PRECISION,
        net_profit_usd      DOUBLE PRECISION,
        block_number        BIGINT NOT NULL,
        created_at          BIGINT NOT NULL
      );
      CREATE INDEX opportunities_by_time ON opportunities (created_at);
      CREATE INDEX opportunities_by_market ON opportunities (market, created_at);

      CREATE TABLE executions (
        id                       BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        plan_id                  TEXT NOT NULL UNIQUE,
        mode                     TEXT NOT NULL CHECK (mode IN ('DRY', 'LIVE')),
        state                    TEXT NOT NULL,
        protocol                 TEXT NOT NULL,
        market                   TEXT NOT NULL,
        borrower                 TEXT NOT NULL,
        collateral_token         TEXT NOT NULL,
        debt_token               TEXT NOT NULL,
        profit_token             TEXT NOT NULL,
        debt_to_cover            TEXT NOT NULL,
        flash_kind               TEXT NOT NULL,
        flash_source             TEXT NOT NULL,
        flash_amount             TEXT NOT NULL,
        flash_fee                TEXT NOT NULL,
        flash_fee_usd            DOUBLE PRECISION NOT NULL,
        expected_profit          TEXT NOT NULL,
        expected_profit_usd      DOUBLE PRECISION NOT NULL,
        gas_units_estimate       TEXT NOT NULL,
        detected_block           BIGINT NOT NULL,
        signer                   TEXT,
        nonce                    BIGINT,
        tx_hash                  TEXT,
        max_fee_per_gas          TEXT,
        max_priority_fee_per_gas TEXT,
        included_block           BIGINT,
        gas_used                 TEXT,
        effective_gas_price      TEXT,
        gas_cost_wei             TEXT,
        gas_cost_usd             DOUBLE PRECISION,
        realised_profit          TEXT,
        realised_profit_usd      DOUBLE PRECISION,
        error                    TEXT,
        created_at               BIGINT NOT NULL,
        updated_at               BIGINT NOT NULL,
        sent_at                  BIGINT,
        settled_at               BIGINT
      );
      CREATE INDEX executions_by_state ON executions (state);
      CREATE INDEX executions_by_time ON executions (created_at);

      -- Append-only: one row per state change, never updated or deleted.
      CREATE TABLE execution_transitions (
        id         BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        plan_id    TEXT NOT NULL REFERENCES executions (plan_id),
        from_state TEXT,
        to_state   TEXT NOT NULL,
        detail     TEXT,
        at         BIGINT NOT NULL
      );
      CREATE INDEX execution_transitions_by_plan ON execution_transitions (plan_id, id);

      -- Every signed transaction for an execution: the original, fee-bumped replacements and cancels.
      CREATE TABLE transactions (
        id                       BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        plan_id                  TEXT NOT NULL REFERENCES executions (plan_id),
        attempt                  BIGINT NOT NULL,
        kind                     TEXT NOT NULL CHECK (kind IN ('original', 'replacement', 'cancel')),
        tx_hash                  TEXT NOT NULL UNIQUE,
        signer                   TEXT NOT NULL,
        nonce                    BIGINT NOT NULL,
        max_fee_per_gas          TEXT NOT NULL,
        max_priority_fee_per_gas TEXT NOT NULL,
        gas_limit                TEXT,
        status                   TEXT NOT NULL CHECK (status IN ('pending', 'included', 'replaced', 'dropped', 'failed')),
        created_at               BIGINT NOT NULL,
        updated_at               BIGINT NOT NULL,
        UNIQUE (plan_id, attempt)
      );

      CREATE TABLE system_events (
        id         BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        kind       TEXT NOT NULL,
        actor      TEXT NOT NULL,
        detail     TEXT NOT NULL,
        data       TEXT,
        created_at BIGINT NOT NULL
      );
      CREATE INDEX system_events_by_kind ON system_events (kind, id);

      CREATE TABLE checkpoints (
        key        TEXT PRIMARY KEY,
        value      TEXT NOT NULL,
        updated_at BIGINT NOT NULL
      );

      -- Commands for a running keeper, written by hardhat tasks and applied at its next loop iteration.
      CREATE TABLE control_requests (
        id             BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        kind           TEXT NOT NULL CHECK (kind IN ('resume', 'mode', 'tier', 'halt')),
        payload        TEXT NOT NULL,
        requested_by   TEXT NOT NULL,
        created_at     BIGINT NOT NULL,
        applied_at     BIGINT,
        outcome        TEXT CHECK (outcome IN ('applied', 'rejected')),
        outcome_detail TEXT
      );
      CREATE INDEX control_requests_pending ON control_requests (applied_at, id);

      CREATE TABLE risk_state (
        key        TEXT PRIMARY KEY,
        value      TEXT NOT NULL,
        updated_at BIGINT NOT NULL
      );
    `,
    },
  },
  {
    version: 2,
    description: "chain binding (chain id, executor, an anchor block hash) and the keeper lease (who runs this journal, until when)",
    sql: {
      sqlite: `
      -- Which chain and executor this journal belongs to; one row, written at the first start.
      CREATE TABLE chain_binding (
        id           INTEGER PRIMARY KEY CHECK (id = 1),
        chain_id     INTEGER NOT NULL,
        executor     TEXT NOT NULL,
        anchor_block INTEGER,
        anchor_hash  TEXT,
        recorded_at  INTEGER NOT NULL,
        updated_at   INTEGER NOT NULL
      );

      -- The lease a keeper holds while it runs on this journal: only the holder signs and sends.
      -- Times are the database's clock, in ms since the Unix epoch; epoch grows with every new holder.
      CREATE TABLE keeper_lease (
        name        TEXT PRIMARY KEY,
        holder      TEXT NOT NULL,
        holder_info TEXT NOT NULL,
        epoch       INTEGER NOT NULL,
        acquired_at INTEGER NOT NULL,
        renewed_at  INTEGER NOT NULL,
        expires_at  INTEGER NOT NULL
      );
    `,
      postgres: `
      CREATE TABLE chain_binding (
        id           INTEGER PRIMARY KEY CHECK (id = 1),
        chain_id     BIGINT NOT NULL,
        executor     TEXT NOT NULL,
        anchor_block BIGINT,
        anchor_hash  TEXT,
        recorded_at  BIGINT NOT NULL,
        updated_at   BIGINT NOT NULL
      );

      CREATE TABLE keeper_lease (
        name        TEXT PRIMARY KEY,
        holder      TEXT NOT NULL,
        holder_info TEXT NOT NULL,
        epoch       BIGINT NOT NULL,
        acquired_at BIGINT NOT NULL,
        renewed_at  BIGINT NOT NULL,
        expires_at  BIGINT NOT NULL
      );
    `,
    },
  },
  {
    version: 3,
    description: "a plan's deadline block with its intent, and the key's blocked nonce (which nonce stops sending, since when)",
    sql: {
      sqlite: `
      -- The block after which the executor refuses the plan (PlanExpired): a keeper that adopts the
      -- transaction after a restart or a takeover cancels it past this block instead of bidding again.
      ALTER TABLE executions ADD COLUMN deadline_block INTEGER;

      -- A nonce of a signing key that no transaction within the cancel ceiling can replace: nothing new is
      -- sent behind it until the chain shows it mined. One row per key while blocked, deleted when it clears.
      CREATE TABLE nonce_blocks (
        signer                       TEXT PRIMARY KEY,
        nonce                        INTEGER NOT NULL,
        stuck_tx_hash                TEXT,
        stuck_max_fee_per_gas        TEXT NOT NULL,
        needed_max_fee_per_gas       TEXT NOT NULL,
        cancel_max_fee_per_gas_ceiling TEXT NOT NULL,
        reason                       TEXT NOT NULL,
        since                        INTEGER NOT NULL,
        updated_at                   INTEGER NOT NULL
      );
    `,
      postgres: `
      ALTER TABLE executions ADD COLUMN deadline_block BIGINT;

      CREATE TABLE nonce_blocks (
        signer                       TEXT PRIMARY KEY,
        nonce                        BIGINT NOT NULL,
        stuck_tx_hash                TEXT,
        stuck_max_fee_per_gas        TEXT NOT NULL,
        needed_max_fee_per_gas       TEXT NOT NULL,
        cancel_max_fee_per_gas_ceiling TEXT NOT NULL,
        reason                       TEXT NOT NULL,
        since                        BIGINT NOT NULL,
        updated_at                   BIGINT NOT NULL
      );
    `,
    },
  },
];

/** The schema version this build of the keeper writes. */
export const LATEST_JOURNAL_VERSION = JOURNAL_MIGRATIONS[JOURNAL_MIGRATIONS.length - 1].version;
