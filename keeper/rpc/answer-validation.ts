/**
 * Shape checks for JSON-RPC results. A node that answers `eth_blockNumber` with "latest-ish", a
 * number instead of a hex string, or a block without a number is broken (or a proxy in front of it
 * is), and trusting it would poison the health factors the keeper acts on. Such an answer is an
 * endpoint fault, so the pool asks another endpoint. Methods without a rule here are accepted as
 * long as a result is present; the checks cover what the keeper's hot path reads.
 */

// Leading zeros are tolerated: the spec forbids them, but they are harmless and some nodes emit them.
const HEX_QUANTITY = /^0x[0-9a-fA-F]+$/;
const HEX_DATA = /^0x([0-9a-fA-F]{2})*$/;
const HASH = /^0x[0-9a-fA-F]{64}$/;

/** Returns a description of what is wrong with `result` for `method`, or null when it is acceptable. */
export type ResultCheck = (result: unknown, params?: readonly unknown[]) => string | null;

function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "nothing";
  const text = typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  const shown = text.length > 60 ? `${text.slice(0, 57)}...` : text;
  return `${typeof value} ${shown}`;
}

export const isHexQuantity = (value: unknown): value is string => typeof value === "string" && HEX_QUANTITY.test(value);

const quantity: ResultCheck = (result) => (isHexQuantity(result) ? null : `expected a hex quantity like "0x1a", got ${describe(result)}`);

const data: ResultCheck = (result) =>
  typeof result === "string" && HEX_DATA.test(result) ? null : `expected hex data like "0x...", got ${describe(result)}`;

const hash: ResultCheck = (result) =>
  typeof result === "string" && HASH.test(result) ? null : `expected a 32-byte hash, got ${describe(result)}`;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A block may legitimately be null (not yet produced); when present it needs a hex number. */
const blockOrNull: ResultCheck = (result) => {
  if (result === null) return null;
  if (!isObject(result)) return `expected a block object or null, got ${describe(result)}`;
  if (!isHexQuantity(result.number)) return `block.number must be a hex quantity, got ${describe(result.number)}`;
  if (result.baseFeePerGas !== undefined && !isHexQuantity(result.baseFeePerGas)) {
    return `block.baseFeePerGas must be a hex quantity, got ${describe(result.baseFeePerGas)}`;
  }
  if (!(typeof result.hash === "string" && HASH.test(result.hash))) {
    return `block.hash must be a 32-byte hash, got ${describe(result.hash)}`;
  }
  // Denim's millisecond field, where served, is a quantity like every other.
  if (result.timestampMs !== undefined && !isHexQuantity(result.timestampMs)) {
    return `block.timestampMs must be a hex quantity, got ${describe(result.timestampMs)}`;
  }
  return null;
};

const receiptOrNull: ResultCheck = (result) => {
  if (result === null) return null;
  if (!isObject(result)) return `expected a receipt object or null, got ${describe(result)}`;
  for (const field of ["blockNumber", "gasUsed", "status"] as const) {
    if (!isHexQuantity(result[field])) return `receipt.${field} must be a hex quantity, got ${describe(result[field])}`;
  }
  if (!(typeof result.transactionHash === "string" && HASH.test(result.transactionHash))) {
    return `receipt.transactionHash must be a 32-byte hash, got ${describe(result.transactionHash)}`;
  }
  return null;
};

const logs: ResultCheck = (result) => {
  if (!Array.isArray(result)) return `expected an array of logs, got ${describe(result)}`;
  const bad = result.findIndex((log) => !isObject(log) || !isHexQuantity(log.blockNumber) || typeof log.data !== "string");
  return bad === -1 ? null : `log #${bad} lacks a hex blockNumber or data: ${describe(result[bad])}`;
};

const feeHistory: ResultCheck = (result) => {
  if (!isObject(result) || !Array.isArray(result.baseFeePerGas)) {
    return `expected { baseFeePerGas: [...] }, got ${describe(result)}`;
  }
  return result.baseFeePerGas.every(isHexQuantity) ? null : "feeHistory.baseFeePerGas holds a non-hex entry";
};

const transactionOrNull: ResultCheck = (result) => {
  if (result === null) return null;
  if (!isObject(result)) return `expected a transaction object or null, got ${describe(result)}`;
  return isHexQuantity(result.nonce) ? null : `transaction.nonce must be a hex quantity, got ${describe(result.nonce)}`;
};

const RESULT_CHECKS: Readonly<Record<string, ResultCheck>> = {
  eth_blockNumber: quantity,
  eth_chainId: quantity,
  eth_gasPrice: quantity,
  eth_maxPriorityFeePerGas: quantity,
  eth_blobBaseFee: quantity,
  eth_getBalance: quantity,
  eth_getTransactionCount: quantity,
  eth_estimateGas: quantity,
  eth_call: data,
  eth_getCode: data,
  eth_getStorageAt: data,
  eth_sendRawTransaction: hash,
  eth_getBlockByNumber: blockOrNull,
  eth_getBlockByHash: blockOrNull,
  eth_getTransactionReceipt: receiptOrNull,
  eth_getTransactionByHash: transactionOrNull,
  eth_getLogs: logs,
  eth_feeHistory: feeHistory,
};

/** Checks a result for `method`; null means acceptable. An absent result is never acceptable. */
export function checkResult(method: string, result: unknown, params?: readonly unknown[]): string | null {
  if (result === undefined) return "the response has neither result nor error";
  const check = RESULT_CHECKS[method];
  return check === undefined ? null : check(result, params);
}

/** Parses a hex quantity that `checkResult` has accepted; throws with `what` named otherwise. */
export function parseQuantity(value: unknown, what: string): bigint {
  if (!isHexQuantity(value)) throw new Error(`${what}: expected a hex quantity, got ${describe(value)}`);
  return BigInt(value);
}
