/**
 * `eth_getLogs` over long block ranges, the way providers tolerate it: chunks no wider than a
 * configured span (Base RPCs typically cap a request at 2,000–10,000 blocks or 10,000 results), and
 * a refused chunk is halved and retried until it fits. Yields chunk by chunk, in block order, so a
 * caller can checkpoint after each one.
 */
import type { Log } from "ethers";
import type { RawLog } from "../markets/market";
import { errorMessage } from "../core/error-message";

/** The filter a chunk request carries (ethers' Filter, restricted to what is used here). */
export interface LogFilter {
  readonly address?: string | readonly string[];
  readonly topics?: readonly (string | readonly string[] | null)[];
}

/** The one provider method needed; ethers' Provider fits. */
export interface LogProvider {
  getLogs(filter: {
    address?: string | string[];
    topics?: (string | string[] | null)[];
    fromBlock: number;
    toBlock: number;
  }): Promise<Log[]>;
}

export interface LogRangeOptions {
  /** Widest chunk requested, in blocks (inclusive range of this many blocks). */
  readonly maxBlockSpan?: number;
}

export interface LogChunk {
  readonly fromBlock: number;
  readonly toBlock: number;
  readonly logs: readonly RawLog[];
  /** Requests this chunk took (1, or more when it had to be halved). */
  readonly requests: number;
}

export const DEFAULT_MAX_LOG_BLOCK_SPAN = 5_000;

export function toRawLog(log: Log): RawLog {
  return {
    address: log.address,
    topics: log.topics,
    data: log.data,
    blockNumber: log.blockNumber,
    index: log.index,
    transactionHash: log.transactionHash,
  };
}

/**
 * Yields the logs of `[fromBlock, toBlock]` in chunks. A chunk the provider refuses is split in two
 * and each half retried; a single block that still fails is an error naming the block and filter.
 */
export async function* fetchLogsInChunks(
  provider: LogProvider,
  filter: LogFilter,
  fromBlock: number,
  toBlock: number,
  options: LogRangeOptions = {},
): AsyncGenerator<LogChunk> {
  const maxSpan = options.maxBlockSpan ?? DEFAULT_MAX_LOG_BLOCK_SPAN;
  if (!Number.isInteger(maxSpan) || maxSpan < 1) {
    throw new Error(`logs: maxBlockSpan must be a positive integer, got ${options.maxBlockSpan}`);
  }
  if (!Number.isInteger(fromBlock) || !Number.isInteger(toBlock) || fromBlock < 0) {
    throw new Error(`logs: block range must be non-negative integers, got ${fromBlock}..${toBlock}`);
  }
  const request = {
    address: filter.address === undefined ? undefined : typeof filter.address === "string" ? filter.address : [...filter.address],
    topics: filter.topics?.map((topic) => (topic === null || typeof topic === "string" ? topic : [...topic])),
  };
  for (let start = fromBlock; start <= toBlock; start += maxSpan) {
    const end = Math.min(toBlock, start + maxSpan - 1);
    const counter = { requests: 0 };
    const logs = await fetchRangeHalvingOnError(provider, request, start, end, counter);
    yield { fromBlock: start, toBlock: end, logs, requests: counter.requests };
  }
}

async function fetchRangeHalvingOnError(
  provider: LogProvider,
  request: { address?: string | string[]; topics?: (string | string[] | null)[] },
  fromBlock: number,
  toBlock: number,
  counter: { requests: number },
): Promise<RawLog[]> {
  counter.requests += 1;
  try {
    const logs = await provider.getLogs({ ...request, fromBlock, toBlock });
    return logs.map(toRawLog);
  } catch (error) {
    if (fromBlock === toBlock) {
      throw new Error(
        `logs: eth_getLogs failed for block ${fromBlock} (address ${JSON.stringify(request.address)}): ${errorMessage(error)}`,
      );
    }
    const middle = fromBlock + Math.floor((toBlock - fromBlock) / 2);
    const first = await fetchRangeHalvingOnError(provider, request, fromBlock, middle, counter);
    const second = await fetchRangeHalvingOnError(provider, request, middle + 1, toBlock, counter);
    return first.concat(second);
  }
}
