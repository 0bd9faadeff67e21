/**
 * Where a scenario sells the seized collateral: a route spec names the venue and the pool (fee tier, stable flag or
 * tick spacing); this file turns it into the executor's Swap struct, checks the pool exists before a plan depends on
 * it, and prices the route with the venue's own quoter so the scenario can assert the executor got exactly that.
 *
 * Venues per environment (routers come from the address book):
 * - uniswapV3: SwapRouter02 + QuoterV2, genuine bytecode on both;
 * - aerodrome: Aerodrome's v2-style Router on Base; on the sandbox the AerodromeRouterDouble of contracts/test/
 *   (Aerodrome ships no bytecode on npm), which has the same swap and quote ABI;
 * - aerodromeSlipstream: Slipstream's SwapRouter + QuoterV2 on Base; on the sandbox Uniswap's v1 SwapRouter and the
 *   sandbox QuoterV2, which take the same `exactInput` / `quoteExactInput` calls (the path's 3-byte field is a tick
 *   spacing on Slipstream and a fee on Uniswap; the executor treats it as opaque bytes).
 */
import hre from "hardhat";
import { Contract } from "ethers";
import { QuoterV2__factory, UniswapV3Factory__factory, UniswapV3Pool__factory } from "../../../typechain-types";
import type { Address, AddressBook } from "../../../keeper/config/address-book";
import { aerodromeSwap, packedPath, slipstreamSwap, uniswapSwap, type SwapStruct } from "../../unit/contracts/helpers/plans";
import { requireBookEntry, tokenInfo, type ScenarioEnvironment } from "./environment";
import { AERODROME_ROUTER_QUOTE_ABI } from "./protocol-abis";

export type SwapRouteSpec =
  | { readonly venue: "uniswapV3"; readonly fee: number }
  | { readonly venue: "aerodrome"; readonly stable: boolean }
  | { readonly venue: "aerodromeSlipstream"; readonly tickSpacing: number };

export function describeRoute(route: SwapRouteSpec): string {
  switch (route.venue) {
    case "uniswapV3":
      return `Uniswap V3 (fee ${route.fee})`;
    case "aerodrome":
      return `Aerodrome (${route.stable ? "stable" : "volatile"} pool)`;
    case "aerodromeSlipstream":
      return `Aerodrome Slipstream (tick spacing ${route.tickSpacing})`;
  }
}

function aerodromeRoutes(book: AddressBook, stable: boolean, tokenIn: Address, tokenOut: Address) {
  const aerodrome = requireBookEntry(book.aerodrome, "aerodrome", book);
  return [{ from: tokenIn, to: tokenOut, stable, factory: aerodrome.poolFactory }];
}

/** The executor's Swap struct selling all seized `tokenIn` for at least `minAmountOut` of `tokenOut`. */
export function buildSwap(book: AddressBook, route: SwapRouteSpec, tokenIn: Address, tokenOut: Address, minAmountOut: bigint): SwapStruct {
  switch (route.venue) {
    case "uniswapV3": {
      const uniswap = requireBookEntry(book.uniswapV3, "uniswapV3", book);
      return uniswapSwap(uniswap.swapRouter02, packedPath([tokenIn, tokenOut], [route.fee]), minAmountOut);
    }
    case "aerodrome": {
      const aerodrome = requireBookEntry(book.aerodrome, "aerodrome", book);
      return aerodromeSwap(aerodrome.router, aerodromeRoutes(book, route.stable, tokenIn, tokenOut), minAmountOut);
    }
    case "aerodromeSlipstream": {
      const router = requireBookEntry(book.aerodrome?.slipstreamRouter, "aerodrome.slipstreamRouter", book);
      return slipstreamSwap(router, packedPath([tokenIn, tokenOut], [route.tickSpacing]), minAmountOut);
    }
  }
}

/**
 * What the venue pays for `amountIn` at `blockTag`, from its own quoter: exact for every venue here, so quoting the
 * block before a liquidation reproduces what the liquidation's swap received.
 */
export async function quoteSwap(
  book: AddressBook,
  route: SwapRouteSpec,
  tokenIn: Address,
  tokenOut: Address,
  amountIn: bigint,
  blockTag?: number,
): Promise<bigint> {
  const overrides = blockTag === undefined ? {} : { blockTag };
  switch (route.venue) {
    case "uniswapV3": {
      const quoter = QuoterV2__factory.connect(requireBookEntry(book.uniswapV3, "uniswapV3", book).quoterV2, hre.ethers.provider);
      const path = packedPath([tokenIn, tokenOut], [route.fee]);
      return (await quoter.quoteExactInput.staticCall(path, amountIn, overrides)).amountOut;
    }
    case "aerodrome": {
      const router = new Contract(
        requireBookEntry(book.aerodrome, "aerodrome", book).router,
        AERODROME_ROUTER_QUOTE_ABI,
        hre.ethers.provider,
      );
      const routes = aerodromeRoutes(book, route.stable, tokenIn, tokenOut).map((r) => [r.from, r.to, r.stable, r.factory]);
      const amounts = (await router.getFunction("getAmountsOut").staticCall(amountIn, routes, overrides)) as bigint[];
      return amounts[amounts.length - 1];
    }
    case "aerodromeSlipstream": {
      const quoterAddress = requireBookEntry(book.aerodrome?.slipstreamQuoter, "aerodrome.slipstreamQuoter", book);
      const quoter = QuoterV2__factory.connect(quoterAddress, hre.ethers.provider);
      const path = packedPath([tokenIn, tokenOut], [route.tickSpacing]);
      return (await quoter.quoteExactInput.staticCall(path, amountIn, overrides)).amountOut;
    }
  }
}

