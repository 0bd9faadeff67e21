/**
 * The Aerodrome venue plug-in: v2 pools (volatile and stable) through the Router, direct or with one
 * hop through WETH or USDC. Slipstream (Aerodrome's concentrated-liquidity pools) is not quoted.
 */
import type { Address } from "../../config/address-book";
import type { SwapVenuePlugin } from "../venue-plugin";
import { AERODROME, AerodromeQuoter } from "./quoter";

export const aerodromeVenue: SwapVenuePlugin = {
  name: AERODROME,
  async create({ book, multicall }) {
    if (book.aerodrome === undefined) return null;
    const connectors = [book.weth, book.tokens.USDC?.address].filter((token): token is Address => token !== undefined);
    return new AerodromeQuoter(book.aerodrome, multicall, { connectors });
  },
};
