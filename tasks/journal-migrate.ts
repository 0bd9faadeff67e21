/**
 * `npx hardhat journal:migrate [--from <sqlite file>] [--to <postgres url>] [--dry-run]`: copies a keeper's
 * journal into another one — typically its SQLite file into the PostgreSQL database keepers will share
 * (keeper/journal/journal-migrate.ts says what it refuses and why). --from defaults to the network's file,
 * --to to KEEPER_DATABASE_URL. The source is never changed.
 */
import path from "node:path";
import { task, types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { defaultJournalPath } from "../keeper/journal/journal-path";
import { isPostgresLocation } from "../keeper/journal/postgres-connection";
import { migrateJournal, planJournalMigration, type JournalMigrationPlan } from "../keeper/journal/journal-migrate";
import { envOrVar } from "./lib/config-vars";
import { asTaskError } from "./lib/operator-task";
import { DATABASE_URL_VARIABLE } from "./journal-location";

export interface JournalMigrateArgs {
  readonly from?: string;
  readonly to?: string;
  readonly dryRun: boolean;
}

export interface JournalMigrateDeps {
  readonly network: string;
  readonly projectRoot: string;
  readonly print: (line: string) => void;
}

export function runJournalMigrate(args: JournalMigrateArgs, deps: JournalMigrateDeps): JournalMigrationPlan {
  const from = locate(args.from ?? defaultJournalPath(deps.network, deps.projectRoot), deps.projectRoot);
  const toChoice = args.to ?? envOrVar(DATABASE_URL_VARIABLE);
  if (toChoice === undefined) {
    throw new Error(`--to is missing: pass --to postgresql://user:password@host:5432/database, or set ${DATABASE_URL_VARIABLE}`);
  }
  const to = locate(toChoice, deps.projectRoot);
  if (args.dryRun) {
    const plan = planJournalMigration(from, to);
    deps.print(describe(plan, "would copy"));
    deps.print("Dry run: nothing was written. Run again without --dry-run to copy.");
    return plan;
  }
  const result = migrateJournal(from, to);
  deps.print(describe(result, "copied"));
  deps.print(
    `Verified: every table's row count and SHA-256 match the source. The source is unchanged; point the keeper at ${result.to} ` +
      `(${DATABASE_URL_VARIABLE}) and keep the source until the keeper has run on the new journal.`,
  );
  return result;
}

function locate(location: string, root: string): string {
  return isPostgresLocation(location) ? location.trim() : path.resolve(root, location);
}

function describe(plan: JournalMigrationPlan, verb: string): string {
  const total = plan.tables.reduce((sum, table) => sum + table.rows, 0);
  return [
    `journal:migrate ${plan.from} → ${plan.to} (schema version ${plan.schemaVersion}; target ${plan.target})`,
    ...plan.tables.map((table) => `  ${table.table.padEnd(22)} ${String(table.rows).padStart(8)} row(s)`),
    `${verb} ${total} row(s) in ${plan.tables.length} tables`,
  ].join("\n");
}

task("journal:migrate", "Copy a keeper journal (e.g. its SQLite file) into a new PostgreSQL journal, verified table by table")
  .addOptionalParam("from", "Source journal (default: data/keeper-<network>.sqlite)", undefined, types.string)
  .addOptionalParam(
    "to",
    `Target: a postgres:// URL of an empty database, or a new SQLite file (default: ${DATABASE_URL_VARIABLE})`,
    undefined,
    types.string,
  )
  .addFlag("dryRun", "Check both journals and count what would be copied; write nothing")
  .setAction(async (args: JournalMigrateArgs, hre: HardhatRuntimeEnvironment) =>
    asTaskError(async () => runJournalMigrate(args, { network: hre.network.name, projectRoot: hre.config.paths.root, print: console.log })),
  );
