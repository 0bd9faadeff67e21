/**
 * Lending-market plug-ins: the interface the engine uses, the factory that builds the enabled ones,
 * and the pieces an engine or test wires around them. See keeper/markets/README.md.
 */
export type {
  BlockRange,
  BlockRef,
  DiscoveryResult,
  FeedAnswer,
  FeedSubscription,
  FeedUpdateMode,
  LendingMarket,
  LiquidationPair,
  MarketLogger,
  MarketStats,
  MarketUpdate,
  PriceReaction,
  ProtocolEvent,
  ProtocolEventSubscription,
  RawLog,
  RefreshResult,
} from "./market";
export { SILENT_LOGGER } from "./market";
export type { ChainReader, CommonMarketOptions, MarketDependencies } from "./market-dependencies";
export type { BorrowerCheckpoint, CheckpointStore } from "./checkpoint-store";
export { InMemoryCheckpointStore } from "./checkpoint-store";
export { UsdPriceBook } from "./usd-prices";
export {
  createMarketDependencies,
  createMarkets,
  MARKET_FACTORIES,
  type MarketDependencyOptions,
  type MarketKindConfig,
  type MarketsConfig,
  type MorphoBlueKindConfig,
} from "./factory";
export { AaveV3Market, type AaveV3MarketOptions } from "./aave-v3/aave-v3-market";
export { MorphoBlueMarket, morphoMarketIdOf, type MorphoBlueMarketOptions } from "./morpho-blue/morpho-blue-market";
export { MoonwellMarket, NATIVE_UNDERLYING, type MoonwellMarketOptions } from "./moonwell/moonwell-market";
