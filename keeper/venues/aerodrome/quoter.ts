/**
 * Quotes Aerodrome v2 pools (volatile x·y=k and stable x³y+y³x) through the Router's
 * `getAmountsOut(amountIn, Route[])`, a view that walks the same pools `swapExactTokensForTokens` would.
 *
 * Candidates per request: the direct volatile and stable pools between tokenIn and tokenOut, then two
 * hops through each connector token (WETH and USDC by default) with every volatile/stable combination
 * of the legs, all on the router's default pool factory. Pools are not looked up first: a candidate
 * whose pool does not exist makes getAmountsOut revert, and that sub-call simply yields no quote —
 * every candidate of every request goes in ONE Multicall3 aggregate3 with allowFailure.
 *
 * A quote's `route` is `abi.encode(AerodromeRoute[])`, what IChimeraExecutor's Swap.route carries for
 * SwapVenue.Aerodrome (contracts/interfaces/IAerodromeRouter.sol).
 */
import { AbiCoder } from "ethers";
import { IAerodromeRouter__factory } from "../../../typechain-types";
import type { Address, AerodromeDeployment } from "../../config/address-book";
import type { SwapQuote } from "../../core/types";
import { decodeUintWord, type MulticallResult, type Multicall3Client } from "../../chain/multicall";
import { BatchedVenueQuoter, type PreparedCalls, type QuoteRequest } from "../venue-plugin";

/** The Aerodrome venue plug-in's name. */
export const AERODROME = "aerodrome";

/** One hop: the pool of (`from`, `to`, `stable`) deployed by `factory`. Field order is the Solidity struct's. */
export interface AerodromeRouteHop {
  readonly from: Address;
  readonly to: Address;
  readonly stable: boolean;
  readonly factory: Address;
}

/**
 * Gas the swap itself costs, the figure chooseSwapRoute weighs against extra output (the same basis as
 * QuoterV2's gasEstimate for Uniswap: the swap only, not the liquidation around it). A first hop through
 * the Router is ~110k: the router's pool-address derivation and factory check, the ERC-20 transferFrom
 * into a cold pool (~30k), and Pool.swap (~65k: reserve reads and writes, the cumulative-price
 * observation, the fee transfer to PoolFees and the token transfer out). Each extra hop is another
 * Pool.swap on a cold pool with its tokens already moving pool-to-pool: ~60k.
 */
export const AERODROME_FIRST_HOP_GAS = 110_000n;
export const AERODROME_EXTRA_HOP_GAS = 60_000n;

export function aerodromeRouteGas(hops: number): bigint {
  return hops <= 0 ? 0n : AERODROME_FIRST_HOP_GAS + AERODROME_EXTRA_HOP_GAS * BigInt(hops - 1);
}

const ROUTES_TYPE = ["tuple(address from, address to, bool stable, address factory)[]"];
const abi = AbiCoder.defaultAbiCoder();
const routerInterface = IAerodromeRouter__factory.createInterface();

/** `abi.encode(AerodromeRoute[])`: the bytes Swap.route carries for the Aerodrome venue. */
export function encodeAerodromeRoute(hops: readonly AerodromeRouteHop[]): string {
  return abi.encode(ROUTES_TYPE, [hops.map((hop) => [hop.from, hop.to, hop.stable, hop.factory])]);
}

export function decodeAerodromeRoute(route: string): AerodromeRouteHop[] {
  let decoded;
  try {
    decoded = abi.decode(ROUTES_TYPE, route);
  } catch (error) {
    throw new Error(`not an abi-encoded AerodromeRoute[] (${route.slice(0, 74)}...): ${(error as Error).message}`);
  }
  return (decoded[0] as unknown as [string, string, boolean, string][]).map(([from, to, stable, factory]) => ({
    from: from as Address,
    to: to as Address,
    stable,
    factory: factory as Address,
  }));
}

export interface AerodromeQuoterOptions {
  /** Tokens a two-hop route may pass through (WETH and USDC on Base). Order decides quote order only. */
  readonly connectors: readonly Address[];
}

export class AerodromeQuoter extends BatchedVenueQuoter {
  readonly venue = AERODROME;
  private readonly connectors: readonly Address[];

