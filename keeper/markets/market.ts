/**
 * The lending-market interface. Each protocol's plug-in (Aave V3 and its forks, Morpho Blue, Moonwell;
 * registered in registry.ts) builds `LendingMarket`s; the engine talks to markets only through it.
 *
 * Life cycle, as the engine drives it:
 *   1. `init()` reads the market's configuration from chain (reserves, parameters, oracle sources).
 *   2. `discoverBorrowers(from, to)` scans event logs (chunked, checkpointed) for borrowers.
 *   3. `refreshPositions()` reads every known borrower's position in Multicall3 batches.
 *   4. Then it reacts: `onPriceUpdate` (a price feed answered: recompute in memory, no RPC),
 *      `onBlock` (indexes/interest moved: one small read, recompute in memory), `onProtocolEvents`
 *      (a borrower acted: re-read just that borrower). Each returns the positions that became
 *      liquidatable, which the strategy sizes with `sizeLiquidation`.
 *
 * Health factors are WAD bigints computed with each protocol's own integer formulas, so "below WAD"
 * here means exactly "the protocol would accept a liquidation" at the evaluated block.
 */
import type { BlockTag, Interface } from "ethers";
import type { Address } from "../config/address-book";
import type { LiquidationCandidate, MarketProtocol, TrackedPosition } from "../core/types";
import type { SizingResult } from "./sizing-result";

export type { Address };

/** The part of a block the markets use. */
export interface BlockRef {
  readonly number: number;
  /** Unix seconds. */
  readonly timestamp: number;
}

/** An inclusive block range. */
export interface BlockRange {
  readonly fromBlock: number;
  readonly toBlock: number;
}

/** A Chainlink-style answer seen on chain (`AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt)`). */
export interface FeedAnswer {
  /** The contract that emitted the update (an aggregator, or a MockV3Aggregator in the sandbox). */
  readonly feed: Address;
  readonly answer: bigint;
  readonly roundId?: bigint;
  readonly updatedAt?: number;
  readonly blockNumber: number;
  readonly logIndex?: number;
  /** Denim's millisecond time of the block that carried the update, when the node served it. */
  readonly blockTimestampMs?: number;
}

/**
 * How a market turns a feed update into its own prices.
 * - `answer-is-price`: the answer IS the protocol's price of the listed assets (Aave oracle source =
 *   the aggregator or a plain proxy of it); recomputation needs no RPC at all.
 * - `reread`: the protocol derives its price from this feed through contracts the keeper does not
 *   model (price-cap adapters, composite oracles); the market re-reads its oracle (one eth_call) and
 *   then recomputes in memory.
 */
export type FeedUpdateMode = "answer-is-price" | "reread";

/** One feed the oracle-update collector must watch for a market. */
export interface FeedSubscription {
  readonly market: string;
  /** The address whose `AnswerUpdated` logs signal a new price. */
  readonly feed: Address;
  readonly mode: FeedUpdateMode;
  /** Assets (Aave underlying tokens), Moonwell mTokens or Morpho market ids whose price this feed drives. */
  readonly affects: readonly string[];
  /** Human-readable: "WETH source 0xabc… (MockV3Aggregator)". */
  readonly description: string;
}

/** What a protocol log means to a market, decoded by the market's own subscription. */
export type ProtocolEvent =
  | {
      readonly type: "position-changed";
      readonly market: string;
      readonly borrower: Address;
      /** The event name: "Borrow", "Repay", "Supply", "LiquidationCall", "BalanceTransfer"... */
      readonly action: string;
      readonly blockNumber: number;
      readonly logIndex: number;
      readonly transactionHash: string;
    }
  | {
      readonly type: "market-changed";
      readonly market: string;
      /** e.g. "AssetSourceUpdated", "CollateralConfigurationChanged", "NewCollateralFactor". */
      readonly action: string;
      readonly blockNumber: number;
      readonly logIndex: number;
      readonly transactionHash: string;
    };

/** A raw log, as the protocol-event collector hands it to a subscription's decoder. */
export interface RawLog {
  readonly address: string;
  readonly topics: readonly string[];
  readonly data: string;
  readonly blockNumber: number;
  readonly index: number;
  readonly transactionHash: string;
}

/** The logs a market wants to hear about, and how to read them. */
export interface ProtocolEventSubscription {
  readonly market: string;
  readonly addresses: readonly Address[];
  /** topic0 values (any of them matches). */
  readonly topics: readonly string[];
  decode(log: RawLog): ProtocolEvent[];
}

export interface DiscoveryResult {
  /** Every borrower known after the scan (the checkpoint's set plus the new ones). */
  readonly borrowers: readonly Address[];
  readonly newBorrowers: readonly Address[];
  /** Last block fully scanned; a restart resumes after it. */
  readonly checkpoint: number;
  /** `getLogs` requests made, retries of halved chunks included. */
  readonly logRequests: number;
}

export interface RefreshResult {
  readonly borrowers: number;
  /** Positions with debt (the ones tracked); borrowers who repaid everything are dropped. */
  readonly tracked: number;
  readonly liquidatable: number;
  readonly blockNumber: number;
  /** eth_calls this refresh sent (Multicall3 batches plus the head lookup). */
  readonly rpcCalls: number;
}

/** What a reaction (price, block, protocol event) changed. */
export interface MarketUpdate {
  /** Positions whose health factor was recomputed. */
  readonly recomputed: number;
  /** Positions that crossed from healthy to liquidatable in this update. */
  readonly newlyLiquidatable: readonly TrackedPosition[];
}

