/**
 * Builds the markets of every enabled plug-in (registry.ts), each with its own Multicall3 client sized
 * by its section's `batchSize`, and makes sure their ids are distinct.
 */
import type { AddressBook } from "../config/address-book";
import { Multicall3Client } from "../chain/multicall";
import type { CheckpointStore } from "./checkpoint-store";
import { InMemoryCheckpointStore } from "./checkpoint-store";
import type { LendingMarket, MarketLogger } from "./market";
import type { ChainReader, MarketDependencies } from "./market-dependencies";
import type { MarketPlugin, MarketSections } from "./market-plugin";
import { MARKET_PLUGINS } from "./registry";
import { UsdPriceBook } from "./usd-prices";

export interface MarketDependencyOptions {
  readonly checkpoints?: CheckpointStore;
  /** Sub-calls per Multicall3 eth_call. */
  readonly batchSize?: number;
  readonly maxConcurrentBatches?: number;
  readonly logger?: MarketLogger;
  readonly usdPrices?: UsdPriceBook;
}

/** The dependencies of one plug-in's markets: a Multicall3 client on the book's Multicall3, checkpoints, USD prices. */
export function createMarketDependencies(
  provider: ChainReader,
  book: AddressBook,
  options: MarketDependencyOptions = {},
): MarketDependencies {
  return {
    provider,
    multicall: new Multicall3Client(provider, book.multicall3, {
      batchSize: options.batchSize,
      maxConcurrentBatches: options.maxConcurrentBatches,
    }),
    checkpoints: options.checkpoints ?? new InMemoryCheckpointStore(),
    usdPrices: options.usdPrices ?? new UsdPriceBook(),
    logger: options.logger,
  };
}

/** What every plug-in's markets share: the chain, the checkpoint store, the USD price book, the logger. */
export interface SharedMarketDependencies {
  readonly provider: ChainReader;
  readonly checkpoints: CheckpointStore;
  readonly usdPrices: UsdPriceBook;
  readonly logger?: MarketLogger;
}

/**
 * Constructs (does not initialise) the markets of every enabled section; call `init()` on each before
 * use. `sections` is the config's `markets`: a section no plug-in in `plugins` claims is an error, a
 * plug-in without a section is off.
 */
export async function createMarkets(
  book: AddressBook,
  sections: MarketSections,
  shared: SharedMarketDependencies,
  plugins: readonly MarketPlugin[] = MARKET_PLUGINS,
): Promise<LendingMarket[]> {
  const names = plugins.map((plugin) => plugin.name);
  const unclaimed = Object.keys(sections).filter((name) => !names.includes(name));
  if (unclaimed.length > 0) {
    throw new Error(`markets.${unclaimed.join(", markets.")}: no market plug-in of that name (registered: ${names.join(", ")})`);
  }
  const markets: LendingMarket[] = [];
  for (const plugin of plugins) {
    const section = sections[plugin.name];
    if (!section?.enabled) continue;
    const deps = createMarketDependencies(shared.provider, book, { ...shared, batchSize: section.batchSize });
    markets.push(...(await plugin.create(book, section, deps)));
  }
  const ids = new Set<string>();
  for (const market of markets) {
    if (ids.has(market.id)) throw new Error(`two markets share the id "${market.id}": give them distinct labels in the address book`);
    ids.add(market.id);
  }
  return markets;
}