  /** The Router both quotes (getAmountsOut) and sells (swapExactTokensForTokens) for the executor. */
  constructor(
    private readonly deployment: Pick<AerodromeDeployment, "router" | "poolFactory">,
    multicall: Multicall3Client,
    options: AerodromeQuoterOptions,
  ) {
    super(multicall);
    this.connectors = dedupe(options.connectors);
  }

  /** Every candidate route from tokenIn to tokenOut, direct pools first. */
  candidateRoutes(tokenIn: Address, tokenOut: Address): AerodromeRouteHop[][] {
    const factory = this.deployment.poolFactory;
    const hop = (from: Address, to: Address, stable: boolean): AerodromeRouteHop => ({ from, to, stable, factory });
    const routes: AerodromeRouteHop[][] = [[hop(tokenIn, tokenOut, false)], [hop(tokenIn, tokenOut, true)]];
    const ends = new Set([tokenIn.toLowerCase(), tokenOut.toLowerCase()]);
    for (const connector of this.connectors) {
      if (ends.has(connector.toLowerCase())) continue;
      for (const firstStable of [false, true]) {
        for (const secondStable of [false, true]) {
          routes.push([hop(tokenIn, connector, firstStable), hop(connector, tokenOut, secondStable)]);
        }
      }
    }
    return routes;
  }

  prepareQuotes(requests: readonly QuoteRequest[]): PreparedCalls<SwapQuote[][]> {
    const jobs: { request: number; hops: AerodromeRouteHop[] }[] = [];
    requests.forEach((request, index) => {
      if (request.amountIn <= 0n || request.tokenIn.toLowerCase() === request.tokenOut.toLowerCase()) return;
      for (const hops of this.candidateRoutes(request.tokenIn, request.tokenOut)) jobs.push({ request: index, hops });
    });
    return {
      calls: jobs.map((job) => this.getAmountsOutCall(requests[job.request].amountIn, job.hops)),
      read: (results) => {
        const out: SwapQuote[][] = requests.map(() => []);
        results.forEach((result, index) => {
          const job = jobs[index];
          const amountOut = finalAmount(result, job.hops.length);
          if (amountOut === 0n) return;
          const request = requests[job.request];
          out[job.request].push({
            venue: this.venue,
            executorVenue: "Aerodrome",
            router: this.deployment.router,
            tokenIn: request.tokenIn,
            tokenOut: request.tokenOut,
            amountIn: request.amountIn,
            amountOut,
            route: encodeAerodromeRoute(job.hops),
            gasEstimate: aerodromeRouteGas(job.hops.length),
          });
        });
        return out;
      },
    };
  }

  prepareRouteQuotes(route: string, amounts: readonly bigint[]): PreparedCalls<bigint[]> {
    const hops = decodeAerodromeRoute(route);
    if (hops.length === 0) return { calls: [], read: () => amounts.map(() => 0n) };
    return {
      calls: amounts.map((amount) => this.getAmountsOutCall(amount, hops)),
      read: (results) => results.map((result) => finalAmount(result, hops.length)),
    };
  }

  private getAmountsOutCall(amountIn: bigint, hops: readonly AerodromeRouteHop[]) {
    return {
      target: this.deployment.router,
      callData: routerInterface.encodeFunctionData("getAmountsOut", [amountIn, hops.map((hop) => ({ ...hop }))]),
    };
  }
}

/**
 * The last element of getAmountsOut's uint256[] (amountIn, then one amount per hop); 0 for a failed
 * call or an answer of the wrong shape, which is "no quote", never an error.
 */
function finalAmount(result: MulticallResult, hops: number): bigint {
  // offset word, length word, then hops + 1 amounts
  if (!result.success || result.returnData.length < 2 + 64 * (hops + 3)) return 0n;
  if (decodeUintWord(result.returnData, 1) !== BigInt(hops + 1)) return 0n;
  return decodeUintWord(result.returnData, 2 + hops);
}

function dedupe(tokens: readonly Address[]): Address[] {
  const seen = new Set<string>();
  return tokens.filter((token) => {
    const key = token.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
