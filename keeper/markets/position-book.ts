/**
 * The in-memory side of a market: each borrower's protocol-specific state, the TrackedPosition last
 * computed from it, and an index from asset (or any price key) to the borrowers exposed to it, so a
 * price update touches only the positions it can change. It also keeps what a block's evaluation
 * needs (evaluation-schedule.ts): the positions near 1 (health factor below `nearLevel`) and a
 * rolling order over every position.
 */
import type { Address } from "../config/address-book";
import { WAD } from "../core/fixed-point";
import type { TrackedPosition } from "../core/types";
import { CrossingIndex, type CrossingModel } from "./crossing-index";
import type { MarketUpdate } from "./market";

/** Positions exposed to exactly the same price keys: what a move of one key leaves stale, per group. */
interface ExposureGroup {
  readonly keys: readonly string[];
  readonly members: Set<Address>;
  /** Every member was computed after this indexed move (`indexedMoves` count) of any of `keys`. */
  freshAt: number;
  /** Members whose crossings go stale when another of their keys moves (CrossingIndex.followsOtherKeys false). */
  staleProne: number;
}

interface Entry<State> {
  state: State;
  group: ExposureGroup;
  position: TrackedPosition | undefined;
  priceKeys: readonly string[];
  /** `indexedMoves` when the position was last computed: a later move of one of its keys makes it stale. */
  computedAtMove: number;
  /** The borrower's slot in the crossing index (-1: none yet), handed back so placing skips a lookup. */
  crossingSlot: number;
  /** Its crossings stay valid when another of its keys moves (see CrossingIndex.followsOtherKeys); true until placed. */
  followsOtherKeys: boolean;
}

export class PositionBook<State> {
  private readonly entries = new Map<Address, Entry<State>>();
  private readonly holdersByKey = new Map<string, Set<Address>>();
  private readonly liquidatableSet = new Set<Address>();
  /** Borrowers whose stored health factor is below `nearLevel` (so every liquidatable one). */
  private readonly nearSet = new Set<Address>();
  private readonly groups = new Map<string, ExposureGroup>();
  private readonly groupsByKey = new Map<string, ExposureGroup[]>();
  /** Where the rolling pass stands: a live iterator over `entries` (it sees additions, skips removals). */
  private sweepCursor: IterableIterator<Address> | undefined;
  /** Health-factor computations done through `setPosition`, for stats and tests. */
  recomputations = 0;
  /** Set by `indexCrossings`: each stored position's crossing prices, per price key. */
  private crossing: { readonly index: CrossingIndex; readonly model: CrossingModel } | undefined;
  /** Price moves answered through the index so far, and the latest such move of each key. */
  private indexedMoves = 0;
  private readonly keyMovedAt = new Map<string, number>();

  /**
   * `nearLevel` (WAD): positions whose health factor is below it are `nearBorrowers` (WAD: just the
   * liquidatable ones), and the crossing index places each position's crossing of that level.
   */
  constructor(readonly nearLevel: bigint = WAD) {
    if (nearLevel < WAD) throw new Error(`position book: nearLevel must be at least WAD (1e18), got ${nearLevel}`);
  }

  /**
   * From now on, every position stored is also placed in a CrossingIndex under `model` (the market's
   * token → price key mapping and current prices), so `crossingCandidates` can answer a price move.
   */
  indexCrossings(model: CrossingModel, index = new CrossingIndex(undefined, Number(this.nearLevel) / Number(WAD))): void {
    if (index.level !== Number(this.nearLevel) / Number(WAD)) {
      throw new Error(`position book: the crossing index must place the book's near level ${this.nearLevel}, not ${index.level}`);
    }
    this.crossing = { index, model };
    for (const [borrower, entry] of this.entries) if (entry.position) this.indexPosition(borrower, entry);
  }

  get indexesCrossings(): boolean {
    return this.crossing !== undefined;
  }

  /**
   * The borrowers a move of `key`'s price from `from` to `to` can carry across `nearLevel` in either
   * direction, plus every near holder of the key (the liquidatable ones among them, so what the
   * engine sizes from carries the new price too). Call `noteIndexedMove(key)` first and re-evaluate
   * every borrower returned. A holder whose stored position predates an indexed move of another of
   * its keys has crossings computed at that key's old price: such holders are returned too (found
   * per exposure group, so only groups holding two moved keys are scanned), unless the index keeps
   * its crossings as ratios to the other key's price (two keys: never stale; groups without other
   * members are not scanned). `pendingFrom`: when one answer moved several keys, the old price of
   * each key not answered yet (ratios are searched at the prices of the moves answered so far).
   * Without an index: every holder of the key.
   */
  crossingCandidates(key: string, from: number, to: number, pendingFrom?: ReadonlyMap<string, number>): Set<Address> {
    if (!this.crossing) return this.holdersOf([key]);
    const { index, model } = this.crossing;
    const out = index.search(key, from, to, pendingFrom && ((other) => pendingFrom.get(other) ?? model.priceOfKey(other)));
    for (const borrower of this.nearSet) if (this.entries.get(borrower)?.priceKeys.includes(key)) out.add(borrower);
    for (const group of this.groupsByKey.get(key) ?? []) {
      let staleSince = 0;
      for (const other of group.keys) if (other !== key) staleSince = Math.max(staleSince, this.keyMovedAt.get(other) ?? 0);
      if (staleSince <= group.freshAt) continue;
      if (group.staleProne > 0) {
        for (const borrower of group.members) {
          const entry = this.entries.get(borrower)!;
          if (!entry.followsOtherKeys && entry.computedAtMove < staleSince) out.add(borrower);
        }
      }
      group.freshAt = staleSince;
    }
    return out;
  }