export interface PriceReaction extends MarketUpdate {
  /** The feed is a `reread` feed for this market: call `refreshPrices()` to apply it. */
  readonly needsChainRead: boolean;
}

/** One collateral/debt pair of a position that a liquidation could target. */
export interface LiquidationPair {
  readonly collateralToken: Address;
  readonly debtToken: Address;
  /** Value of min(collateral, debt) in USD: a first ordering before the strategy prices routes. */
  readonly sizeUsd: number;
}

export interface MarketStats {
  readonly borrowers: number;
  readonly tracked: number;
  readonly liquidatable: number;
  /** Health-factor computations since start (price, block and refresh recomputes). */
  readonly recomputations: number;
  readonly evaluatedAt: BlockRef | null;
  /** Reserves priced through an oracle auction (Chainlink SVR), where a plain race is for what the winner left. */
  readonly auctionedPrices?: readonly {
    readonly asset: string;
    readonly aggregator: string;
    readonly evidence: string;
    readonly detail: string;
  }[];
  /** Oracle feeds behind a Moonwell OEV wrapper the keeper cannot unlock (Morpho markets): liquidated once public. */
  readonly oevWrappedFeeds?: readonly {
    readonly feed: string;
    readonly priceFeed: string;
    readonly liquidatorFeeBps: number;
    readonly maxRoundDelay: number;
  }[];
}

export interface LendingMarket {
  /** Unique among the engine's markets; the `market` of every PositionKey this market emits. */
  readonly id: string;
  /** The market plug-in's name (registry.ts): the `protocol` of every PositionKey this market emits. */
  readonly protocol: MarketProtocol;
  readonly label: string;
  /** The first block worth scanning for borrowers (the protocol's deployment); discovery never starts earlier. */
  readonly discoveryStartBlock: number;

  init(): Promise<void>;

  /**
   * Scans the market's borrow events for borrowers. Resumes after the stored checkpoint when there
   * is one (`fromBlock` only applies to a market that has never been scanned), scans in chunks no
   * wider than the configured span that shrink when the node refuses one and grow back as it accepts
   * (adaptive-log-scan.ts), and saves the checkpoint after every chunk so a restart never rescans a
   * covered range.
   */
  discoverBorrowers(fromBlock: number, toBlock: number): Promise<DiscoveryResult>;

  /** Re-reads positions (all known borrowers when `borrowers` is omitted) at one block, in Multicall3 batches. */
  refreshPositions(borrowers?: readonly Address[], blockTag?: number): Promise<RefreshResult>;

  /** Applies a feed answer in memory and recomputes only the positions that hold an affected asset. */
  onPriceUpdate(update: FeedAnswer): PriceReaction;

  /** Re-reads the oracle prices (and `reread` feeds) and recomputes affected positions. */
  refreshPrices(blockTag?: BlockTag): Promise<MarketUpdate>;

  /**
   * New block: refresh reserve indexes / market totals cheaply (one batch) and recompute in memory
   * the positions time can have moved: those near HF 1, a slice of the rolling full pass, every
   * position when interest outgrew the near band (evaluation-schedule.ts).
   */
  onBlock(block: BlockRef): Promise<MarketUpdate>;

  /**
   * Re-evaluates every position at `block`'s timestamp from what is in memory (no RPC): interest
   * accrues by the protocol's own formulas from the last known indexes and rates. Exact as long as no
   * protocol action changed those since they were read; `onBlock` re-reads them.
   */
  evaluateAt(block: BlockRef): MarketUpdate;

  /** Protocol events from the collector over `range`: re-reads touched borrowers, adds new ones. */
  onProtocolEvents(events: readonly ProtocolEvent[], range: BlockRange): Promise<MarketUpdate>;

  /** Every tracked position with a health factor below WAD. */
  liquidatable(): TrackedPosition[];
  position(borrower: Address): TrackedPosition | undefined;
  positions(): TrackedPosition[];
  borrowers(): readonly Address[];

  /** The collateral/debt pairs a liquidation of this position could choose, largest first. */
  liquidationPairs(position: TrackedPosition): LiquidationPair[];
  /**
   * Sizes a liquidation by the protocol's own rules (largest pair by default); null when refused. The
   * candidate carries the executor call (`LiquidationCall`) this market's protocol needs.
   */
  sizeLiquidation(position: TrackedPosition, pair?: LiquidationPair): LiquidationCandidate | null;
  /** As `sizeLiquidation`, with the refusal reason when there is one. */
  sizeLiquidationWithReason(position: TrackedPosition, pair?: LiquidationPair): SizingResult;
  /**
   * The price unlock a liquidation of `position` would make public for everyone, if any (an OEV wrapper's hidden round):
   * the first such liquidation on chain ends the window for every position that shares it, so the reaction plans and
   * sends them together (reaction-chunks.ts). Undefined: nothing this position's liquidation unlocks.
   */
  sharedUnlock?(position: TrackedPosition): string | undefined;
  /**
   * The custom errors this protocol's contracts revert with (their TypeChain interfaces), so a simulation the protocol
   * refused names the reason (`HealthFactorNotBelowThreshold()`) in the journal instead of a bare selector. Undefined:
   * the protocol reverts with strings, which decode without it.
   */
  readonly revertErrors?: readonly Interface[];

  priceFeeds(): FeedSubscription[];
  protocolEventSubscriptions(): ProtocolEventSubscription[];
  stats(): MarketStats;
}

/** pino-compatible subset, so markets log through the engine's child logger without depending on pino. */
export interface MarketLogger {
  debug(details: object, message?: string): void;
  info(details: object, message?: string): void;
  warn(details: object, message?: string): void;
}

export const SILENT_LOGGER: MarketLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
};
