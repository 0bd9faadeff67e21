/**
 * The crossing index: per price key (an asset, a market id: what one oracle answer moves), every
 * position ordered by the key's price at which its health factor crosses 1, so an oracle update finds
 * the positions whose side of 1 it can change by a range search, not by re-evaluating every holder.
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
 * Storage. One CrossingLane per key and side (crossing-lane.ts): typed arrays updated in place, a
 * sorted view, and the changes since its sort, searched linearly until more than `overlayLimit`;
 * then only that lane is sorted again. Each position's crossings are (lane, entry) pairs in typed
 * arrays, so a full re-evaluation that moves no crossing beyond `REINDEX_TOLERANCE` allocates nothing.
 */
import type { Address } from "../config/address-book";
import type { TrackedPosition } from "../core/types";
import { CrossingLane } from "./crossing-lane";

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
  /**
   * The values the model reads, when the position's USD values are not them (Morpho Blue: values in
   * loan-token units, known even where no USD price is); default: the position itself.
   */
  exposureOf?(position: TrackedPosition): PositionExposure;
}

/** Where `computeCrossings` writes: the i-th crossing's key, price and side (0 below, 1 above). */
interface CrossingScratch {
  /** Per crossing: its lane's key (the price key, or a pair lane's key: see `pairLaneKey`). */
  keys: string[];
  prices: Float64Array;
  /** Per key held: its current price. */
  keyPrices: Float64Array;
  sides: Uint8Array;
  /** Filled by `CrossingIndex.store`: the lane id of each crossing. */
  lanes: Int32Array;
  collateral: Float64Array;
  debt: Float64Array;
}

function newScratch(capacity: number): CrossingScratch {
  return {
    keys: new Array<string>(capacity).fill(""),
    prices: new Float64Array(capacity),
    keyPrices: new Float64Array(capacity),
    sides: new Uint8Array(capacity),
    lanes: new Int32Array(capacity),
    collateral: new Float64Array(capacity),
    debt: new Float64Array(capacity),
  };
}

/** Shared by every index: computing crossings allocates nothing (JavaScript runs one call at a time). */
let scratch = newScratch(16);

/** A pair lane: crossings on `key` of positions exposed to `key` and `other` only, as ratios to `other`'s price. */
interface PairLane {
  readonly key: string;
  readonly other: string;
}

/** Pair lane keys by (key, other), interned so a re-placed crossing compares its lane key by identity. */
const pairLaneKeys = new Map<string, Map<string, string>>();
const pairLanes = new Map<string, PairLane>();

function pairLaneKey(key: string, other: string): string {
  let byOther = pairLaneKeys.get(key);
  if (!byOther) pairLaneKeys.set(key, (byOther = new Map()));
  let laneKey = byOther.get(other);
  if (laneKey === undefined) {
    laneKey = `${key}\u0000${other}`;
    byOther.set(other, laneKey);
    pairLanes.set(laneKey, { key, other });
  }
  return laneKey;
}

/** The index of `key` among the first `count` keys, or `count` after appending it. */
function keySlot(keys: string[], key: string, count: number, collateral: Float64Array, debt: Float64Array): number {
  for (let i = 0; i < count; i++) if (keys[i] === key) return i;
  keys[count] = key;
  collateral[count] = 0;
  debt[count] = 0;
  return count;
}

/**
 * Writes the position's crossings into `scratch` and returns how many, or -1 when the model cannot
 * place it (see `crossingsOf`). With `pairs`, a position exposed to exactly two keys gets its
 * crossings as ratios in pair lanes (`ratioCrossings` is then true): its health factor is a ratio of
 * sums of terms each proportional to one of the two prices, so it depends only on their ratio, and
 * a move of the other key never makes the crossing stale.
 */
