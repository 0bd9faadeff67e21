/**
 * The journal an operator task reads or writes: `--journal` (a file path, or a postgres:// URL) when
 * given, else the PostgreSQL database KEEPER_DATABASE_URL names (environment or Hardhat vars) — where
 * keepers that share a journal keep it — else the network's file, data/keeper-<network>.sqlite.
 */
import fs from "node:fs";
import { defaultJournalPath, journalLocation } from "../keeper/journal/journal-path";
import { isPostgresLocation } from "../keeper/journal/postgres-connection";
import { envOrVar } from "./lib/config-vars";

/** The variable naming a shared journal database (the keeper config's `journal.databaseUrlEnv` default). */
export const DATABASE_URL_VARIABLE = "KEEPER_DATABASE_URL";

export function taskJournalLocation(flag: string | undefined, network: string, projectRoot: string): string {
  return journalLocation({
    flag,
    databaseUrl: envOrVar(DATABASE_URL_VARIABLE),
    defaultFile: defaultJournalPath(network, projectRoot),
    root: projectRoot,
  });
}

/** Whether there is a journal to open there: a file that exists, or a database (whose answer opening it tells). */
export function journalExists(location: string): boolean {
  return isPostgresLocation(location) || fs.existsSync(location);
}
