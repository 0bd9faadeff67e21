/**
 * Which way a liquidation reaches its price, as operators see it in metrics, the journal and run reports:
 * - "oev": through a Moonwell OEV wrapper's `updatePriceEarlyAndLiquidate`, which unlocks a price the
 *   wrapper still hides and pays the liquidator only its share of the bonus (docs/oev.md);
 * - "open": the protocol's own liquidation call at the price every keeper sees, won by priority fee.
 *
 * The journal stores a decision's sizing rule, not its call shape, so the path is recovered from the rule:
 * every OEV sizing rule starts with OEV_SIZING_RULE_PREFIX (liquidation-sizing.ts builds it from this
 * constant), and nothing else does.
 */
import type { LiquidationCandidate } from "../core/types";

export const LIQUIDATION_PATHS = ["oev", "open"] as const;
export type LiquidationPath = (typeof LIQUIDATION_PATHS)[number];

/** The prefix of every sizing rule of a liquidation through an OEV wrapper. */
export const OEV_SIZING_RULE_PREFIX = "moonwell-oev";

/** The path of a sized candidate, from the call the executor will make. */
export function liquidationPathOf(candidate: Pick<LiquidationCandidate, "call">): LiquidationPath {
  return candidate.call?.shape === "MoonwellOev" ? "oev" : "open";
}

/** The path of a journaled decision, from its sizing rule. */
export function liquidationPathOfRule(sizingRule: string): LiquidationPath {
  return sizingRule.startsWith(OEV_SIZING_RULE_PREFIX) ? "oev" : "open";
}
