/**
 * Builds the enabled market plug-ins from the address book: one factory per protocol kind, all behind
 * `createMarkets`. Adding a market family means adding its factory here (keeper/markets/README.md).
 */
import type { AddressBook } from "../config/address-book";
import type { ProtocolKind } from "../core/types";
import { Multicall3Client } from "../chain/multicall";
import { AaveV3Market } from "./aave-v3/aave-v3-market";
import type { CheckpointStore } from "./checkpoint-store";
import { InMemoryCheckpointStore } from "./checkpoint-store";
import { MoonwellMarket } from "./moonwell/moonwell-market";
import type { LendingMarket, MarketLogger } from "./market";
import type { ChainReader, CommonMarketOptions, MarketDependencies } from "./market-dependencies";
import { MorphoBlueMarket } from "./morpho-blue/morpho-blue-market";
import { UsdPriceBook } from "./usd-prices";

export interface MarketKindConfig extends CommonMarketOptions {
  readonly enabled: boolean;
}

export interface MorphoBlueKindConfig extends MarketKindConfig {
  /** Labels of the address book's Morpho markets to track; all of them when omitted. */
  readonly markets?: readonly string[];
}

/** Which market families run, with per-family options. A family absent here is disabled. */
export interface MarketsConfig {
  readonly aaveV3?: MarketKindConfig;
  readonly morphoBlue?: MorphoBlueKindConfig;
  readonly moonwell?: MarketKindConfig;
}

type MarketFactory = (book: AddressBook, config: MarketKindConfig, deps: MarketDependencies) => LendingMarket[];

export const MARKET_FACTORIES: Readonly<Record<ProtocolKind, MarketFactory>> = {
  aaveV3: (book, config, deps) => {
    if (!book.aaveV3) throw new Error(`markets.aaveV3 is enabled but the "${book.network}" address book has no aaveV3 entry`);
    return [new AaveV3Market(book.aaveV3, deps, config)];
  },
  morphoBlue: (book, config, deps) => {
    const morpho = book.morphoBlue;
    if (!morpho) throw new Error(`markets.morphoBlue is enabled but the "${book.network}" address book has no morphoBlue entry`);
    const wanted = (config as MorphoBlueKindConfig).markets;
    const unknown = wanted?.filter((label) => !morpho.markets.some((m) => m.label === label)) ?? [];
    if (unknown.length > 0) {
      throw new Error(
        `markets.morphoBlue.markets names ${unknown.join(", ")}, which the "${book.network}" address book does not list ` +
          `(known: ${morpho.markets.map((m) => m.label).join(", ") || "none"})`,
      );
    }
    return morpho.markets
      .filter((params) => !wanted || wanted.includes(params.label))
      .map((params) => new MorphoBlueMarket(morpho.morpho, params, deps, morpho.deployBlock, config));
  },
  moonwell: (book, config, deps) => {
    if (!book.moonwell) throw new Error(`markets.moonwell is enabled but the "${book.network}" address book has no moonwell entry`);
    return [new MoonwellMarket(book.moonwell, deps, config)];
  },
};

/** Constructs (does not initialise) every enabled market; call `init()` on each before use. */
export function createMarkets(book: AddressBook, config: MarketsConfig, deps: MarketDependencies): LendingMarket[] {
  const markets: LendingMarket[] = [];
  for (const kind of Object.keys(MARKET_FACTORIES) as ProtocolKind[]) {
    const kindConfig = config[kind];
    if (!kindConfig?.enabled) continue;
    markets.push(...MARKET_FACTORIES[kind](book, kindConfig, deps));
  }
  const ids = new Set<string>();
  for (const market of markets) {
    if (ids.has(market.id)) throw new Error(`two markets share the id "${market.id}": give them distinct labels in the address book`);
    ids.add(market.id);
  }
  return markets;
}

export interface MarketDependencyOptions {
  readonly checkpoints?: CheckpointStore;
  /** Sub-calls per Multicall3 eth_call. */
  readonly batchSize?: number;
  readonly maxConcurrentBatches?: number;
  readonly logger?: MarketLogger;
  readonly usdPrices?: UsdPriceBook;
}

/** The shared dependencies markets take: a Multicall3 client on the book's Multicall3, a checkpoint store, USD prices. */
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
