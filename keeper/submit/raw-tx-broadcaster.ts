/**
 * The Base send path: one signed transaction, sent to EVERY configured private send endpoint at
 * once. Base has no public mempool (BASE.md): eth_sendRawTransaction to the sequencer through a
 * low-latency RPC is already private, and sending through several endpoints in parallel makes the
 * fastest one win while a slow or broken one costs nothing.
 *
 * Success as soon as any endpoint accepts (or says "already known"). If none accepts but one says
 * "nonce too low", the transaction may simply have been mined already: a receipt for our hash
 * makes that a success, no receipt means another transaction used the nonce. Otherwise the error
 * lists each endpoint's reason, endpoints named by redacted label.
 */
import { EndpointProvider } from "../rpc/endpoint-provider";
import { RpcEndpointFault } from "../rpc/rpc-errors";
import { classifySendError, isAccepted, type SendOutcome } from "./send-answer";
import type { BroadcastReport, EndpointSendAnswer } from "./types";

export interface SendEndpointConfig {
  readonly url: string;
  /** Printable name; defaults to the redacted URL. Never put a key in it. */
  readonly label?: string;
}

/** Looks up whether a transaction hash has a receipt; an ethers Provider satisfies it. */
export interface ReceiptLookup {
  getTransactionReceipt(hash: string): Promise<unknown | null>;
}

export interface RawTxBroadcasterOptions {
  readonly chainId: number;
  readonly endpoints: readonly SendEndpointConfig[];
  /** Deadline per endpoint. Default 2,000 ms. */
  readonly timeoutMs?: number;
  /** Read path used to tell "nonce too low because ours was mined" from "because another tx was". */
  readonly receipts: ReceiptLookup;
}

/** No endpoint took the transaction; `reason` says whether the nonce is gone or it was just refused. */
export class BroadcastRejectedError extends Error {
  override readonly name = "BroadcastRejectedError";
  constructor(
    readonly reason: "nonce-consumed" | "refused-by-all-endpoints",
    readonly txHash: string,
    readonly answers: readonly EndpointSendAnswer[],
  ) {
    const lead =
      reason === "nonce-consumed"
        ? `transaction ${txHash} was not sent: its nonce is already used by another transaction`
        : `transaction ${txHash} was refused by all ${answers.length} send endpoint(s)`;
    super(`${lead}: ${answers.map((answer) => `${answer.endpoint} → ${answer.outcome} (${answer.detail})`).join("; ")}`);
  }
}

export class RawTxBroadcaster {
  readonly #endpoints: readonly EndpointProvider[];
  readonly #receipts: ReceiptLookup;

  constructor(options: RawTxBroadcasterOptions) {
    if (options.endpoints.length === 0) throw new Error("RawTxBroadcaster: endpoints must list at least one send RPC URL");
    const timeoutMs = options.timeoutMs ?? 2_000;
    this.#endpoints = options.endpoints.map((config, index) => {
      try {
        return new EndpointProvider({ url: config.url, chainId: options.chainId, timeoutMs, label: config.label });
      } catch (error) {
        throw new Error(
          `RawTxBroadcaster: send endpoints[${index}] is not a usable http(s) URL (${(error as Error).message.split(":")[0]})`,
        );
      }
    });
    this.#receipts = options.receipts;
  }

  get endpointLabels(): string[] {
    return this.#endpoints.map((endpoint) => endpoint.label);
  }

  /** Sends `raw` everywhere; resolves at the first acceptance, rejects with `BroadcastRejectedError` if none. */
  broadcast(signed: { readonly raw: string; readonly hash: string }): Promise<BroadcastReport> {
    const pending = this.#endpoints.map((endpoint) => this.#sendTo(endpoint, signed.raw, signed.hash));
    const allAnswers = Promise.all(pending);
    return new Promise((resolve, reject) => {
      let answered = 0;
      let done = false;
      const acceptedBy: string[] = [];
      for (const answer of pending) {
        void answer.then(async (result) => {
          answered++;
          if (isAccepted(result.outcome)) acceptedBy.push(result.endpoint);
          if (done) return;
          if (acceptedBy.length > 0) {
            done = true;
            resolve({ path: "raw", acceptedBy, alreadyIncluded: false, allAnswers });
            return;
          }
          if (answered < pending.length) return;
          done = true;
          try {
            resolve(await this.#settleWithoutAcceptance(signed.hash, await allAnswers, allAnswers));
          } catch (error) {
            reject(error);
          }
        });
      }
    });
  }

  destroy(): void {
    for (const endpoint of this.#endpoints) endpoint.destroy();
  }

  async #settleWithoutAcceptance(
    hash: string,
    answers: readonly EndpointSendAnswer[],
    allAnswers: Promise<readonly EndpointSendAnswer[]>,
  ): Promise<BroadcastReport> {
    if (answers.some((answer) => answer.outcome === "nonce-too-low")) {
      let receipt: unknown = null;
      try {
        receipt = await this.#receipts.getTransactionReceipt(hash);
      } catch {
        // Unknown is treated as "not ours": the nonce manager re-reads the chain either way.
      }
      if (receipt !== null && receipt !== undefined) return { path: "raw", acceptedBy: [], alreadyIncluded: true, allAnswers };
      throw new BroadcastRejectedError("nonce-consumed", hash, answers);
    }
    throw new BroadcastRejectedError("refused-by-all-endpoints", hash, answers);
  }

  /** Never rejects: every failure becomes an answer, so one endpoint cannot fail the broadcast. */
  async #sendTo(endpoint: EndpointProvider, raw: string, hash: string): Promise<EndpointSendAnswer> {
    let outcome: SendOutcome;
    let detail: string;
    try {
      const answer = await endpoint.rpcCall("eth_sendRawTransaction", [raw]);
      if (answer.ok) {
        const returned = typeof answer.result === "string" ? answer.result.toLowerCase() : null;
        if (returned === hash.toLowerCase()) {
          outcome = "accepted";
          detail = "accepted";
        } else {
          // An endpoint that answers with another hash is not speaking about our transaction.
          outcome = "unreachable";
          detail = `answered with ${JSON.stringify(answer.result)?.slice(0, 80)} instead of the transaction hash`;
        }
      } else {
        outcome = classifySendError(answer.error, hash);
        detail = `${answer.error.code}: ${answer.error.message.slice(0, 160)}`;
      }
    } catch (error) {
      outcome = "unreachable";
      detail = error instanceof RpcEndpointFault ? `${error.kind}: ${error.detail}` : String(error);
    }
    return { endpoint: endpoint.label, outcome, detail };
  }
}