function computeCrossings(
  position: PositionExposure,
  priceKeys: readonly string[],
  model: CrossingModel,
  level = 1,
  pairs = false,
): number {
  ratioCrossings = false;
  const holdings = position.collaterals.length + position.debts.length;
  if (holdings > scratch.keys.length) scratch = newScratch(holdings);
  // Locals, not the module binding: this runs for every position at every full evaluation.
  const { keys, collateral, debt, prices, sides } = scratch;
  let keyCount = 0;
  let totalCollateral = 0;
  let totalDebt = 0;
  for (const c of position.collaterals) {
    const at = keySlot(keys, model.keyOfToken(c.token), keyCount, collateral, debt);
    if (at === keyCount) keyCount += 1;
    const value = (c.valueUsd * c.liquidationThresholdBps) / 10_000;
    collateral[at] += value;
    totalCollateral += value;
  }
  for (const d of position.debts) {
    const at = keySlot(keys, model.keyOfToken(d.token), keyCount, collateral, debt);
    if (at === keyCount) keyCount += 1;
    // Crossing HF = level is crossing HF = 1 with every debt scaled by level.
    debt[at] += d.valueUsd * level;
    totalDebt += d.valueUsd * level;
  }
  if (!Number.isFinite(totalCollateral) || !Number.isFinite(totalDebt) || totalDebt < MODEL_MIN_DEBT_USD * level) return -1;
  // A key the position's price depends on that none of its holdings explains (an e-mode price source): not modelled.
  for (const key of priceKeys) {
    let held = false;
    for (let i = 0; i < keyCount && !held; i++) held = keys[i] === key;
    if (!held) return -1;
  }
  const { keyPrices } = scratch;
  for (let i = 0; i < keyCount; i++) {
    const price = numericPrice(model.priceOfKey(keys[i]));
    if (!(price > 0) || !Number.isFinite(price)) return -1;
    keyPrices[i] = price;
  }
  const ratio = pairs && keyCount === 2;
  const first = keys[0];
  const second = keys[1];
  let count = 0;
  for (let i = 0; i < keyCount; i++) {
    const a = collateral[i];
    const b = debt[i];
    const slope = a - b;
    if (Math.abs(slope) <= 1e-12 * (totalCollateral + totalDebt)) continue;
    const crossing = ((totalDebt - b - (totalCollateral - a)) / slope) * keyPrices[i];
    if (!Number.isFinite(crossing)) return -1;
    // Written over key slot i or an earlier one: slot `count` <= i has been read already (the pair's keys are saved).
    if (ratio) {
      keys[count] = i === 0 ? pairLaneKey(first, second) : pairLaneKey(second, first);
      prices[count] = crossing / keyPrices[1 - i];
    } else {
      keys[count] = keys[i];
      prices[count] = crossing;
    }
    sides[count] = slope > 0 ? 0 : 1;
    count += 1;
  }
  // One key: no other price to go stale against.
  ratioCrossings = pairs && keyCount <= 2;
  return count;
}

/** Set by `computeCrossings`: the crossings it wrote stay valid whatever the prices of keys not searched. */
let ratioCrossings = false;

function numericPrice(known: number | bigint | undefined): number {
  return typeof known === "number" ? known : known === undefined ? NaN : Number(known);
}

/**
 * The crossing price of each key the position is exposed to, or null when the model cannot place
 * the position (a price key no holding explains, an unknown or non-positive price, dust, non-finite
 * values): such a position is returned by every search on its keys. A key whose price cannot move
 * the health factor (as much collateral weight as debt) gets no crossing.
 */
export function crossingsOf(position: PositionExposure, priceKeys: readonly string[], model: CrossingModel, level = 1): Crossing[] | null {
  const count = computeCrossings(position, priceKeys, model, level);
  if (count < 0) return null;
  const crossings: Crossing[] = [];
  for (let i = 0; i < count; i++) {
    crossings.push({ key: scratch.keys[i], price: scratch.prices[i], side: scratch.sides[i] === 0 ? "below" : "above" });
  }
  return crossings;
}

/** Crossings a slot holds before its storage widens (positions hold a handful of keys). */
const INITIAL_STRIDE = 4;

