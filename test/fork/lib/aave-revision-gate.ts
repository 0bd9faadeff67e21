/**
 * The Aave fork scenarios are written for one pool revision (BASE_AAVE_POOL_REVISION in pinned-block.ts): their
 * expected sizing rules, error names and rounding are that revision's. Before an Aave suite runs, its `before` hook
 * reads POOL_REVISION from the forked pool and skips the whole suite, with one line naming both revisions, when the
 * fork reports another. The decision itself is a pure function, tested offline (test/unit/fork-revision-gate.test.ts).
 */
import { aaveLiquidationRulesForRevision } from "../../../keeper/markets/aave-v3/liquidation-sizing";
import { readAavePoolRevision } from "../../shared/liquidation-scenarios/aave-v3";
import type { AaveScenarioMarket } from "../../shared/liquidation-scenarios/environment";

export type RevisionDecision = { readonly run: true } | { readonly run: false; readonly reason: string };

/** Whether suites written for `expected` may run against a pool reporting `actual` at `block`, or why not. */
export function decideOnAaveRevision(args: { expected: number; actual: number; block: number; pool: string }): RevisionDecision {
  const { expected, actual, block, pool } = args;
  if (actual === expected) return { run: true };
  return {
    run: false,
    reason:
      `Aave pool ${pool} reports POOL_REVISION ${actual} (${aaveLiquidationRulesForRevision(actual)} rules) at block ${block}, ` +
      `but these scenarios expect ${expected} (${aaveLiquidationRulesForRevision(expected)} rules); check the revision's ` +
      "liquidation rules, then update BASE_AAVE_POOL_REVISION in test/fork/pinned-block.ts",
  };
}

/** For a suite's `before` hook: reads the pool's revision and skips the suite (printing why) unless it is `expected`. */
export async function skipUnlessAaveRevision(
  context: Mocha.Context,
  market: AaveScenarioMarket,
  expected: number,
  log: (line: string) => void = console.log,
): Promise<RevisionDecision> {
  const read = await readAavePoolRevision(market);
  const decision = decideOnAaveRevision({ expected, ...read });
  if (!decision.run) {
    log(`      skipped: ${decision.reason}`);
    context.skip();
  }
  return decision;
}
