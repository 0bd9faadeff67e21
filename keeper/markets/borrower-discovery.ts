/**
 * Borrower discovery shared by every market: scan one event stream (the protocol's borrow events),
 * pull borrower addresses out of each log, and checkpoint after every chunk so a restart resumes
 * where the last run stopped. The market supplies the filter and the decoder; this file owns the
 * resume/chunk/checkpoint rules so they are the same everywhere. Chunks adapt to the endpoint's
 * limits (adaptive-log-scan.ts), and what a discovery learnt of them is kept for the next one.
 */
import type { Address } from "../config/address-book";
import { DEFAULT_MAX_LOG_BLOCK_SPAN, type LogFilter, type LogProvider } from "../collectors/log-range-fetcher";
import { AdaptiveLogSpan, scanLogsAdaptively } from "./adaptive-log-scan";
import type { CheckpointStore } from "./checkpoint-store";
import type { DiscoveryResult, RawLog } from "./market";

export interface BorrowerEventStream {
  /** Checkpoint key: unique per market and stream, stable across restarts (e.g. "aaveV3:<pool>:Borrow"). */
  readonly checkpointKey: string;
  readonly filter: LogFilter;
  /** Borrowers a log names (lower-case is applied here). */
  borrowersOf(log: RawLog): readonly Address[];
}

export interface BorrowerDiscoveryOptions {
  /**
   * Widest eth_getLogs request, in blocks; also the first span tried. Unset: start at
   * DEFAULT_MAX_LOG_BLOCK_SPAN and grow, while the endpoint accepts, up to DISCOVERY_MAX_BLOCK_SPAN.
   */
  readonly maxBlockSpan?: number;
}

/** How wide an unconfigured discovery may grow its requests (a few hours of 200 ms blocks). */
export const DISCOVERY_MAX_BLOCK_SPAN = 100_000;

/** Borrower set plus checkpoint for one stream; `discover` extends both, `recordLive` adds live finds. */
export class BorrowerDiscovery {
  private readonly known = new Set<Address>();
  private loaded = false;
  private checkpoint: number | undefined;
  /** The span in force, kept across scans: an endpoint's limits outlive one call. */
  readonly span: AdaptiveLogSpan;

  constructor(
    private readonly provider: LogProvider,
    private readonly store: CheckpointStore,
    private readonly stream: BorrowerEventStream,
    options: BorrowerDiscoveryOptions = {},
  ) {
    const configured = options.maxBlockSpan;
    if (configured !== undefined && (!Number.isInteger(configured) || configured < 1)) {
      throw new Error(`discovery: maxBlockSpan must be a positive integer, got ${configured}`);
    }
    this.span = new AdaptiveLogSpan(configured ?? DEFAULT_MAX_LOG_BLOCK_SPAN, configured ?? DISCOVERY_MAX_BLOCK_SPAN);
  }

  /** Loads the stored checkpoint once (idempotent). */
  async load(): Promise<void> {
    if (this.loaded) return;
    const saved = await this.store.load(this.stream.checkpointKey);
    if (saved) {
      this.checkpoint = saved.lastScannedBlock;
      for (const borrower of saved.borrowers) this.known.add(borrower.toLowerCase() as Address);
    }
    this.loaded = true;
  }

  get lastScannedBlock(): number | undefined {
    return this.checkpoint;
  }

  borrowers(): Address[] {
    return [...this.known];
  }

  has(borrower: Address): boolean {
    return this.known.has(borrower.toLowerCase() as Address);
  }

  /**
   * Scans from the block after the checkpoint (or `fromBlock` for a stream never scanned) up to
   * `toBlock`. A covered range is never requested again.
   */
  async discover(fromBlock: number, toBlock: number): Promise<DiscoveryResult> {
    await this.load();
    const start = this.checkpoint === undefined ? fromBlock : this.checkpoint + 1;
    const found: Address[] = [];
    let logRequests = 0;
    if (start <= toBlock) {
      const scan = scanLogsAdaptively(this.provider, this.stream.filter, start, toBlock, this.spanLimits(), this.span);
      for await (const chunk of scan) {
        logRequests += chunk.requests;
        const newInChunk: Address[] = [];
        for (const log of chunk.logs) {
          for (const raw of this.stream.borrowersOf(log)) {
            const borrower = raw.toLowerCase() as Address;
            if (!this.known.has(borrower)) {
              this.known.add(borrower);
              newInChunk.push(borrower);
            }
          }
        }
        await this.store.save(this.stream.checkpointKey, chunk.toBlock, newInChunk);
        this.checkpoint = chunk.toBlock;
        found.push(...newInChunk);
      }
    }
    return {
      borrowers: this.borrowers(),
      newBorrowers: found,
      checkpoint: this.checkpoint ?? start - 1,
      logRequests,
    };
  }

  private spanLimits(): { initialBlockSpan: number; maxBlockSpan: number } {
    return { initialBlockSpan: this.span.current, maxBlockSpan: this.span.ceiling };
  }

  /**
   * Borrowers seen live (by the protocol-event collector) over `range`. When the range continues the
   * checkpoint without a gap, the checkpoint moves to its end, so live processing also counts as
   * discovery; otherwise the borrowers are remembered and the gap is left for `discover` to fill.
   */
  async recordLive(range: { fromBlock: number; toBlock: number }, borrowers: readonly Address[]): Promise<Address[]> {
    await this.load();
    const fresh: Address[] = [];
    for (const raw of borrowers) {
      const borrower = raw.toLowerCase() as Address;
      if (!this.known.has(borrower)) {
        this.known.add(borrower);
        fresh.push(borrower);
      }
    }
    // A stream never scanned has no checkpoint to extend: keep the finds in memory only, because a
    // stored checkpoint would make the first `discover` skip everything before it.
    if (this.checkpoint === undefined) return fresh;
    const nextCheckpoint = range.fromBlock <= this.checkpoint + 1 ? Math.max(this.checkpoint, range.toBlock) : this.checkpoint;
    if (fresh.length > 0 || nextCheckpoint !== this.checkpoint) {
      await this.store.save(this.stream.checkpointKey, nextCheckpoint, fresh);
      this.checkpoint = nextCheckpoint;
    }
    return fresh;
  }
}
