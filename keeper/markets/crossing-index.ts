/**
 * The crossing index: for each price key (an asset, a market id: whatever one oracle answer moves),
 * every position ordered by the price of that key at which its health factor crosses 1, so that an
 * oracle update finds the positions whose side of 1 it can change by a range search instead of
 * re-evaluating every holder of the key.
 *
 * The model. With every other price fixed, a position's health factor is a ratio of two affine
 * functions of one key's price p (collateral weighted by its liquidation threshold over debt):
 *   HF(p) = (W − a + a·p/p₀) / (D − b + b·p/p₀)
 * where, at the price p₀ the position was evaluated at, W is its weighted collateral, D its debt, a
 * the weighted collateral priced by the key and b the debt priced by it. HF(p) = 1 at one price p*;
 * below it (a > b: the key is net collateral) or above it (a < b: net debt) the position is
 * liquidatable. The index is a filter, never the verdict: the positions it returns are re-evaluated
 * with the protocol's own integer math, and the search range is widened by `SEARCH_MARGIN` so the
 * floating-point model (and the drift `REINDEX_TOLERANCE` allows) can never hide a crossing.
 *
 * Storage. Per key and side, a sorted Float64Array of crossing prices with the owners' slots; changes
 * since the last rebuild sit in a small overlay searched linearly, and the sorted arrays are rebuilt
 * when the overlay outgrows `overlayLimit`. A full re-evaluation that moves no crossing by more than
 * `REINDEX_TOLERANCE` leaves the arrays as they are, so re-evaluating every position each block costs
 * a comparison per crossing, not a rebuild.
 */
import type { Address } from "../config/address-book";

/** Relative drift of a crossing price tolerated before it is re-indexed (interest moves it slowly). */
export const REINDEX_TOLERANCE = 1e-6;
/**
 * Relative widening of every search: covers the float model's rounding against the protocol's
 * integer math (values are whole base units; positions under `MODEL_MIN_DEBT_USD` are not modelled)
 * plus `REINDEX_TOLERANCE`.
 */
export const SEARCH_MARGIN = 1e-5 + REINDEX_TOLERANCE;
/** Below this debt a unit of rounding is no longer negligible next to 1e-5: such positions are always searched. */
export const MODEL_MIN_DEBT_USD = 0.01;

/** Which side of its crossing price a position is liquidatable on. */
export type LiquidatableSide = "below" | "above";

export interface Crossing {
  readonly key: string;
  /** The key's price (in the unit `priceOfKey` reports) at which the health factor equals 1. */
  readonly price: number;
  readonly side: LiquidatableSide;
}

/** The parts of a tracked position the model reads (TrackedPosition satisfies it). */
export interface PositionExposure {
  readonly collaterals: readonly { readonly token: string; readonly valueUsd: number; readonly liquidationThresholdBps: number }[];
  readonly debts: readonly { readonly token: string; readonly valueUsd: number }[];
}

/** How a market names the price key of a token and reports that key's current price. */
export interface CrossingModel {
  keyOfToken(token: string): string;
  /** The key's current price (any unit: the one price moves are reported in); undefined when unknown. */
  priceOfKey(key: string): number | bigint | undefined;
}

/**
 * The crossing price of each key the position is exposed to, or null when the model cannot place
 * the position (a price key no holding explains, an unknown or non-positive price, dust, non-finite
 * values): such a position is returned by every search on its keys. A key whose price cannot move
 * the health factor (as much collateral weight as debt) gets no crossing.
 */
