/**
 * eth_getLogs over a long history with a block span that adapts to the endpoint (issue 18, item 4:
 * at 200 ms blocks a day of history is 432,000 blocks). Each refusal shrinks the span — to the
 * range the endpoint says would fit, or its stated maximum, or half — and each accepted request
 * doubles it again, up to a ceiling; an endpoint's stated block-range limit lowers the ceiling for
 * good, while a result-count limit (which depends on how busy the blocks were) does not. Yields
 * chunk by chunk, in block order, so the caller checkpoints after each one.
 *
 * Refusals recognised, by the endpoint software that words them so (the error's message, and the
 * JSON-RPC error object ethers keeps in `error.error` / `error.info`):
 *   - go-ethereum, Infura (-32005, `data: {from, to}` = a range that fits):
 *       "query returned more than 10000 results"
 *   - Alchemy: "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block
 *       range ... this block range should work: [0x1, 0x2]"
 *   - reth (Base nodes): "query exceeds max results 20000, retry with the range 100-200",
 *       "query exceeds max block range 100000"
 *   - Erigon / Nethermind style: "exceed maximum block range: 5000", "block range limit exceeded"
 *   - QuickNode: "eth_getLogs is limited to a 10,000 range"
 *   - Ankr, Cloudflare, BlastAPI style: "block range is too wide", "block range too large"
 * Anything else (a timeout on a wide range, a dropped connection) halves the span as well, without
 * lowering the ceiling; a single block that still fails is an error naming the block.
 */
import type { Log } from "ethers";
import { errorMessage } from "../core/error-message";
import { toRawLog, type LogChunk, type LogFilter, type LogProvider } from "../collectors/log-range-fetcher";

export interface LogRefusal {
  readonly kind: "too-many-results" | "range-too-wide";
  /** The last block of a range from the request's first block that the endpoint says would fit. */
  readonly fitsTo?: number;
  /** The endpoint's stated widest range, in blocks. */
  readonly maxSpan?: number;
}

const TOO_MANY_RESULTS =
  /more than [\d,]+ results|max(?:imum)? results|response size (?:exceeded|too large)|too many (?:results|logs)|result set too large/i;
const RANGE_TOO_WIDE =
  /block range (?:is )?too (?:wide|large|big)|range (?:is )?too (?:wide|large|big)|exceeds? (?:the )?max(?:imum)? block range|block range limit|limited to (?:a )?[\d,]+k? (?:block )?range/i;
const STATED_MAX_SPAN = [
  /max(?:imum)? block range(?: is| of)?:?\s*([\d,]+)(k?)/i,
  /limited to (?:a )?([\d,]+)(k?) (?:block )?range/i,
  /up to a ([\d,]+)(k?) block range/i,
  /range (?:is )?too (?:wide|large|big)[^\d]*max(?:imum)?(?: is)?:?\s*([\d,]+)(k?)/i,
];

/** Every text an ethers or plain JSON-RPC error carries (message, nested error objects and their data). */
function refusalText(error: unknown): string {
  const parts = [errorMessage(error)];
  if (typeof error === "object" && error !== null) {
    for (const field of ["error", "info", "data"]) {
      const value = (error as Record<string, unknown>)[field];
      if (value === undefined) continue;
      try {
        parts.push(
          typeof value === "string" ? value : JSON.stringify(value, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v)),
        );
      } catch {
        // A circular object adds nothing readable.
      }
    }
  }
  return parts.join(" ");
}

const parseCount = (digits: string, thousands: string) => Number(digits.replace(/,/g, "")) * (thousands ? 1000 : 1);

