/**
 * Which Chainlink feeds move Moonwell's prices, and how. Moonwell's ChainlinkOracle names a feed per
 * token symbol (`getFeed(symbol)`) and computes getUnderlyingPrice = answer · 10^(18 − feedDecimals) ·
 * 10^(18 − underlyingDecimals), unless the admin posted a price for the asset (`assetPrices`), which
 * then moves only by admin action. A feed whose answer reproduces the oracle's price exactly at load
 * time is modelled (a new answer is the new price, no RPC); any other is re-read from the oracle.
 * Both the proxy and the aggregator behind it are watched: the aggregator emits AnswerUpdated.
 *
 * A feed that is a Moonwell OEV wrapper (oev-wrappers.ts) is modelled through the Chainlink feed it
 * delays: that feed's new rounds are the prices the wrapper will unlock. Whether a round is hidden is not
 * decided here but at every read (hidden-rounds.ts, keeper/oracles/oev-round-facts.ts): `wrapped` lists
 * each wrapped market with the scale that turns the delayed feed's answer into its price.
 */
import type { Address } from "../../config/address-book";
import { decodeAddressWord, decodeIntWord, decodeUintWord, type MulticallCall, type Multicall3Client } from "../../chain/multicall";
import type { FeedSubscription } from "../market";
import { returnedWord } from "../multicall-results";
import { lowerAddress } from "../tracked-lending-market";
import { CHAINLINK_FEED, ERC20_METADATA, ORACLE } from "./moonwell-abi";
import { NATIVE_UNDERLYING, type MTokenMarkets } from "./mtoken-markets";
import { readOevWrappers, type OevWrapper } from "./oev-wrappers";

const ZERO = "0x0000000000000000000000000000000000000000";

/** A feed whose answer is a market's price once scaled: price = answer · scale. */
export interface FeedModel {
  readonly market: Address;
  readonly feed: Address;
  readonly scale: bigint;
}

export interface MoonwellFeeds {
  /** Lower-case emitter → the markets whose price its answer gives. */
  readonly models: ReadonlyMap<string, readonly FeedModel[]>;
  /** Lower-case emitter → markets whose price must be re-read from the oracle when it updates. */
  readonly reread: ReadonlyMap<string, readonly Address[]>;
  /** Market → the OEV wrapper its oracle feed is. */
  readonly oev: ReadonlyMap<string, OevWrapper>;
  /** Lower-case emitter → the OEV wrapper whose delayed feed it is. */
  readonly oevEmitters: ReadonlyMap<string, OevWrapper>;
  /** Each market whose feed is a wrapper, with the scale of the delayed feed's answer (price = answer · scale). */
  readonly wrapped: readonly WrappedMarket[];
}

/** A market priced through an OEV wrapper. */
export interface WrappedMarket {
  readonly market: Address;
  readonly wrapper: OevWrapper;
  readonly scale: bigint;
}

/** A price a wrapper hides from the protocol until `publicAt` (unix seconds) unless someone unlocks it. */
export interface HiddenRound {
  readonly market: Address;
  readonly priceMantissa: bigint;
  readonly publicAt: number;
}

interface FeedDetails {
  readonly decimals?: number;
  readonly answer?: bigint;
  readonly aggregator?: Address;
}

export async function resolveMoonwellFeeds(
  multicall: Multicall3Client,
  oracle: Address,
  markets: MTokenMarkets,
  blockTag: number,
): Promise<MoonwellFeeds> {
  const feedOf = await feedsOfMarkets(multicall, oracle, markets, blockTag);
  const feeds = [...new Set(feedOf.values())];
  const wrappers = await readOevWrappers(multicall, feeds, blockTag);
  const sources = [...wrappers.values()].map((w) => w.priceFeed);
  const details = await readFeedDetails(multicall, [...new Set([...feeds, ...sources])], blockTag);
  const models = new Map<string, FeedModel[]>();
  const reread = new Map<string, Address[]>();
  const oev = new Map<string, OevWrapper>();
  const oevEmitters = new Map<string, OevWrapper>();
  const wrapped: WrappedMarket[] = [];
  const add = <T>(map: Map<string, T[]>, key: string, value: T): void => {
    const list = map.get(key.toLowerCase()) ?? [];
    list.push(value);
    map.set(key.toLowerCase(), list);
  };
  for (const [market, feed] of feedOf) {
    const info = markets.get(market)!;
    // What the oracle reads (a plain feed, or a wrapper's delayed view) and where new rounds appear.
    const detail = details.get(feed)!;
    const wrapper = wrappers.get(feed);
    const source = wrapper ? details.get(wrapper.priceFeed)! : detail;
    const emitters = [wrapper?.priceFeed ?? feed, ...(source.aggregator ? [source.aggregator] : [])];
    // Moonwell's ChainlinkOracle: answer·10^(18−feedDecimals), then ·10^(18−underlyingDecimals) for ERC-20 markets.
    const exponent =
      detail.decimals === undefined
        ? undefined
        : 36 - detail.decimals - (info.underlying === NATIVE_UNDERLYING ? 18 : info.underlyingDecimals);
    const scale = exponent !== undefined && exponent >= 0 ? 10n ** BigInt(exponent) : undefined;
    const modelled = scale !== undefined && detail.answer !== undefined && detail.answer > 0n ? detail.answer * scale : undefined;
    for (const emitter of emitters) {
      if (modelled !== undefined && modelled === info.priceMantissa) add(models, emitter, { market, feed, scale: scale! });
      else add(reread, emitter, market);
      if (wrapper) oevEmitters.set(emitter.toLowerCase(), wrapper);
    }
    if (!wrapper) continue;
    oev.set(market, wrapper);
    if (scale !== undefined) wrapped.push({ market, wrapper, scale });
  }
  return { models, reread, oev, oevEmitters, wrapped };
}