export class CrossingIndex {
  private readonly slotOf = new Map<Address, number>();
  /** Owner per slot; undefined once removed (so a stale slot hint is recognised). */
  private readonly borrowerOfSlot: (Address | undefined)[] = [];
  private readonly freeSlots: number[] = [];
  /** Lanes by id; a key's "below" lane is `laneIdOf(key)`, its "above" lane the next id. */
  private readonly lanes: CrossingLane[] = [];
  private readonly laneIds = new Map<string, number>();
  /** Per slot, `crossingCount[slot]` (lane, entry) pairs at `slot * stride`. */
  private stride = INITIAL_STRIDE;
  private crossingCount = new Uint16Array(1024);
  private slotLanes = new Int32Array(1024 * INITIAL_STRIDE);
  private slotEntries = new Int32Array(1024 * INITIAL_STRIDE);
  /** The keys each not-modelled slot is searched on. */
  private readonly alwaysBySlot: (readonly string[] | undefined)[] = [];
  private readonly alwaysByKey = new Map<string, Set<number>>();
  /** Per key, its pair lanes' ids ("below"; "above" is the next id) and the other key of each. */
  private readonly pairLanesByKey = new Map<string, { readonly id: number; readonly other: string }[]>();
  /** Per slot, 1 when its crossings stay valid whatever other keys do (ratios, one key, or not modelled). */
  private followsOthers = new Uint8Array(1024);
  /** The model of the latest placement: the prices pair lanes are searched at. */
  private model: CrossingModel | undefined;
  /** Times the index re-sorted lanes (`rebuild`, or `compact`/`search` past `overlayLimit`), for tests and stats. */
  rebuilds = 0;

  /**
   * `overlayLimit(lane size)`: changed entries a lane tolerates (searched linearly) before it is
   * sorted again. `level`: the health factor whose crossing is indexed (1 by default; a book that
   * evaluates only positions near 1 each block indexes the top of that band, see position-book.ts).
   */
  constructor(
    private readonly overlayLimit: (size: number) => number = (size) => Math.max(1024, size >>> 5),
    readonly level = 1,
  ) {
    if (!(level >= 1) || !Number.isFinite(level)) throw new Error(`crossing index: level must be a finite number >= 1, got ${level}`);
  }

  get size(): number {
    return this.slotOf.size;
  }

  /**
   * Computes the position's crossings under `model` and records them (the hot path: a full
   * re-evaluation calls it for every position; nothing is allocated when no crossing moved).
   * Returns the borrower's slot: passing it back as `slotHint` next time skips a map lookup.
   */
  place(borrower: Address, position: PositionExposure, priceKeys: readonly string[], model: CrossingModel, slotHint = -1): number {
    const slot = slotHint >= 0 && this.borrowerOfSlot[slotHint] === borrower ? slotHint : this.slotFor(borrower);
    this.model = model;
    const count = computeCrossings(position, priceKeys, model, this.level, true);
    this.followsOthers[slot] = count < 0 || ratioCrossings ? 1 : 0;
    this.setAlways(slot, count < 0 ? priceKeys : undefined);
    this.store(slot, count < 0 ? 0 : count);
    return slot;
  }

  /**
   * Whether the slot's crossings stay valid whatever the prices of keys other than the one searched
   * (placed as ratios in pair lanes, one key, or not modelled): a position whose crossings do not
   * goes stale when another of its keys moves (PositionBook finds those per exposure group).
   */
  followsOtherKeys(slot: number): boolean {
    return this.followsOthers[slot] === 1;
  }

  /** Records a position's crossings (null, or a non-finite price: not modelled, searched on every one of `keys`). */
  set(borrower: Address, crossings: readonly Crossing[] | null, keys: readonly string[]): void {
    const slot = this.slotFor(borrower);
    // A price that cannot be ordered would corrupt its lane's sort: such a position is not modelled.
    const modelled = crossings !== null && crossings.every((c) => Number.isFinite(c.price));
    this.followsOthers[slot] = modelled ? 0 : 1;
    this.setAlways(slot, modelled ? undefined : keys);
    const count = modelled ? crossings.length : 0;
    if (count > scratch.keys.length) scratch = newScratch(count);
    for (let i = 0; i < count; i++) {
      const { key, price, side } = crossings![i];
      scratch.keys[i] = key;
      scratch.prices[i] = price;
      scratch.sides[i] = side === "below" ? 0 : 1;
    }
    this.store(slot, count);
  }

