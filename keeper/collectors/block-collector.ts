/**
 * New chain heads, polled. Each poll that finds a higher head reports the head (number, timestamp)
 * and the range of blocks new since the previous head, so the log collectors can cover every block
 * even when polling skipped some. Polling (not a websocket subscription) works with every RPC and the
 * in-process chain alike; the interval is the knob (Base makes a block every 2 s).
 */
import type { BlockRange, BlockRef } from "../markets/market";

/** The provider methods used; ethers' Provider fits. */
export interface BlockSource {
  getBlockNumber(): Promise<number>;
  getBlock(blockTag: number): Promise<{ number: number; timestamp: number } | null>;
}

export interface NewHead extends BlockRef {
  readonly type: "block";
  /** Blocks new since the previous head (inclusive): what the log collectors must scan. */
  readonly range: BlockRange;
}

export class BlockCollector {
  private lastHead: number | undefined;

  /** `startAfter`: the last block already processed (the first poll then reports from the next one). */
  constructor(
    private readonly source: BlockSource,
    startAfter?: number,
  ) {
    this.lastHead = startAfter;
  }

  get lastBlock(): number | undefined {
    return this.lastHead;
  }

  /** One poll: the new head, or null when the chain has not moved. */
  async poll(): Promise<NewHead | null> {
    const head = await this.source.getBlockNumber();
    if (this.lastHead !== undefined && head <= this.lastHead) return null;
    const block = await this.source.getBlock(head);
    if (!block) throw new Error(`block collector: the node reported head ${head} but returned no block for it`);
    const fromBlock = this.lastHead === undefined ? head : this.lastHead + 1;
    this.lastHead = head;
    return { type: "block", number: block.number, timestamp: block.timestamp, range: { fromBlock, toBlock: head } };
  }

  /**
   * Polls every `intervalMs` and hands each new head to `onHead` (awaited, so heads never overlap).
   * Errors go to `onError` and polling continues. Returns a function that stops the loop.
   */
  watch(onHead: (head: NewHead) => Promise<void> | void, options: { intervalMs: number; onError?: (error: unknown) => void }): () => void {
    if (!Number.isFinite(options.intervalMs) || options.intervalMs <= 0) {
      throw new Error(`block collector: intervalMs must be a positive number, got ${options.intervalMs}`);
    }
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const tick = async (): Promise<void> => {
      if (stopped) return;
      try {
        const head = await this.poll();
        if (head && !stopped) await onHead(head);
      } catch (error) {
        options.onError?.(error);
      }
      if (!stopped) timer = setTimeout(() => void tick(), options.intervalMs);
    };
    void tick();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }
}
