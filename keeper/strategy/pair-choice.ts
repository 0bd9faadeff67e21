/**
 * One position, several collateral/debt pairs: which one to liquidate. Each pair is sized, routed and
 * priced on its own (buildLiquidationPlan); this picks the winner by NET profit, because the largest
 * pair is often not the best: its collateral may have no deep route, or a smaller bonus.
 */
import type { PlanDecision } from "../core/types";
import { comparePlans } from "./ranking";

/** How far a skipped pair got through the pipeline; the furthest explains the position best. */
const SKIP_STAGE: Readonly<Record<string, number>> = {
  "not-liquidatable": 0,
  dust: 1,
  "no-flash-liquidity": 2,
  "no-route": 3,
  unprofitable: 4,
};

/**
 * Chooses among the plan decisions for every collateral/debt pair of one position: the planned one
 * with the highest NET profit (the largest pair is often not the best: its collateral may have no deep
 * route, or its bonus may be smaller). With nothing planned, returns the skip that got furthest.
 */
export function chooseBestPair(decisions: readonly PlanDecision[]): PlanDecision | undefined {
  const planned = decisions.filter((decision) => decision.plan !== null);
  if (planned.length > 0) {
    return planned.reduce((best, next) => (comparePlans(next.plan!, best.plan!) < 0 ? next : best));
  }
  return decisions.reduce<PlanDecision | undefined>((best, next) => {
    if (best === undefined) return next;
    const stage = (decision: PlanDecision) => SKIP_STAGE[decision.reason ?? ""] ?? -1;
    return stage(next) > stage(best) ? next : best;
  }, undefined);
}
