/**
 * The swap-venue plug-in contract. A venue prices the sale of seized collateral for the debt token by
 * turning quote requests into Multicall3 sub-calls and reading their answers back, so the engine can
 * put every candidate route of every request on every venue into ONE eth_call
 * (engine/swap-quoter.ts). Each quote it returns carries the venue's executor enum member and router,
 * which is all the plan encoder needs. Venues are listed in ONE table, registry.ts
 * (keeper/venues/README.md).
 */
import type { Address } from "../config/address-book";
import type { PluginContext } from "../core/plugin-context";
import type { SwapQuote, SwapVenue } from "../core/types";
import type { MulticallCall, MulticallResult, Multicall3Client } from "../chain/multicall";

export interface QuoteRequest {
  readonly tokenIn: Address;
  readonly tokenOut: Address;
  readonly amountIn: bigint;
}

export interface SwapQuoter {
  /** Quotes for each request, in request order (an empty list where nothing can sell it). */
  quote(requests: readonly QuoteRequest[], blockTag?: number | string): Promise<SwapQuote[][]>;
  /**
   * What one known route (a quote's `venue` and `route`) returns for each of `amounts` (0 where the
   * quote fails or no configured venue quotes `venue`), in one round trip.
   */
  quoteRoute(venue: SwapVenue, route: string, amounts: readonly bigint[], blockTag?: number | string): Promise<bigint[]>;
}

/** Sub-calls for one Multicall3 batch and how to read their results (given back in the same order). */
export interface PreparedCalls<T> {
  readonly calls: readonly MulticallCall[];
  read(results: readonly MulticallResult[]): T;
}

/** One venue's quoting, split into "what to call" and "what the answers mean" so venues can share a batch. */
export interface VenueQuoter extends SwapQuoter {
  /** The venue plug-in's name: every quote's `venue`. */
  readonly venue: SwapVenue;
  prepareQuotes(requests: readonly QuoteRequest[]): PreparedCalls<SwapQuote[][]>;
  /** Quotes of one of this venue's routes for each amount. */
  prepareRouteQuotes(route: string, amounts: readonly bigint[]): PreparedCalls<bigint[]>;
}

export interface SwapVenuePlugin {
  /** Every quote's `venue`, and the journal's name for the venue. */
  readonly name: SwapVenue;
  /** The venue's quoter on this network, or null when the address book lacks the venue. */
  create(context: PluginContext): Promise<VenueQuoter | null>;
}

/** Runs prepared calls in one `aggregate3` (none at all when there is nothing to call). */
export async function runPrepared<T>(multicall: Multicall3Client, prepared: PreparedCalls<T>, blockTag?: number | string): Promise<T> {
  const results = prepared.calls.length === 0 ? [] : await multicall.aggregate3(prepared.calls, blockTag);
  return prepared.read(results);
}

/**
 * A venue quoter whose one-off `quote` and `quoteRoute` run its own prepared calls in one eth_call; a
 * route of another venue quotes 0.
 */
export abstract class BatchedVenueQuoter implements VenueQuoter {
  abstract readonly venue: SwapVenue;

  protected constructor(protected readonly multicall: Multicall3Client) {}

  abstract prepareQuotes(requests: readonly QuoteRequest[]): PreparedCalls<SwapQuote[][]>;
  abstract prepareRouteQuotes(route: string, amounts: readonly bigint[]): PreparedCalls<bigint[]>;

  quote(requests: readonly QuoteRequest[], blockTag?: number | string): Promise<SwapQuote[][]> {
    return runPrepared(this.multicall, this.prepareQuotes(requests), blockTag);
  }

  quoteRoute(venue: SwapVenue, route: string, amounts: readonly bigint[], blockTag?: number | string): Promise<bigint[]> {
    if (venue !== this.venue) return Promise.resolve(amounts.map(() => 0n));
    return runPrepared(this.multicall, this.prepareRouteQuotes(route, amounts), blockTag);
  }
}
