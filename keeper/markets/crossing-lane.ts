/**
 * One lane of the crossing index: the crossing prices of one price key on one side ("below" or
 * "above"), kept so that a full re-evaluation of every position costs a comparison per crossing and
 * no allocation, and a range search costs a binary search.
 *
 * Entries live in parallel typed arrays indexed by an entry id that never moves while its owner
 * keeps the crossing (the owner's slot remembers the id, so an update is in place). The sorted view
 * (`sortedPrices`/`sortedEntries`) holds the entries as they were at the last sort; an entry whose
 * price left `tolerance` of its sorted price, a new entry and a dead one are flagged `changed` and
 * listed in `changedList`, which searches scan linearly until the lane is sorted again. Sorting
 * merges the still-valid sorted run with the changed entries (sorted on their own), so it costs
 * O(n + c·log c) for c changes, and touches only this lane.
 */

const EMPTY_PRICES = new Float64Array(0);
const EMPTY_ENTRIES = new Int32Array(0);

export class CrossingLane {
  /** Current crossing price per entry id. */
  private price = new Float64Array(16);
  /** Price at the last sort (what `sortedPrices` holds for it); NaN when not in the sorted view. */
  private indexed = new Float64Array(16).fill(NaN);
  /** Owning slot per entry id; -1 once the entry is dead (its id is reused after the next sort). */
  private owner = new Int32Array(16).fill(-1);
  private changed = new Uint8Array(16);
  private allocated = 0;
  private readonly free: number[] = [];
  private changedList: number[] = [];
  private sortedPrices: Float64Array = EMPTY_PRICES;
  private sortedEntries: Int32Array = EMPTY_ENTRIES;
  /** Live entries. */
  live = 0;

  constructor(readonly key: string) {}

  /** Entries changed, added or removed since the last sort. */
  get pending(): number {
    return this.changedList.length;
  }

  /** Adds a crossing owned by `slot`; returns its entry id. */
  add(slot: number, price: number): number {
    const entry = this.free.pop() ?? this.allocate();
    this.owner[entry] = slot;
    this.price[entry] = price;
    this.indexed[entry] = NaN;
    this.markChanged(entry);
    this.live += 1;
    return entry;
  }

  /**
   * Moves an entry's crossing to `price`. Within `tolerance` (relative) of the sorted price it stays
   * where it is: interest drifts crossings slowly, and the search margin covers that drift.
   */
  update(entry: number, price: number, tolerance: number): void {
    if (this.changed[entry] === 1) {
      this.price[entry] = price;
      return;
    }
    const was = this.indexed[entry];
    if (Math.abs(price - was) <= tolerance * Math.abs(was)) return;
    this.price[entry] = price;
    this.markChanged(entry);
  }

  kill(entry: number): void {
    this.owner[entry] = -1;
    this.live -= 1;
    if (this.changed[entry] === 0) this.markChanged(entry);
  }

  /** Calls `found(slot)` for every live entry priced within [lo, hi]. */
  search(lo: number, hi: number, found: (slot: number) => void): void {
    const prices = this.sortedPrices;
    let low = 0;
    let high = prices.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (prices[mid] < lo) low = mid + 1;
      else high = mid;
    }
    for (let i = low; i < prices.length && prices[i] <= hi; i++) {
      const entry = this.sortedEntries[i];
      if (this.changed[entry] === 0) found(this.owner[entry]);
    }
    for (const entry of this.changedList) {
      const slot = this.owner[entry];
      if (slot >= 0 && this.price[entry] >= lo && this.price[entry] <= hi) found(slot);
    }
  }

  /** Folds the changed entries into the sorted view and frees the dead ones' ids. */
  sort(): void {
    if (this.changedList.length === 0) return;
    const moved: number[] = [];
    for (const entry of this.changedList) if (this.owner[entry] >= 0) moved.push(entry);
    const price = this.price;
    moved.sort((x, y) => price[x] - price[y]);
    // Merge the untouched sorted run (entries not changed since: still in order) with the moved ones.
    const oldEntries = this.sortedEntries;
    const prices = new Float64Array(this.live);
    const entries = new Int32Array(this.live);
    let out = 0;
    let m = 0;
    for (let i = 0; i < oldEntries.length; i++) {
      const entry = oldEntries[i];
      // Moved or killed since the last sort: placed from `moved`, or gone.
      if (this.changed[entry] === 1) continue;
      const p = this.sortedPrices[i];
      while (m < moved.length && price[moved[m]] < p) {
        entries[out] = moved[m];
        prices[out++] = price[moved[m++]];
      }
      entries[out] = entry;
      prices[out++] = p;
    }
    for (; m < moved.length; m++) {
      entries[out] = moved[m];
      prices[out++] = price[moved[m]];
    }
    for (const entry of this.changedList) {
      this.changed[entry] = 0;
      if (this.owner[entry] >= 0) this.indexed[entry] = price[entry];
      else {
        this.indexed[entry] = NaN;
        this.free.push(entry);
      }
    }
    this.changedList = [];
    this.sortedPrices = prices.subarray(0, out);
    this.sortedEntries = entries.subarray(0, out);
  }

  private markChanged(entry: number): void {
    this.changed[entry] = 1;
    this.changedList.push(entry);
  }

  private allocate(): number {
    if (this.allocated === this.price.length) {
      const capacity = this.price.length * 2;
      this.price = grow(this.price, new Float64Array(capacity));
      this.indexed = grow(this.indexed, new Float64Array(capacity).fill(NaN));
      this.owner = grow(this.owner, new Int32Array(capacity).fill(-1));
      this.changed = grow(this.changed, new Uint8Array(capacity));
    }
    return this.allocated++;
  }
}

function grow<T extends Float64Array | Int32Array | Uint8Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
