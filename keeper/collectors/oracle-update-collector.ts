/**
 * Chainlink-style price updates as typed `FeedAnswer`s: the `AnswerUpdated(int256 indexed current,
 * uint256 indexed roundId, uint256 updatedAt)` logs of every feed the markets subscribed to (OCR
 * aggregators on Base, MockV3Aggregator in the sandbox), in chain order. The markets' `priceFeeds()`
 * say which addresses to watch; this collector does not interpret the answers.
 */
import { MockV3Aggregator__factory } from "../../typechain-types";
import type { Address } from "../config/address-book";
import { decodeIntWord, decodeUintWord } from "../chain/multicall";
import type { BlockRange, FeedAnswer, FeedSubscription } from "../markets/market";
import { fetchLogsInChunks, type LogProvider, type LogRangeOptions } from "./log-range-fetcher";

export class OracleUpdateCollector {
  private readonly topic = MockV3Aggregator__factory.createInterface().getEvent("AnswerUpdated").topicHash;
  private feeds: Address[] = [];
  /** getLogs requests made, for stats and tests. */
  logRequests = 0;

  constructor(
    private readonly provider: LogProvider,
    subscriptions: readonly FeedSubscription[] = [],
    private readonly options: LogRangeOptions = {},
  ) {
    this.setSubscriptions(subscriptions);
  }

  /** Replaces the watched feeds (markets re-resolve them when an oracle source changes). */
  setSubscriptions(subscriptions: readonly FeedSubscription[]): void {
    this.feeds = [...new Set(subscriptions.map((s) => s.feed.toLowerCase() as Address))];
  }

  get watchedFeeds(): readonly Address[] {
    return this.feeds;
  }

  /** Every answer published in `range`, ordered by block then log index. */
  async collect(range: BlockRange): Promise<FeedAnswer[]> {
    if (this.feeds.length === 0 || range.toBlock < range.fromBlock) return [];
    const answers: FeedAnswer[] = [];
    for await (const chunk of fetchLogsInChunks(
      this.provider,
      { address: this.feeds, topics: [this.topic] },
      range.fromBlock,
      range.toBlock,
      this.options,
    )) {
      this.logRequests += chunk.requests;
      for (const log of chunk.logs) {
        if (log.topics[0] !== this.topic || log.topics.length < 3) continue;
        answers.push({
          feed: log.address.toLowerCase() as Address,
          answer: decodeIntWord(log.topics[1]),
          roundId: decodeUintWord(log.topics[2]),
          updatedAt: log.data.length >= 66 ? Number(decodeUintWord(log.data)) : undefined,
          blockNumber: log.blockNumber,
          logIndex: log.index,
        });
      }
    }
    return answers.sort((a, b) => a.blockNumber - b.blockNumber || (a.logIndex ?? 0) - (b.logIndex ?? 0));
  }
}