/**
 * The Uniswap V3 pools a route may trade through, so none of them is picked as the same plan's flash lender. For a
 * Slipstream route that is the Uniswap pool whose fee equals the tick spacing: on the sandbox the Slipstream stand-in
 * trades exactly there; on Base it only excludes one Uniswap pool from the lender candidates, which costs nothing.
 */
export async function uniswapPoolsOf(book: AddressBook, route: SwapRouteSpec, tokenIn: Address, tokenOut: Address): Promise<Address[]> {
  if (route.venue === "aerodrome") return [];
  const factory = UniswapV3Factory__factory.connect(requireBookEntry(book.uniswapV3, "uniswapV3", book).factory, hre.ethers.provider);
  const fee = route.venue === "uniswapV3" ? route.fee : route.tickSpacing;
  const pool = (await factory.getPool(tokenIn, tokenOut, fee)) as Address;
  return pool === hre.ethers.ZeroAddress ? [] : [pool];
}

/**
 * Fails with a message naming the venue and pair unless selling a hundredth of a `tokenIn` on the route returns some
 * `tokenOut`: a missing or empty pool is found before a scenario opens positions, not as an opaque swap revert.
 */
export async function requireRouteLiquidity(
  env: ScenarioEnvironment,
  route: SwapRouteSpec,
  tokenIn: Address,
  tokenOut: Address,
): Promise<void> {
  const probeAmount = 10n ** BigInt(tokenInfo(env.book, tokenIn).decimals - 2);
  const pair = `${tokenInfo(env.book, tokenIn).symbol} -> ${tokenInfo(env.book, tokenOut).symbol}`;
  let out: bigint;
  try {
    out = await quoteSwap(env.book, route, tokenIn, tokenOut, probeAmount);
  } catch (error) {
    throw new Error(`${describeRoute(route)} cannot quote ${probeAmount} raw ${pair} on "${env.label}": ${(error as Error).message}`);
  }
  if (out === 0n)
    throw new Error(`${describeRoute(route)} returns nothing for ${probeAmount} raw ${pair} on "${env.label}": no pool or no liquidity`);
}

/**
 * The candidate route that pays the most for `amountIn` right now (candidates whose pool does not exist or cannot
 * quote are skipped): how a fork suite picks the Uniswap fee tier or Slipstream tick spacing to trade on without
 * hard-coding which pool is deepest at the pinned block.
 */
export async function bestRoute(
  book: AddressBook,
  candidates: readonly SwapRouteSpec[],
  tokenIn: Address,
  tokenOut: Address,
  amountIn: bigint,
): Promise<SwapRouteSpec> {
  let best: { route: SwapRouteSpec; out: bigint } | undefined;
  const failures: string[] = [];
  for (const route of candidates) {
    try {
      const out = await quoteSwap(book, route, tokenIn, tokenOut, amountIn);
      if (best === undefined || out > best.out) best = { route, out };
    } catch (error) {
      failures.push(`${describeRoute(route)}: ${(error as Error).message.split("\n")[0]}`);
    }
  }
  if (best === undefined || best.out === 0n) {
    throw new Error(
      `no route sells ${amountIn} raw ${tokenInfo(book, tokenIn).symbol} for ${tokenInfo(book, tokenOut).symbol} on "${book.network}" ` +
        `(${failures.join("; ") || "every quote was 0"})`,
    );
  }
  return best.route;
}

/** Every Uniswap V3 fee tier, as route candidates. */
export const UNISWAP_V3_FEE_ROUTES: readonly SwapRouteSpec[] = [100, 500, 3_000, 10_000].map((fee) => ({ venue: "uniswapV3", fee }));

/** The Uniswap V3 fee tier with the most in-range liquidity for a pair (what a keeper would route a large sale through). */
export async function deepestUniswapV3Fee(book: AddressBook, tokenA: Address, tokenB: Address): Promise<number> {
  const factory = UniswapV3Factory__factory.connect(requireBookEntry(book.uniswapV3, "uniswapV3", book).factory, hre.ethers.provider);
  let best: { fee: number; liquidity: bigint } | undefined;
  for (const fee of [100, 500, 3_000, 10_000]) {
    const pool = await factory.getPool(tokenA, tokenB, fee);
    if (pool === hre.ethers.ZeroAddress) continue;
    const liquidity = await UniswapV3Pool__factory.connect(pool, hre.ethers.provider).liquidity();
    if (best === undefined || liquidity > best.liquidity) best = { fee, liquidity };
  }
  if (best === undefined || best.liquidity === 0n) {
    throw new Error(
      `no Uniswap V3 pool with in-range liquidity for ${tokenInfo(book, tokenA).symbol}/${tokenInfo(book, tokenB).symbol} on "${
        book.network
      }"`,
    );
  }
  return best.fee;
}
