/** What the execution stage is told about the moment it acts in (execution-stage.ts). */
import type { Instant } from "../risk/instant";
import type { KeeperMode } from "../core/types";

/** The oracle update a plan reacts to: block N of the race, and its millisecond time when known. */
export interface PriceTrigger {
  readonly blockNumber: number;
  readonly timestampMs?: number;
}

export interface ExecutionContext {
  readonly mode: KeeperMode;
  readonly headBlock: number;
  /**
   * When the keeper saw the event this plan reacts to, on the monotonic latency clock
   * (`performance.now()` unless the stage was given another): decision latency starts here.
   */
  readonly seenAtMs: number;
  readonly at: Instant;
  /** Profit the plan will not see because of this keeper's own earlier sales in the block (see OwnSalesLedger). */
  readonly profitShortfall?: bigint;
  /**
   * What this keeper had booked into the plan's sale route in this block before this plan (OwnSalesLedger.soldBefore).
   * A batch uses it to tell its members' shortfalls that only count each other's sales, which its own simulation
   * already prices, from those that count a transaction sent before it (batch-choice.ts).
   */
  readonly routeSoldBefore?: bigint;
  /**
   * Prices, on the plan's sale route, what `amountIn` sold after `soldBefore` yields less than sold alone (OwnSalesLedger
   * .shortfall; `aloneOut` when already quoted). Used instead of `profitShortfall` when that is not given: the quotes go
   * out beside the simulation instead of before it, and a liquidateBatch gets its exact figure (its members' summed sale
   * after the sales before its first member) instead of the sum of its members' figures (batch-choice.ts).
   */
  readonly saleShortfall?: (soldBefore: bigint, amountIn: bigint, aloneOut?: bigint) => Promise<bigint>;
  /**
   * The block whose state the plan is simulated on: the one the own-sales ledger read the key's landed count at and
   * `saleShortfall` prices on (reaction-pipeline.ts). Absent: the simulator's own tag (latest).
   */
  readonly stateBlock?: number;
  /** The oracle update this plan reacts to, when it reacts to one. */
  readonly trigger?: PriceTrigger;
  /** Prepared ahead of the price and found valid at the new answer: signed without a simulation (PlanSimulator.prepared). */
  readonly prepared?: boolean;
  /** Where the time between `seenAtMs` and the simulation went, when the reaction pipeline says (ReactionMarks). */
  readonly marks?: ReactionMarks;
}

/**
 * Moments of a reaction before its plans reach the execution stage, on the latency clock, in this order. The stage turns
 * them into decision stages (a busy step's first plan took 250-750 ms, all of it counted as "plan", which said nothing of
 * whether it waited behind other work, repriced, sized or gated):
 *   seenAtMs → reacting (wait: behind reactions queued before it) → repriced (in-memory recompute, a market's re-read)
 *   → preparedDone (the prepared plans judged, and for a fresh plan those sent before it) → earlierDone (behind this
 *   reaction's earlier chunks) → sized (its own chunk's planning, what of it the earlier chunks did not hide) → the
 *   simulation starts (gate: landed-sales count, risk gate, own-sales bookings).
 */
export interface ReactionMarks {
  readonly reacting: number;
  readonly repriced: number;
  readonly preparedDone: number;
  readonly earlierDone: number;
  readonly sized: number;
}

/**
 * Price seen → simulation start: one `plan` stage, or, with the pipeline's marks, wait / reprice / prepared / earlier /
 * size / gate (execution-context.ts), so a slow first plan names what it waited for.
 */
export function beforeSimulation(context: ExecutionContext, simulationStartedAt: number): Record<string, number> {
  const marks = context.marks;
  if (marks === undefined) return { plan: round2(simulationStartedAt - context.seenAtMs) };
  return {
    wait: round2(marks.reacting - context.seenAtMs),
    reprice: round2(marks.repriced - marks.reacting),
    prepared: round2(marks.preparedDone - marks.repriced),
    earlier: round2(marks.earlierDone - marks.preparedDone),
    size: round2(marks.sized - marks.earlierDone),
    gate: round2(simulationStartedAt - marks.sized),
  };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
