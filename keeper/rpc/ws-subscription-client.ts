/**
 * eth_subscribe over one WebSocket endpoint, kept alive: subscriptions outlive the connection. When the socket drops
 * (closed, errored, or silent past a missed heartbeat pong) the client reconnects with exponential back-off and full
 * jitter, re-subscribes everything, and tells its listener how long it was down, so the collectors can fill the gap
 * over HTTP (head-stream.ts, oracle-log-stream.ts). Nothing here throws into the keeper's loop: a dead endpoint is a
 * state ("disconnected: cause"), reported once per change, not an error per message.
 *
 * The endpoint is named by its label (the redacted URL unless given), never by the URL itself.
 */
import WebSocket from "ws";
import { redactUrl } from "../telemetry/redact";

export interface WsSubscriptionClientOptions {
  readonly url: string;
  /** Printable name; defaults to the redacted URL. Never put a key in it. */
  readonly label?: string;
  /** Deadline for the connection and for each eth_subscribe answer. Default 5,000 ms. */
  readonly requestTimeoutMs?: number;
  /** Ping interval; a pong missing by the next ping drops the connection. Default 2,000 ms. */
  readonly heartbeatMs?: number;
  /** Reconnect back-off: the k-th consecutive attempt waits random × min(maxMs, initialMs × 2^k). */
  readonly reconnect?: { readonly initialMs?: number; readonly maxMs?: number };
  readonly random?: () => number;
  readonly clock?: () => number;
  /** Told on every connection state change. */
  readonly onStateChange?: (event: WsStateEvent) => void;
}

export type WsStateEvent =
  | {
      readonly type: "connected";
      readonly endpoint: string;
      /** False for the first connection. */
      readonly reconnect: boolean;
      /** How long it was down (null for the first connection). */
      readonly downMs: number | null;
      /** Connection attempts that failed before this one succeeded. */
      readonly failedAttempts: number;
    }
  | { readonly type: "disconnected"; readonly endpoint: string; readonly cause: string };

/** A subscription that survives reconnects; `update` replaces its parameters (e.g. a new set of feeds). */
export interface WsSubscription {
  update(params: readonly unknown[]): void;
  cancel(): void;
  /** Epoch ms when the current connection confirmed it; null while not subscribed. */
  readonly confirmedAt: number | null;
}

interface SubscriptionEntry {
  params: readonly unknown[];
  readonly onResult: (result: unknown) => void;
  /** Told each time the subscription is confirmed on a connection (first time and after reconnects). */
  readonly onConfirmed?: () => void;
  serverId: string | null;
  confirmedAt: number | null;
  cancelled: boolean;
}

interface PendingRequest {
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class WsSubscriptionClient {
  readonly label: string;
  readonly #url: string;
  readonly #requestTimeoutMs: number;
  readonly #heartbeatMs: number;
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #random: () => number;
  readonly #clock: () => number;
  readonly #onStateChange: (event: WsStateEvent) => void;
  readonly #subscriptions = new Set<SubscriptionEntry>();
  readonly #byServerId = new Map<string, SubscriptionEntry>();
  readonly #pending = new Map<number, PendingRequest>();
  #socket: WebSocket | null = null;
  #connected = false;
  #closed = false;
  #everConnected = false;
  #failedAttempts = 0;
  #downSince: number | null = null;
  #nextId = 1;
  #heartbeat: NodeJS.Timeout | null = null;
  #reconnectTimer: NodeJS.Timeout | null = null;
  #awaitingPong = false;
  #reconnects = 0;

  constructor(options: WsSubscriptionClientOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new Error("WsSubscriptionClient: the subscription endpoint is not a URL (its value is not shown)");
    }
    if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") {
      throw new Error(`WsSubscriptionClient: ${redactUrl(options.url)} is not a ws:// or wss:// URL`);
    }
    this.#url = options.url;
    this.label = options.label ?? redactUrl(options.url);
    this.#requestTimeoutMs = positive(options.requestTimeoutMs ?? 5_000, "requestTimeoutMs");
    this.#heartbeatMs = positive(options.heartbeatMs ?? 2_000, "heartbeatMs");
    this.#initialMs = positive(options.reconnect?.initialMs ?? 100, "reconnect.initialMs");
    this.#maxMs = positive(options.reconnect?.maxMs ?? 5_000, "reconnect.maxMs");
    this.#random = options.random ?? Math.random;
    this.#clock = options.clock ?? Date.now;
    this.#onStateChange = options.onStateChange ?? (() => undefined);
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** Connections re-established after a drop, since start. */
  get reconnects(): number {
    return this.#reconnects;
  }

