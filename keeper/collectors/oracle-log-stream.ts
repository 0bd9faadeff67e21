/**
 * The oracles' AnswerUpdated logs as they are produced: an `eth_subscribe("logs", {address: feeds, topics:
 * [AnswerUpdated]})` WebSocket subscription (oracle-update-collector.ts decodes and merges them). The answer comes
 * from the event itself; nothing re-reads the feed.
 *
 * What the subscription covers is explicit: once it is confirmed on a connection, the stream reads the chain's block
 * number B, and every block after B is known to be delivered by the subscription. Anything at or before B — the
 * blocks a reconnect missed, or mined while subscribing — the collector fetches with eth_getLogs, and the two are
 * merged by (block, log index) so nothing is missed and nothing is taken twice. Logs may arrive before or after
 * their block's head: an answer is handed out by the first collection whose range reaches its block.
 */
import { MockV3Aggregator__factory } from "../../typechain-types";
import type { Address } from "../config/address-book";
import { decodeIntWord, decodeUintWord } from "../chain/multicall";
import type { FeedAnswer } from "../markets/market";
import type { WsSubscription, WsSubscriptionClient } from "../rpc/ws-subscription-client";
import type { RawRpc } from "./head-stream";
import { quantity } from "./head-stream";

export const ANSWER_UPDATED_TOPIC = MockV3Aggregator__factory.createInterface().getEvent("AnswerUpdated").topicHash;

export interface OracleLogStreamOptions {
  readonly subscriber: WsSubscriptionClient;
  /** For eth_blockNumber right after each (re)subscription. */
  readonly rpc: RawRpc;
  /** Told about every answer the moment its log arrives (the reaction's fast path may use it). */
  readonly onAnswer?: (answer: FeedAnswer) => void;
}

export function answerKey(answer: Pick<FeedAnswer, "blockNumber" | "logIndex" | "feed">): string {
  return `${answer.blockNumber}:${answer.logIndex ?? -1}:${answer.feed.toLowerCase()}`;
}

export class OracleLogStream {
  readonly #options: OracleLogStreamOptions;
  readonly #arrivalListeners: ((answer: FeedAnswer) => void)[] = [];
  readonly #buffer = new Map<string, FeedAnswer>();
  readonly #delivered = new Map<string, number>();
  #feeds: string[] = [];
  #subscription: WsSubscription | null = null;
  #coveredAfter: number | null = null;
  #generation = 0;
  /** Logs received over the subscription, for status and tests. */
  received = 0;

  constructor(options: OracleLogStreamOptions) {
    this.#options = options;
  }

  /** Blocks after this one are delivered by the live subscription; null while it is not live. */
  get coveredAfter(): number | null {
    return this.#options.subscriber.connected && this.#subscription?.confirmedAt !== null ? this.#coveredAfter : null;
  }

  /** True when every log of blocks `fromBlock` and later is (or will be) delivered by the subscription. */
  covers(fromBlock: number): boolean {
    const after = this.coveredAfter;
    return after !== null && fromBlock > after;
  }

  /** Watches these feeds (re-subscribing when they change). */
  setFeeds(feeds: readonly Address[]): void {
    const next = [...new Set(feeds.map((feed) => feed.toLowerCase()))].sort();
    if (next.join() === this.#feeds.join()) return;
    this.#feeds = next;
    this.#coveredAfter = null;
    const params = ["logs", { address: next, topics: [ANSWER_UPDATED_TOPIC] }];
    if (next.length === 0) {
      this.#subscription?.cancel();
      this.#subscription = null;
      return;
    }
    if (this.#subscription === null) {
      this.#subscription = this.#options.subscriber.subscribe(
        params,
        (result) => this.#accept(result),
        () => void this.#confirmed(),
      );
    } else {
      this.#subscription.update(params);
    }
  }

  stop(): void {
    this.#subscription?.cancel();
    this.#subscription = null;
  }

  /** Told about each answer as its log arrives (still buffered: `take` hands it out). */
  onArrival(listener: (answer: FeedAnswer) => void): void {
    this.#arrivalListeners.push(listener);
  }

  /** Buffered answers of blocks up to `toBlock` not handed out yet, in chain order; each is handed out once. */
  take(toBlock: number): FeedAnswer[] {
    const out: FeedAnswer[] = [];
    for (const [key, answer] of this.#buffer) {
      if (answer.blockNumber > toBlock) continue;
      this.#buffer.delete(key);
      if (this.#markDelivered(key, answer.blockNumber)) out.push(answer);
    }
    return out.sort(byChainOrder);
  }

  /** Keeps answers fetched over HTTP that the subscription has not already handed out; marks them handed out. */
  mergeFetched(fetched: readonly FeedAnswer[]): FeedAnswer[] {
    const out: FeedAnswer[] = [];
    for (const answer of fetched) {
      const key = answerKey(answer);
      this.#buffer.delete(key);
      if (this.#markDelivered(key, answer.blockNumber)) out.push(answer);
    }
    return out;
  }

  async #confirmed(): Promise<void> {
    const generation = ++this.#generation;
    this.#coveredAfter = null;
    try {
      const head = quantity(await this.#options.rpc.send("eth_blockNumber", []));
      // A later (re)subscription owns the coverage now.
      if (head !== null && generation === this.#generation) this.#coveredAfter = Number(head);
    } catch {
      // Uncovered until the next confirmation: the collector fetches over HTTP meanwhile.
    }
  }

  #accept(raw: unknown): void {
    const answer = parseAnswerLog(raw);
    if (answer === null) return;
    this.received += 1;
    const key = answerKey(answer);
    if (this.#delivered.has(key)) return;
    this.#buffer.set(key, answer);
    this.#options.onAnswer?.(answer);
    for (const listener of this.#arrivalListeners) listener(answer);
  }

  #markDelivered(key: string, block: number): boolean {
    if (this.#delivered.has(key)) return false;
    this.#delivered.set(key, block);
    if (this.#delivered.size > 4_096) {
      // Forget the oldest half; ranges that old are never collected again.
      let drop = this.#delivered.size / 2;
      for (const old of this.#delivered.keys()) {
        if (drop-- <= 0) break;
        this.#delivered.delete(old);
      }
    }
    return true;
  }
}

/** An AnswerUpdated log (as JSON-RPC serves it) as a FeedAnswer; null for anything else or a removed (reorged) log. */
export function parseAnswerLog(raw: unknown): FeedAnswer | null {
  if (typeof raw !== "object" || raw === null) return null;
  const log = raw as Record<string, unknown>;
  const topics = log.topics;
  if (log.removed === true || !Array.isArray(topics) || topics.length < 3 || topics[0] !== ANSWER_UPDATED_TOPIC) return null;
  const blockNumber = quantity(log.blockNumber);
  const logIndex = quantity(log.logIndex);
  if (blockNumber === null || typeof log.address !== "string" || typeof log.data !== "string") return null;
  const blockTimestampMs = quantity(log.blockTimestampMs);
  return {
    feed: log.address.toLowerCase() as Address,
    answer: decodeIntWord(topics[1] as string),
    roundId: decodeUintWord(topics[2] as string),
    updatedAt: log.data.length >= 66 ? Number(decodeUintWord(log.data)) : undefined,
    blockNumber: Number(blockNumber),
    logIndex: logIndex === null ? undefined : Number(logIndex),
    blockTimestampMs: blockTimestampMs === null ? undefined : Number(blockTimestampMs),
  };
}

function byChainOrder(a: FeedAnswer, b: FeedAnswer): number {
  return a.blockNumber - b.blockNumber || (a.logIndex ?? 0) - (b.logIndex ?? 0);
}
