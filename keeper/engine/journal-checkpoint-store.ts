/**
 * Borrower-discovery checkpoints kept in the journal's `checkpoints` table, so a restarted keeper
 * resumes each market's event scan after the last covered block instead of rescanning from the
 * pool's deployment. One row per stream key holds `{ lastScannedBlock, borrowers }` as JSON, written in
 * one statement: the block and the borrowers found up to it can never disagree.
 */
import type { Address } from "../config/address-book";
import { DISCOVERY_CHECKPOINT_PREFIX } from "../journal/chain-binding";
import type { Journal } from "../journal/journal";
import type { BorrowerCheckpoint, CheckpointStore } from "../markets/checkpoint-store";

const PREFIX = DISCOVERY_CHECKPOINT_PREFIX;

export class JournalCheckpointStore implements CheckpointStore {
  constructor(private readonly journal: Journal) {}

  async load(key: string): Promise<BorrowerCheckpoint | undefined> {
    const raw = this.journal.getCheckpoint(PREFIX + key);
    if (raw === undefined) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (error) {
      throw new Error(`journal checkpoint ${key} is not JSON (${(error as Error).message}); delete the row to rescan`);
    }
    const value = parsed as Partial<BorrowerCheckpoint>;
    if (!Number.isInteger(value.lastScannedBlock) || !Array.isArray(value.borrowers)) {
      throw new Error(`journal checkpoint ${key} lacks lastScannedBlock or borrowers; delete the row to rescan`);
    }
    return { lastScannedBlock: value.lastScannedBlock!, borrowers: value.borrowers as Address[] };
  }

  async save(key: string, lastScannedBlock: number, newBorrowers: readonly Address[]): Promise<void> {
    if (!Number.isInteger(lastScannedBlock) || lastScannedBlock < 0) {
      throw new Error(`checkpoint ${key}: lastScannedBlock must be a non-negative integer, got ${lastScannedBlock}`);
    }
    const previous = await this.load(key);
    const borrowers = new Set<string>(previous?.borrowers ?? []);
    for (const borrower of newBorrowers) borrowers.add(borrower.toLowerCase());
    const block = Math.max(previous?.lastScannedBlock ?? lastScannedBlock, lastScannedBlock);
    if (previous !== undefined && block === previous.lastScannedBlock && borrowers.size === previous.borrowers.length) return;
    this.journal.setCheckpoint(PREFIX + key, JSON.stringify({ lastScannedBlock: block, borrowers: [...borrowers] }));
  }
}
