/**
 * Which liquidatable positions the engine tries again, and when. A position whose last attempt ended
 * for a reason that may pass — a failed simulation, a refused send, a reverted or replaced transaction,
 * a throttle, a cooldown, a HALT — is tried again from a due block, backing off while it keeps failing:
 * by default 1, 2, 4 … 32 blocks (config execution.retryBackoff, a time, converted at the chain's block
 * time), so a plan that keeps failing costs a simulation every so often, not one a block.
 * Reasoned strategy skips (dust, no route, unprofitable) are not retried here: a price or the position
 * has to change first, and the markets report that by themselves. A sent (or DRY-simulated) attempt
 * ends the retries; a position that is no longer liquidatable, or no longer tracked, is forgotten.
 */
import type { Address } from "../core/types";
import type { LendingMarket } from "../markets/market";
import type { PositionToPlan } from "./opportunity-planner";

/** Risk refusals that pass with time (the next block, a resume): the position is tried again. */
export const RETRYABLE_REFUSALS: ReadonlySet<string> = new Set([
  "borrower-cooldown",
  "breaker-throttled",
  "breaker-halted",
  "daily-volume-exceeded",
  "priority-fee-cap",
  "simulation-failed",
]);

/** The longest wait between two attempts, in blocks, by default. */
export const MAX_RETRY_WAIT_BLOCKS = 32;

/** The first wait and the longest, in blocks. */
export interface RetryBackoffBlocks {
  readonly initial: number;
  readonly max: number;
}

const ONE = 10n ** 18n;

export interface RetryEntry {
  readonly market: LendingMarket;
  readonly borrower: Address;
  readonly reason: string;
  readonly dueBlock: number;
  readonly failures: number;
}

/** How one decision about a position ended, as the scheduler needs to know it. */
export interface DecisionOutcome {
  /** The planner/gate outcome. */
  readonly outcome: "planned" | "skipped";
  /** The skip or refusal reason, if any. */
  readonly reason?: string;
  /** The execution stage's status, when the plan reached it. */
  readonly executionStatus?: "sent" | "dry-run" | "simulation-failed" | "not-sent" | "duplicate";
}

export class RetryScheduler {
  readonly #entries = new Map<string, RetryEntry>();

  constructor(private readonly backoff: RetryBackoffBlocks = { initial: 1, max: MAX_RETRY_WAIT_BLOCKS }) {}

  get size(): number {
    return this.#entries.size;
  }

  entry(positionId: string): RetryEntry | undefined {
    return this.#entries.get(positionId);
  }

  /** Books what happened to one position's decision at block `head`. */
  recordDecision(positionId: string, item: PositionToPlan | undefined, decision: DecisionOutcome, head: number): void {
    const status = decision.executionStatus;
    if (status === "sent" || status === "dry-run") {
      this.#entries.delete(positionId);
    } else if (
      item !== undefined &&
      (status === "simulation-failed" || status === "not-sent" || RETRYABLE_REFUSALS.has(decision.reason ?? ""))
    ) {
      this.noteFailure(positionId, item, decision.reason ?? status ?? "unknown", head);
    } else if (decision.outcome === "skipped") {
      this.#entries.delete(positionId);
    }
  }

  /** An attempt that did not land (or a sent transaction that reverted or was replaced): back off and retry. */
  noteFailure(positionId: string, item: PositionToPlan, reason: string, head: number): void {
    const failures = (this.#entries.get(positionId)?.failures ?? 0) + 1;
    const wait = Math.min(this.backoff.max, this.backoff.initial * 2 ** (failures - 1));
    this.#entries.set(positionId, { market: item.market, borrower: item.position.key.borrower, reason, dueBlock: head + wait, failures });
  }

  /**
   * Not attempted (a follow-up reaction yielded to a reaction to prices): due at the next block, its count of failures
   * unchanged, so yielding never lengthens its backoff.
   */
  defer(positionId: string, item: PositionToPlan, head: number): void {
    const entry = this.#entries.get(positionId);
    this.#entries.set(positionId, {
      market: item.market,
      borrower: item.position.key.borrower,
      reason: entry?.reason ?? "deferred",
      dueBlock: head + 1,
      failures: entry?.failures ?? 0,
    });
  }

  /**
   * The positions due for another attempt at `head`, minus those in `except` (already being planned).
   * A position no longer tracked or no longer liquidatable is forgotten; one refused because the
   * breaker was HALTED waits while `halted` says it still is.
   */
  due(head: number, options: { readonly halted: boolean; readonly except?: ReadonlySet<string> }): Map<string, PositionToPlan> {
    const due = new Map<string, PositionToPlan>();
    for (const [id, entry] of this.#entries) {
      if (entry.dueBlock > head || options.except?.has(id)) continue;
      const position = entry.market.position(entry.borrower);
      if (position === undefined || position.healthFactor >= ONE) {
        this.#entries.delete(id);
        continue;
      }
      if (entry.reason === "breaker-halted" && options.halted) continue;
      due.set(id, { market: entry.market, position });
    }
    return due;
  }
}
