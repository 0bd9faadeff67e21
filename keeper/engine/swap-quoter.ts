/**
 * Prices the sale of seized collateral. Each venue turns quote requests into Multicall3 sub-calls
 * (`VenueQuoter.prepareQuotes`) and reads their answers back, so the CompositeQuoter can put every
 * candidate route of every request on every venue into ONE Multicall3 eth_call: quoting a block's
 * opportunities costs one round trip whatever their number. A candidate whose quote reverts (no pool,
 * not enough liquidity for the amount) is simply left out; no quote at all means "no-route". All quotes
 * are returned, per request, and the strategy (strategy/route.ts) picks the best one net of its gas.
 *
 * Venues: Uniswap V3 through QuoterV2 `quoteExactInput` (here; it quotes by running the swap and
 * reverting inside the pool callback — not a view function, but eth_call runs it the same) and Aerodrome
 * v2 pools through the Router's `getAmountsOut` (engine/aerodrome-quoter.ts). Slipstream (Aerodrome's
 * concentrated-liquidity pools) is not quoted.
 */
import { QuoterV2__factory } from "../../typechain-types";
import type { Address } from "../config/address-book";
import type { SwapQuote, SwapVenue } from "../core/types";
import { decodeUintWord, type MulticallCall, type MulticallResult, type Multicall3Client } from "../chain/multicall";
import type { UniswapPoolDirectory } from "./uniswap-routes";

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
  readonly venue: SwapVenue;
  prepareQuotes(requests: readonly QuoteRequest[]): PreparedCalls<SwapQuote[][]>;
  /** Quotes of one of this venue's routes for each amount. */
  prepareRouteQuotes(route: string, amounts: readonly bigint[]): PreparedCalls<bigint[]>;
}

/** Runs prepared calls in one `aggregate3` (none at all when there is nothing to call). */
export async function runPrepared<T>(multicall: Multicall3Client, prepared: PreparedCalls<T>, blockTag?: number | string): Promise<T> {
  const results = prepared.calls.length === 0 ? [] : await multicall.aggregate3(prepared.calls, blockTag);
  return prepared.read(results);
}

const quoterInterface = QuoterV2__factory.createInterface();

export class UniswapV3Quoter implements VenueQuoter {
  readonly venue = "uniswapV3" as const;

  constructor(
    private readonly quoterV2: Address,
    private readonly directory: UniswapPoolDirectory,
    private readonly multicall: Multicall3Client,
  ) {}

  quote(requests: readonly QuoteRequest[], blockTag?: number | string): Promise<SwapQuote[][]> {
    return runPrepared(this.multicall, this.prepareQuotes(requests), blockTag);
  }

  quoteRoute(venue: SwapVenue, route: string, amounts: readonly bigint[], blockTag?: number | string): Promise<bigint[]> {
    if (venue !== this.venue) return Promise.resolve(amounts.map(() => 0n));
    return runPrepared(this.multicall, this.prepareRouteQuotes(route, amounts), blockTag);
  }

  prepareQuotes(requests: readonly QuoteRequest[]): PreparedCalls<SwapQuote[][]> {
    const jobs: { request: number; route: ReturnType<UniswapPoolDirectory["routes"]>[number] }[] = [];
    requests.forEach((request, index) => {
      if (request.amountIn <= 0n || request.tokenIn.toLowerCase() === request.tokenOut.toLowerCase()) return;
      for (const route of this.directory.routes(request.tokenIn, request.tokenOut)) jobs.push({ request: index, route });
    });
    return {
      calls: jobs.map((job) => ({
        target: this.quoterV2,
        callData: quoterInterface.encodeFunctionData("quoteExactInput", [job.route.path, requests[job.request].amountIn]),
      })),
      read: (results) => {
        const out: SwapQuote[][] = requests.map(() => []);
        results.forEach((result, index) => {
          // returns (uint256 amountOut, uint160[] sqrtPriceX96AfterList, uint32[] ticksCrossed, uint256 gasEstimate)
          if (!result.success || result.returnData.length < 2 + 64 * 4) return;
          const job = jobs[index];
          const request = requests[job.request];
          const amountOut = decodeUintWord(result.returnData, 0);
          if (amountOut === 0n) return;
          out[job.request].push({
            venue: "uniswapV3",
            tokenIn: request.tokenIn,
            tokenOut: request.tokenOut,
            amountIn: request.amountIn,
            amountOut,
            route: job.route.path,
            gasEstimate: decodeUintWord(result.returnData, 3),
            pools: job.route.pools,
          });
        });
        return out;
      },
    };
  }

  prepareRouteQuotes(route: string, amounts: readonly bigint[]): PreparedCalls<bigint[]> {
    return {
      calls: amounts.map((amount) => ({
        target: this.quoterV2,
        callData: quoterInterface.encodeFunctionData("quoteExactInput", [route, amount]),
      })),
      read: (results) =>
        results.map((result) => (result.success && result.returnData.length >= 66 ? decodeUintWord(result.returnData, 0) : 0n)),
    };
  }
}

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
