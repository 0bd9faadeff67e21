/**
 * Where each market's liquidations go on chain. A LiquidationPlan names its market by the plug-in id
 * (`candidate.key.market`), while the executor contract needs addresses: the Aave pool, Morpho Blue
 * and the market's MarketParams, the router of each swap venue. This table is built once, after the
 * markets are initialised, from the address book and the markets themselves, so the encoder never
 * guesses an address from an id's spelling.
 */
import type { AddressBook, Address, MorphoMarketParams } from "../config/address-book";
import type { ProtocolKind, SwapVenue } from "../core/types";
import { AaveV3Market } from "../markets/aave-v3/aave-v3-market";
import type { LendingMarket } from "../markets/market";
import { MorphoBlueMarket, morphoMarketIdOf } from "../markets/morpho-blue/morpho-blue-market";

export type MarketTarget =
  | { readonly protocol: "aaveV3"; readonly pool: Address }
  | { readonly protocol: "morphoBlue"; readonly morpho: Address; readonly params: MorphoMarketParams }
  /** Compound-v2 plans carry both market addresses in their call arguments. */
  | { readonly protocol: "moonwell" };

export interface ExecutorTargets {
  readonly executor: Address;
  readonly markets: ReadonlyMap<string, MarketTarget>;
  /** The router the executor calls for each swap venue the keeper can quote. */
  readonly routers: Readonly<Partial<Record<Exclude<SwapVenue, "none">, Address>>>;
}

export class UnknownMarketTargetError extends Error {
  override readonly name = "UnknownMarketTargetError";
}

/** Resolves each market's on-chain target; throws naming the market when one cannot be resolved. */
export function buildExecutorTargets(executor: Address, book: AddressBook, markets: readonly LendingMarket[]): ExecutorTargets {
  const table = new Map<string, MarketTarget>();
  for (const market of markets) table.set(market.id, targetOf(market, book));
  const routers: Partial<Record<Exclude<SwapVenue, "none">, Address>> = {};
  if (book.uniswapV3) routers.uniswapV3 = book.uniswapV3.swapRouter02;
  if (book.aerodrome) routers.aerodrome = book.aerodrome.router;
  return { executor, markets: table, routers };
}

function targetOf(market: LendingMarket, book: AddressBook): MarketTarget {
  if (market instanceof AaveV3Market) {
    // The market re-reads the pool from its PoolAddressesProvider at init: that is the pool to call.
    return { protocol: "aaveV3", pool: market.describe().pool };
  }
  if (market instanceof MorphoBlueMarket) {
    const morpho = book.morphoBlue;
    const params = morpho?.markets.find((candidate) => morphoMarketIdOf(candidate) === market.marketId);
    if (morpho === undefined || params === undefined) {
      throw new UnknownMarketTargetError(
        `market ${market.id}: no MarketParams in the "${book.network}" address book hash to its id ${market.marketId}`,
      );
    }
    return { protocol: "morphoBlue", morpho: morpho.morpho, params };
  }
  const protocol: ProtocolKind = market.protocol;
  if (protocol === "moonwell") return { protocol };
  throw new UnknownMarketTargetError(`market ${market.id}: the executor has no target for protocol "${protocol}"`);
}
