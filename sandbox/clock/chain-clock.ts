/**
 * A chain with its own clock: mines a block every `blockTimeMs` of wall-clock time (200 ms, Base since Denim) whether
 * or not anyone is done with the previous one, as the sequencer does. Consecutive blocks share their whole-second
 * `timestamp` (the chain must allow it: clocked-runtime.ts, or a node started with CHIMERA_CLOCKED_NODE=1), and every block starts with the BaseTime
 * stand-in's deposit recording its sub-second part (base-time.ts), so its full time is exact to the millisecond.
 *
 * Slots are on a fixed grid (start + k × blockTimeMs): a block that took long to mine is followed at once by the next
 * one, the grid never drifts, and the chain's lateness is recorded (`stats`), not hidden. Whoever sends transactions
 * just sends them; they land in the next block the clock mines. A scenario driver that needs several transactions in
 * ONE block (a feed update and the pool swaps that follow it) wraps them in `exclusive`, which only holds the next
 * mine until they are in the mempool.
 */
import { baseTimeDeposit } from "./base-time";
import type { Eip1193Provider } from "./eip1193";

export interface MinedBlock {
  readonly number: number;
  readonly hash: string;
  /** Whole seconds, as block.timestamp. */
  readonly timestamp: number;
  /** 1000 × timestamp + the BaseTime part: the block's slot time on the chain's clock. */
  readonly timestampMs: number;
  /** Wall-clock ms when the mine call returned (for lateness and reaction measurements). */
  readonly minedAtMs: number;
  /**
   * Wall-clock ms when the clock began sealing this block (its deposit sent): the cut-off for what goes in it. The
   * window a reaction to block N had is the next block's cut-off minus N's `minedAtMs` (a late N shortens it).
   */
  readonly sealStartedAtMs: number;
  readonly baseFeePerGas: bigint;
}

export interface ChainClockOptions {
  readonly provider: Eip1193Provider;
  /** Default 200 (Base since Denim). */
  readonly blockTimeMs?: number;
  readonly wallClock?: () => number;
  /**
   * Told the number and millisecond time of each block just before it is mined, so whoever serves the chain can
   * stamp its notifications without asking the node (clocked-node.ts): a read queued behind everyone else's work in
   * the block a race starts in delayed the keeper's newHeads and logs, while the clock's own listeners heard at once.
   */
  readonly onSealing?: (blockNumber: number, timestampMs: number) => void;
}

export interface ChainClockStats {
  readonly blocks: number;
  /** Blocks mined more than one block time after their slot. */
  readonly lateBlocks: number;
  readonly maxLatenessMs: number;
}

type BlockListener = (block: MinedBlock) => void;

interface RpcBlock {
  readonly number: string;
  readonly hash: string;
  readonly timestamp: string;
  readonly baseFeePerGas?: string;
}

export class ChainClock {
  readonly blockTimeMs: number;
  readonly #provider: Eip1193Provider;
  readonly #wallClock: () => number;
  readonly #onSealing: ((blockNumber: number, timestampMs: number) => void) | undefined;
  readonly #listeners = new Set<BlockListener>();
  /** Chain time = wall time + offset: the sandbox's setup may have pushed block timestamps ahead of the wall clock. */
  #offsetMs = 0;
  #nextSlotMs = 0;
  #timer: NodeJS.Timeout | null = null;
  #running = false;
  #lock: Promise<void> = Promise.resolve();
  #mining: Promise<void> | null = null;
  #baseFeePerGas = 0n;
  #last: MinedBlock | null = null;
  #blocks = 0;
  #lateBlocks = 0;
  #maxLatenessMs = 0;
  #failure: Error | null = null;

  constructor(options: ChainClockOptions) {
    const blockTimeMs = options.blockTimeMs ?? 200;
    if (!Number.isInteger(blockTimeMs) || blockTimeMs < 10 || blockTimeMs > 60_000) {
      throw new Error(`ChainClock: blockTimeMs must be an integer number of milliseconds in [10, 60000], got ${blockTimeMs}`);
    }
    this.blockTimeMs = blockTimeMs;
    this.#provider = options.provider;
    this.#wallClock = options.wallClock ?? Date.now;
    this.#onSealing = options.onSealing;
  }

  get running(): boolean {
    return this.#running;
  }

  /** The last block this clock mined; null before the first. */
  get lastBlock(): MinedBlock | null {
    return this.#last;
  }

