/**
 * Multicall3 `aggregate3` batching: many view calls, one `eth_call`.
 *
 * The keeper reads tens of thousands of balances per full rescan, so the per-call cost of the usual
 * ABI coder (building a Result per sub-call) dominates. The codec here is written for the one fixed
 * shape `aggregate3((address target, bool allowFailure, bytes callData)[])` →
 * `(bool success, bytes returnData)[]` and works on hex strings directly; it is checked against
 * ethers' coder (with the IMulticall3 TypeChain binding) in test/unit/keeper/markets/multicall.test.ts.
 *
 * Multicall3 lives at 0xcA11bde05977b3631167028862bE2a173976CA11 on Base and every major chain; the
 * sandbox places it there too (sandbox/canonical-contracts.ts).
 */
import type { BlockTag } from "ethers";
import type { Address } from "../config/address-book";

/** `aggregate3((address,bool,bytes)[])` selector. */
export const AGGREGATE3_SELECTOR = "0x82ad56cb";
/** `getCurrentBlockTimestamp()` selector: lets a batch report the timestamp its reads were taken at. */
export const GET_CURRENT_BLOCK_TIMESTAMP_SELECTOR = "0x0f28c97d";

export interface MulticallCall {
  readonly target: Address;
  /** 0x-prefixed calldata. */
  readonly callData: string;
  /** When false a failing sub-call reverts the whole batch; the client defaults to true. */
  readonly allowFailure?: boolean;
}

export interface MulticallResult {
  readonly success: boolean;
  /** 0x-prefixed return data (or revert data when `success` is false). */
  readonly returnData: string;
}

/** The one provider method the client needs; ethers' Provider and HardhatEthersProvider both fit. */
export interface CallProvider {
  call(request: { to: string; data: string; blockTag?: BlockTag }): Promise<string>;
}

export interface MulticallClientOptions {
  /** Sub-calls per `eth_call`. Public RPCs cap eth_call gas (often 50M); ~1,000 balance reads fit well under it. */
  readonly batchSize?: number;
  /** Batches in flight at once. A remote RPC overlaps them; the in-process chain runs them one by one anyway. */
  readonly maxConcurrentBatches?: number;
}

export interface MulticallStats {
  /** `eth_call`s sent (one per batch, plus retries of split batches). */
  rpcCalls: number;
  subCalls: number;
}

const WORD = 64; // hex characters in one 32-byte ABI word

function word(value: number | bigint): string {
  return value.toString(16).padStart(WORD, "0");
}

function strip0x(hex: string): string {
  return hex.startsWith("0x") || hex.startsWith("0X") ? hex.slice(2) : hex;
}

/** Encodes `aggregate3(calls)` calldata. */
export function encodeAggregate3(calls: readonly MulticallCall[]): string {
  const parts: string[] = [AGGREGATE3_SELECTOR, word(0x20), word(calls.length)];
  const bodies: string[] = [];
  // Offsets of the dynamic tuples are counted from the first offset slot (right after the length).
  let offset = calls.length * 32;
  for (const call of calls) {
    const data = strip0x(call.callData);
    if (data.length % 2 !== 0) throw new Error(`multicall: callData for ${call.target} has an odd number of hex digits`);
    const target = strip0x(call.target).toLowerCase();
    if (target.length !== 40) throw new Error(`multicall: target ${call.target} is not a 20-byte address`);
    const byteLength = data.length / 2;
    const paddedHex = data.padEnd(Math.ceil(byteLength / 32) * WORD, "0");
    parts.push(word(offset));
    bodies.push(
      target.padStart(WORD, "0"),
      word(call.allowFailure === false ? 0 : 1),
      word(0x60), // offset of `callData` inside the tuple: after target, allowFailure and this slot
      word(byteLength),
      paddedHex,
    );
    offset += 32 * 4 + paddedHex.length / 2;
  }
  return parts.join("") + bodies.join("");
}

/** Decodes the `(bool success, bytes returnData)[]` that `aggregate3` returns. */
export function decodeAggregate3Result(returnData: string): MulticallResult[] {
  const hex = strip0x(returnData);
  const readNumber = (byteOffset: number): number => {
    const slice = hex.slice(byteOffset * 2, byteOffset * 2 + WORD);
    if (slice.length !== WORD) throw new Error(`multicall: return data truncated at byte ${byteOffset}`);
    const value = Number.parseInt(slice, 16);
    if (!Number.isSafeInteger(value)) throw new Error(`multicall: malformed offset or length at byte ${byteOffset}`);
    return value;
  };
  const arrayStart = readNumber(0);
  const length = readNumber(arrayStart);
  const elementsStart = arrayStart + 32;
  const results: MulticallResult[] = new Array(length);
  for (let i = 0; i < length; i++) {
    const tupleStart = elementsStart + readNumber(elementsStart + i * 32);
    const success = readNumber(tupleStart) !== 0;
    const bytesStart = tupleStart + readNumber(tupleStart + 32);
    const byteLength = readNumber(bytesStart);
    const dataStart = (bytesStart + 32) * 2;
    if (hex.length < dataStart + byteLength * 2) throw new Error(`multicall: return data of call ${i} truncated`);
    results[i] = { success, returnData: "0x" + hex.slice(dataStart, dataStart + byteLength * 2) };
  }
  return results;
}

/** Calldata for a function taking one address: `selector ‖ address`. */
export function encodeAddressArgCall(selector: string, account: string): string {
  return selector + strip0x(account).toLowerCase().padStart(WORD, "0");
}

