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
  /** The oracle update this plan reacts to, when it reacts to one. */
  readonly trigger?: PriceTrigger;
  /** Prepared ahead of the price and found valid at the new answer: signed without a simulation (PlanSimulator.prepared). */
  readonly prepared?: boolean;
}
