/**
 * Prices with the block each was observed at. A market hears of a price two ways: the feed's own log (pushed, the
 * newest) and its reads of the chain, which a tick makes at ITS head, behind the pushed logs when the keeper is slow
 * (a busy step). Applied blindly, a tick's read of block N-1 undid block N's answer: in the reaction bench a 100-position
 * step's last 67 positions looked healthy again for six blocks. A read of a block older than the price held is ignored.
 */

/** The block each key's price was last observed at. */
export class ObservedBlocks {
  readonly #blocks = new Map<string, number>();

  /**
   * Whether a price of `key` observed at `atBlock` (a tag with no number, "latest", or none: taken as current) may
   * replace the one held; if so, `atBlock` becomes its block.
   */
  accepts(key: string, atBlock?: number | string): boolean {
    if (typeof atBlock !== "number") return true;
    const known = this.#blocks.get(key);
    if (known !== undefined && atBlock < known) return false;
    this.#blocks.set(key, atBlock);
    return true;
  }
}

/** Prices by key, each replaced only by an observation of its block or a later one. */
export class ObservedPrices {
  readonly #prices = new Map<string, bigint>();
  readonly #blocks = new ObservedBlocks();

  /** The prices, for the in-memory evaluation. */
  get values(): ReadonlyMap<string, bigint> {
    return this.#prices;
  }

  get(key: string): bigint | undefined {
    return this.#prices.get(key);
  }

  /** Sets `key` to `price` as observed at `atBlock`; false, changing nothing, when the price held is from a later block. */
  set(key: string, price: bigint, atBlock?: number | string): boolean {
    if (!this.#blocks.accepts(key, atBlock)) return false;
    this.#prices.set(key, price);
    return true;
  }
}
