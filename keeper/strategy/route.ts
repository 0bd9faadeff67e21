/**
 * Picks how the seized collateral is sold for the debt token, from quotes the keeper already fetched
 * (Uniswap V3 QuoterV2, Aerodrome). The best route is the one worth most AFTER its own gas: a
 * multi-hop path that returns a few cents more but burns more gas loses.
 */
import type { Address, SwapQuote } from "../core/types";
import { tokenAmountToUsd } from "../core/fixed-point";

export type RouteDecision =
  | { readonly ok: true; readonly swap: SwapQuote | null; readonly netValueUsd: number }
  | { readonly ok: false; readonly reason: "no-route"; readonly detail: string };

export interface RouteRequest {
  readonly tokenIn: Address;
  readonly tokenOut: Address;
  readonly amountIn: bigint;
  readonly quotes: readonly SwapQuote[];
  /** USD per whole tokenOut and its decimals, to compare output with gas. */
  readonly tokenOutUsd: number;
  readonly tokenOutDecimals: number;
  /** Wei per gas the transaction is expected to pay (base fee; the bid is priced separately). */
  readonly gasPriceWei: bigint;
  readonly nativeUsd: number;
  /** Pools the route must not touch (the flash lender: a Uniswap V3 pool lending the loan is locked). */
  readonly avoidPools?: readonly Address[];
}

export function chooseSwapRoute(request: RouteRequest): RouteDecision {
  if (request.tokenIn.toLowerCase() === request.tokenOut.toLowerCase()) {
    // Collateral and debt are the same token: nothing to sell (venue "none").
    return {
      ok: true,
      swap: null,
      netValueUsd: tokenAmountToUsd(request.amountIn, request.tokenOutDecimals, request.tokenOutUsd),
    };
  }
  const avoid = new Set((request.avoidPools ?? []).map((pool) => pool.toLowerCase()));
  const matching = request.quotes.filter(
    (quote) =>
      quote.venue !== "none" &&
      quote.tokenIn.toLowerCase() === request.tokenIn.toLowerCase() &&
      quote.tokenOut.toLowerCase() === request.tokenOut.toLowerCase() &&
      // A quote for another amount is stale for this plan: price impact is not linear.
      quote.amountIn === request.amountIn &&
      quote.amountOut > 0n &&
      !(quote.pools ?? []).some((pool) => avoid.has(pool.toLowerCase())),
  );
  if (matching.length === 0) {
    return {
      ok: false,
      reason: "no-route",
      detail: `no usable quote to sell ${request.amountIn} of ${request.tokenIn} for ${request.tokenOut} (${request.quotes.length} quote(s) offered)`,
    };
  }
  const scored = matching.map((quote) => {
    const outUsd = tokenAmountToUsd(quote.amountOut, request.tokenOutDecimals, request.tokenOutUsd);
    const gasUsd = tokenAmountToUsd(quote.gasEstimate * request.gasPriceWei, 18, request.nativeUsd);
    return { quote, netValueUsd: outUsd - gasUsd };
  });
  scored.sort(
    (a, b) =>
      b.netValueUsd - a.netValueUsd ||
      (a.quote.amountOut > b.quote.amountOut ? -1 : a.quote.amountOut < b.quote.amountOut ? 1 : 0) ||
      a.quote.venue.localeCompare(b.quote.venue) ||
      a.quote.route.localeCompare(b.quote.route),
  );
  const best = scored[0]!;
  return { ok: true, swap: best.quote, netValueUsd: best.netValueUsd };
}
