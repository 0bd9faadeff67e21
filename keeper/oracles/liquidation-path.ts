/**
 * Which way a liquidation reaches its price, as operators see it in metrics, the journal and run reports:
 * - "oev": through a Moonwell OEV wrapper's `updatePriceEarlyAndLiquidate` (Core or Morpho), which unlocks a price the
 *   wrapper still hides and pays the liquidator only its share of the bonus (docs/oev.md);
 * - "svr": the protocol's own call on a reserve whose price is sold at a Chainlink SVR auction (docs/oev.md):
 *   the auction's winner liquidates in the update's own transaction, the keeper races for what it left;
 * - "open": the protocol's own liquidation call at the price every keeper sees, won by priority fee.
 *
 * The journal stores a decision's sizing rule, not its call shape, so the path is recovered from the rule:
 * every OEV sizing rule starts with OEV_SIZING_RULE_PREFIX (moonwell/liquidation-sizing.ts and
 * morpho-blue/oev-unlock.ts build it from this constant), every SVR-labelled one with SVR_SIZING_RULE_PREFIX (aave-v3/oracle-auctions.ts), and
 * nothing else does.
 */
import type { LiquidationCandidate } from "../core/types";

export const LIQUIDATION_PATHS = ["oev", "svr", "open"] as const;
export type LiquidationPath = (typeof LIQUIDATION_PATHS)[number];

/** The prefix of every sizing rule of a liquidation through an OEV wrapper. */
export const OEV_SIZING_RULE_PREFIX = "moonwell-oev";
/** The prefix of every sizing rule of a liquidation on an auction-priced (Chainlink SVR) reserve. */
export const SVR_SIZING_RULE_PREFIX = "svr-auctioned";

/** The path of a sized candidate, from the call the executor will make. */
export function liquidationPathOf(candidate: Pick<LiquidationCandidate, "call" | "sizingRule">): LiquidationPath {
  if (candidate.call?.shape === "MoonwellOev" || candidate.call?.shape === "MoonwellMorphoOev") return "oev";
  return liquidationPathOfRule(candidate.sizingRule);
}

/** The path of a journaled decision, from its sizing rule. */
export function liquidationPathOfRule(sizingRule: string): LiquidationPath {
  if (sizingRule.startsWith(OEV_SIZING_RULE_PREFIX)) return "oev";
  return sizingRule.startsWith(SVR_SIZING_RULE_PREFIX) ? "svr" : "open";
}
