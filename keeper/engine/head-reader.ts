/**
 * The block source the engine's BlockCollector polls. It remembers the newest head's base fee (the
 * transaction preparer prices from it, so signing costs no extra round trip) and timestamp.
 */
export interface HeadSource {
  getBlockNumber(): Promise<number>;
  getBlock(blockTag: number): Promise<{ number: number; timestamp: number; baseFeePerGas: bigint | null; hash?: string | null } | null>;
}

export class HeadReader {
  baseFeePerGas = 0n;
  timestamp = 0;

  constructor(private readonly chain: HeadSource) {}

  getBlockNumber(): Promise<number> {
    return this.chain.getBlockNumber();
  }

  async getBlock(tag: number): Promise<{ number: number; timestamp: number } | null> {
    const block = await this.chain.getBlock(tag);
    if (block !== null) {
      this.baseFeePerGas = block.baseFeePerGas ?? 0n;
      this.timestamp = block.timestamp;
    }
    return block;
  }
}
