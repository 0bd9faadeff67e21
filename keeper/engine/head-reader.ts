/**
 * The block source the engine's BlockCollector polls. It remembers the newest head's base fee (the
 * transaction preparer prices from it, so signing costs no extra round trip) and timestamp. With a
 * HeadStream (heads pushed by subscription, polled as its fallback) it reads the stream's heads, so a
 * tick costs no head request of its own.
 */
import type { HeadStream } from "../collectors/head-stream";
import type { BlockSource } from "../collectors/block-collector";
export interface HeadSource {
  getBlockNumber(): Promise<number>;
  getBlock(blockTag: number): Promise<{ number: number; timestamp: number; baseFeePerGas: bigint | null; hash?: string | null } | null>;
}

export class HeadReader {
  baseFeePerGas = 0n;
  timestamp = 0;

  private readonly source: BlockSource | null;

  constructor(
    private readonly chain: HeadSource,
    stream: HeadStream | null = null,
  ) {
    this.source = stream?.asBlockSource({ getBlockNumber: () => chain.getBlockNumber(), getBlock: (n) => chain.getBlock(n) }) ?? null;
  }

  getBlockNumber(): Promise<number> {
    return this.source?.getBlockNumber() ?? this.chain.getBlockNumber();
  }

  async getBlock(tag: number): Promise<{ number: number; timestamp: number; timestampMs?: number } | null> {
    const block = (await (this.source?.getBlock(tag) ?? this.chain.getBlock(tag))) as {
      number: number;
      timestamp: number;
      timestampMs?: number;
      baseFeePerGas?: bigint | null;
    } | null;
    if (block !== null) {
      this.baseFeePerGas = block.baseFeePerGas ?? 0n;
      this.timestamp = block.timestamp;
    }
    return block;
  }
}