  /** Starts connecting; resolves once the first connection is up or has failed (reconnecting goes on either way). */
  start(): Promise<boolean> {
    return new Promise((resolve) => {
      this.#connect(resolve);
    });
  }

  /** A persistent subscription: `params` as eth_subscribe takes them (["newHeads"], ["logs", filter]). */
  subscribe(params: readonly unknown[], onResult: (result: unknown) => void, onConfirmed?: () => void): WsSubscription {
    const entry: SubscriptionEntry = { params, onResult, onConfirmed, serverId: null, confirmedAt: null, cancelled: false };
    this.#subscriptions.add(entry);
    if (this.#connected) void this.#subscribeOn(entry);
    return {
      update: (next) => {
        entry.params = next;
        if (this.#connected) void this.#resubscribe(entry);
      },
      cancel: () => {
        entry.cancelled = true;
        this.#subscriptions.delete(entry);
        void this.#unsubscribe(entry);
      },
      get confirmedAt() {
        return entry.confirmedAt;
      },
    };
  }

  /** Drops the current connection (a watchdog saw it go silent) and reconnects with back-off. */
  reconnect(cause: string): void {
    if (this.#closed || this.#socket === null) return;
    this.#drop(cause);
  }

  /** Closes for good. */
  close(): void {
    this.#closed = true;
    if (this.#reconnectTimer !== null) clearTimeout(this.#reconnectTimer);
    this.#stopHeartbeat();
    this.#failPending("client closed");
    const socket = this.#socket;
    this.#socket = null;
    this.#connected = false;
    socket?.removeAllListeners();
    socket?.on("error", () => undefined);
    socket?.terminate();
  }

  #connect(onFirstOutcome?: (connected: boolean) => void): void {
    if (this.#closed) return onFirstOutcome?.(false);
    const socket = new WebSocket(this.#url, { handshakeTimeout: this.#requestTimeoutMs });
    this.#socket = socket;
    let opened = false;
    socket.on("open", () => {
      opened = true;
      this.#connected = true;
      const reconnect = this.#everConnected;
      const downMs = this.#downSince === null ? null : this.#clock() - this.#downSince;
      const failedAttempts = this.#failedAttempts;
      this.#everConnected = true;
      this.#failedAttempts = 0;
      this.#downSince = null;
      if (reconnect) this.#reconnects += 1;
      this.#startHeartbeat();
      for (const entry of this.#subscriptions) void this.#subscribeOn(entry);
      this.#onStateChange({ type: "connected", endpoint: this.label, reconnect, downMs, failedAttempts });
      onFirstOutcome?.(true);
    });
    socket.on("message", (data) => this.#onMessage(String(data)));
    socket.on("pong", () => {
      this.#awaitingPong = false;
    });
    socket.on("error", (error) => {
      // "close" follows every error; the cause is recorded there.
      (socket as unknown as { lastError?: string }).lastError = transportReason(error);
    });
    socket.on("close", (code) => {
      if (this.#socket !== socket) return;
      const reason = (socket as unknown as { lastError?: string }).lastError ?? `closed (code ${code})`;
      this.#afterClose(reason);
      if (!opened) onFirstOutcome?.(false);
    });
  }

  #afterClose(cause: string): void {
    const wasConnected = this.#connected;
    this.#connected = false;
    this.#socket = null;
    this.#stopHeartbeat();
    this.#failPending(cause);
    for (const entry of this.#subscriptions) {
      entry.serverId = null;
      entry.confirmedAt = null;
    }
    this.#byServerId.clear();
    if (this.#closed) return;
    if (wasConnected) {
      this.#downSince = this.#clock();
      this.#onStateChange({ type: "disconnected", endpoint: this.label, cause });
    } else {
      this.#failedAttempts += 1;
      this.#downSince ??= this.#clock();
    }
    const ceiling = Math.min(this.#maxMs, this.#initialMs * 2 ** Math.min(this.#failedAttempts, 20));
    // Full jitter: many keepers (or one keeper's several endpoints) dropped together do not reconnect together.
    const delay = Math.floor(this.#random() * ceiling);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      this.#connect();
    }, delay);
    this.#reconnectTimer.unref();
  }

  #drop(cause: string): void {
    const socket = this.#socket;
    if (socket === null) return;
    (socket as unknown as { lastError?: string }).lastError = cause;
    socket.terminate();
  }

  #startHeartbeat(): void {
    this.#stopHeartbeat();
    this.#awaitingPong = false;
    this.#heartbeat = setInterval(() => {
      if (this.#awaitingPong) return this.#drop(`no pong within ${this.#heartbeatMs} ms`);
      this.#awaitingPong = true;
      try {
        this.#socket?.ping();
      } catch (error) {
        this.#drop(transportReason(error));
      }
    }, this.#heartbeatMs);
    this.#heartbeat.unref();
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat !== null) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
  }

  #onMessage(text: string): void {
    let message: { id?: unknown; result?: unknown; error?: { message?: string }; method?: unknown; params?: unknown };
    try {
      message = JSON.parse(text);
    } catch {
      return this.#drop(`a message that is not JSON`);
    }
    if (typeof message.id === "number") {
      const pending = this.#pending.get(message.id);
      if (pending === undefined) return;
      this.#pending.delete(message.id);
      clearTimeout(pending.timer);
      if (message.error !== undefined) pending.reject(new Error(`${this.label}: ${message.error.message ?? "error"}`));
      else pending.resolve(message.result);
      return;
    }
    if (message.method === "eth_subscription" && typeof message.params === "object" && message.params !== null) {
      const { subscription, result } = message.params as { subscription?: unknown; result?: unknown };
      const entry = typeof subscription === "string" ? this.#byServerId.get(subscription) : undefined;
      if (entry === undefined || entry.cancelled) return;
      try {
        entry.onResult(result);
      } catch {
        // A listener's bug is its own; the stream goes on.
      }
    }
  }

  #request(method: string, params: readonly unknown[]): Promise<unknown> {
    const socket = this.#socket;
    if (socket === null || !this.#connected) return Promise.reject(new Error(`${this.label}: not connected`));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${this.label}: no answer to ${method} within ${this.#requestTimeoutMs} ms`));
        this.#drop(`no answer to ${method} within ${this.#requestTimeoutMs} ms`);
      }, this.#requestTimeoutMs);
      timer.unref();
      this.#pending.set(id, { resolve, reject, timer });
      socket.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
    });
  }

  async #subscribeOn(entry: SubscriptionEntry): Promise<void> {
    try {
      const id = await this.#request("eth_subscribe", entry.params);
      if (typeof id !== "string") throw new Error(`${this.label}: eth_subscribe answered ${JSON.stringify(id)}, not a subscription id`);
      if (entry.cancelled) return void this.#request("eth_unsubscribe", [id]).catch(() => undefined);
      entry.serverId = id;
      entry.confirmedAt = this.#clock();
      this.#byServerId.set(id, entry);
      entry.onConfirmed?.();
    } catch (error) {
      // A refused subscription leaves the socket useless for it: reconnect and try again.
      this.#drop(`eth_subscribe failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async #resubscribe(entry: SubscriptionEntry): Promise<void> {
    await this.#unsubscribe(entry);
    await this.#subscribeOn(entry);
  }

  async #unsubscribe(entry: SubscriptionEntry): Promise<void> {
    const id = entry.serverId;
    entry.serverId = null;
    entry.confirmedAt = null;
    if (id === null) return;
    this.#byServerId.delete(id);
    await this.#request("eth_unsubscribe", [id]).catch(() => undefined);
  }

  #failPending(cause: string): void {
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.reject(new Error(`${this.label}: ${cause}`));
      this.#pending.delete(id);
    }
  }
}

function positive(value: number, field: string): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`WsSubscriptionClient: ${field} must be a positive number of ms, got ${value}`);
  return value;
}

/** The socket error's code (ECONNREFUSED, ECONNRESET...) or a short message; never the URL. */
function transportReason(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string") return code;
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/(wss?|https?):\/\/\S+/gi, "<endpoint>").slice(0, 120);
}
