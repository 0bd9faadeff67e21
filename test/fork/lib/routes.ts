/**
 * Route candidates on Base. The fork suites pick the best-paying pool of each venue at the pinned block with
 * `bestRoute` (test/shared/liquidation-scenarios/swap-routes.ts) instead of hard-coding which pool is deepest.
 */
import type { SwapRouteSpec } from "../../shared/liquidation-scenarios/swap-routes";
import { UNISWAP_V3_FEE_ROUTES } from "../../shared/liquidation-scenarios/swap-routes";

export { UNISWAP_V3_FEE_ROUTES };

/** Slipstream's enabled tick spacings (Aerodrome CLFactory: 1, 50, 100, 200, 2000, plus 10 added later). */
export const SLIPSTREAM_ROUTES: readonly SwapRouteSpec[] = [1, 10, 50, 100, 200, 2_000].map((tickSpacing) => ({
  venue: "aerodromeSlipstream",
  tickSpacing,
}));

export const AERODROME_ROUTES: readonly SwapRouteSpec[] = [
  { venue: "aerodrome", stable: false },
  { venue: "aerodrome", stable: true },
];

export type VenueKind = "uniswapV3" | "aerodrome" | "aerodromeSlipstream";

export const ROUTES_BY_VENUE: Readonly<Record<VenueKind, readonly SwapRouteSpec[]>> = {
  uniswapV3: UNISWAP_V3_FEE_ROUTES,
  aerodrome: AERODROME_ROUTES,
  aerodromeSlipstream: SLIPSTREAM_ROUTES,
};

export const VENUE_NAMES: Readonly<Record<VenueKind, string>> = {
  uniswapV3: "Uniswap V3",
  aerodrome: "Aerodrome (v2 pools)",
  aerodromeSlipstream: "Aerodrome Slipstream",
};
