/**
 * The chain's head as it moves, the way a keeper on Base must see it: pushed by an `eth_subscribe("newHeads")`
 * WebSocket subscription (one notification per 200 ms block), with HTTP polling of `latest` as the fallback whenever
 * the subscription is down or has gone quiet for longer than `staleAfterMs` (then the socket is dropped and
 * reconnected too). Never `pending`: since Denim it has no equivalent on Base.
 *
 * Each head carries its full millisecond time: Denim's `timestampMs` when the node serves it, else
 * 1000 × timestamp. Consecutive blocks may share a whole-second timestamp; nothing here divides by a time delta.
 */
import type { WsSubscriptionClient } from "../rpc/ws-subscription-client";
import type { BlockSource } from "./block-collector";

export interface Head {
  readonly number: number;
  readonly hash: string;
  /** Whole seconds (block.timestamp). */
  readonly timestamp: number;
  /** Denim's millisecond time (`timestampMs`), or 1000 × timestamp where the node does not serve it. */
  readonly timestampMs: number;
  readonly baseFeePerGas: bigint;
  /** Local epoch ms when this keeper learned of the head. */
  readonly receivedAtMs: number;
  readonly via: "subscription" | "poll";
}

/** Raw JSON-RPC, the read pool's or Hardhat's provider: the block objects must keep every field (timestampMs). */
export interface RawRpc {
  send(method: string, params: unknown[]): Promise<unknown>;
}

export interface HeadStreamOptions {
  readonly rpc: RawRpc;
  /** Null: polling only. */
  readonly subscriber: WsSubscriptionClient | null;
  /** How often `latest` is polled while the subscription is not delivering. */
  readonly pollIntervalMs: number;
  /** A subscription with no head for this long is treated as down (polled over, and reconnected). */
  readonly staleAfterMs: number;
  readonly clock?: () => number;
  readonly onError?: (error: unknown) => void;
}

type HeadListener = (head: Head) => void;

export class HeadStream {
  readonly #options: HeadStreamOptions;
  readonly #clock: () => number;
  readonly #listeners = new Set<HeadListener>();
  readonly #recent = new Map<number, Head>();
  #latest: Head | null = null;
  #lastPushAtMs: number | null = null;
  #lastPushedNumber = -1;
  #timer: NodeJS.Timeout | null = null;
  #polling = false;
  #stopped = true;
  #subscription: { cancel(): void } | null = null;
  /** Heads that arrived by each route, for status and tests. */
  readonly counts = { subscription: 0, poll: 0 };

  constructor(options: HeadStreamOptions) {
    if (!(options.pollIntervalMs > 0)) throw new Error(`HeadStream: pollIntervalMs must be > 0, got ${options.pollIntervalMs}`);
    if (!(options.staleAfterMs > 0)) throw new Error(`HeadStream: staleAfterMs must be > 0, got ${options.staleAfterMs}`);
    this.#options = options;
    this.#clock = options.clock ?? Date.now;
  }

  get latest(): Head | null {
    return this.#latest;
  }

  /** True while heads arrive by subscription (not by the polling fallback). */
  get subscribed(): boolean {
    return this.#pushHealthy();
  }

  /** A head this stream has seen, if still remembered. */
  headAt(number: number): Head | undefined {
    return this.#recent.get(number);
  }

