/**
 * Quotes Uniswap V3 routes through QuoterV2 `quoteExactInput`: every direct pool between the two
 * tokens and two hops through each hub (pool-directory.ts). QuoterV2 quotes by running the swap and
 * reverting inside the pool callback — not a view function, but eth_call runs it the same. A route
 * whose quote reverts (no liquidity for the amount) simply yields no quote. A quote's `route` is the
 * packed path SwapRouter02.exactInput takes, and its `pools` let the strategy avoid the pool it
 * flash-borrows from (that pool is locked for the whole callback).
 */
import { QuoterV2__factory } from "../../../typechain-types";
import type { Address } from "../../config/address-book";
import type { SwapQuote } from "../../core/types";
import { decodeUintWord, type Multicall3Client } from "../../chain/multicall";
import { BatchedVenueQuoter, type PreparedCalls, type QuoteRequest } from "../venue-plugin";
import type { UniswapPoolDirectory, UniswapRoute } from "./pool-directory";

/** The Uniswap V3 venue plug-in's name. */
export const UNISWAP_V3 = "uniswapV3";

const quoterInterface = QuoterV2__factory.createInterface();

export class UniswapV3Quoter extends BatchedVenueQuoter {
  readonly venue = UNISWAP_V3;

  constructor(
    private readonly quoterV2: Address,
    /** SwapRouter02: what the executor calls to sell along a quoted path. */
    private readonly router: Address,
    private readonly directory: UniswapPoolDirectory,
    multicall: Multicall3Client,
  ) {
    super(multicall);
  }

  prepareQuotes(requests: readonly QuoteRequest[]): PreparedCalls<SwapQuote[][]> {
    const jobs: { request: number; route: UniswapRoute }[] = [];
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
            venue: this.venue,
            executorVenue: "UniswapV3",
            router: this.router,
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
