/**
 * Plan identity and order. The id is derived from the position and the block, so the same opportunity
 * seen twice in one block maps to one journal row, and the order is total (ties broken by id) so two
 * keepers fed the same inputs act identically.
 */
import { positionKeyId, type LiquidationPlan, type PositionKey } from "../core/types";

export function planId(key: PositionKey, block: number): string {
  if (!Number.isInteger(block) || block < 0) throw new RangeError(`block must be a non-negative integer, got ${block}`);
  return `${positionKeyId(key)}@${block}`;
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Best first: highest net profit, then plan id, then pair (for alternatives of one position). */
export function comparePlans(a: LiquidationPlan, b: LiquidationPlan): number {
  return b.netProfitUsd - a.netProfitUsd || compareIds(a.id, b.id) || compareIds(pairOf(a), pairOf(b));
}

function pairOf(plan: LiquidationPlan): string {
  return `${plan.candidate.collateralToken.toLowerCase()}/${plan.candidate.debtToken.toLowerCase()}`;
}
