/**
 * The Uniswap V3 venue plug-in: QuoterV2 prices, SwapRouter02 sells. Its pool list is read once per
 * keeper and shared with the Uniswap V3 flash lender (keeper/flash/uniswap-v3/).
 */
import type { PluginContext } from "../../core/plugin-context";
import type { SwapVenuePlugin } from "../venue-plugin";
import { UniswapPoolDirectory } from "./pool-directory";
import { UNISWAP_V3, UniswapV3Quoter } from "./quoter";

/** The book's Uniswap V3 pools, looked up once per keeper whoever asks first. */
export function uniswapPools(context: PluginContext): Promise<UniswapPoolDirectory> {
  return context.once("uniswapV3.pools", () => UniswapPoolDirectory.load(context.book, context.multicall));
}

export const uniswapV3Venue: SwapVenuePlugin = {
  name: UNISWAP_V3,
  async create(context) {
    const deployment = context.book.uniswapV3;
    if (deployment === undefined) return null;
    return new UniswapV3Quoter(deployment.quoterV2, deployment.swapRouter02, await uniswapPools(context), context.multicall);
  },
};
