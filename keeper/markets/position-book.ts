/**
 * The in-memory side of a market: each borrower's protocol-specific state, the TrackedPosition last
 * computed from it, and an index from asset (or any price key) to the borrowers exposed to it, so a
 * price update touches only the positions it can change.
 */
import type { Address } from "../config/address-book";
import { WAD } from "../core/fixed-point";
import type { TrackedPosition } from "../core/types";
import { CrossingIndex, type CrossingModel } from "./crossing-index";
import type { MarketUpdate } from "./market";

interface Entry<State> {
  state: State;
  position: TrackedPosition | undefined;
  priceKeys: readonly string[];
  /** `indexedMoves` when the position was last computed: a later move of one of its keys makes it stale. */
  computedAtMove: number;
  /** The borrower's slot in the crossing index (-1: none yet), handed back so placing skips a lookup. */
  crossingSlot: number;
}

export class PositionBook<State> {
  private readonly entries = new Map<Address, Entry<State>>();
  private readonly holdersByKey = new Map<string, Set<Address>>();
  private readonly liquidatableSet = new Set<Address>();
  /** Health-factor computations done through `setPosition`, for stats and tests. */
  recomputations = 0;
  /** Set by `indexCrossings`: each stored position's crossing prices, per price key. */
  private crossing: { readonly index: CrossingIndex; readonly model: CrossingModel } | undefined;
  /** Price moves answered through the index so far, and the latest such move of each key. */
  private indexedMoves = 0;
  private readonly keyMovedAt = new Map<string, number>();

  /**
   * From now on, every position stored is also placed in a CrossingIndex under `model` (the market's
   * token → price key mapping and current prices), so `crossingCandidates` can answer a price move.
   */
  indexCrossings(model: CrossingModel, index = new CrossingIndex()): void {
    this.crossing = { index, model };
    for (const [borrower, entry] of this.entries) if (entry.position) this.indexPosition(borrower, entry);
  }

  get indexesCrossings(): boolean {
    return this.crossing !== undefined;
  }

  /**
   * The borrowers a move of `key`'s price from `from` to `to` (with every other price as it was when
   * each position was last stored) can carry across HF 1 in either direction, plus every liquidatable
   * holder of the key (so what the engine sizes from carries the new price too). Without an index:
   * every holder of the key.
   */
  crossingCandidates(key: string, from: number, to: number): Set<Address> {
    if (!this.crossing) return this.holdersOf([key]);
    const out = this.crossing.index.search(key, from, to);
    for (const borrower of this.liquidatableSet) if (this.entries.get(borrower)?.priceKeys.includes(key)) out.add(borrower);
    return out;
  }

  get size(): number {
    return this.entries.size;
  }

  has(borrower: Address): boolean {
    return this.entries.has(borrower);
  }

  state(borrower: Address): State | undefined {
    return this.entries.get(borrower)?.state;
  }

  /** Replaces a borrower's state and the price keys it is exposed to (re-indexing them). */
  setState(borrower: Address, state: State, priceKeys: readonly string[]): void {
    const previous = this.entries.get(borrower);
    if (previous) this.unindex(borrower, previous.priceKeys);
    this.entries.set(borrower, {
      state,
      position: previous?.position,
      priceKeys,
      computedAtMove: previous?.computedAtMove ?? 0,
      crossingSlot: previous?.crossingSlot ?? -1,
    });
    for (const key of priceKeys) {
      let holders = this.holdersByKey.get(key);
      if (!holders) this.holdersByKey.set(key, (holders = new Set()));
      holders.add(borrower);
    }
  }

  /**
   * Stores a freshly computed position; returns true when it crossed from healthy (or unknown) to
   * liquidatable, which is what the engine reacts to.
   */
  setPosition(borrower: Address, position: TrackedPosition): boolean {
    const entry = this.entries.get(borrower);
    if (!entry) throw new Error(`position book: no state for borrower ${borrower}`);
    this.recomputations += 1;
    entry.position = position;
    entry.computedAtMove = this.indexedMoves;
    if (this.crossing) this.indexPosition(borrower, entry);
    const liquidatable = position.healthFactor < WAD;
    const was = this.liquidatableSet.has(borrower);
    if (liquidatable) this.liquidatableSet.add(borrower);
    else this.liquidatableSet.delete(borrower);
    return liquidatable && !was;
  }

