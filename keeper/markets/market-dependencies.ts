/**
 * What every market receives in its constructor (Morpho liquidation bot style: dependencies in,
 * nothing global). `createMarkets` (factory.ts) builds one set per plug-in from what the engine shares,
 * with a Multicall3 client batching that plug-in's own `batchSize`.
 */
import type { CallProvider, Multicall3Client } from "../chain/multicall";
import type { LogProvider } from "../collectors/log-range-fetcher";
import type { CheckpointStore } from "./checkpoint-store";
import type { MarketLogger } from "./market";
import type { UsdPriceBook } from "./usd-prices";

/** The provider methods markets use; ethers' Provider (and HardhatEthersProvider) satisfy it. */
export interface ChainReader extends CallProvider, LogProvider {
  getBlockNumber(): Promise<number>;
}

export interface MarketDependencies {
  readonly provider: ChainReader;
  readonly multicall: Multicall3Client;
  readonly checkpoints: CheckpointStore;
  /** Shared across markets: USD-priced markets write, the others read (see usd-prices.ts). */
  readonly usdPrices: UsdPriceBook;
  readonly logger?: MarketLogger;
}

/** Options every market accepts. */
export interface CommonMarketOptions {
  /** Widest eth_getLogs request, in blocks. */
  readonly maxLogBlockSpan?: number;
  /**
   * Evaluate health factors this many seconds after the latest block, to anticipate the interest
   * the next block accrues (0 = exactly the pool's view at the latest block).
   */
  readonly lookaheadSeconds?: number;
  /**
   * Answer a price move through the crossing index (crossing-index.ts) where the plug-in models its
   * prices (default true); false re-evaluates every holder of the moved key, as a reference.
   */
  readonly crossingIndex?: boolean;
}
