/**
 * Where a network's journal lives unless configured otherwise: data/keeper-<network>.sqlite under the
 * project root. One file per network keeps a sandbox run from ever mixing with Base's history.
 */
import path from "node:path";

export const JOURNAL_DIRECTORY = "data";

export function defaultJournalPath(network: string, projectRoot: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(network)) {
    throw new Error(
      `network name "${network}" cannot name a journal file; expected letters, digits, "_" or "-" (pass an explicit journal path instead)`,
    );
  }
  return path.join(projectRoot, JOURNAL_DIRECTORY, `keeper-${network}.sqlite`);
}