  onHead(listener: HeadListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Subscribes (when a subscriber is given), reads the current head once, and starts the polling watchdog. */
  async start(): Promise<void> {
    this.#stopped = false;
    const { subscriber } = this.#options;
    if (subscriber !== null) {
      this.#subscription = subscriber.subscribe(["newHeads"], (result) => this.#accept(result, "subscription"));
    }
    await this.#poll();
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#subscription?.cancel();
    this.#subscription = null;
    for (const listener of this.#listeners) this.#listeners.delete(listener);
  }

  /** Resolves with the first head above `after` (at once if known), or null after `timeoutMs`. */
  waitForHeadAfter(after: number, timeoutMs: number): Promise<Head | null> {
    if (this.#latest !== null && this.#latest.number > after) return Promise.resolve(this.#latest);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        off();
        resolve(null);
      }, timeoutMs);
      const off = this.onHead((head) => {
        if (head.number <= after) return;
        clearTimeout(timer);
        off();
        resolve(head);
      });
    });
  }

  /** The engine's head source: the stream's head when it has one, the chain otherwise. */
  asBlockSource(fallback: BlockSource): BlockSource {
    return {
      getBlockNumber: async () => this.#latest?.number ?? (await fallback.getBlockNumber()),
      getBlock: async (number) => this.#recent.get(number) ?? (await fallback.getBlock(number)),
    };
  }

  #pushHealthy(): boolean {
    const { subscriber, staleAfterMs } = this.#options;
    if (subscriber === null || !subscriber.connected || this.#lastPushAtMs === null) return false;
    return this.#clock() - this.#lastPushAtMs <= staleAfterMs;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      void this.#watch().finally(() => this.#schedule());
    }, this.#options.pollIntervalMs);
    this.#timer.unref();
  }

  async #watch(): Promise<void> {
    const { subscriber, staleAfterMs } = this.#options;
    if (this.#pushHealthy()) return;
    const pushedBefore = this.#lastPushedNumber;
    await this.#poll();
    // Connected but silent while the chain moved on: the socket is alive, the feed is not. Drop it; polling covers
    // until it is back. (A chain that itself stopped is not the subscription's fault.)
    if (
      subscriber?.connected &&
      this.#lastPushAtMs !== null &&
      this.#clock() - this.#lastPushAtMs > staleAfterMs &&
      this.#latest !== null &&
      this.#latest.number > pushedBefore
    ) {
      subscriber.reconnect(
        `no newHeads for ${this.#clock() - this.#lastPushAtMs} ms while the chain moved to block ${this.#latest.number}`,
      );
      this.#lastPushAtMs = null;
    }
  }

  async #poll(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      const block = await this.#options.rpc.send("eth_getBlockByNumber", ["latest", false]);
      this.#accept(block, "poll");
    } catch (error) {
      this.#options.onError?.(error);
    } finally {
      this.#polling = false;
    }
  }

  #accept(raw: unknown, via: Head["via"]): void {
    const head = parseHead(raw, via, this.#clock());
    if (head === null) return;
    if (via === "subscription") {
      this.#lastPushAtMs = head.receivedAtMs;
      this.#lastPushedNumber = Math.max(this.#lastPushedNumber, head.number);
      this.counts.subscription += 1;
    } else {
      this.counts.poll += 1;
    }
    this.#recent.set(head.number, head);
    if (this.#recent.size > 256) this.#recent.delete(this.#recent.keys().next().value!);
    if (this.#latest !== null && head.number <= this.#latest.number) return;
    this.#latest = head;
    for (const listener of [...this.#listeners]) listener(head);
  }
}

/** A block or header object as a Head; null for anything without a hex number and timestamp. */
export function parseHead(raw: unknown, via: Head["via"], receivedAtMs: number): Head | null {
  if (typeof raw !== "object" || raw === null) return null;
  const block = raw as Record<string, unknown>;
  const number = quantity(block.number);
  const timestamp = quantity(block.timestamp);
  if (number === null || timestamp === null) return null;
  const timestampMs = quantity(block.timestampMs);
  return {
    number: Number(number),
    hash: typeof block.hash === "string" ? block.hash : "",
    timestamp: Number(timestamp),
    // A node without Denim's field: the whole second is all there is.
    timestampMs: timestampMs === null ? Number(timestamp) * 1_000 : Number(timestampMs),
    baseFeePerGas: quantity(block.baseFeePerGas) ?? 0n,
    receivedAtMs,
    via,
  };
}

/** A JSON-RPC quantity (hex string, or a plain number some nodes send for the new fields); null when absent or bad. */
export function quantity(value: unknown): bigint | null {
  if (typeof value === "string" && /^0x[0-9a-fA-F]+$/.test(value)) return BigInt(value);
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  return null;
}
