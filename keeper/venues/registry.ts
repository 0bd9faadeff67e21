/**
 * THE table of swap-venue plug-ins. The engine quotes every venue the network's address book has, in
 * this order, all in one Multicall3 eth_call; nothing else in the keeper names a venue. Adding one:
 * keeper/venues/README.md.
 */
import { aerodromeVenue } from "./aerodrome/plugin";
import { uniswapV3Venue } from "./uniswap-v3/plugin";
import type { SwapVenuePlugin } from "./venue-plugin";

export const SWAP_VENUES: readonly SwapVenuePlugin[] = [uniswapV3Venue, aerodromeVenue];
