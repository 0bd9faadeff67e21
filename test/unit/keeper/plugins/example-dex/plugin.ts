/**
 * A third swap venue, written the way keeper/venues/README.md says: a Uniswap V3 fork (its router takes
 * SwapRouter02's exactInput, so the executor's UniswapV3 venue) whose quoter is a TEST DOUBLE paying a
 * fixed 3,100 USDC per WETH (more than the sandbox's $3,000 pools pay) and making no call; a real venue returns sub-calls from prepareQuotes and
 * reads their answers, sharing the engine's one Multicall3 eth_call.
 */
import type { Address } from "../../../../../keeper/config/address-book";
import type { SwapQuote } from "../../../../../keeper/core/types";
import type { Multicall3Client } from "../../../../../keeper/chain/multicall";
import { BatchedVenueQuoter, type PreparedCalls, type QuoteRequest, type SwapVenuePlugin } from "../../../../../keeper/venues/venue-plugin";

const USDC_UNITS_PER_WETH = 3_100n * 10n ** 6n;

class ExampleDexQuoter extends BatchedVenueQuoter {
  readonly venue = "exampleDex";

  constructor(
    private readonly router: Address,
    private readonly weth: Address,
    multicall: Multicall3Client,
  ) {
    super(multicall);
  }

  prepareQuotes(requests: readonly QuoteRequest[]): PreparedCalls<SwapQuote[][]> {
    return {
      calls: [],
      read: () =>
        requests.map((request) =>
          request.tokenIn.toLowerCase() !== this.weth.toLowerCase()
            ? []
            : [
                {
                  venue: this.venue,
                  executorVenue: "UniswapV3",
                  router: this.router,
                  tokenIn: request.tokenIn,
                  tokenOut: request.tokenOut,
                  amountIn: request.amountIn,
                  amountOut: (request.amountIn * USDC_UNITS_PER_WETH) / 10n ** 18n,
                  route: "0x00",
                  gasEstimate: 100_000n,
                },
              ],
        ),
    };
  }

  prepareRouteQuotes(_route: string, amounts: readonly bigint[]): PreparedCalls<bigint[]> {
    return { calls: [], read: () => amounts.map((amount) => (amount * USDC_UNITS_PER_WETH) / 10n ** 18n) };
  }
}

export function exampleDexVenue(router: Address): SwapVenuePlugin {
  return {
    name: "exampleDex",
    create: async ({ book, multicall }) => new ExampleDexQuoter(router, book.weth, multicall),
  };
}
