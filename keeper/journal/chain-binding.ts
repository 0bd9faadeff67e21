/**
 * A journal belongs to one chain and one executor. The `chain_binding` row records the chain id and
 * the executor at the first start, and an anchor: the hash of a block just behind where the discovery
 * checkpoints had got to (live discovery moves them with every head), taken at start, about once a
 * minute and at shutdown — ANCHOR_DEPTH blocks behind the head, deep enough that an ordinary reorg never
 * replaces it and so never looks like another chain (one getBlock call a minute). At every start the
 * binding is checked against the chain the keeper is connected to before anything else is read from
 * the journal:
 *
 *   - the endpoint serves another chain id, or the keeper runs another executor;
 *   - a discovery checkpoint lies beyond the chain's head (a restarted local node: a fresh chain with
 *     the same id, whose head is behind where the old one got to);
 *   - the anchor block's hash differs from the chain's (a fresh chain that has grown past it).
 *
 * Any of these stops start-up with a message naming the journal and every difference; the operator
 * starts over explicitly (`npx hardhat keeper --fresh-journal`) or points at the right journal.
 */
import { getAddress } from "ethers";
import type { Address } from "../core/types";
import { JournalError } from "./errors";
import type { SqlConnection } from "./sql-connection";

/** Checkpoint keys of borrower discovery (engine/journal-checkpoint-store.ts writes them). */
export const DISCOVERY_CHECKPOINT_PREFIX = "borrowers:";

/** How often, at most, the anchor follows the head. */
export const ANCHOR_INTERVAL_MS = 60_000;
/** How far behind the head the anchor block is. */
export const ANCHOR_DEPTH = 64;

export interface ChainIdentity {
  readonly chainId: number;
  readonly executor: Address;
}

export interface ChainBindingRecord extends ChainIdentity {
  readonly anchorBlock: number | null;
  readonly anchorHash: string | null;
  readonly recordedAt: number;
  readonly updatedAt: number;
}

/** What the binding check reads from the chain; an ethers Provider satisfies it. */
export interface ChainBindingReader {
  getBlockNumber(): Promise<number>;
  getBlock(blockTag: number): Promise<{ readonly hash: string | null } | null>;
}

/** The journal's view of its binding: the row, and the discovery checkpoints' blocks. */
export interface BoundJournal {
  readonly path: string;
  chainBinding(): ChainBindingRecord | undefined;
  recordChainBinding(identity: ChainIdentity): void;
  checkpointKeys(prefix: string): string[];
  getCheckpoint(key: string): string | undefined;
}

export class JournalChainMismatchError extends JournalError {
  constructor(
    readonly journalPath: string,
    readonly differences: readonly string[],
    remedy: string,
  ) {
    super(
      `journal ${journalPath} belongs to another chain or executor; nothing was read from it or written to it:\n` +
        differences.map((difference) => `  - ${difference}`).join("\n") +
        `\n${remedy}`,
    );
    this.name = "JournalChainMismatchError";
  }
}

interface BindingRow {
  chain_id: number;
  executor: string;
  anchor_block: number | null;
  anchor_hash: string | null;
  recorded_at: number;
  updated_at: number;
}

/** The `chain_binding` table. */
export class ChainBindingStore {
  constructor(
    private readonly connection: SqlConnection,
    private readonly clock: () => number,
  ) {}

  get(): ChainBindingRecord | undefined {
    const row = this.connection.get<BindingRow>("SELECT * FROM chain_binding WHERE id = 1");
    if (row === undefined) return undefined;
    return {
      chainId: Number(row.chain_id),
      executor: row.executor as Address,
      anchorBlock: row.anchor_block === null ? null : Number(row.anchor_block),
      anchorHash: row.anchor_hash,
      recordedAt: Number(row.recorded_at),
      updatedAt: Number(row.updated_at),
    };
  }

  /** Records the identity of a journal that has none yet (a new one, or one from before bindings). */
  record(identity: ChainIdentity): void {
    const now = this.clock();
    this.connection.run(
      "INSERT INTO chain_binding (id, chain_id, executor, recorded_at, updated_at) VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
      [identity.chainId, getAddress(identity.executor), now, now],
    );
  }

