/**
 * One JSON-RPC endpoint as an ethers v6 JsonRpcProvider whose transport the keeper controls:
 * - `staticNetwork`: the chain id comes from config, so a flaky endpoint never sends ethers into its
 *   chain-id probing/retry loop;
 * - one HTTP request per call (no batching), so a fault is attributed to exactly one method;
 * - a hard per-request deadline enforced with an AbortController, which really closes the request
 *   (ethers' own FetchRequest timeout only rejects and leaves the socket hanging);
 * - no silent retries on HTTP 429: the pool fails over to another endpoint instead of waiting;
 * - every failure becomes an `RpcEndpointFault` whose message carries the redacted label only,
 *   because ethers' own errors embed the request (and so the URL, with any key in it).
 */
import { JsonRpcProvider, Network } from "ethers";
import type { JsonRpcPayload, JsonRpcResult } from "ethers";
import { redactUrl } from "../telemetry/redact";
import { RpcEndpointFault, type JsonRpcErrorObject } from "./rpc-errors";

export interface EndpointProviderOptions {
  readonly url: string;
  readonly chainId: number;
  /** Deadline for one HTTP request, connection to last byte. */
  readonly timeoutMs: number;
  /** Printable name; defaults to the redacted URL. Never put a key in it. */
  readonly label?: string;
}

/** What one endpoint said to one request: a result, or a JSON-RPC error object. */
export type EndpointAnswer = { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: JsonRpcErrorObject };

/** Splits `https://user:pass@host/...` into a credential-free URL and a Basic auth header (fetch refuses userinfo). */
function separateCredentials(url: string): { requestUrl: string; headers: Record<string, string> } {
  const parsed = new URL(url);
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (parsed.username !== "" || parsed.password !== "") {
    const user = decodeURIComponent(parsed.username);
    const password = decodeURIComponent(parsed.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
    parsed.username = "";
    parsed.password = "";
  }
  return { requestUrl: parsed.toString(), headers };
}

function methodOf(payload: JsonRpcPayload | JsonRpcPayload[]): string {
  if (!Array.isArray(payload)) return payload.method;
  return payload.length === 1 ? payload[0].method : `batch(${payload.map((item) => item.method).join(",")})`;
}

/** A short, single-line excerpt of a body for error messages; bodies can be huge or binary. */
function excerpt(text: string): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > 120 ? `${oneLine.slice(0, 117)}...` : oneLine;
}

function isJsonRpcErrorObject(value: unknown): value is JsonRpcErrorObject {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { code?: unknown }).code === "number" &&
    typeof (value as { message?: unknown }).message === "string"
  );
}

export class EndpointProvider extends JsonRpcProvider {
  readonly label: string;
  readonly timeoutMs: number;
  readonly #requestUrl: string;
  readonly #headers: Readonly<Record<string, string>>;
  #nextId = 1;

  constructor(options: EndpointProviderOptions) {
    const network = Network.from(options.chainId);
    // The URL handed to ethers is never used for requests (`_send` is ours) but must parse.
    super(options.url, network, { staticNetwork: network, batchMaxCount: 1, cacheTimeout: 0 });
    if (!Number.isInteger(options.timeoutMs) || options.timeoutMs <= 0) {
      throw new Error(`timeoutMs must be a positive integer of milliseconds, got ${String(options.timeoutMs)}`);
    }
    const { requestUrl, headers } = separateCredentials(options.url);
    this.label = options.label ?? redactUrl(options.url);
    this.timeoutMs = options.timeoutMs;
    this.#requestUrl = requestUrl;
    this.#headers = headers;
  }

  /** The transport ethers calls for every request; see the file comment for why it is replaced. */
  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const method = methodOf(payload);
    const text = await this.#post(JSON.stringify(payload), method, this.timeoutMs);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new RpcEndpointFault(this.label, method, "malformed", `body is not JSON: ${excerpt(text)}`);
    }
    const items = Array.isArray(parsed) ? parsed : [parsed];
    for (const item of items) {
      if (typeof item !== "object" || item === null || !("id" in item) || !("result" in item || "error" in item)) {
        throw new RpcEndpointFault(this.label, method, "malformed", `not a JSON-RPC response: ${excerpt(text)}`);
      }
    }
    // ethers' own type claims results only, but it handles `{ id, error }` entries itself.
    return items as JsonRpcResult[];
  }

  /**
   * Sends one request and returns the endpoint's answer. Throws `RpcEndpointFault` for anything
   * that is not a well-formed answer to this request (timeouts, HTTP errors, garbage).
   */
  async rpcCall(method: string, params: readonly unknown[], timeoutMs = this.timeoutMs): Promise<EndpointAnswer> {
    const id = this.#nextId++;
    const body = JSON.stringify({ jsonrpc: "2.0", id, method, params });
    const text = await this.#post(body, method, timeoutMs);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new RpcEndpointFault(this.label, method, "malformed", `body is not JSON: ${excerpt(text)}`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new RpcEndpointFault(this.label, method, "malformed", `expected a JSON-RPC object, got ${excerpt(text)}`);
    }
    const response = parsed as { id?: unknown; result?: unknown; error?: unknown };
    if (response.id !== id) {
      throw new RpcEndpointFault(this.label, method, "malformed", `answer id ${String(response.id)} does not match request id ${id}`);
    }
    if (response.error !== undefined && response.error !== null) {
      if (!isJsonRpcErrorObject(response.error)) {
        throw new RpcEndpointFault(this.label, method, "malformed", `error member is not {code, message}: ${excerpt(text)}`);
      }
      const { code, message, data } = response.error;
      return { ok: false, error: { code, message, data } };
    }
    if (!("result" in response)) {
      throw new RpcEndpointFault(this.label, method, "malformed", "response has neither result nor error");
    }
    return { ok: true, result: response.result };
  }

  async #post(body: string, method: string, timeoutMs: number): Promise<string> {
    const controller = new AbortController();
    const timeoutFault = new RpcEndpointFault(this.label, method, "timeout", `no answer within ${timeoutMs} ms`);
    const timer = setTimeout(() => controller.abort(timeoutFault), timeoutMs);
    try {
      const response = await fetch(this.#requestUrl, {
        method: "POST",
        headers: this.#headers,
        body,
        signal: controller.signal,
      });
      const text = await response.text();
      if (response.status < 200 || response.status > 299) {
        throw new RpcEndpointFault(this.label, method, "http", `HTTP ${response.status}: ${excerpt(text)}`, response.status);
      }
      return text;
    } catch (error) {
      if (error instanceof RpcEndpointFault) throw error;
      if (controller.signal.aborted) throw timeoutFault;
      throw new RpcEndpointFault(this.label, method, "unreachable", transportReason(error));
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Node's fetch hides the socket error in `cause`; keep only its code and host:port, never the URL. */
function transportReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (cause && typeof cause.code === "string") return cause.code;
  if (cause && typeof cause.message === "string") return excerpt(cause.message);
  return error instanceof Error ? excerpt(error.message) : "transport failure";
}