  /**
   * Re-evaluates each borrower from its stored state with `evaluate` (the protocol's own math) and
   * stores the result; reports how many were evaluated and which crossed into liquidatable.
   */
  reevaluate(borrowers: Iterable<Address>, evaluate: (borrower: Address, state: State) => TrackedPosition): MarketUpdate {
    let recomputed = 0;
    const newlyLiquidatable: TrackedPosition[] = [];
    for (const borrower of borrowers) {
      const entry = this.entries.get(borrower);
      if (!entry) throw new Error(`position book: no state for borrower ${borrower}`);
      recomputed += 1;
      const position = evaluate(borrower, entry.state);
      if (this.setPosition(borrower, position)) newlyLiquidatable.push(position);
    }
    this.crossing?.index.compact();
    return { recomputed, newlyLiquidatable };
  }

  remove(borrower: Address): void {
    const entry = this.entries.get(borrower);
    if (!entry) return;
    this.unindex(borrower, entry.priceKeys);
    this.entries.delete(borrower);
    this.liquidatableSet.delete(borrower);
    this.crossing?.index.remove(borrower);
  }

  /** Borrowers exposed to any of the keys, each once. */
  holdersOf(keys: Iterable<string>): Set<Address> {
    const out = new Set<Address>();
    for (const key of keys) {
      const holders = this.holdersByKey.get(key);
      if (holders) for (const borrower of holders) out.add(borrower);
    }
    return out;
  }

  borrowers(): Address[] {
    return [...this.entries.keys()];
  }

  position(borrower: Address): TrackedPosition | undefined {
    return this.entries.get(borrower)?.position;
  }

  positions(): TrackedPosition[] {
    const out: TrackedPosition[] = [];
    for (const entry of this.entries.values()) if (entry.position) out.push(entry.position);
    return out;
  }

  liquidatable(): TrackedPosition[] {
    const out: TrackedPosition[] = [];
    for (const borrower of this.liquidatableSet) {
      const position = this.entries.get(borrower)?.position;
      if (position) out.push(position);
    }
    return out.sort((a, b) => (a.healthFactor < b.healthFactor ? -1 : a.healthFactor > b.healthFactor ? 1 : 0));
  }

  /**
   * Runs `refresh` (which re-reads and recomputes some positions) and reports what it recomputed and
   * which borrowers it newly made liquidatable, compared with the book before it ran.
   */
  async measureUpdate(refresh: () => Promise<unknown>): Promise<MarketUpdate> {
    const liquidatableBefore = new Set(this.liquidatable().map((p) => p.key.borrower));
    const recomputationsBefore = this.recomputations;
    await refresh();
    return {
      recomputed: this.recomputations - recomputationsBefore,
      newlyLiquidatable: this.liquidatable().filter((p) => !liquidatableBefore.has(p.key.borrower)),
    };
  }

  get liquidatableCount(): number {
    return this.liquidatableSet.size;
  }

  /**
   * Records that `key` moved and only its crossing candidates are being re-evaluated: every other
   * holder's stored position is stale (still on the right side of HF 1) until it is computed again.
   */
  noteIndexedMove(key: string): void {
    this.indexedMoves += 1;
    this.keyMovedAt.set(key, this.indexedMoves);
  }

  /** A stored position computed before a later indexed move of one of its keys. */
  isStale(borrower: Address): boolean {
    const entry = this.entries.get(borrower);
    return entry?.position !== undefined && this.staleEntry(entry);
  }

  /** Every stale position's borrower (a scan, only while some indexed move is outstanding). */
  staleBorrowers(): Address[] {
    if (this.keyMovedAt.size === 0) return [];
    const out: Address[] = [];
    for (const [borrower, entry] of this.entries) if (entry.position && this.staleEntry(entry)) out.push(borrower);
    if (out.length === 0) this.keyMovedAt.clear();
    return out;
  }

  private staleEntry(entry: Entry<State>): boolean {
    if (this.keyMovedAt.size === 0) return false;
    for (const key of entry.priceKeys) if ((this.keyMovedAt.get(key) ?? 0) > entry.computedAtMove) return true;
    return false;
  }

  private indexPosition(borrower: Address, entry: Entry<State>): void {
    const { index, model } = this.crossing!;
    entry.crossingSlot = index.place(borrower, entry.position!, entry.priceKeys, model, entry.crossingSlot);
  }

  private unindex(borrower: Address, keys: readonly string[]): void {
    for (const key of keys) {
      const holders = this.holdersByKey.get(key);
      if (!holders) continue;
      holders.delete(borrower);
      if (holders.size === 0) this.holdersByKey.delete(key);
    }
  }
}