export function crossingsOf(position: PositionExposure, priceKeys: readonly string[], model: CrossingModel): Crossing[] | null {
  // Positions hold a handful of keys: parallel arrays searched linearly allocate less than a Map,
  // and this runs for every position at every full evaluation.
  const keys: string[] = [];
  const collateralOf: number[] = [];
  const debtOf: number[] = [];
  let totalCollateral = 0;
  let totalDebt = 0;
  const slotOf = (token: string) => {
    const key = model.keyOfToken(token);
    let at = keys.indexOf(key);
    if (at === -1) {
      at = keys.push(key) - 1;
      collateralOf.push(0);
      debtOf.push(0);
    }
    return at;
  };
  for (const c of position.collaterals) {
    const value = (c.valueUsd * c.liquidationThresholdBps) / 10_000;
    collateralOf[slotOf(c.token)] += value;
    totalCollateral += value;
  }
  for (const d of position.debts) {
    debtOf[slotOf(d.token)] += d.valueUsd;
    totalDebt += d.valueUsd;
  }
  if (!Number.isFinite(totalCollateral) || !Number.isFinite(totalDebt) || totalDebt < MODEL_MIN_DEBT_USD) return null;
  // A key the position's price depends on that none of its holdings explains (an e-mode price source): not modelled.
  for (const key of priceKeys) if (!keys.includes(key)) return null;
  const crossings: Crossing[] = [];
  for (let i = 0; i < keys.length; i++) {
    const known = model.priceOfKey(keys[i]);
    const price = known === undefined ? NaN : Number(known);
    if (!(price > 0) || !Number.isFinite(price)) return null;
    const a = collateralOf[i];
    const b = debtOf[i];
    const slope = a - b;
    if (Math.abs(slope) <= 1e-12 * (totalCollateral + totalDebt)) continue;
    const ratio = (totalDebt - b - (totalCollateral - a)) / slope;
    crossings.push({ key: keys[i], price: ratio * price, side: slope > 0 ? "below" : "above" });
  }
  return crossings;
}

/** One key's side, sorted by crossing price; `slots[i]` owns `prices[i]`. */
interface SortedSide {
  prices: Float64Array;
  slots: Uint32Array;
}

const EMPTY_SIDE: SortedSide = { prices: new Float64Array(0), slots: new Uint32Array(0) };