/** Calldata for a function taking a list of static 32-byte arguments (addresses, uints, bytes32). */
export function encodeStaticArgsCall(selector: string, args: readonly (string | bigint | number)[]): string {
  let out = selector;
  for (const arg of args) {
    out += typeof arg === "string" ? strip0x(arg).toLowerCase().padStart(WORD, "0") : word(BigInt(arg));
  }
  return out;
}

/** The `index`-th 32-byte word of return data as an unsigned integer. */
export function decodeUintWord(returnData: string, index = 0): bigint {
  const hex = strip0x(returnData);
  const slice = hex.slice(index * WORD, (index + 1) * WORD);
  if (slice.length !== WORD) {
    throw new Error(`multicall: expected at least ${index + 1} return word(s), got ${hex.length / 2} bytes`);
  }
  return BigInt("0x" + slice);
}

/** The `index`-th word as an address. */
export function decodeAddressWord(returnData: string, index = 0): Address {
  const value = decodeUintWord(returnData, index);
  return `0x${value.toString(16).padStart(40, "0")}` as Address;
}

/** The `index`-th word as a two's-complement signed integer (Chainlink answers are int256). */
export function decodeIntWord(returnData: string, index = 0): bigint {
  const value = decodeUintWord(returnData, index);
  return value >= 1n << 255n ? value - (1n << 256n) : value;
}

/** Runs up to `limit` async jobs at once, preserving result order. */
async function mapWithConcurrency<T, R>(items: readonly T[], limit: number, job: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await job(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Sends sub-calls through Multicall3 in batches. A batch the node refuses (gas cap, response size) is
 * split in half and retried, down to single calls, before the error is reported.
 */
export class Multicall3Client {
  readonly address: Address;
  readonly batchSize: number;
  private readonly provider: CallProvider;
  private readonly maxConcurrentBatches: number;
  private readonly counters: MulticallStats = { rpcCalls: 0, subCalls: 0 };

  constructor(provider: CallProvider, address: Address, options: MulticallClientOptions = {}) {
    const batchSize = options.batchSize ?? 1_000;
    const maxConcurrentBatches = options.maxConcurrentBatches ?? 4;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new Error(`multicall: batchSize must be a positive integer, got ${options.batchSize}`);
    }
    if (!Number.isInteger(maxConcurrentBatches) || maxConcurrentBatches < 1) {
      throw new Error(`multicall: maxConcurrentBatches must be a positive integer, got ${options.maxConcurrentBatches}`);
    }
    this.provider = provider;
    this.address = address;
    this.batchSize = batchSize;
    this.maxConcurrentBatches = maxConcurrentBatches;
  }

  /** Running totals since construction (or the last `resetStats`). */
  get stats(): Readonly<MulticallStats> {
    return { ...this.counters };
  }

  resetStats(): void {
    this.counters.rpcCalls = 0;
    this.counters.subCalls = 0;
  }

  /** Executes every call (in batches of `batchSize`) and returns the results in call order. */
  async aggregate3(calls: readonly MulticallCall[], blockTag?: BlockTag): Promise<MulticallResult[]> {
    if (calls.length === 0) return [];
    const batches: MulticallCall[][] = [];
    for (let start = 0; start < calls.length; start += this.batchSize) {
      batches.push(calls.slice(start, start + this.batchSize));
    }
    const batchResults = await mapWithConcurrency(batches, this.maxConcurrentBatches, (batch) => this.sendBatch(batch, blockTag));
    return batchResults.flat();
  }

  /** Like `aggregate3`, but throws (naming the call) when any sub-call failed. */
  async aggregate3Strict(calls: readonly (MulticallCall & { readonly label?: string })[], blockTag?: BlockTag): Promise<string[]> {
    const results = await this.aggregate3(calls, blockTag);
    return results.map((result, index) => {
      if (!result.success) {
        const call = calls[index];
        throw new Error(
          `multicall: ${call.label ?? `call to ${call.target} (${call.callData.slice(0, 10)})`} reverted` +
            ` with ${result.returnData === "0x" ? "no data" : result.returnData.slice(0, 138)}`,
        );
      }
      return result.returnData;
    });
  }

  private async sendBatch(batch: readonly MulticallCall[], blockTag: BlockTag | undefined): Promise<MulticallResult[]> {
    this.counters.rpcCalls += 1;
    this.counters.subCalls += batch.length;
    let raw: string;
    try {
      raw = await this.provider.call({ to: this.address, data: encodeAggregate3(batch), blockTag });
    } catch (error) {
      if (batch.length === 1) {
        throw new Error(
          `multicall: eth_call to Multicall3 at ${this.address} failed for a single call to ${batch[0].target}: ${
            (error as Error).message
          }`,
        );
      }
      const half = Math.ceil(batch.length / 2);
      const first = await this.sendBatch(batch.slice(0, half), blockTag);
      const second = await this.sendBatch(batch.slice(half), blockTag);
      return first.concat(second);
    }
    if (raw === "0x") {
      throw new Error(`multicall: no code answers at ${this.address} (got empty return data); is Multicall3 deployed on this chain?`);
    }
    const results = decodeAggregate3Result(raw);
    if (results.length !== batch.length) {
      throw new Error(`multicall: sent ${batch.length} calls, got ${results.length} results`);
    }
    return results;
  }
}
