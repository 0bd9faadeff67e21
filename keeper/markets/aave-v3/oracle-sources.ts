/**
 * Which on-chain feeds move each Aave reserve's price, and whether a feed's answer IS the price.
 *
 * AaveOracle.getAssetPrice(asset) returns `source.latestAnswer()` (falling back to the fallback
 * oracle when it is not positive). The source can be:
 * - an aggregator itself (the sandbox's MockV3Aggregator): it emits AnswerUpdated, and the answer is the price;
 * - a Chainlink proxy (EACAggregatorProxy): the OCR aggregator behind `aggregator()` emits
 *   AnswerUpdated with the same answer the proxy returns;
 * - an adapter (BGD price-cap adapters on Base: ASSET_TO_USD_AGGREGATOR / BASE_TO_USD_AGGREGATOR and
 *   an exchange ratio): its inner feeds emit updates, but the price is derived, so the keeper re-reads it.
 * A feed is "answer-is-price" only when its latest answer equals the oracle's price right now;
 * everything else found behind a source is "reread".
 */
import {
  AaveOracle__factory,
  IAavePriceCapAdapter__factory,
  IChainlinkFeedProxy__factory,
  MockV3Aggregator__factory,
} from "../../../typechain-types";
import type { Address } from "../../config/address-book";
import {
  decodeAddressWord,
  decodeIntWord,
  decodeUintWord,
  encodeAddressArgCall,
  type Multicall3Client,
  type MulticallCall,
} from "../../chain/multicall";
import type { FeedSubscription, FeedUpdateMode } from "../market";

export interface FeedBinding {
  readonly feed: Address;
  readonly mode: FeedUpdateMode;
  /** Lower-case asset addresses whose Aave price this feed moves. */
  readonly assets: string[];
  readonly description: string;
}

export interface ResolvedOracleSources {
  /** Lower-case asset → source contract. */
  readonly sourceOf: ReadonlyMap<string, Address>;
  /** Lower-case feed address → binding. */
  readonly feeds: ReadonlyMap<string, FeedBinding>;
  /** Lower-case asset → every contract its price is read through: the source, a proxy's aggregator, an
   *  adapter's inner feeds and their aggregators (oracle-auctions.ts looks for auctioned ones among them). */
  readonly chainOf: ReadonlyMap<string, readonly Address[]>;
}

const ZERO = "0x0000000000000000000000000000000000000000";

function isZero(address: string): boolean {
  return address.toLowerCase() === ZERO;
}

