/**
 * Which positions a market re-evaluates at each block (issue 18). At 100,000 positions one pass of
 * the protocol's math over every position takes longer than a 200 ms block, so a block re-evaluates:
 *   - the positions near 1: health factor below `1 + NEAR_BAND` when last evaluated (the
 *     liquidatable ones included), which the PositionBook keeps as positions are stored;
 *   - a slice of a rolling full pass, sized so that every position is evaluated again within
 *     `fullEvaluationSeconds` of chain time (the slice follows the block rate the chain shows);
 *   - what the block's own reads changed (re-read borrowers, holders of a re-read price).
 * Price moves are answered by the crossing index, which indexes each position's crossing of
 * `1 + NEAR_BAND` (not of 1): a move that brings a position into the band returns it, so the band's
 * members are always known.
 *
 * Why that is enough. Between two evaluations of a position only time moves its health factor (a
 * price move goes through the index, a protocol action re-reads the borrower), and time only accrues
 * interest: debts grow, collateral never shrinks. A position outside the band had a health factor
 * of at least 1 + NEAR_BAND at its last evaluation, which the rolling pass guarantees is no older
 * than the start of the previous cycle; it can be below 1 now only if interest since then grew a
 * debt by the factor 1 + NEAR_BAND. The schedule multiplies, block by block, the largest growth the
 * plug-in says time can have caused (`accrualGrowth`: its highest borrow rate over the elapsed
 * seconds, or the index jumps it read), and once the product since the start of the previous cycle
 * reaches half the band (the other half covers the float model's margins), that block runs a full
 * pass instead, which restarts the count. At Base's rates this never happens in practice: 1,000%
 * APR for 60 s is a growth of 2e-5, against a band of 1e-3.
 */
import type { Address } from "../config/address-book";
import { WAD } from "../core/fixed-point";
import type { BlockRef } from "./market";

/** Health factors below 1 + NEAR_BAND are re-evaluated every block. */
export const NEAR_BAND = 1e-3;
/** 1 + NEAR_BAND as a WAD: the PositionBook's `nearLevel` in every market. */
export const NEAR_LEVEL = WAD + BigInt(Math.round(NEAR_BAND * 1e18));
/** Default time within which the rolling pass evaluates every position again. */
export const DEFAULT_FULL_EVALUATION_SECONDS = 10;
/** Base's block time since Denim (shared/BASE.md); used until the chain's own rate is observed. */
const DEFAULT_BLOCK_SECONDS = 0.2;

/** The rolling pass, as the PositionBook offers it. */
export interface SweepSource {
  readonly size: number;
  /** The next `count` borrowers in the rolling order; `cycleDone` once the order has been walked to its end. */
  sweep(count: number): { readonly borrowers: readonly Address[]; readonly cycleDone: boolean };
  /** Borrowers whose health factor was below 1 + NEAR_BAND when last evaluated. */
  nearBorrowers(): Iterable<Address>;
}

interface CycleStart {
  readonly timestamp: number;
  readonly number: number;
  /** Sum of ln(growth) when the cycle started. */
  readonly logGrowth: number;
}

export class EvaluationSchedule {
  /** Σ ln(growth) over every block evaluated. */
  private logGrowth = 0;
  private cycle: CycleStart | null = null;
  /** Σ ln(growth) at the start of the previous cycle: no position was evaluated before it. */
  private previousCycleLogGrowth = 0;
  private sweptInCycle = 0;
  private blockSeconds = DEFAULT_BLOCK_SECONDS;
  /** Full passes the growth bound forced, for stats and tests. */
  forcedFullPasses = 0;

  constructor(
    readonly fullEvaluationSeconds = DEFAULT_FULL_EVALUATION_SECONDS,
    readonly nearBand = NEAR_BAND,
  ) {
    if (!(fullEvaluationSeconds > 0) || !Number.isFinite(fullEvaluationSeconds)) {
      throw new Error(`fullEvaluationSeconds must be a positive number of seconds, got ${fullEvaluationSeconds}`);
    }
    if (!(nearBand > 0) || !(nearBand < 1)) throw new Error(`nearBand must be in (0, 1), got ${nearBand}`);
  }

  /**
   * The positions to re-evaluate at `at`, given `growth` (≥ 1: the largest factor by which time can
   * have grown any debt since the previous evaluation) and what the block's reads require anyway;
   * "all" when a full pass is due (then call `fullPassDone`).
   */
  targets(book: SweepSource, at: BlockRef, growth: number, required: Iterable<Address>): "all" | Set<Address> {
    if (!(growth >= 1) || !Number.isFinite(growth)) return "all";
    this.logGrowth += Math.log(growth);
    if (this.cycle === null) return "all";
    if (this.logGrowth - this.previousCycleLogGrowth >= Math.log1p(this.nearBand) / 2) {
      this.forcedFullPasses += 1;
      return "all";
    }
    const out = new Set<Address>(required);
    for (const borrower of book.nearBorrowers()) out.add(borrower);
    const { borrowers, cycleDone } = book.sweep(this.sliceSize(at, book.size));
    for (const borrower of borrowers) out.add(borrower);
    this.sweptInCycle += borrowers.length;
    if (cycleDone) this.startCycle(at);
    return out;
  }

  /** Every position was evaluated at `at`: the growth count and the rolling pass start afresh. */
  fullPassDone(at: BlockRef): void {
    this.startCycle(at);
    this.previousCycleLogGrowth = this.logGrowth;
  }

  /** Positions the rolling pass takes at `at`: what is left of the cycle over the blocks left in it. */
  private sliceSize(at: BlockRef, size: number): number {
    const cycle = this.cycle!;
    const remaining = Math.max(0, size - this.sweptInCycle);
    const elapsed = at.timestamp - cycle.timestamp;
    if (elapsed > 0 && at.number > cycle.number) this.blockSeconds = elapsed / (at.number - cycle.number);
    const secondsLeft = this.fullEvaluationSeconds - elapsed;
    // Past the deadline the rest of the cycle runs now (and at least one position, so the cycle ends).
    if (secondsLeft <= 0) return Math.max(1, remaining);
    const blocksLeft = Math.max(1, Math.floor(secondsLeft / this.blockSeconds));
    return Math.max(1, Math.ceil(remaining / blocksLeft));
  }

  private startCycle(at: BlockRef): void {
    this.previousCycleLogGrowth = this.cycle?.logGrowth ?? this.logGrowth;
    this.cycle = { timestamp: at.timestamp, number: at.number, logGrowth: this.logGrowth };
    this.sweptInCycle = 0;
  }
}

/** exp(rate × seconds) for a yearly rate: an upper bound of simple and compounded interest alike. */
export function growthAtYearlyRate(yearlyRate: number, seconds: number): number {
  return Math.exp((Math.max(0, yearlyRate) * Math.max(0, seconds)) / (365 * 24 * 3600));
}

/**
 * The highest rate in force since the last block evaluation: a plug-in notes its rates before each
 * read replaces them and takes the maximum at each evaluation (interest since then accrued at the
 * old rate until the read, at the new one after).
 */
export class RateSinceEvaluation {
  private max = 0;

  note(rate: number): void {
    if (rate > this.max) this.max = rate;
  }

  /** The highest rate noted since the last take, or `current` if higher; from now on `current` is in force. */
  take(current: number): number {
    const rate = Math.max(this.max, current);
    this.max = current;
    return rate;
  }
}
