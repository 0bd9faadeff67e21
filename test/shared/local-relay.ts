/**
 * A local bundle relay: a real HTTP JSON-RPC server on 127.0.0.1 that speaks eth_callBundle and
 * eth_sendBundle the way the Flashbots relay does, in front of the in-process Hardhat node.
 *
 * Test double (no relay ships as bytecode or npm server): it reproduces the parts of the protocol
 * the keeper depends on —
 * - auth: every request must carry `X-Flashbots-Signature: <address>:<signature>`, where the
 *   signature is an EIP-191 personal_sign of keccak256(body) as a 0x-hex string (exactly what
 *   @flashbots/ethers-provider-bundle sends: `signMessage(id(body))`); a missing, malformed or
 *   mismatched signature gets HTTP 403 with a JSON-RPC error, like the real relay. An optional
 *   allowlist of searcher addresses emulates a permissioned relay/builder;
 * - eth_callBundle: runs the bundle's transactions for real on the upstream node inside an EVM
 *   snapshot (eth_call first to catch a revert, then execute so later transactions see the state),
 *   reports per-transaction gas, fees and reverts in the relay's result shape, and reverts the
 *   snapshot;
 * - eth_sendBundle: for the next block, lands all transactions atomically in one block (automine
 *   paused, transactions sent, one block mined); a bundle with a reverting transaction is dropped,
 *   as a builder would. `missNextBundles(n)` makes the relay lose the next n auctions: the target
 *   block is mined without the bundle.
 * Every request is recorded for assertions.
 */
import type http from "node:http";
import { Transaction, getAddress, id, keccak256, verifyMessage } from "ethers";
import { closeNow, listenOnLoopback, readBody, respond } from "./loopback-http";

export interface RecordedRelayRequest {
  readonly method: string;
  readonly params: unknown;
  /** Address that signed the body, when the signature verified. */
  readonly signer: string | null;
  /** Why the relay refused the request, or null. */
  readonly refusal: string | null;
}

export interface LandedBundle {
  readonly bundleHash: string;
  readonly targetBlock: number;
  readonly txHashes: readonly string[];
  /** "landed" in the target block, "missed" (lost auction), "dropped" (a tx reverted), "stale" (target not next). */
  readonly fate: "landed" | "missed" | "dropped" | "stale";
}

export interface LocalRelayOptions {
  /** JSON-RPC URL of the node the relay simulates on and lands bundles in (e.g. from startLocalNode). */
  readonly upstreamUrl: string;
  /** When set, only these searcher (auth) addresses may use the relay. */
  readonly allowedSearchers?: readonly string[];
  /** The relay stops itself after this long. Default 120,000 ms. */
  readonly maxLifetimeMs?: number;
}

interface SendBundleParams {
  readonly txs: string[];
  readonly blockNumber: string;
}

interface CallBundleParams {
  readonly txs: string[];
  readonly blockNumber: string;
  readonly stateBlockNumber?: string;
}

class RelayRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export class LocalRelay {
  readonly url: string;
  readonly requests: RecordedRelayRequest[] = [];
  readonly bundles: LandedBundle[] = [];
  readonly #server: http.Server;
  readonly #upstreamUrl: string;
  readonly #allowed: ReadonlySet<string> | null;
  readonly #lifetimeTimer: NodeJS.Timeout;
  #missesLeft = 0;
  #nextUpstreamId = 1;
  /** One bundle operation at a time: snapshots and automine toggles must not interleave. */
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(server: http.Server, url: string, options: LocalRelayOptions) {
    this.#server = server;
    this.#upstreamUrl = options.upstreamUrl;
    this.#allowed = options.allowedSearchers ? new Set(options.allowedSearchers.map((address) => getAddress(address))) : null;
    this.url = url;
    this.#lifetimeTimer = setTimeout(() => void this.stop(), options.maxLifetimeMs ?? 120_000);
    this.#lifetimeTimer.unref();
    server.on("request", (req, res) => void this.#handle(req, res));
  }

  static async start(options: LocalRelayOptions): Promise<LocalRelay> {
    const { server, url } = await listenOnLoopback();
    return new LocalRelay(server, url, options);
  }

  /** The next `count` eth_sendBundle calls lose their auction: the target block is built without them. */
  missNextBundles(count: number): void {
    this.#missesLeft = count;
  }

  requestsFor(method: string): RecordedRelayRequest[] {
    return this.requests.filter((request) => request.method === method);
  }

  async stop(): Promise<void> {
    clearTimeout(this.#lifetimeTimer);
    if (!this.#server.listening) return;
    await closeNow(this.#server);
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req);
    let request: { id?: unknown; method?: unknown; params?: unknown };
    try {
      request = JSON.parse(body) as typeof request;
    } catch {
      return respondJson(res, 400, { jsonrpc: "2.0", id: null, error: { code: -32700, message: "invalid json body" } });
    }
    const method = typeof request.method === "string" ? request.method : "";
    const requestId = request.id ?? null;
    let signer: string | null = null;
    try {
      signer = this.#authenticate(req.headers["x-flashbots-signature"], body);
      const result = await this.#serialised(() => this.#dispatch(method, request.params));
      this.requests.push({ method, params: request.params, signer, refusal: null });
      respondJson(res, 200, { jsonrpc: "2.0", id: requestId, result });
    } catch (error) {
      const refusal = error instanceof RelayRefusal ? error : new RelayRefusal(500, -32603, `internal error: ${(error as Error).message}`);
      this.requests.push({ method, params: request.params, signer, refusal: refusal.message });
      respondJson(res, refusal.status, { jsonrpc: "2.0", id: requestId, error: { code: refusal.code, message: refusal.message } });
    }
  }

  /** Verifies the signature header; returns the signer. Mirrors the relay's checks and wording. */
  #authenticate(header: string | string[] | undefined, body: string): string {
    if (typeof header !== "string" || header === "") throw new RelayRefusal(403, -32600, "missing X-Flashbots-Signature header");
    const parts = header.split(":");
    if (parts.length !== 2) throw new RelayRefusal(403, -32600, "invalid X-Flashbots-Signature header");
    const [claimed, signature] = parts;
    let recovered: string;
    try {
      recovered = verifyMessage(id(body), signature);
    } catch {
      throw new RelayRefusal(403, -32600, `error in signature check ${claimed}`);
    }
    if (recovered.toLowerCase() !== claimed.toLowerCase()) {
      throw new RelayRefusal(403, -32600, `signer address does not equal expected, got ${recovered}, expected ${claimed}`);
    }
    if (this.#allowed !== null && !this.#allowed.has(getAddress(recovered))) {
      throw new RelayRefusal(403, -32600, `searcher ${recovered} is not authorised on this relay`);
    }
    return getAddress(recovered);
  }

  async #dispatch(method: string, params: unknown): Promise<unknown> {
    const first = Array.isArray(params) ? params[0] : undefined;
    if (method === "eth_callBundle") return this.#callBundle(checkBundleParams(first, method) as CallBundleParams);
    if (method === "eth_sendBundle") return this.#sendBundle(checkBundleParams(first, method));
    throw new RelayRefusal(400, -32601, `invalid method, only eth_sendBundle,eth_callBundle supported, you provided: ${method}`);
  }

  async #callBundle(params: CallBundleParams): Promise<unknown> {
    const snapshot = await this.#upstream<string>("evm_snapshot", []);
    try {
      const stateBlock = Number(BigInt(await this.#upstream<string>("eth_blockNumber", [])));
      const latest = await this.#upstream<{ miner: string }>("eth_getBlockByNumber", ["latest", false]);
      const coinbase = latest.miner;
      const coinbaseBefore = BigInt(await this.#upstream<string>("eth_getBalance", [coinbase, "latest"]));
      const results: Record<string, unknown>[] = [];
      let totalGasUsed = 0n;
      let gasFees = 0n;
      for (const raw of params.txs) {
        const tx = Transaction.from(raw);
        const common = { txHash: tx.hash, fromAddress: tx.from, toAddress: tx.to ?? "0x" };
        const call = { from: tx.from, to: tx.to, data: tx.data, value: `0x${tx.value.toString(16)}`, gas: `0x${tx.gasLimit.toString(16)}` };
        const reverted = await this.#upstreamError("eth_call", [call, "latest"]);
        if (reverted !== null) {
          results.push({
            ...common,
            gasUsed: 0,
            gasPrice: "0",
            gasFees: "0",
            coinbaseDiff: "0",
            error: "execution reverted",
            revert: reverted,
          });
          continue;
        }
        const refused = await this.#upstreamError("eth_sendRawTransaction", [raw]);
        if (refused !== null) {
          // e.g. a wrong nonce: the relay reports it on the transaction, like a failed simulation.
          results.push({ ...common, gasUsed: 0, gasPrice: "0", gasFees: "0", coinbaseDiff: "0", error: refused, revert: "" });
          continue;
        }
        const receipt = await this.#upstream<{ gasUsed: string; effectiveGasPrice: string; status: string }>("eth_getTransactionReceipt", [
          tx.hash,
        ]);
        const gasUsed = BigInt(receipt.gasUsed);
        const price = BigInt(receipt.effectiveGasPrice);
        totalGasUsed += gasUsed;
        gasFees += gasUsed * price;
        const entry = {
          ...common,
          gasUsed: Number(gasUsed),
          gasPrice: price.toString(),
          gasFees: (gasUsed * price).toString(),
          coinbaseDiff: "0",
        };
        results.push(
          receipt.status === "0x1"
            ? { ...entry, value: "0x", ethSentToCoinbase: "0" }
            : { ...entry, error: "execution reverted", revert: "" },
        );
      }
      const coinbaseAfter = BigInt(await this.#upstream<string>("eth_getBalance", [coinbase, "latest"]));
      const coinbaseDiff = coinbaseAfter - coinbaseBefore;
      return {
        bundleGasPrice: totalGasUsed === 0n ? "0" : (gasFees / totalGasUsed).toString(),
        bundleHash: bundleHashOf(params.txs),
        coinbaseDiff: coinbaseDiff.toString(),
        ethSentToCoinbase: "0",
        gasFees: gasFees.toString(),
        results,
        stateBlockNumber: stateBlock,
        totalGasUsed: Number(totalGasUsed),
      };
    } finally {
      await this.#upstream("evm_revert", [snapshot]);
    }
  }

  async #sendBundle(params: SendBundleParams): Promise<unknown> {
    const bundleHash = bundleHashOf(params.txs);
    const targetBlock = Number(BigInt(params.blockNumber));
    const txHashes = params.txs.map((raw) => keccak256(raw));
    const head = Number(BigInt(await this.#upstream<string>("eth_blockNumber", [])));
    if (targetBlock !== head + 1) {
      // A real relay accepts bundles for any future block; this one only builds the next block.
      this.bundles.push({ bundleHash, targetBlock, txHashes, fate: "stale" });
      return { bundleHash };
    }
    if (this.#missesLeft > 0) {
      this.#missesLeft--;
      await this.#upstream("evm_mine", []);
      this.bundles.push({ bundleHash, targetBlock, txHashes, fate: "missed" });
      return { bundleHash };
    }
    const automine = await this.#upstream<boolean>("hardhat_getAutomine", []);
    const snapshot = await this.#upstream<string>("evm_snapshot", []);
    await this.#upstream("evm_setAutomine", [false]);
    let fate: LandedBundle["fate"] = "landed";
    try {
      for (const raw of params.txs) await this.#upstream("eth_sendRawTransaction", [raw]);
      await this.#upstream("evm_mine", []);
      for (const hash of txHashes) {
        const receipt = await this.#upstream<{ status: string } | null>("eth_getTransactionReceipt", [hash]);
        if (receipt === null || receipt.status !== "0x1") fate = "dropped";
      }
    } catch {
      fate = "dropped";
    } finally {
      if (fate === "dropped") {
        // Builders leave out bundles that revert: undo the block and build it empty instead.
        await this.#upstream("evm_revert", [snapshot]);
        await this.#upstream("evm_mine", []);
      }
      await this.#upstream("evm_setAutomine", [automine]);
    }
    this.bundles.push({ bundleHash, targetBlock, txHashes, fate });
    return { bundleHash };
  }

  #serialised<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #post(method: string, params: unknown[]): Promise<{ result?: unknown; error?: { message: string; data?: unknown } }> {
    const response = await fetch(this.#upstreamUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: this.#nextUpstreamId++, method, params }),
    });
    return (await response.json()) as { result?: unknown; error?: { message: string } };
  }

  async #upstream<T = unknown>(method: string, params: unknown[]): Promise<T> {
    const answer = await this.#post(method, params);
    if (answer.error) throw new Error(`upstream ${method} failed: ${answer.error.message}`);
    return answer.result as T;
  }

  /** The upstream's error message for a call, or null when it succeeded. */
  async #upstreamError(method: string, params: unknown[]): Promise<string | null> {
    const answer = await this.#post(method, params);
    return answer.error ? answer.error.message : null;
  }
}

/** keccak256 of the concatenated transaction hashes, as the relay and the client library compute it. */
function bundleHashOf(rawTransactions: readonly string[]): string {
  return keccak256(`0x${rawTransactions.map((raw) => keccak256(raw).slice(2)).join("")}`);
}

function checkBundleParams(value: unknown, method: string): SendBundleParams {
  const params = value as Partial<SendBundleParams> | undefined;
  if (!params || !Array.isArray(params.txs) || params.txs.length === 0 || typeof params.blockNumber !== "string") {
    throw new RelayRefusal(400, -32602, `${method} expects [{ txs: [rawTx, ...], blockNumber: "0x..." }]`);
  }
  return params as SendBundleParams;
}

/** Answers with `payload` as JSON. */
function respondJson(res: http.ServerResponse, status: number, payload: unknown): void {
  respond(res, status, JSON.stringify(payload));
}