/** Resolves, in three Multicall3 rounds, the feeds behind every asset's AaveOracle source. */
export async function resolveAaveOracleFeeds(
  multicall: Multicall3Client,
  oracle: Address,
  assets: readonly Address[],
  blockTag?: number,
): Promise<ResolvedOracleSources> {
  const oracleIface = AaveOracle__factory.createInterface();
  const aggregatorIface = MockV3Aggregator__factory.createInterface();
  const sourceOfAssetSelector = oracleIface.getFunction("getSourceOfAsset").selector;
  const assetPriceSelector = oracleIface.getFunction("getAssetPrice").selector;
  const latestAnswerCall = aggregatorIface.encodeFunctionData("latestAnswer");
  // Read-only probes of what may stand behind a source: a Chainlink proxy's aggregator, a price-cap adapter's inner
  // feeds (contracts/interfaces); a contract without the getter simply fails that sub-call.
  const adapterIface = IAavePriceCapAdapter__factory.createInterface();
  const probeCalls = [
    IChainlinkFeedProxy__factory.createInterface().encodeFunctionData("aggregator"),
    adapterIface.encodeFunctionData("ASSET_TO_USD_AGGREGATOR"),
    adapterIface.encodeFunctionData("BASE_TO_USD_AGGREGATOR"),
  ];

  // Round 1: each asset's source and current price.
  const round1: MulticallCall[] = [];
  for (const asset of assets) {
    round1.push({ target: oracle, callData: encodeAddressArgCall(sourceOfAssetSelector, asset) });
    round1.push({ target: oracle, callData: encodeAddressArgCall(assetPriceSelector, asset) });
  }
  const r1 = await multicall.aggregate3(round1, blockTag);
  const sourceOf = new Map<string, Address>();
  const priceOf = new Map<string, bigint>();
  assets.forEach((asset, i) => {
    const source = r1[2 * i];
    const price = r1[2 * i + 1];
    if (!source.success || !price.success) {
      throw new Error(`aave oracle ${oracle}: getSourceOfAsset/getAssetPrice reverted for asset ${asset}`);
    }
    sourceOf.set(asset.toLowerCase(), decodeAddressWord(source.returnData));
    priceOf.set(asset.toLowerCase(), decodeUintWord(price.returnData));
  });

  // Round 2: what each distinct source is (its answer, a proxy's aggregator, an adapter's feeds).
  const sources = [...new Set([...sourceOf.values()].filter((s) => !isZero(s)).map((s) => s.toLowerCase() as Address))];
  const round2: MulticallCall[] = [];
  for (const source of sources) {
    round2.push({ target: source, callData: latestAnswerCall });
    for (const probe of probeCalls) round2.push({ target: source, callData: probe });
  }
  const r2 = await multicall.aggregate3(round2, blockTag);
  const answerOf = new Map<string, bigint | undefined>();
  const innerOf = new Map<string, { proxied?: Address; adapterFeeds: Address[] }>();
  sources.forEach((source, i) => {
    const base = i * 4;
    const readAddress = (k: number): Address | undefined => {
      const result = r2[base + k];
      if (!result.success || result.returnData.length < 66) return undefined;
      const value = decodeAddressWord(result.returnData);
      return isZero(value) ? undefined : value;
    };
    answerOf.set(source, r2[base].success && r2[base].returnData.length >= 66 ? decodeIntWord(r2[base].returnData) : undefined);
    innerOf.set(source, {
      proxied: readAddress(1),
      adapterFeeds: [readAddress(2), readAddress(3)].filter((a): a is Address => a !== undefined),
    });
  });

  // Round 3: adapters' feeds are usually proxies too; find the aggregators behind them and answers.
  const second = [...new Set([...innerOf.values()].flatMap((inner) => [inner.proxied, ...inner.adapterFeeds]))].filter(
    (a): a is Address => a !== undefined,
  );
  const round3: MulticallCall[] = [];
  for (const feed of second) {
    round3.push({ target: feed, callData: latestAnswerCall });
    round3.push({ target: feed, callData: probeCalls[0] });
  }
  const r3 = await multicall.aggregate3(round3, blockTag);
  const nested = new Map<string, { answer?: bigint; proxied?: Address }>();
  second.forEach((feed, i) => {
    const answer = r3[2 * i];
    const proxied = r3[2 * i + 1];
    const proxiedAddress = proxied.success && proxied.returnData.length >= 66 ? decodeAddressWord(proxied.returnData) : undefined;
    nested.set(feed.toLowerCase(), {
      answer: answer.success && answer.returnData.length >= 66 ? decodeIntWord(answer.returnData) : undefined,
      proxied: proxiedAddress && !isZero(proxiedAddress) ? proxiedAddress : undefined,
    });
  });

  const feeds = new Map<string, FeedBinding>();
  const bind = (feed: Address, mode: FeedUpdateMode, asset: string, description: string): void => {
    const key = feed.toLowerCase();
    const existing = feeds.get(key);
    if (existing) {
      if (!existing.assets.includes(asset)) existing.assets.push(asset);
      // One asset needing a re-read makes the feed a re-read feed for all of them: safe side.
      if (mode === "reread" && existing.mode !== "reread") feeds.set(key, { ...existing, mode: "reread" });
      return;
    }
    feeds.set(key, { feed: key as Address, mode, assets: [asset], description });
  };

  const chainOf = new Map<string, Address[]>();
  for (const [asset, source] of sourceOf) {
    if (isZero(source)) continue; // priced by the fallback oracle: nothing on chain to watch
    const behindSource = innerOf.get(source.toLowerCase());
    chainOf.set(asset, [
      source,
      ...(behindSource?.proxied ? [behindSource.proxied] : []),
      ...(behindSource?.adapterFeeds ?? []).flatMap((feed) => {
        const aggregator = nested.get(feed.toLowerCase())?.proxied;
        return aggregator ? [feed, aggregator] : [feed];
      }),
    ]);
    const price = priceOf.get(asset)!;
    const sourceKey = source.toLowerCase();
    const answer = answerOf.get(sourceKey);
    const sourceIsPrice = answer !== undefined && answer > 0n && answer === price;
    bind(source, sourceIsPrice ? "answer-is-price" : "reread", asset, `source of ${asset}`);
    const inner = innerOf.get(sourceKey);
    if (inner?.proxied) {
      const aggregatorAnswer = nested.get(inner.proxied.toLowerCase())?.answer;
      const direct = sourceIsPrice && aggregatorAnswer === price;
      bind(inner.proxied, direct ? "answer-is-price" : "reread", asset, `aggregator behind source ${source} of ${asset}`);
    }
    for (const adapterFeed of inner?.adapterFeeds ?? []) {
      bind(adapterFeed, "reread", asset, `adapter input of ${asset}`);
      const behind = nested.get(adapterFeed.toLowerCase())?.proxied;
      if (behind) bind(behind, "reread", asset, `aggregator behind adapter input ${adapterFeed} of ${asset}`);
    }
  }
  return { sourceOf, feeds, chainOf };
}

/** The feeds a market subscribes to, one subscription per feed with every asset it prices. */
export function aaveFeedSubscriptions(market: string, feeds: ReadonlyMap<string, FeedBinding>): FeedSubscription[] {
  return [...feeds.values()].map((binding) => ({
    market,
    feed: binding.feed,
    mode: binding.mode,
    affects: [...binding.assets],
    description: binding.description,
  }));
}