  remove(borrower: Address): void {
    const slot = this.slotOf.get(borrower);
    if (slot === undefined) return;
    this.setAlways(slot, undefined);
    this.store(slot, 0);
    this.slotOf.delete(borrower);
    this.borrowerOfSlot[slot] = undefined;
    // Lane entries are killed, not reused before their lane is sorted: the slot is free at once.
    this.freeSlots.push(slot);
  }

  /**
   * Every borrower whose crossing on `key` lies between the two prices (inclusive, widened by
   * SEARCH_MARGIN), plus the ones not modelled that hold the key: the positions a move of `key`
   * from `from` to `to` can carry across HF 1, in either direction. Pair lanes are searched at the
   * other key's price `priceOf(other)` (default: the model's current price; one answer moving
   * several keys passes the old price of those not answered yet), all of a lane when it is unknown.
   */
  search(key: string, from: number, to: number, priceOf?: (other: string) => number | bigint | undefined): Set<Address> {
    const lo = Math.min(from, to) * (1 - SEARCH_MARGIN);
    const hi = Math.max(from, to) * (1 + SEARCH_MARGIN);
    const out = new Set<Address>();
    const found = (slot: number) => out.add(this.borrowerOfSlot[slot]!);
    let sorted = false;
    const below = this.laneIds.get(key);
    if (below !== undefined) sorted = this.searchLanes(below, lo, hi, found);
    for (const { id, other } of this.pairLanesByKey.get(key) ?? []) {
      const otherPrice = numericPrice(priceOf ? priceOf(other) : this.model?.priceOfKey(other));
      const known = otherPrice > 0 && Number.isFinite(otherPrice);
      if (this.searchLanes(id, known ? lo / otherPrice : -Infinity, known ? hi / otherPrice : Infinity, found)) sorted = true;
    }
    if (sorted) this.rebuilds += 1;
    for (const slot of this.alwaysByKey.get(key) ?? []) found(slot);
    return out;
  }

  /** Searches a key's two lanes from `below` on, sorting one first when its changes outgrew `overlayLimit`; true if it sorted. */
  private searchLanes(below: number, lo: number, hi: number, found: (slot: number) => void): boolean {
    let sorted = false;
    for (let id = below; id <= below + 1; id++) {
      const lane = this.lanes[id];
      if (lane.pending > this.overlayLimit(lane.live)) {
        lane.sort();
        sorted = true;
      }
      lane.search(lo, hi, found);
    }
    return sorted;
  }

  /**
   * Readies the search before the first price move needs it (a keeper's start-up): sorts every lane,
   * then runs `rounds` searches per key and direction over 0.1–5% around the key's price so the
   * engine has optimised the search (at 100,000 positions the first, unoptimised one cost 5.8 ms of
   * CPU, later ones 0.3). Changes nothing the index holds; returns the searches run.
   */
  warm(rounds = 64): number {
    this.rebuild();
    const { model } = this;
    const keys = new Set<string>(model ? this.pairLanesByKey.keys() : []);
    for (const key of this.laneIds.keys()) if (model && !pairLanes.has(key)) keys.add(key);
    let searches = 0;
    for (const key of keys) {
      const price = numericPrice(model!.priceOfKey(key));
      if (!(price > 0) || !Number.isFinite(price)) continue;
      for (let i = 0; i < rounds; i++) {
        const width = 0.001 + (0.049 * i) / rounds; // 0.1% to 5%
        this.search(key, price, price * (1 - width));
        this.search(key, price, price * (1 + width));
        searches += 2;
      }
    }
    return searches;
  }

  /** Sorts every lane with changes again (their overlays empty). */
  rebuild(): void {
    for (const lane of this.lanes) lane.sort();
    this.rebuilds += 1;
  }

