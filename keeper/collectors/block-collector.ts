/**
 * New chain heads. Each poll that finds a higher head reports the head (number, timestamps) and the
 * range of blocks new since the previous head, so the log collectors cover every block even when
 * some heads were never seen. The source is either the chain itself (polled) or a HeadStream
 * (head-stream.ts: pushed by an eth_subscribe subscription, polled only as its fallback), which answers
 * without a round trip.
 */
import type { BlockRange, BlockRef } from "../markets/market";

/** The provider methods used; ethers' Provider fits. */
export interface BlockSource {
  getBlockNumber(): Promise<number>;
  getBlock(blockTag: number): Promise<{ number: number; timestamp: number; timestampMs?: number } | null>;
}

export interface NewHead extends BlockRef {
  readonly type: "block";
  /** Denim's millisecond time where the source knows it, else 1000 × timestamp. */
  readonly timestampMs: number;
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
    return {
      type: "block",
      number: block.number,
      timestamp: block.timestamp,
      timestampMs: block.timestampMs ?? block.timestamp * 1_000,
      range: { fromBlock, toBlock: head },
    };
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