  get stats(): ChainClockStats {
    return { blocks: this.#blocks, lateBlocks: this.#lateBlocks, maxLatenessMs: this.#maxLatenessMs };
  }

  /** The chain's clock now, in ms (wall clock plus the offset fixed at start). */
  nowMs(): number {
    return this.#wallClock() + this.#offsetMs;
  }

  /** Wall-clock ms at which the next block is due. */
  get nextBlockDueAtWallMs(): number {
    return this.#nextSlotMs - this.#offsetMs;
  }

  onBlock(listener: BlockListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves with the next block mined (rejects if the clock stops first). */
  nextBlock(): Promise<MinedBlock> {
    return new Promise((resolve, reject) => {
      if (!this.#running) return reject(new Error("ChainClock: not running"));
      const off = this.onBlock((block) => {
        off();
        resolve(block);
      });
    });
  }

  /** Turns automine off and starts mining on the grid. The BaseTime stand-in must be installed (installBaseTime). */
  async start(): Promise<void> {
    if (this.#running) throw new Error("ChainClock: already running");
    await this.#provider.request({ method: "evm_setAutomine", params: [false] });
    await this.#provider.request({ method: "evm_setIntervalMining", params: [0] });
    const latest = (await this.#provider.request({ method: "eth_getBlockByNumber", params: ["latest", false] })) as RpcBlock;
    this.#baseFeePerGas = BigInt(latest.baseFeePerGas ?? "0x0");
    const wall = this.#wallClock();
    // The next slot is at least the second after the latest block's, so timestamps never go backwards.
    const firstSlot = Math.max(wall, (Number(BigInt(latest.timestamp)) + 1) * 1_000);
    this.#offsetMs = firstSlot - wall;
    this.#nextSlotMs = firstSlot;
    this.#running = true;
    this.#schedule();
  }

  /**
   * Runs `work` (sending transactions) while the clock holds off mining, so they all land in the same block. Hold it
   * briefly: the clock mines as soon as `work` resolves if the slot has passed.
   */
  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    const previous = this.#lock;
    let release!: () => void;
    this.#lock = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      return await work();
    } finally {
      release();
    }
  }

  /** Stops mining (after the block in progress) and gives mining back to Hardhat (automine on) unless told not to. */
  async stop(options: { restoreAutomine?: boolean } = {}): Promise<void> {
    this.#running = false;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#mining;
    if (options.restoreAutomine ?? true) await this.#provider.request({ method: "evm_setAutomine", params: [true] });
  }

  /** Why the clock stopped by itself (a mine call failed), if it did. */
  get failure(): Error | null {
    return this.#failure;
  }

  #schedule(): void {
    if (!this.#running) return;
    const delay = Math.max(0, this.#nextSlotMs - this.nowMs());
    this.#timer = setTimeout(() => {
      this.#mining = this.#mineSlot().catch((error: unknown) => {
        this.#failure = error instanceof Error ? error : new Error(String(error));
        this.#running = false;
      });
      void this.#mining.then(() => this.#schedule());
    }, delay);
  }

  async #mineSlot(): Promise<void> {
    const slotMs = this.#nextSlotMs;
    this.#nextSlotMs += this.blockTimeMs;
    let sealStartedAtMs = 0;
    await this.exclusive(async () => {
      sealStartedAtMs = this.#wallClock();
      await this.#provider.request({ method: "eth_sendTransaction", params: [baseTimeDeposit(slotMs, this.#baseFeePerGas)] });
      if (this.#onSealing !== undefined) {
        // Read inside the lock: only the clock mines while it runs, so the next block is this number + 1.
        const head = (await this.#provider.request({ method: "eth_blockNumber", params: [] })) as string;
        this.#onSealing(Number(BigInt(head)) + 1, slotMs);
      }
      await this.#provider.request({ method: "evm_mine", params: [Math.floor(slotMs / 1_000)] }).catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        if (!/lower than or equal to previous block/i.test(message)) throw error;
        throw new Error(
          `this chain refuses blocks sharing a timestamp (${message}): run the clock on createClockedRuntime(hre), or start the node with CHIMERA_CLOCKED_NODE=1`,
        );
      });
    });
    const minedAtMs = this.#wallClock();
    const block = (await this.#provider.request({ method: "eth_getBlockByNumber", params: ["latest", false] })) as RpcBlock;
    const mined: MinedBlock = {
      number: Number(BigInt(block.number)),
      hash: block.hash,
      timestamp: Number(BigInt(block.timestamp)),
      timestampMs: slotMs,
      minedAtMs,
      sealStartedAtMs,
      baseFeePerGas: BigInt(block.baseFeePerGas ?? "0x0"),
    };
    this.#baseFeePerGas = mined.baseFeePerGas;
    this.#last = mined;
    this.#blocks += 1;
    const latenessMs = minedAtMs + this.#offsetMs - slotMs;
    if (latenessMs > this.blockTimeMs) this.#lateBlocks += 1;
    this.#maxLatenessMs = Math.max(this.#maxLatenessMs, latenessMs);
    // A listener's failure is its own; the clock keeps time.
    for (const listener of [...this.#listeners]) {
      try {
        listener(mined);
      } catch {
        /* ignored */
      }
    }
  }
}