  /** Sorts again the lanes whose changes outgrew `overlayLimit` (after a bulk re-evaluation, say). */
  compact(): void {
    let sorted = false;
    for (const lane of this.lanes) {
      if (lane.pending > this.overlayLimit(lane.live)) {
        lane.sort();
        sorted = true;
      }
    }
    if (sorted) this.rebuilds += 1;
  }

  private slotFor(borrower: Address): number {
    let slot = this.slotOf.get(borrower);
    if (slot === undefined) {
      slot = this.freeSlots.pop() ?? this.borrowerOfSlot.length;
      this.slotOf.set(borrower, slot);
      this.borrowerOfSlot[slot] = borrower;
      if (slot >= this.crossingCount.length) this.resize(this.crossingCount.length * 2, this.stride);
      if (slot >= this.followsOthers.length) {
        const wider = new Uint8Array(this.crossingCount.length);
        wider.set(this.followsOthers);
        this.followsOthers = wider;
      }
      this.crossingCount[slot] = 0;
    }
    return slot;
  }

  /** Makes the slot hold the `count` crossings in `scratch`: in place when its lanes are the same. */
  private store(slot: number, count: number): void {
    const base = slot * this.stride;
    const held = this.crossingCount[slot];
    let sameLanes = held === count;
    for (let i = 0; i < count; i++) {
      // The slot's own lane, when its key is the same string, spares a map lookup per crossing.
      const mine = sameLanes ? this.slotLanes[base + i] : -1;
      const lane =
        mine >= 0 && this.lanes[mine].key === scratch.keys[i]
          ? mine - (mine & 1) + scratch.sides[i]
          : this.laneIdOf(scratch.keys[i]) + scratch.sides[i];
      if (lane !== mine) sameLanes = false;
      scratch.lanes[i] = lane;
    }
    if (sameLanes) {
      for (let i = 0; i < count; i++)
        this.lanes[this.slotLanes[base + i]].update(this.slotEntries[base + i], scratch.prices[i], REINDEX_TOLERANCE);
      return;
    }
    for (let i = 0; i < held; i++) this.lanes[this.slotLanes[base + i]].kill(this.slotEntries[base + i]);
    this.crossingCount[slot] = 0;
    if (count > this.stride) this.resize(this.crossingCount.length, Math.max(count, this.stride * 2));
    const at = slot * this.stride;
    for (let i = 0; i < count; i++) {
      const lane = scratch.lanes[i];
      this.slotLanes[at + i] = lane;
      this.slotEntries[at + i] = this.lanes[lane].add(slot, scratch.prices[i]);
    }
    this.crossingCount[slot] = count;
  }

  private laneIdOf(key: string): number {
    let id = this.laneIds.get(key);
    if (id === undefined) {
      id = this.lanes.length;
      this.laneIds.set(key, id);
      this.lanes.push(new CrossingLane(key), new CrossingLane(key));
      const pair = pairLanes.get(key);
      if (pair) {
        let list = this.pairLanesByKey.get(pair.key);
        if (!list) this.pairLanesByKey.set(pair.key, (list = []));
        list.push({ id, other: pair.other });
      }
    }
    return id;
  }

  private resize(slots: number, stride: number): void {
    const count = new Uint16Array(slots);
    const lanes = new Int32Array(slots * stride);
    const entries = new Int32Array(slots * stride);
    count.set(this.crossingCount);
    for (let slot = 0; slot < this.crossingCount.length; slot++) {
      for (let i = 0; i < this.crossingCount[slot]; i++) {
        lanes[slot * stride + i] = this.slotLanes[slot * this.stride + i];
        entries[slot * stride + i] = this.slotEntries[slot * this.stride + i];
      }
    }
    this.crossingCount = count;
    this.slotLanes = lanes;
    this.slotEntries = entries;
    this.stride = stride;
  }

  private setAlways(slot: number, keys: readonly string[] | undefined): void {
    const was = this.alwaysBySlot[slot];
    if (was === undefined && keys === undefined) return;
    for (const key of was ?? []) {
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
