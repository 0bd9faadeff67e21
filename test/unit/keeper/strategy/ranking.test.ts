import { expect } from "chai";
import fc from "fast-check";
import type { PlanDecision } from "../../../../keeper/core/types";
import { chooseBestPair } from "../../../../keeper/strategy/pair-choice";
import type { LiquidationPlan } from "../../../../keeper/core/types";
import { comparePlans, planId } from "../../../../keeper/strategy/ranking";
import { BORROWER_A, CBBTC, candidate, planWith, positionKey } from "./fixtures";

/** The engine's order: `comparePlans` sorts a copy of a block's plans (keeper-engine.ts). */
const rankPlans = (plans: readonly LiquidationPlan[]): LiquidationPlan[] => [...plans].sort(comparePlans);

describe("ranking", function () {
  it("plan id is deterministic from the position key and the block", function () {
    const id = planId(positionKey("0x00000000000000000000000000000000000000A1"), 123);
    expect(id).to.equal(`aaveV3:test-market:${BORROWER_A}@123`);
    expect(planId(positionKey(BORROWER_A), 123)).to.equal(id); // address case does not matter
    expect(planId(positionKey(BORROWER_A), 124)).to.not.equal(id);
  });

  it("sorts by net profit, highest first, ties broken by plan id; the input is untouched", function () {
    const plans = [planWith("c", 10), planWith("a", 5), planWith("b", 10), planWith("d", 20)];
    const ranked = rankPlans(plans);
    expect(ranked.map((plan) => plan.id)).to.deep.equal(["d", "b", "c", "a"]);
    expect(plans.map((plan) => plan.id)).to.deep.equal(["c", "a", "b", "d"]);
  });

  it("property: the ranking is a permutation of its input, sorted by net profit", function () {
    fc.assert(
      fc.property(
        fc.array(fc.record({ id: fc.string({ maxLength: 4 }), net: fc.double({ min: -1e6, max: 1e6, noNaN: true }) }), { maxLength: 40 }),
        (rows) => {
          const plans = rows.map((row) => planWith(row.id, row.net));
          const ranked = rankPlans(plans);
          // A permutation: every plan object exactly once (the objects are distinct, so a Set counts them).
          expect(ranked.length).to.equal(plans.length);
          expect(new Set(ranked).size).to.equal(plans.length);
          expect(ranked.every((plan) => plans.includes(plan))).to.equal(true);
          for (let i = 1; i < ranked.length; i += 1) {
            const previous = ranked[i - 1]!;
            const current = ranked[i]!;
            expect(previous.netProfitUsd >= current.netProfitUsd).to.equal(true);
            if (previous.netProfitUsd === current.netProfitUsd) expect(previous.id <= current.id).to.equal(true);
          }
          // Deterministic: ranking a shuffled copy gives the same order.
          expect(rankPlans([...plans].reverse()).map((plan) => plan.netProfitUsd)).to.deep.equal(ranked.map((plan) => plan.netProfitUsd));
          return true;
        },
      ),
    );
  });
});

describe("pair choice", function () {
  const planned = (net: number, debtToCoverUsd: number, collateral = candidate().collateralToken): PlanDecision => {
    const pairCandidate = candidate({ debtToCoverUsd, collateralToken: collateral });
    return { candidate: pairCandidate, outcome: "planned", plan: planWith("same-position@100", net, { candidate: pairCandidate }) };
  };
  const skipped = (reason: PlanDecision["reason"]): PlanDecision => ({
    candidate: candidate(),
    plan: null,
    outcome: "skipped",
    reason,
    detail: reason,
  });

  it("picks the pair with the highest NET profit, not the largest", function () {
    const largestButThin = planned(12, 50_000);
    const smallerButBetter = planned(40, 5_000, CBBTC);
    expect(chooseBestPair([largestButThin, smallerButBetter])).to.equal(smallerButBetter);
  });

  it("with nothing planned, returns the skip that got furthest down the pipeline", function () {
    const decisions = [skipped("dust"), skipped("unprofitable"), skipped("no-route")];
    expect(chooseBestPair(decisions)?.reason).to.equal("unprofitable");
  });

  it("returns undefined for a position with no pairs", function () {
    expect(chooseBestPair([])).to.equal(undefined);
  });
});
