/** The keeper's RPC layer: read failover with head tracking, per-endpoint providers, URL redaction. */
export { redactUrl } from "./redact-url";
export {
  ReadProviderPool,
  type ReadProviderPoolOptions,
  type ReadEndpointConfig,
  type PoolHeads,
  type EndpointHealthEvent,
} from "./read-provider-pool";
export { PooledProvider, type RawRpcRequester } from "./pooled-provider";
export { EndpointProvider, type EndpointProviderOptions, type EndpointAnswer } from "./endpoint-provider";
export type { EndpointHealthSnapshot } from "./endpoint-health";
export {
  RpcEndpointFault,
  AllRpcEndpointsFailedError,
  RpcAnswerError,
  isAnswerError,
  type RpcFaultKind,
  type JsonRpcErrorObject,
} from "./rpc-errors";
export { checkResult, parseQuantity, isHexQuantity } from "./answer-validation";
