/**
 * The RPC layer's errors. Two families matter to callers and must never be confused:
 * - an endpoint FAULT (timeout, HTTP error, unreachable, malformed or ill-typed answer, a node-side
 *   error such as "header not found") says nothing about the request, only about that endpoint: the
 *   pool demotes the endpoint and asks another;
 * - an ANSWER error (execution reverted, insufficient funds, invalid params) is the chain's verdict
 *   on the request itself: every honest endpoint would say the same, so it goes straight back to
 *   the caller and the endpoint keeps its good standing.
 * Every message names the endpoint by its redacted label, never by its raw URL.
 */

export type RpcFaultKind =
  | "timeout" // no complete answer within the per-call budget
  | "unreachable" // connection refused/reset, DNS failure
  | "http" // a non-2xx status (500, 429, 403...)
  | "malformed" // body is not JSON, or not a JSON-RPC response for our request
  | "invalid-result" // JSON-RPC result of the wrong type for the method (e.g. non-hex block number)
  | "node-error" // a JSON-RPC error object that reflects the node's state, not the request
  | "lagging"; // head more than K blocks behind the best endpoint

export interface JsonRpcErrorObject {
  readonly code: number;
  readonly message: string;
  readonly data?: unknown;
}

/** One endpoint failed one call. `endpoint` is the redacted label. */
export class RpcEndpointFault extends Error {
  override readonly name = "RpcEndpointFault";
  constructor(
    readonly endpoint: string,
    readonly method: string,
    readonly kind: RpcFaultKind,
    readonly detail: string,
    /** HTTP status for kind "http"; the JSON-RPC error for kind "node-error". */
    readonly status?: number,
    readonly rpcError?: JsonRpcErrorObject,
  ) {
    super(`RPC endpoint ${endpoint} failed ${method}: ${kind} (${detail})`);
  }
}

/** Every endpoint the pool could ask failed the same call; carries each one's reason. */
export class AllRpcEndpointsFailedError extends Error {
  override readonly name = "AllRpcEndpointsFailedError";
  constructor(
    readonly method: string,
    readonly faults: readonly RpcEndpointFault[],
  ) {
    super(
      faults.length === 0
        ? `no RPC endpoint available for ${method}: all are demoted and cooling down`
        : `all ${faults.length} RPC endpoint(s) failed ${method}: ` +
            faults.map((fault) => `${fault.endpoint} → ${fault.kind} (${fault.detail})`).join("; "),
    );
  }
}

/** The chain's own answer was an error (e.g. a revert); returned by the first endpoint that said so. */
export class RpcAnswerError extends Error {
  override readonly name = "RpcAnswerError";
  constructor(
    readonly endpoint: string,
    readonly method: string,
    readonly rpcError: JsonRpcErrorObject,
  ) {
    super(`${method} answered with error ${rpcError.code}: ${rpcError.message} (from ${endpoint})`);
  }
}

/**
 * JSON-RPC errors that are a verdict on the request rather than a symptom of the endpoint: asking
 * another endpoint would get the same answer, so failing over would only waste the time budget.
 * Code 3 is the standard "execution reverted"; -32602 is "invalid params". Message patterns cover
 * geth/reth/erigon/Hardhat wording for reverts and for gas/balance problems found while simulating.
 */
const ANSWER_ERROR_MESSAGE =
  /revert|invalid opcode|out of gas|gas required exceeds|insufficient funds|intrinsic gas too low|invalid argument|cannot unmarshal/i;

export function isAnswerError(error: JsonRpcErrorObject): boolean {
  return error.code === 3 || error.code === -32602 || ANSWER_ERROR_MESSAGE.test(error.message);
}
