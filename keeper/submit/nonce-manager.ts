/**
 * Hands out nonces for one key on one chain. It holds the key's lock (one writer per key), reads the
 * next free nonce at start, then counts locally so a burst of sends does not wait on an RPC round trip
 * each. After ANY send error it reads again: the local count is only trustworthy while every send it
 * numbered is known to have been accepted.
 *
 * "The next free nonce" never comes from the `pending` tag: since Denim, Base has no equivalent of it
 * (nodes answer `latest`, or refuse), and a pending count was never this keeper's to trust anyway. It is
 * the larger of the chain's `latest` transaction count (every nonce below it is mined) and one past the
 * highest nonce an open execution of this key holds in the journal (signed or sent, not yet settled:
 * its transaction may be on the wire). The fenced broadcaster checks the same two facts before every
 * send (submit/fenced-broadcaster.ts).
 */
import { SignerKeyLock } from "./signer-key-lock";

/** The chain read the manager needs; an ethers Provider satisfies it. Only ever asked for `latest`. */
export interface NonceSource {
  getTransactionCount(address: string, blockTag: "latest"): Promise<number>;
}

/** The journal's side: the nonces this key's open executions hold (Journal.openIntents answers it). */
export interface NonceClaims {
  openIntents(): readonly { readonly execution: { readonly signer: string | null; readonly nonce: number | null } }[];
}

export interface NonceManagerOptions {
  readonly address: string;
  readonly chainId: number;
  readonly source: NonceSource;
  /** The journal, whose open executions hold nonces the chain's `latest` count does not show yet. */
  readonly claims?: NonceClaims;
  /**
   * Directory for the key's lock file (the journal's directory). Null when keepers share the journal
   * in a database: its leader lease is then what lets one of them sign (a file lock cannot see the
   * other machines, and would stop a standby on this one).
   */
  readonly lockDirectory: string | null;
  /** Injected for tests of stale-lock handling. */
  readonly isProcessAlive?: (pid: number) => boolean;
}

export class NonceManager {
  readonly address: string;
  readonly chainId: number;
  readonly #source: NonceSource;
  readonly #claims: NonceClaims | undefined;
  readonly #lock: SignerKeyLock | null;
  #next: number;
  /** Serialises nonce hand-out with re-reads, so no caller gets a number from a stale count. */
  #queue: Promise<unknown> = Promise.resolve();
  #resyncs = 0;
  #closed = false;

  private constructor(options: NonceManagerOptions, lock: SignerKeyLock | null, chainNonce: number) {
    this.address = options.address;
    this.chainId = options.chainId;
    this.#source = options.source;
    this.#claims = options.claims;
    this.#lock = lock;
    this.#next = chainNonce;
  }

  /**
   * Takes the key's lock (throws `SignerKeyLockedError` if another keeper holds it), then reads the
   * next free nonce (chain `latest` and the journal's open claims). The lock is released again if that read fails.
   */
  static async open(options: NonceManagerOptions): Promise<NonceManager> {
    const lock =
      options.lockDirectory === null
        ? null
        : SignerKeyLock.acquire({
            directory: options.lockDirectory,
            chainId: options.chainId,
            address: options.address,
            isProcessAlive: options.isProcessAlive,
          });
    try {
      return new NonceManager(options, lock, await nextFreeNonce(options.source, options.claims, options.address));
    } catch (error) {
      lock?.release();
      throw error;
    }
  }

  /** The nonce the next `next()` will return. */
  get peek(): number {
    return this.#next;
  }

  /** How many times the count was re-read from the chain since start (for metrics and tests). */
  get resyncCount(): number {
    return this.#resyncs;
  }

  /** The key's lock file, or null when the journal's lease stands in for it. */
  get lockPath(): string | null {
    return this.#lock?.path ?? null;
  }

  /** The chain's `latest` transaction count of this key: every nonce below it is mined (no journal, no local count). */
  async minedCount(): Promise<number> {
    return validCount(await this.#source.getTransactionCount(this.address, "latest"), this.address);
  }

  /** Reserves the next nonce. */
  next(): Promise<number> {
    return this.#enqueue(async () => {
      this.#assertOpen();
      return this.#next++;
    });
  }

  /**
   * Gives back a nonce that was reserved but never signed (e.g. the journal refused the intent).
   * If it was the last one handed out the count simply steps back; otherwise a gap would follow, so
   * the count is re-read from the chain instead.
   */
  abandon(nonce: number): Promise<number> {
    return this.#enqueue(async () => {
      if (nonce === this.#next - 1) return --this.#next;
      return this.#readChain();
    });
  }

  /**
   * A nonce that was signed but never sent (the send fence refused it). When it is the last one handed out, `release`
   * runs (the caller journals the transaction as dropped, so no record holds the nonce any more) and the count steps
   * back: the next transaction takes it. When a later nonce is already out, nothing changes and the answer is false:
   * this nonce must still be used on chain (a cancel), or every later transaction waits behind the gap. Decided in the
   * manager's queue, so no nonce is handed out between the check and the step back.
   */
  giveBack(nonce: number, release: () => void): Promise<boolean> {
    return this.#enqueue(async () => {
      this.#assertOpen();
      if (nonce !== this.#next - 1) return false;
      release();
      this.#next -= 1;
      return true;
    });
  }

  /** Re-reads the next free nonce (chain and journal); call after any send error. Returns the new next nonce. */
  resync(): Promise<number> {
    return this.#enqueue(() => this.#readChain());
  }

  /** Releases the key's lock; the manager hands out nothing afterwards. */
  close(): void {
    this.#closed = true;
    this.#lock?.release();
  }

  async #readChain(): Promise<number> {
    this.#assertOpen();
    this.#resyncs++;
    this.#next = await nextFreeNonce(this.#source, this.#claims, this.address);
    return this.#next;
  }

  #assertOpen(): void {
    if (this.#closed || this.#lock?.released === true)
      throw new Error(`the nonce manager for ${this.address} is closed (its key lock was released)`);
  }

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

/**
 * max(chain `latest` count, 1 + the highest nonce an open execution of `address` holds in the journal).
 * Shared with the operator tasks (tasks/lib/eth-sweep.ts), so every sender of a keeper key numbers alike.
 */
export async function nextFreeNonce(source: NonceSource, claims: NonceClaims | undefined, address: string): Promise<number> {
  let next = validCount(await source.getTransactionCount(address, "latest"), address);
  for (const { execution } of claims?.openIntents() ?? []) {
    if (execution.nonce === null || execution.signer === null || execution.signer.toLowerCase() !== address.toLowerCase()) continue;
    next = Math.max(next, execution.nonce + 1);
  }
  return next;
}

function validCount(mined: number, address: string): number {
  if (!Number.isSafeInteger(mined) || mined < 0) {
    throw new Error(`the latest transaction count for ${address} must be a non-negative integer, got ${String(mined)}`);
  }
  return mined;
}
