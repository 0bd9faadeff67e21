/**
 * Prices the sale of seized collateral: Uniswap V3 QuoterV2 `quoteExactInput` for every candidate
 * route of every request, all in ONE Multicall3 eth_call, so quoting a block's opportunities costs one
 * round trip whatever their number. (QuoterV2 quotes by running the swap and reverting inside the pool
 * callback; it is not a view function, but eth_call runs it the same.) A route whose quote reverts
 * (not enough liquidity for the amount) is left out; no quote at all means "no-route".
 *
 * Aerodrome is not quoted yet: Base plans route through Uniswap V3 only (see keeper/README.md).
 */
import { QuoterV2__factory } from "../../typechain-types";
import type { Address } from "../config/address-book";
import type { SwapQuote } from "../core/types";
import { decodeUintWord, type Multicall3Client } from "../chain/multicall";
import type { UniswapPoolDirectory } from "./uniswap-routes";

export interface QuoteRequest {
  readonly tokenIn: Address;
  readonly tokenOut: Address;
  readonly amountIn: bigint;
}

export interface SwapQuoter {
  /** Quotes for each request, in request order (an empty list where nothing can sell it). */
  quote(requests: readonly QuoteRequest[], blockTag?: number | string): Promise<SwapQuote[][]>;
  /** What one known route returns for each of `amounts` (0 where the quote fails), in one round trip. */
  quoteRoute(route: string, amounts: readonly bigint[], blockTag?: number | string): Promise<bigint[]>;
}

const quoterInterface = QuoterV2__factory.createInterface();

export class UniswapV3Quoter implements SwapQuoter {
  constructor(
    private readonly quoterV2: Address,
    private readonly directory: UniswapPoolDirectory,
    private readonly multicall: Multicall3Client,
  ) {}

  async quote(requests: readonly QuoteRequest[], blockTag?: number | string): Promise<SwapQuote[][]> {
    const jobs: { request: number; route: ReturnType<UniswapPoolDirectory["routes"]>[number] }[] = [];
    requests.forEach((request, index) => {
      if (request.amountIn <= 0n || request.tokenIn.toLowerCase() === request.tokenOut.toLowerCase()) return;
      for (const route of this.directory.routes(request.tokenIn, request.tokenOut)) jobs.push({ request: index, route });
    });
    const out: SwapQuote[][] = requests.map(() => []);
    if (jobs.length === 0) return out;
    const results = await this.multicall.aggregate3(
      jobs.map((job) => ({
        target: this.quoterV2,
        callData: quoterInterface.encodeFunctionData("quoteExactInput", [job.route.path, requests[job.request].amountIn]),
      })),
      blockTag,
    );
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
  }

  async quoteRoute(route: string, amounts: readonly bigint[], blockTag?: number | string): Promise<bigint[]> {
    const results = await this.multicall.aggregate3(
      amounts.map((amount) => ({ target: this.quoterV2, callData: quoterInterface.encodeFunctionData("quoteExactInput", [route, amount]) })),
      blockTag,
    );
    return results.map((result) => (result.success && result.returnData.length >= 66 ? decodeUintWord(result.returnData, 0) : 0n));
  }
}

/** A quoter for networks without a DEX in the address book: everything is "no-route". */
export const NO_QUOTES: SwapQuoter = {
  quote: async (requests) => requests.map(() => []),
  quoteRoute: async (_route, amounts) => amounts.map(() => 0n),
};