/** What a refused eth_getLogs request says about the endpoint's limits; null when it is no recognised refusal. */
export function classifyLogRefusal(error: unknown, fromBlock: number): LogRefusal | null {
  const text = refusalText(error);
  const tooMany = TOO_MANY_RESULTS.test(text);
  const tooWide = RANGE_TOO_WIDE.test(text);
  if (!tooMany && !tooWide) return null;
  let fitsTo: number | undefined;
  const alchemy = /should work:\s*\[(0x[0-9a-f]+),\s*(0x[0-9a-f]+)\]/i.exec(text);
  const reth = /retry with the range (\d+)-(\d+)/i.exec(text);
  const infura = /"from"\s*:\s*"(0x[0-9a-f]+)"\s*,[^}]*"to"\s*:\s*"(0x[0-9a-f]+)"/i.exec(text);
  const suggested = alchemy ?? infura;
  if (suggested && Number(suggested[1]) === fromBlock) fitsTo = Number(suggested[2]);
  else if (reth && Number(reth[1]) === fromBlock) fitsTo = Number(reth[2]);
  let maxSpan: number | undefined;
  for (const pattern of STATED_MAX_SPAN) {
    const match = pattern.exec(text);
    if (match) {
      maxSpan = parseCount(match[1], match[2]);
      break;
    }
  }
  // Alchemy's message states a block range AND a result cap: it is a result refusal first.
  return { kind: tooMany ? "too-many-results" : "range-too-wide", fitsTo, maxSpan: maxSpan && maxSpan > 0 ? maxSpan : undefined };
}

/** The span in force: shrinks on refusals, doubles on success, never above the ceiling. */
export class AdaptiveLogSpan {
  private ceilingBlocks: number;
  private currentBlocks: number;

  constructor(initial: number, ceiling: number) {
    if (!Number.isInteger(initial) || initial < 1 || !Number.isInteger(ceiling) || ceiling < initial) {
      throw new Error(`logs: block spans must be positive integers with initial <= ceiling, got ${initial} and ${ceiling}`);
    }
    this.currentBlocks = initial;
    this.ceilingBlocks = ceiling;
  }

  get current(): number {
    return this.currentBlocks;
  }

  get ceiling(): number {
    return this.ceilingBlocks;
  }

  /** A request of `requested` blocks from `fromBlock` was refused (`refusal` null: for no stated reason). */
  refused(refusal: LogRefusal | null, requested: number, fromBlock: number): void {
    let next = Math.floor(requested / 2);
    if (refusal?.fitsTo !== undefined && refusal.fitsTo >= fromBlock && refusal.fitsTo - fromBlock + 1 < requested) {
      next = refusal.fitsTo - fromBlock + 1;
    } else if (refusal?.maxSpan !== undefined && refusal.maxSpan < requested) {
      next = refusal.maxSpan;
    }
    next = Math.max(1, next);
    // A block-range limit is the endpoint's rule, not the history's density: never exceed it again.
    if (refusal?.kind === "range-too-wide") this.ceilingBlocks = Math.min(this.ceilingBlocks, next);
    this.currentBlocks = next;
  }

  accepted(): void {
    this.currentBlocks = Math.min(this.ceilingBlocks, this.currentBlocks * 2);
  }
}

export interface AdaptiveLogScanOptions {
  /** First span tried. */
  readonly initialBlockSpan: number;
  /** Widest span ever requested. */
  readonly maxBlockSpan: number;
}

/** Yields the logs of `[fromBlock, toBlock]` chunk by chunk; `requests` counts the refused requests too. */
export async function* scanLogsAdaptively(
  provider: LogProvider,
  filter: LogFilter,
  fromBlock: number,
  toBlock: number,
  options: AdaptiveLogScanOptions,
  span = new AdaptiveLogSpan(options.initialBlockSpan, options.maxBlockSpan),
): AsyncGenerator<LogChunk> {
  if (!Number.isInteger(fromBlock) || !Number.isInteger(toBlock) || fromBlock < 0) {
    throw new Error(`logs: block range must be non-negative integers, got ${fromBlock}..${toBlock}`);
  }
  const request = {
    address: filter.address === undefined ? undefined : typeof filter.address === "string" ? filter.address : [...filter.address],
    topics: filter.topics?.map((topic) => (topic === null || typeof topic === "string" ? topic : [...topic])),
  };
  let start = fromBlock;
  let requests = 0;
  while (start <= toBlock) {
    const end = Math.min(toBlock, start + span.current - 1);
    requests += 1;
    let logs: Log[];
    try {
      logs = await provider.getLogs({ ...request, fromBlock: start, toBlock: end });
    } catch (error) {
      if (start === end) {
        throw new Error(`logs: eth_getLogs failed for block ${start} (address ${JSON.stringify(request.address)}): ${errorMessage(error)}`);
      }
      span.refused(classifyLogRefusal(error, start), end - start + 1, start);
      continue;
    }
    span.accepted();
    yield { fromBlock: start, toBlock: end, logs: logs.map(toRawLog), requests };
    requests = 0;
    start = end + 1;
  }
}
