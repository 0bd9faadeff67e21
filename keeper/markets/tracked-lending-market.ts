/**
 * What every lending-market plug-in does the same way: keep positions in a PositionBook, discover
 * borrowers through a BorrowerDiscovery, route protocol events to re-reads, and answer the engine's
 * queries. A plug-in extends this and supplies only its protocol's parts: reading positions, the
 * health-factor math (`reevaluateAll`) and what a market-parameter change means (`reloadMarketParameters`).
 */
import type { Address } from "../config/address-book";
import type { TrackedPosition } from "../core/types";
import type { BorrowerDiscovery } from "./borrower-discovery";
import type { BlockRange, BlockRef, MarketUpdate, ProtocolEvent, RefreshResult } from "./market";
import { PositionBook } from "./position-book";
import { routeProtocolEvents } from "./protocol-event-routing";

const NOTHING_CHANGED: MarketUpdate = { recomputed: 0, newlyLiquidatable: [] };

export abstract class TrackedLendingMarket<State> {
  abstract readonly id: string;

  protected readonly book = new PositionBook<State>();
  /** Set by the plug-in's init(). */
  protected discovery!: BorrowerDiscovery;
  /** The block positions were last evaluated at; null until the first read. */
  protected evaluatedAt: BlockRef | null = null;
  protected initialized = false;

  /** Re-reads positions from the chain (all tracked borrowers when `borrowers` is omitted). */
  abstract refreshPositions(borrowers?: readonly Address[], blockTag?: number): Promise<RefreshResult>;

  /** Re-evaluates every tracked position in memory at `evaluatedAt` (no RPC). */
  protected abstract reevaluateAll(): MarketUpdate;

  /**
   * Re-reads the market's own parameters after an event that changes them; returns false where the
   * protocol's parameters cannot change (then only the touched borrowers are re-read).
   */
  protected abstract reloadMarketParameters(blockTag: number): Promise<boolean>;

  evaluateAt(block: BlockRef): MarketUpdate {
    this.assertInitialized();
    this.evaluatedAt = { number: block.number, timestamp: block.timestamp };
    return this.reevaluateAll();
  }

  async onProtocolEvents(events: readonly ProtocolEvent[], range: BlockRange): Promise<MarketUpdate> {
    this.assertInitialized();
    const { touched, borrowed, marketChanged } = routeProtocolEvents(
      events,
      this.id,
      (borrower) => this.book.has(borrower) || this.discovery.has(borrower),
    );
    await this.discovery.recordLive(range, borrowed);
    // After a parameter change every position may have moved, so all are re-read, not just the touched.
    const reloaded = marketChanged && (await this.reloadMarketParameters(range.toBlock));
    if (touched.size === 0 && !reloaded) return NOTHING_CHANGED;
    return this.book.measureUpdate(() => this.refreshPositions(reloaded ? undefined : [...touched], range.toBlock));
  }

  liquidatable(): TrackedPosition[] {
    return this.book.liquidatable();
  }

  position(borrower: Address): TrackedPosition | undefined {
    return this.book.position(lowerAddress(borrower));
  }

  positions(): TrackedPosition[] {
    return this.book.positions();
  }

  borrowers(): readonly Address[] {
    return this.discovery ? this.discovery.borrowers() : [];
  }

  protected assertInitialized(): void {
    if (!this.initialized) throw new Error(`${this.id}: call init() before using the market`);
  }
}

/** Markets key borrowers by lower-case address, whatever case the chain or a caller used. */
export function lowerAddress(address: string): Address {
  return address.toLowerCase() as Address;
}
