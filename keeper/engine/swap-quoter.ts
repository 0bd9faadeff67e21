/**
 * Prices the sale of seized collateral on every venue plug-in the network has (keeper/venues/), all in
 * ONE Multicall3 eth_call: quoting a block's opportunities costs one round trip whatever their number
 * and whatever the number of venues. A candidate whose quote reverts (no pool, not enough liquidity
 * for the amount) is simply left out; no quote at all means "no-route". All quotes are returned, per
 * request, and the strategy (strategy/route.ts) picks the best one net of its gas.
 */
import type { PluginContext } from "../core/plugin-context";
import type { SwapVenue, SwapQuote } from "../core/types";
import type { Multicall3Client } from "../chain/multicall";
import { SWAP_VENUES } from "../venues/registry";
import {
  runPrepared,
  type PreparedCalls,
  type QuoteRequest,
  type SwapQuoter,
  type SwapVenuePlugin,
  type VenueQuoter,
} from "../venues/venue-plugin";

/**
 * Asks every configured venue and returns all their quotes per request (venue order), every venue's
 * candidates sharing ONE Multicall3 eth_call; the strategy chooses among them.
 */
export class CompositeQuoter implements SwapQuoter {
  constructor(
    private readonly venues: readonly VenueQuoter[],
    private readonly multicall: Multicall3Client,
  ) {
    const seen = new Set<SwapVenue>();
    for (const venue of venues) {
      if (seen.has(venue.venue)) throw new Error(`CompositeQuoter: venue "${venue.venue}" is configured twice; give each venue one quoter`);
      seen.add(venue.venue);
    }
  }

  /** The venues asked, in order. */
  get venueNames(): readonly SwapVenue[] {
    return this.venues.map((venue) => venue.venue);
  }

  async quote(requests: readonly QuoteRequest[], blockTag?: number | string): Promise<SwapQuote[][]> {
    const prepared = this.venues.map((venue) => venue.prepareQuotes(requests));
    const results = await this.runShared(prepared, blockTag);
    const out: SwapQuote[][] = requests.map(() => []);
    for (const perVenue of results) perVenue.forEach((quotes, index) => out[index].push(...quotes));
    return out;
  }

  async quoteRoute(venue: SwapVenue, route: string, amounts: readonly bigint[], blockTag?: number | string): Promise<bigint[]> {
    const quoter = this.venues.find((candidate) => candidate.venue === venue);
    if (quoter === undefined) return amounts.map(() => 0n);
    return runPrepared(this.multicall, quoter.prepareRouteQuotes(route, amounts), blockTag);
  }

  /** Concatenates the venues' calls into one aggregate3 and hands each venue back its own slice of results. */
  private async runShared<T>(prepared: readonly PreparedCalls<T>[], blockTag?: number | string): Promise<T[]> {
    const calls = prepared.flatMap((entry) => entry.calls);
    const results = calls.length === 0 ? [] : await this.multicall.aggregate3(calls, blockTag);
    let offset = 0;
    return prepared.map((entry) => {
      const slice = results.slice(offset, offset + entry.calls.length);
      offset += entry.calls.length;
      return entry.read(slice);
    });
  }
}

/** A quoter for networks without a DEX in the address book: everything is "no-route". */
export const NO_QUOTES: SwapQuoter = {
  quote: async (requests) => requests.map(() => []),
  quoteRoute: async (_venue, _route, amounts) => amounts.map(() => 0n),
};

/** Every venue the address book has (in `venues` order) behind one quoter; none: everything is "no-route". */
export async function createSwapQuoter(context: PluginContext, venues: readonly SwapVenuePlugin[] = SWAP_VENUES): Promise<SwapQuoter> {
  const quoters = (await Promise.all(venues.map((venue) => venue.create(context)))).filter(
    (quoter): quoter is VenueQuoter => quoter !== null,
  );
  if (quoters.length === 0) return NO_QUOTES;
  // A single venue keeps its own object (same calls, no composite in between).
  return quoters.length === 1 ? quoters[0]! : new CompositeQuoter(quoters, context.multicall);
}
