/**
 * The node's face with Denim's millisecond RPC fields (docs.base.org, upgrades/denim: "Block, header, transaction,
 * log, and receipt responses gain optional millisecond-resolution timestamp fields (timestampMs, blockTimestampMs)").
 * Hardhat's node knows nothing of them, so this EIP-1193 wrapper adds them to what it serves, derived from the BaseTime
 * stand-in recorded in each block (base-time.ts): `timestampMs` on blocks and `newHeads` headers, `blockTimestampMs`
 * on logs (eth_getLogs and `logs` subscriptions) and receipts. A STAND-IN, marked as one: quantities are hex like
 * every other field of those objects.
 *
 * It is what Hardhat's JSON-RPC server (HTTP and WebSocket, the one `npx hardhat node` runs) is given as its
 * provider, so the keeper reads these fields over the wire exactly as it would from a Base node.
 */
import { EventEmitter } from "node:events";
import { blockTimestampMs } from "./base-time";
import { hexQuantity, type Eip1193Provider } from "./eip1193";

/** What Hardhat's JsonRpcServer needs of its provider: requests and the `notification` event of eth_subscribe. */
export interface SubscribableProvider extends Eip1193Provider {
  addListener(event: "notification", listener: (payload: unknown) => void): unknown;
  removeListener(event: "notification", listener: (payload: unknown) => void): unknown;
}

type Json = Record<string, unknown>;

const BLOCK_METHODS = new Set(["eth_getBlockByNumber", "eth_getBlockByHash"]);
/** Enough for every block a keeper could still ask about in a run; older ones are read again. */
const CACHE_LIMIT = 4_096;

