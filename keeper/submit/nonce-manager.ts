/**
 * Hands out nonces for one key on one chain. It holds the key's lock (one writer per key), reads
 * the chain's `pending` transaction count at start, then counts locally so a burst of sends does
 * not wait on an RPC round trip each. After ANY send error it re-reads the chain: the local count
 * is only trustworthy while every send it numbered is known to have been accepted.
 */
import { SignerKeyLock } from "./signer-key-lock";

/** The one read the manager needs; an ethers Provider satisfies it. */
export interface NonceSource {
  getTransactionCount(address: string, blockTag: "pending"): Promise<number>;
}

export interface NonceManagerOptions {
  readonly address: string;
  readonly chainId: number;
  readonly source: NonceSource;
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
    this.#lock = lock;
    this.#next = chainNonce;
  }

  /**
   * Takes the key's lock (throws `SignerKeyLockedError` if another keeper holds it), then reads the
   * chain's pending nonce. The lock is released again if that read fails.
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
      const chainNonce = await options.source.getTransactionCount(options.address, "pending");
      return new NonceManager(options, lock, checkNonce(chainNonce, options.address));
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

  /** Re-reads the pending nonce from the chain; call after any send error. Returns the new next nonce. */
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
    this.#next = checkNonce(await this.#source.getTransactionCount(this.address, "pending"), this.address);
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

function checkNonce(value: number, address: string): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new Error(`pending transaction count for ${address} must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}
