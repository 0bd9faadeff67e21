/**
 * Where borrower discovery remembers how far it has scanned and whom it found, so a restart resumes
 * after the last covered block instead of rescanning from the pool's deployment.
 *
 * The journal implements this on SQLite; `InMemoryCheckpointStore` serves tests and the sandbox.
 * A checkpoint without its borrowers would be useless (the restarted keeper would know where to
 * resume but not whom to track), so both are saved together, atomically.
 */
import type { Address } from "../config/address-book";

export interface BorrowerCheckpoint {
  /** Last block whose logs are fully scanned. */
  readonly lastScannedBlock: number;
  /** Every borrower found up to `lastScannedBlock`, lower-case, without duplicates. */
  readonly borrowers: readonly Address[];
}

export interface CheckpointStore {
  /** The checkpoint saved under `key` (one key per market and event stream), if any. */
  load(key: string): Promise<BorrowerCheckpoint | undefined>;
  /**
   * Records, atomically, that blocks up to `lastScannedBlock` are scanned and adds `newBorrowers`
   * to the key's set. `lastScannedBlock` never moves backwards: a lower value is ignored.
   */
  save(key: string, lastScannedBlock: number, newBorrowers: readonly Address[]): Promise<void>;
}

export class InMemoryCheckpointStore implements CheckpointStore {
  private readonly entries = new Map<string, { lastScannedBlock: number; borrowers: Set<Address> }>();

  async load(key: string): Promise<BorrowerCheckpoint | undefined> {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    return { lastScannedBlock: entry.lastScannedBlock, borrowers: [...entry.borrowers] };
  }

  async save(key: string, lastScannedBlock: number, newBorrowers: readonly Address[]): Promise<void> {
    if (!Number.isInteger(lastScannedBlock) || lastScannedBlock < 0) {
      throw new Error(`checkpoint ${key}: lastScannedBlock must be a non-negative integer, got ${lastScannedBlock}`);
    }
    const entry = this.entries.get(key) ?? { lastScannedBlock, borrowers: new Set<Address>() };
    entry.lastScannedBlock = Math.max(entry.lastScannedBlock, lastScannedBlock);
    for (const borrower of newBorrowers) entry.borrowers.add(borrower.toLowerCase() as Address);
    this.entries.set(key, entry);
  }
}