export class ClockedProvider extends EventEmitter implements SubscribableProvider {
  readonly #inner: SubscribableProvider;
  readonly #millis = new Map<string, Promise<number>>();
  /** Block hash → its seconds timestamp (in flight or read): one read per block, however many of its logs are served. */
  readonly #timestamps = new Map<string, Promise<string>>();
  /** Block number → its millisecond time, told by the clock as it seals the block (ChainClockOptions.onSealing). */
  readonly #sealed = new Map<number, number>();
  /** Transaction hash → wall-clock ms its eth_sendRawTransaction reached this node (the benchmark's race clock). */
  readonly #arrivals = new Map<string, number>();
  readonly #wallClock: () => number;
  #forwarding = false;
  readonly #forward = (payload: unknown): void => {
    void this.#decorateNotification(payload).then(
      (decorated) => this.emit("notification", decorated),
      () => this.emit("notification", payload),
    );
  };

  constructor(inner: SubscribableProvider, wallClock: () => number = Date.now) {
    super();
    this.#inner = inner;
    this.#wallClock = wallClock;
    // Hardhat's server adds one listener per WebSocket connection.
    this.setMaxListeners(0);
    this.on("newListener", (event: string) => {
      if (event === "notification" && !this.#forwarding) {
        this.#forwarding = true;
        this.#inner.addListener("notification", this.#forward);
      }
    });
  }

  async request(args: { readonly method: string; readonly params?: readonly unknown[] }): Promise<unknown> {
    const arrivedAtMs = args.method === "eth_sendRawTransaction" ? this.#wallClock() : null;
    const result = await this.#inner.request(args);
    if (arrivedAtMs !== null && typeof result === "string") this.#noteArrival(result, arrivedAtMs);
    if (result === null || result === undefined) return result;
    if (BLOCK_METHODS.has(args.method)) return this.#withTimestampMs(result as Json);
    if (args.method === "eth_getLogs") return Promise.all((result as Json[]).map((log) => this.#withBlockTimestampMs(log)));
    if (args.method === "eth_getTransactionReceipt") return this.#receiptWithMs(result as Json);
    return result;
  }

  /**
   * When a transaction's eth_sendRawTransaction reached this node (wall-clock ms, taken before the chain handled it),
   * if it came through here: what a race against the clock's blocks is decided by, as a sequencer sees it.
   */
  arrivalOf(txHash: string): number | undefined {
    return this.#arrivals.get(txHash.toLowerCase());
  }

  #noteArrival(txHash: string, atMs: number): void {
    if (this.#arrivals.size >= CACHE_LIMIT) this.#arrivals.delete(this.#arrivals.keys().next().value!);
    this.#arrivals.set(txHash.toLowerCase(), atMs);
  }

  /** Stops forwarding notifications (the server is closing). */
  detach(): void {
    if (this.#forwarding) this.#inner.removeListener("notification", this.#forward);
    this.#forwarding = false;
  }

  /**
   * The clock's word for a block's millisecond time, given before the block is mined: its notifications are then
   * stamped without a read of the node. A later block of the same number (after evm_revert) replaces it; a block whose
   * seconds do not match it is read from the node as before.
   */
  knowSealedBlock(blockNumber: number, timestampMs: number): void {
    this.#sealed.delete(blockNumber);
    if (this.#sealed.size >= CACHE_LIMIT) this.#sealed.delete(this.#sealed.keys().next().value!);
    this.#sealed.set(blockNumber, timestampMs);
  }

  #sealedMillis(blockNumber: string, timestamp?: string): number | undefined {
    const millis = this.#sealed.get(Number(BigInt(blockNumber)));
    if (millis === undefined) return undefined;
    if (timestamp !== undefined && Math.floor(millis / 1_000) !== Number(BigInt(timestamp))) return undefined;
    return millis;
  }

  #millisOf(blockNumber: string, timestamp: string): Promise<number> {
    const sealed = this.#sealedMillis(blockNumber, timestamp);
    if (sealed !== undefined) return Promise.resolve(sealed);
    const key = `${blockNumber}:${timestamp}`;
    const known = this.#millis.get(key);
    if (known !== undefined) return known;
    // The promise is cached, so the logs of one block served together read its BaseTime part once, not once each.
    const millis = blockTimestampMs(this.#inner, blockNumber, Number(BigInt(timestamp)));
    millis.catch(() => this.#millis.delete(key));
    if (this.#millis.size >= CACHE_LIMIT) this.#millis.delete(this.#millis.keys().next().value!);
    this.#millis.set(key, millis);
    return millis;
  }

  /**
   * A log's block timestamp (Hardhat's logs carry none). Cached per block: the keeper's eth_getLogs over a busy step
   * returns hundreds of logs from a few blocks, and reading the block once per LOG queued hundreds of block reads on
   * the node the clock and the keeper share, in the very blocks the race is measured on.
   */
  #timestampOf(blockNumber: string, blockHash: unknown): Promise<string> {
    const read = async () => {
      const block = (await this.#inner.request({ method: "eth_getBlockByNumber", params: [blockNumber, false] })) as Json | null;
      if (block === null) throw new Error(`block ${blockNumber} is unknown`);
      // Keyed by hash: a block number re-mined after evm_revert is another block, with its own time.
      if (typeof blockHash === "string" && typeof block.hash === "string" && block.hash.toLowerCase() !== blockHash.toLowerCase())
        throw new Error(`block ${blockNumber} is no longer ${blockHash}`);
      return block.timestamp as string;
    };
    if (typeof blockHash !== "string") return read();
    const key = blockHash.toLowerCase();
    const known = this.#timestamps.get(key);
    if (known !== undefined) return known;
    const pending = read();
    // A failed read is not remembered (the block may not be mined yet); a mined block's timestamp never changes.
    pending.catch(() => this.#timestamps.delete(key));
    if (this.#timestamps.size >= CACHE_LIMIT) this.#timestamps.delete(this.#timestamps.keys().next().value!);
    this.#timestamps.set(key, pending);
    return pending;
  }

  async #withTimestampMs(block: Json): Promise<Json> {
    if (typeof block.number !== "string" || typeof block.timestamp !== "string") return block;
    return { ...block, timestampMs: hexQuantity(await this.#millisOf(block.number, block.timestamp)) };
  }

  async #withBlockTimestampMs(item: Json): Promise<Json> {
    if (typeof item.blockNumber !== "string") return item;
    const sealed = this.#sealedMillis(item.blockNumber, typeof item.blockTimestamp === "string" ? item.blockTimestamp : undefined);
    if (sealed !== undefined) return { ...item, blockTimestampMs: hexQuantity(sealed) };
    const timestamp =
      typeof item.blockTimestamp === "string" ? item.blockTimestamp : await this.#timestampOf(item.blockNumber, item.blockHash);
    return { ...item, blockTimestampMs: hexQuantity(await this.#millisOf(item.blockNumber, timestamp)) };
  }

  async #receiptWithMs(receipt: Json): Promise<Json> {
    const decorated = await this.#withBlockTimestampMs(receipt);
    const logs = Array.isArray(receipt.logs)
      ? await Promise.all((receipt.logs as Json[]).map((log) => this.#withBlockTimestampMs(log)))
      : [];
    return { ...decorated, logs };
  }

  async #decorateNotification(payload: unknown): Promise<unknown> {
    const { subscription, result } = (payload ?? {}) as { subscription?: unknown; result?: unknown };
    if (typeof result !== "object" || result === null) return payload;
    const item = result as Json;
    // A newHeads header has a parentHash; a log has a logIndex.
    if (typeof item.parentHash === "string") return { subscription, result: await this.#withTimestampMs(item) };
    if (typeof item.logIndex === "string") return { subscription, result: await this.#withBlockTimestampMs(item) };
    return payload;
  }
}
