/**
 * Feeds behind a Moonwell OEV wrapper on a Morpho Blue market: Moonwell's isolated Morpho markets, whose
 * MorphoChainlinkOracleV2 reads its BASE_FEED_1 through a `ChainlinkOEVMorphoWrapper` (docs/oev.md, "Morpho markets").
 * The wrapper shows a new round only `maxRoundDelay` seconds after it was written, unless a liquidator unlocks it with
 * the wrapper's own `updatePriceEarlyAndLiquidate(MarketParams, …)`. Where the market can make that call (the executor's
 * `MoonwellMorphoOev` kind; morpho-blue/oev-unlock.ts decides) it evaluates and plans at the hidden round. Where it
 * cannot (a wrapper without the Morpho entry point, or one that has not approved the market):
 * - the hidden round must never reprice the market in memory: a liquidation planned at it would fail (Morpho reads the
 *   oracle, the oracle reads the wrapper, the wrapper shows the old round) until the round goes public. The wrapped
 *   feed's own address stays an emitter (the wrapper emits nothing, and a test double may); the wrapped Chainlink feed
 *   it delays, and anything that carries that feed's rounds under the wrapper's name, never is;
 * - the market sees the round when Morpho does: its per-block `price()` read (morpho-blue-market.ts onBlock) moves
 *   the price in the block the round goes public or someone unlocks it, and the plain race starts there.
 * Found by the same probe as the Core wrappers (`priceFeed`, `liquidatorFeeBps`, `maxRoundDelay`): a plain feed has
 * none of them.
 */
import type { Address } from "../config/address-book";
import type { Multicall3Client } from "../chain/multicall";
import { readOevWrappers } from "../markets/moonwell/oev-wrappers";

export interface OevWrappedFeed {
  /** The feed the oracle names: the wrapper. */
  readonly feed: Address;
  /** The Chainlink feed the wrapper delays. */
  readonly priceFeed: Address;
  readonly liquidatorFeeBps: number;
  /** Seconds a new round stays hidden from the oracle unless unlocked. */
  readonly maxRoundDelay: number;
}

/** Which of `feeds` are OEV wrappers, with their parameters as read at `blockTag`. */
export async function findOevWrappedFeeds(
  multicall: Multicall3Client,
  feeds: readonly Address[],
  blockTag: number,
): Promise<OevWrappedFeed[]> {
  if (feeds.length === 0) return [];
  const wrappers = await readOevWrappers(multicall, feeds, blockTag);
  return [...wrappers.values()].map((w) => ({
    feed: w.wrapper,
    priceFeed: w.priceFeed,
    liquidatorFeeBps: Number(w.liquidatorFeeBps),
    maxRoundDelay: w.maxRoundDelay,
  }));
}

/**
 * `emitters` (log emitter → the oracle feed its AnswerUpdated prices) without every emitter that would carry a
 * wrapped feed's hidden rounds: the delayed Chainlink feed itself, and any other emitter mapped to the wrapper.
 */
export function withoutHiddenRoundEmitters(
  emitters: ReadonlyMap<string, Address>,
  wrapped: readonly OevWrappedFeed[],
): Map<string, Address> {
  const delayed = new Set(wrapped.map((w) => w.priceFeed.toLowerCase()));
  const wrappers = new Set(wrapped.map((w) => w.feed.toLowerCase()));
  return new Map(
    [...emitters].filter(
      ([emitter, feed]) => !delayed.has(emitter) && (!wrappers.has(feed.toLowerCase()) || emitter === feed.toLowerCase()),
    ),
  );
}