/** Index of the first element ≥ value. */
function lowerBound(prices: Float64Array, value: number): number {
  let lo = 0;
  let hi = prices.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (prices[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class CrossingIndex {
  private readonly slotOf = new Map<Address, number>();
  private readonly borrowerOfSlot: Address[] = [];
  private readonly freeSlots: number[] = [];
  /** Current truth per slot: its crossings, or the keys it is always searched on (not modelled). */
  private readonly crossingsBySlot: (readonly Crossing[] | undefined)[] = [];
  private readonly alwaysBySlot: (readonly string[] | undefined)[] = [];
  /** What the sorted arrays were built from (a slot's crossings at the last rebuild). */
  private readonly indexedBySlot: (readonly Crossing[] | undefined)[] = [];
  private readonly alwaysByKey = new Map<string, Set<number>>();
  private sorted = new Map<string, { below: SortedSide; above: SortedSide }>();
  /** Slots whose crossings changed since the last rebuild: the sorted arrays are wrong about them. */
  private readonly overlay = new Set<number>();
  /** Rebuilds done, for tests and stats. */
  rebuilds = 0;

  constructor(private readonly overlayLimit: (size: number) => number = (size) => Math.max(1024, size >>> 5)) {}

  get size(): number {
    return this.slotOf.size;
  }

  /** Records a position's crossings (null: not modelled, searched on every one of `keys`). */
  set(borrower: Address, crossings: readonly Crossing[] | null, keys: readonly string[]): void {
    let slot = this.slotOf.get(borrower);
    if (slot === undefined) {
      slot = this.freeSlots.pop() ?? this.borrowerOfSlot.length;
      this.slotOf.set(borrower, slot);
      this.borrowerOfSlot[slot] = borrower;
    }
    this.setAlways(slot, crossings === null ? keys : undefined);
    if (crossings !== null && sameWithin(this.indexedBySlot[slot], crossings)) {
      // Close enough to what the arrays hold: keep them (and drop a stale overlay entry).
      this.crossingsBySlot[slot] = this.indexedBySlot[slot];
      this.overlay.delete(slot);
      return;
    }
    this.crossingsBySlot[slot] = crossings ?? [];
    this.overlay.add(slot);
  }

  remove(borrower: Address): void {
    const slot = this.slotOf.get(borrower);
    if (slot === undefined) return;
    this.setAlways(slot, undefined);
    this.slotOf.delete(borrower);
    this.crossingsBySlot[slot] = undefined;
    // The slot is reused only after a rebuild, so the sorted arrays never point a stale entry at a new owner.
    this.overlay.add(slot);
  }

  /**
   * Every borrower whose crossing on `key` lies between the two prices (inclusive, widened by
   * SEARCH_MARGIN), plus the ones not modelled that hold the key: the positions a move of `key`
   * from `from` to `to` can carry across HF 1, in either direction.
   */
  search(key: string, from: number, to: number): Set<Address> {
    if (this.overlay.size > this.overlayLimit(this.slotOf.size)) this.rebuild();
    const lo = Math.min(from, to) * (1 - SEARCH_MARGIN);
    const hi = Math.max(from, to) * (1 + SEARCH_MARGIN);
    const out = new Set<Address>();
    const sides = this.sorted.get(key);
    if (sides) {
      for (const side of [sides.below, sides.above]) {
        for (let i = lowerBound(side.prices, lo); i < side.prices.length && side.prices[i] <= hi; i++) {
          const slot = side.slots[i];
          if (!this.overlay.has(slot)) out.add(this.borrowerOfSlot[slot]);
        }
      }
    }
    for (const slot of this.overlay) {
      for (const crossing of this.crossingsBySlot[slot] ?? []) {
        if (crossing.key === key && crossing.price >= lo && crossing.price <= hi) out.add(this.borrowerOfSlot[slot]);
      }
    }
    for (const slot of this.alwaysByKey.get(key) ?? []) out.add(this.borrowerOfSlot[slot]);
    return out;
  }

  /** Re-sorts every key's arrays from the current crossings and empties the overlay. */
  rebuild(): void {
    const lists = new Map<string, { below: [number, number][]; above: [number, number][] }>();
    for (const slot of this.slotOf.values()) {
      const crossings = this.crossingsBySlot[slot] ?? [];
      this.indexedBySlot[slot] = crossings;
      for (const { key, price, side } of crossings) {
        let list = lists.get(key);
        if (!list) lists.set(key, (list = { below: [], above: [] }));
        list[side].push([price, slot]);
      }
    }
    for (const slot of this.overlay) {
      if (this.crossingsBySlot[slot] === undefined && this.slotOf.get(this.borrowerOfSlot[slot]) !== slot) {
        this.indexedBySlot[slot] = undefined;
        this.freeSlots.push(slot);
      }
    }
    this.overlay.clear();
    this.sorted = new Map();
    for (const [key, list] of lists) this.sorted.set(key, { below: toSortedSide(list.below), above: toSortedSide(list.above) });
    this.rebuilds += 1;
  }

  /** Rebuilds when the overlay has outgrown its limit (after a bulk re-evaluation, say). */
  compact(): void {
    if (this.overlay.size > this.overlayLimit(this.slotOf.size)) this.rebuild();
  }

  private setAlways(slot: number, keys: readonly string[] | undefined): void {
    for (const key of this.alwaysBySlot[slot] ?? []) {
      const set = this.alwaysByKey.get(key);
      set?.delete(slot);
      if (set?.size === 0) this.alwaysByKey.delete(key);
    }
    this.alwaysBySlot[slot] = keys;
    for (const key of keys ?? []) {
      let set = this.alwaysByKey.get(key);
      if (!set) this.alwaysByKey.set(key, (set = new Set()));
      set.add(slot);
    }
  }
}

function toSortedSide(entries: [number, number][]): SortedSide {
  if (entries.length === 0) return EMPTY_SIDE;
  entries.sort((x, y) => x[0] - y[0]);
  const prices = new Float64Array(entries.length);
  const slots = new Uint32Array(entries.length);
  entries.forEach(([price, slot], i) => {
    prices[i] = price;
    slots[i] = slot;
  });
  return { prices, slots };
}

/** Same keys and sides, each price within REINDEX_TOLERANCE of the indexed one. */
function sameWithin(indexed: readonly Crossing[] | undefined, current: readonly Crossing[]): boolean {
  if (!indexed || indexed.length !== current.length) return false;
  for (let i = 0; i < current.length; i++) {
    const was = indexed[i];
    const now = current[i];
    if (was.key !== now.key || was.side !== now.side) return false;
    if (Math.abs(now.price - was.price) > REINDEX_TOLERANCE * Math.abs(was.price)) return false;
  }
  return true;
}
