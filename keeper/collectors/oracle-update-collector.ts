/**
 * Chainlink-style price updates as typed `FeedAnswer`s, in chain order, for the feeds the markets
 * subscribed to (`priceFeeds()`). Two ways to see them:
 * - "logs": the `AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt)`
 *   events OCR aggregators emit on every transmission (Base). One eth_getLogs per range.
 *   With an `OracleLogStream` (an eth_subscribe WebSocket subscription) the logs of blocks the stream covers are
 *   already here when the head arrives, and only blocks it does not cover (before it, or a reconnect's gap) cost
 *   an eth_getLogs; the two are merged so every answer is handed out exactly once.
 * - "poll": `latestRoundData()` of every feed in one Multicall3 batch per range, reporting feeds whose
 *   round moved. Needed where feeds emit nothing (Chainlink's MockV3Aggregator updates its answer without an
 *   event). It sees only the last answer of a range.
 * The collector does not interpret answers; each market knows what a feed means to it.
 */
import { MockV3Aggregator__factory } from "../../typechain-types";
import type { Address } from "../config/address-book";
import { decodeIntWord, decodeUintWord, type Multicall3Client } from "../chain/multicall";
import type { BlockRange, FeedAnswer, FeedSubscription } from "../markets/market";
import { fetchLogsInChunks, type LogProvider, type LogRangeOptions } from "./log-range-fetcher";
import type { OracleLogStream } from "./oracle-log-stream";

export type OracleCollectionMode = "logs" | "poll";

export interface OracleUpdateCollectorOptions extends LogRangeOptions {
  readonly mode?: OracleCollectionMode;
  /** Required in "poll" mode. */
  readonly multicall?: Multicall3Client;
  /** "logs" mode: answers pushed by an eth_subscribe subscription, with eth_getLogs for what it does not cover. */
  readonly stream?: OracleLogStream | null;
}

export class OracleUpdateCollector {
  private readonly aggregatorIface = MockV3Aggregator__factory.createInterface();
  private readonly topic = this.aggregatorIface.getEvent("AnswerUpdated").topicHash;
  private readonly mode: OracleCollectionMode;
  private feeds: Address[] = [];
  /** poll mode: last round seen per feed. */
  private readonly lastRound = new Map<string, bigint>();
  /** getLogs requests or Multicall3 batches made, for stats and tests. */
  requests = 0;

  constructor(
    private readonly provider: LogProvider,
    subscriptions: readonly FeedSubscription[] = [],
    private readonly options: OracleUpdateCollectorOptions = {},
  ) {
    this.mode = options.mode ?? "logs";
    if (this.mode === "poll" && !options.multicall) {
      throw new Error('oracle collector: mode "poll" needs options.multicall (a Multicall3Client)');
    }
    this.setSubscriptions(subscriptions);
  }

  /** Replaces the watched feeds (markets re-resolve them when an oracle source changes). */
  setSubscriptions(subscriptions: readonly FeedSubscription[]): void {
    this.feeds = [...new Set(subscriptions.map((s) => s.feed.toLowerCase() as Address))];
    this.options.stream?.setFeeds(this.feeds);
  }

  /** How many ranges were served from the subscription alone (no eth_getLogs), for status and tests. */
  streamedRanges = 0;

  /**
   * The reaction's fast path: answers pushed by the subscription are handed to `listener` the moment their logs
   * arrive (those of one block together), instead of waiting for the head and the loop's bookkeeping. An answer
   * handed out here is never collected again. Without a stream, nothing is pushed.
   */
  onPushed(listener: (answers: FeedAnswer[], arrivedAtMs: number) => void): void {
    const stream = this.options.stream;
    if (stream === undefined || stream === null) return;
    let scheduled = false;
    let arrivedAtMs = 0;
    stream.onArrival((answer) => {
      if (scheduled) return;
      scheduled = true;
      arrivedAtMs = performance.now();
      // The logs of one block arrive back to back: take them together on the next turn of the event loop.
      setImmediate(() => {
        scheduled = false;
        const answers = stream.take(answer.blockNumber);
        if (answers.length > 0) listener(answers, arrivedAtMs);
      });
    });
  }

  get watchedFeeds(): readonly Address[] {
    return this.feeds;
  }

  /** Every answer published in `range` (poll mode: the latest per moved feed), ordered by block then log index. */
  async collect(range: BlockRange): Promise<FeedAnswer[]> {
    if (this.feeds.length === 0 || range.toBlock < range.fromBlock) return [];
    return this.mode === "poll" ? this.collectByPolling(range) : this.collectFromLogs(range);
  }

  private async collectFromLogs(range: BlockRange): Promise<FeedAnswer[]> {
    const stream = this.options.stream;
    if (stream?.covers(range.fromBlock)) {
      this.streamedRanges += 1;
      return stream.take(range.toBlock);
    }
    const fetched = await this.fetchLogs(range);
    if (stream === undefined || stream === null) return fetched;
    return [...stream.mergeFetched(fetched), ...stream.take(range.toBlock)].sort(
      (a, b) => a.blockNumber - b.blockNumber || (a.logIndex ?? 0) - (b.logIndex ?? 0),
    );
  }

  private async fetchLogs(range: BlockRange): Promise<FeedAnswer[]> {
    const answers: FeedAnswer[] = [];
    for await (const chunk of fetchLogsInChunks(
      this.provider,
      { address: this.feeds, topics: [this.topic] },
      range.fromBlock,
      range.toBlock,
      this.options,
    )) {
      this.requests += chunk.requests;
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

  private async readRounds(blockTag: number): Promise<Map<string, { roundId: bigint; answer: bigint; updatedAt: number }>> {
    const callData = this.aggregatorIface.encodeFunctionData("latestRoundData");
    const results = await this.options.multicall!.aggregate3(
      this.feeds.map((feed) => ({ target: feed, callData })),
      blockTag,
    );
    this.requests += 1;
    const rounds = new Map<string, { roundId: bigint; answer: bigint; updatedAt: number }>();
    this.feeds.forEach((feed, i) => {
      const result = results[i];
      // latestRoundData → (roundId, answer, startedAt, updatedAt, answeredInRound)
      if (!result.success || result.returnData.length < 2 + 64 * 4) return;
      rounds.set(feed, {
        roundId: decodeUintWord(result.returnData, 0),
        answer: decodeIntWord(result.returnData, 1),
        updatedAt: Number(decodeUintWord(result.returnData, 3)),
      });
    });
    return rounds;
  }

  private async collectByPolling(range: BlockRange): Promise<FeedAnswer[]> {
    const unseen = this.feeds.filter((feed) => !this.lastRound.has(feed));
    if (unseen.length > 0 && range.fromBlock > 0) {
      // First sight of a feed: its round before the range is the baseline, so a move inside the range counts.
      const baseline = await this.readRounds(range.fromBlock - 1);
      for (const feed of unseen) {
        const round = baseline.get(feed);
        if (round) this.lastRound.set(feed, round.roundId);
      }
    }
    const rounds = await this.readRounds(range.toBlock);
    const answers: FeedAnswer[] = [];
    for (const feed of this.feeds) {
      const round = rounds.get(feed);
      if (!round) continue;
      const previous = this.lastRound.get(feed);
      this.lastRound.set(feed, round.roundId);
      if (previous !== undefined && previous === round.roundId) continue;
      answers.push({
        feed: feed as Address,
        answer: round.answer,
        roundId: round.roundId,
        updatedAt: round.updatedAt,
        blockNumber: range.toBlock,
      });
    }
    return answers;
  }
}