  /** Times the crossing index sorted lanes (CrossingIndex.rebuilds; 0 without an index), for stats and tests. */
  get crossingSorts(): number {
    return this.crossing?.index.rebuilds ?? 0;
  }

  /** Sorts the crossing index and runs its search path until compiled (CrossingIndex.warm); 0 without an index. */
  warmCrossingSearch(rounds?: number): number {
    return this.crossing?.index.warm(rounds) ?? 0;
  }

  /** Borrowers whose stored health factor is below `nearLevel` (a copy). */
  nearBorrowers(): Address[] {
    return [...this.nearSet];
  }

  /**
   * The next `count` borrowers of the rolling order (every borrower once per cycle, new ones
   * included); `cycleDone` when this call reached the end of the order (the next call starts over).
   */
  sweep(count: number): { borrowers: Address[]; cycleDone: boolean } {
    const borrowers: Address[] = [];
    this.sweepCursor ??= this.entries.keys();
    while (borrowers.length < count) {
      const next = this.sweepCursor.next();
      if (next.done) {
        this.sweepCursor = undefined;
        return { borrowers, cycleDone: true };
      }
      borrowers.push(next.value);
    }
    return { borrowers, cycleDone: false };
  }

  /** The rolling order starts from its beginning again (after a full pass). */
  restartSweep(): void {
    this.sweepCursor = undefined;
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
    if (previous && sameKeys(previous.priceKeys, priceKeys)) {
      // A rescan re-reads every borrower and almost none changed exposure: keep its group and holder
      // sets instead of leaving and rejoining them (a third of a 100,000-position rescan's own time).
      previous.state = state;
      previous.priceKeys = priceKeys;
      return;
    }
    if (previous) this.unindex(borrower, previous);
    const followsOtherKeys = previous?.followsOtherKeys ?? true;
    const group = this.joinGroup(borrower, priceKeys);
    if (!followsOtherKeys) group.staleProne += 1;
    this.entries.set(borrower, {
      state,
      group,
      position: previous?.position,
      priceKeys,
      computedAtMove: previous?.computedAtMove ?? 0,
      crossingSlot: previous?.crossingSlot ?? -1,
      followsOtherKeys,
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
    if (position.healthFactor < this.nearLevel) this.nearSet.add(borrower);
    else this.nearSet.delete(borrower);
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
    this.unindex(borrower, entry);
    this.entries.delete(borrower);
    this.liquidatableSet.delete(borrower);
    this.nearSet.delete(borrower);
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
    const exposure = model.exposureOf ? model.exposureOf(entry.position!) : entry.position!;
    entry.crossingSlot = index.place(borrower, exposure, entry.priceKeys, model, entry.crossingSlot);
    const follows = index.followsOtherKeys(entry.crossingSlot);
    if (follows !== entry.followsOtherKeys) {
      entry.group.staleProne += follows ? -1 : 1;
      entry.followsOtherKeys = follows;
    }
  }

  /** Adds the borrower to the group of positions with exactly these keys (a new group is fresh). */
  private joinGroup(borrower: Address, priceKeys: readonly string[]): ExposureGroup {
    const keys = [...new Set(priceKeys)].sort();
    const signature = keys.join(",");
    let group = this.groups.get(signature);
    if (!group) {
      group = { keys, members: new Set(), freshAt: this.indexedMoves, staleProne: 0 };
      this.groups.set(signature, group);
      for (const key of keys) {
        let list = this.groupsByKey.get(key);
        if (!list) this.groupsByKey.set(key, (list = []));
        list.push(group);
      }
    }
    group.members.add(borrower);
    return group;
  }

  private unindex(borrower: Address, entry: Entry<State>): void {
    const group = entry.group;
    group.members.delete(borrower);
    if (!entry.followsOtherKeys) group.staleProne -= 1;
    if (group.members.size === 0) {
      this.groups.delete(group.keys.join(","));
      for (const key of group.keys) {
        const list = this.groupsByKey.get(key)!.filter((g) => g !== group);
        if (list.length === 0) this.groupsByKey.delete(key);
        else this.groupsByKey.set(key, list);
      }
    }
    for (const key of entry.priceKeys) {
      const holders = this.holdersByKey.get(key);
      if (!holders) continue;
      holders.delete(borrower);
      if (holders.size === 0) this.holdersByKey.delete(key);
    }
  }
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