/** The feed subscriptions the oracle-update collector needs for `marketId`. */
export function moonwellFeedSubscriptions(marketId: string, feeds: MoonwellFeeds): FeedSubscription[] {
  const out: FeedSubscription[] = [];
  for (const [emitter, models] of feeds.models) {
    const affects = models.map((m) => m.market);
    out.push({
      market: marketId,
      feed: emitter as Address,
      mode: "answer-is-price",
      affects,
      description: `feed of ${affects.join(", ")}`,
    });
  }
  for (const [emitter, affects] of feeds.reread) {
    if (feeds.models.has(emitter)) continue;
    out.push({
      market: marketId,
      feed: emitter as Address,
      mode: "reread",
      affects: [...affects],
      description: `feed (re-read) of ${affects.join(", ")}`,
    });
  }
  return out;
}

/** Each market's feed as the oracle names it by symbol; markets with a posted price have none. */
async function feedsOfMarkets(
  multicall: Multicall3Client,
  oracle: Address,
  markets: MTokenMarkets,
  blockTag: number,
): Promise<Map<Address, Address>> {
  const symbolCalls: MulticallCall[] = markets.order.map((market) => {
    const info = markets.get(market)!;
    return {
      target: info.underlying === NATIVE_UNDERLYING ? market : info.underlying,
      callData: ERC20_METADATA.encodeFunctionData("symbol"),
    };
  });
  const symbols = await multicall.aggregate3(symbolCalls, blockTag);
  const feedCalls: MulticallCall[] = markets.order.flatMap((market, i) => {
    const symbol = returnedWord(symbols[i]) ? (ERC20_METADATA.decodeFunctionResult("symbol", symbols[i].returnData)[0] as string) : "";
    const underlying = markets.get(market)!.underlying;
    return [
      { target: oracle, callData: ORACLE.encodeFunctionData("getFeed", [symbol]) },
      { target: oracle, callData: ORACLE.encodeFunctionData("assetPrices", [underlying === NATIVE_UNDERLYING ? ZERO : underlying]) },
    ];
  });
  const feeds = await multicall.aggregate3(feedCalls, blockTag);
  const feedOf = new Map<Address, Address>();
  markets.order.forEach((market, i) => {
    const overridden = returnedWord(feeds[2 * i + 1]) && decodeUintWord(feeds[2 * i + 1].returnData) !== 0n;
    if (overridden || !returnedWord(feeds[2 * i])) return; // a posted price moves only by admin action (PricePosted)
    const feed = lowerAddress(decodeAddressWord(feeds[2 * i].returnData));
    if (feed !== ZERO) feedOf.set(market, feed);
  });
  return feedOf;
}

/** Decimals, latest answer and (for a proxy) the aggregator behind each feed: one batch. */
async function readFeedDetails(
  multicall: Multicall3Client,
  feeds: readonly Address[],
  blockTag: number,
): Promise<Map<string, FeedDetails>> {
  const results = await multicall.aggregate3(
    feeds.flatMap((feed) => [
      { target: feed, callData: CHAINLINK_FEED.encodeFunctionData("decimals") },
      { target: feed, callData: CHAINLINK_FEED.encodeFunctionData("latestRoundData") },
      { target: feed, callData: CHAINLINK_FEED.encodeFunctionData("aggregator") },
    ]),
    blockTag,
  );
  const details = new Map<string, FeedDetails>();
  feeds.forEach((feed, i) => {
    const [decimals, round, aggregatorResult] = results.slice(3 * i, 3 * i + 3);
    const aggregator = returnedWord(aggregatorResult) ? lowerAddress(decodeAddressWord(aggregatorResult.returnData)) : undefined;
    details.set(feed, {
      decimals: returnedWord(decimals) ? Number(decodeUintWord(decimals.returnData)) : undefined,
      answer: returnedWord(round) && round.returnData.length >= 130 ? decodeIntWord(round.returnData, 1) : undefined,
      aggregator: aggregator && aggregator !== ZERO ? aggregator : undefined,
    });
  });
  return details;
}