  anchor(block: number, hash: string): void {
    this.connection.run("UPDATE chain_binding SET anchor_block = ?, anchor_hash = ?, updated_at = ? WHERE id = 1", [
      block,
      hash,
      this.clock(),
    ]);
  }
}

/**
 * Checks the journal against the chain and the executor this keeper runs; records the identity when the
 * journal has none yet. Throws JournalChainMismatchError listing every difference.
 */
export async function bindJournalToChain(
  journal: BoundJournal,
  identity: ChainIdentity,
  chain: ChainBindingReader,
  remedy: string,
): Promise<void> {
  const differences = await chainDifferences(journal, identity, chain);
  if (differences.length > 0) throw new JournalChainMismatchError(journal.path, differences, remedy);
  if (journal.chainBinding() === undefined) journal.recordChainBinding(identity);
}

export async function chainDifferences(journal: BoundJournal, identity: ChainIdentity, chain: ChainBindingReader): Promise<string[]> {
  const differences: string[] = [];
  const binding = journal.chainBinding();
  if (binding !== undefined && binding.chainId !== identity.chainId) {
    differences.push(`it was written on chain ${binding.chainId}, but the endpoint serves chain ${identity.chainId}`);
  }
  if (binding !== undefined && getAddress(binding.executor) !== getAddress(identity.executor)) {
    differences.push(
      `it was written for executor ${getAddress(binding.executor)}, but this keeper runs executor ${getAddress(identity.executor)}`,
    );
  }
  const head = await chain.getBlockNumber();
  for (const key of journal.checkpointKeys(DISCOVERY_CHECKPOINT_PREFIX)) {
    const block = checkpointBlock(journal.getCheckpoint(key));
    if (block !== undefined && block > head) {
      differences.push(
        `its discovery checkpoint ${key.slice(DISCOVERY_CHECKPOINT_PREFIX.length)} is at block ${block}, beyond the chain's head ${head} ` +
          `(a restarted local node starts a new chain under the same chain id)`,
      );
    }
  }
  if (binding?.anchorBlock !== null && binding?.anchorBlock !== undefined && binding.anchorHash !== null) {
    if (binding.anchorBlock > head) {
      differences.push(`it recorded block ${binding.anchorBlock}, beyond the chain's head ${head}`);
    } else {
      const hash = (await chain.getBlock(binding.anchorBlock))?.hash ?? null;
      if (hash === null || hash.toLowerCase() !== binding.anchorHash.toLowerCase()) {
        differences.push(
          `block ${binding.anchorBlock} has hash ${hash ?? "(none)"} on this chain, but the journal recorded ${binding.anchorHash} ` +
            `(another chain with the same chain id)`,
        );
      }
    }
  }
  return differences;
}

function checkpointBlock(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  try {
    const block = (JSON.parse(raw) as { lastScannedBlock?: unknown }).lastScannedBlock;
    return typeof block === "number" && Number.isInteger(block) ? block : undefined;
  } catch {
    return undefined;
  }
}

/** Keeps the anchor ANCHOR_DEPTH blocks behind the head: at most once per ANCHOR_INTERVAL_MS, or whenever forced (start, shutdown). */
export class ChainAnchor {
  #lastAtMs = -Infinity;

  constructor(
    private readonly journal: { anchorChain(block: number, hash: string): void },
    private readonly chain: ChainBindingReader,
    private readonly clock: () => number,
  ) {}

  async follow(head: number, force = false): Promise<void> {
    const now = this.clock();
    if (head < 0 || (!force && now - this.#lastAtMs < ANCHOR_INTERVAL_MS)) return;
    const block = Math.max(0, head - ANCHOR_DEPTH);
    const hash = (await this.chain.getBlock(block))?.hash ?? null;
    if (hash === null) return;
    this.journal.anchorChain(block, hash);
    this.#lastAtMs = now;
  }
}
