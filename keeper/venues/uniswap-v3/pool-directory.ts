/**
 * Which Uniswap V3 pools exist between the address book's tokens, read once at start (one Multicall3
 * batch of `factory.getPool`), and the candidate routes between two tokens: every direct pool, and
 * two hops through a hub token (WETH, USDC) where both legs exist. A token with no pool at all (the
 * sandbox's cbETH) simply has no route, which the strategy reports as "no-route".
 */
import { solidityPacked } from "ethers";
import { UniswapV3Factory__factory } from "../../../typechain-types";
import type { Address, AddressBook } from "../../config/address-book";
import { decodeAddressWord, type Multicall3Client } from "../../chain/multicall";

/** Every fee tier Uniswap V3 enables by default. */
export const UNISWAP_FEE_TIERS = [100, 500, 3000, 10000] as const;
/** Tokens worth routing through when no direct pool is deep enough. */
const HUB_SYMBOLS = ["WETH", "USDC"];

export interface UniswapPoolInfo {
  readonly pool: Address;
  readonly tokenA: Address;
  readonly tokenB: Address;
  /** Hundredths of a basis point (500 = 0.05%). */
  readonly fee: number;
}

export interface UniswapRoute {
  /** Tokens from tokenIn to tokenOut. */
  readonly tokens: readonly Address[];
  readonly fees: readonly number[];
  readonly pools: readonly Address[];
  /** Packed path (token, fee, token, ...), what QuoterV2.quoteExactInput and SwapRouter02.exactInput take. */
  readonly path: string;
}

const ZERO = "0x0000000000000000000000000000000000000000";

function lower(address: string): Address {
  return address.toLowerCase() as Address;
}

export class UniswapPoolDirectory {
  private readonly pools = new Map<string, UniswapPoolInfo[]>();
  private readonly hubs: Address[];

  private constructor(hubs: Address[]) {
    this.hubs = hubs;
  }

  /** Looks up every (token pair, fee tier) of the book's tokens on the factory. */
  static async load(book: AddressBook, multicall: Multicall3Client): Promise<UniswapPoolDirectory> {
    const tokens = Object.values(book.tokens).map((token) => lower(token.address));
    const hubs = HUB_SYMBOLS.map((symbol) => book.tokens[symbol]?.address)
      .filter((a): a is Address => a !== undefined)
      .map(lower);
    const directory = new UniswapPoolDirectory(hubs);
    if (book.uniswapV3 === undefined || tokens.length < 2) return directory;
    const factory = UniswapV3Factory__factory.createInterface();
    const requests: { tokenA: Address; tokenB: Address; fee: number }[] = [];
    for (let i = 0; i < tokens.length; i++) {
      for (let j = i + 1; j < tokens.length; j++) {
        for (const fee of UNISWAP_FEE_TIERS) requests.push({ tokenA: tokens[i], tokenB: tokens[j], fee });
      }
    }
    const results = await multicall.aggregate3(
      requests.map((request) => ({
        target: book.uniswapV3!.factory,
        callData: factory.encodeFunctionData("getPool", [request.tokenA, request.tokenB, request.fee]),
      })),
    );
    results.forEach((result, index) => {
      if (!result.success || result.returnData.length < 66) return;
      const pool = decodeAddressWord(result.returnData);
      if (pool === ZERO) return;
      directory.add({ ...requests[index], pool: lower(pool) });
    });
    return directory;
  }

  /** Builds a directory from known pools (tests, or a book that lists them). */
  static fromPools(pools: readonly UniswapPoolInfo[], hubs: readonly Address[]): UniswapPoolDirectory {
    const directory = new UniswapPoolDirectory(hubs.map(lower));
    for (const pool of pools) directory.add(pool);
    return directory;
  }

  private add(info: UniswapPoolInfo): void {
    const normalised = { ...info, pool: lower(info.pool), tokenA: lower(info.tokenA), tokenB: lower(info.tokenB) };
    for (const key of [pairKey(normalised.tokenA, normalised.tokenB)]) {
      const list = this.pools.get(key) ?? [];
      list.push(normalised);
      this.pools.set(key, list);
    }
  }

  /** Pools between two tokens, any fee tier. */
  between(tokenA: Address, tokenB: Address): readonly UniswapPoolInfo[] {
    return this.pools.get(pairKey(lower(tokenA), lower(tokenB))) ?? [];
  }

  /** Every pool holding `token` (flash sources for it). */
  holding(token: Address): UniswapPoolInfo[] {
    const wanted = lower(token);
    return [...this.pools.values()].flat().filter((pool) => pool.tokenA === wanted || pool.tokenB === wanted);
  }

  get size(): number {
    return [...this.pools.values()].reduce((sum, list) => sum + list.length, 0);
  }

  /** Direct routes first, then two-hop routes through each hub. */
  routes(tokenIn: Address, tokenOut: Address): UniswapRoute[] {
    const from = lower(tokenIn);
    const to = lower(tokenOut);
    const routes: UniswapRoute[] = this.between(from, to).map((pool) => route([from, to], [pool.fee], [pool.pool]));
    for (const hub of this.hubs) {
      if (hub === from || hub === to) continue;
      for (const first of this.between(from, hub)) {
        for (const second of this.between(hub, to)) {
          routes.push(route([from, hub, to], [first.fee, second.fee], [first.pool, second.pool]));
        }
      }
    }
    return routes;
  }
}

function pairKey(a: Address, b: Address): string {
  return a < b ? `${a}/${b}` : `${b}/${a}`;
}

function route(tokens: Address[], fees: number[], pools: Address[]): UniswapRoute {
  const types: string[] = [];
  const values: (string | number)[] = [];
  tokens.forEach((token, index) => {
    types.push("address");
    values.push(token);
    if (index < fees.length) {
      types.push("uint24");
      values.push(fees[index]);
    }
  });
  return { tokens, fees, pools, path: solidityPacked(types, values) };
}
