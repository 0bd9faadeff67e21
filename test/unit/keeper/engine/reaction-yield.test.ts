/**
 * A follow-up reaction (retries, events) stops before its next chunk while a reaction to prices waits for the queue
 * (reaction-pipeline.ts, `yieldToPrices`): in the reaction bench a busy step's first plan waited 1,049-1,604 ms behind the
 * retries of the step before's leftovers. The positions it did not attempt are due again at the next block, their
 * backoff unchanged. Doubles: a planner that plans every position, an execution stage that records what it is given.
 */
import { expect } from "chai";
import { positionKeyId, type LiquidationPlan, type PlanDecision } from "../../../../keeper/core/types";
import type { ExecutionContext, ExecutionReport } from "../../../../keeper/execution/execution-stage";
import { OwnSalesLedger } from "../../../../keeper/engine/own-sales";
import { ReactionPipeline } from "../../../../keeper/engine/reaction-pipeline";
import { RetryScheduler } from "../../../../keeper/engine/retry-scheduler";
import type { KeeperEngineDeps } from "../../../../keeper/engine/engine-deps";
import type { PositionToPlan } from "../../../../keeper/engine/opportunity-planner";
import type { SwapQuoter } from "../../../../keeper/venues/venue-plugin";
import { candidate, planWith, positionKey } from "../strategy/fixtures";

const HEAD = 200;

function planFor(index: number): LiquidationPlan {
  const borrower = `0x${(0x100 + index).toString(16).padStart(40, "0")}`;
  return planWith(`plan-${index}`, 10, { candidate: candidate({ key: positionKey(borrower), debtToCoverUsd: 1_000 - index }) });
}

describe("reaction: a follow-up yields to a reaction to prices between its chunks", () => {
  it("stops before its next chunk while a price reaction waits, and leaves the rest due at the next block", async () => {
    const plans = Array.from({ length: 5 }, (_, index) => planFor(index));
    const byId = new Map(plans.map((plan) => [positionKeyId(plan.candidate.key), plan]));
    const executed: string[] = [];
    const order: string[] = [];
    const deps = {
      chain: { getTransactionCount: async () => 0 },
      heads: { latest: { number: HEAD } },
      markets: [],
      planner: {
        plan: async (items: readonly PositionToPlan[]): Promise<PlanDecision[]> =>
          items.map((item) => {
            const plan = byId.get(positionKeyId(item.position.key))!;
            return { candidate: plan.candidate, plan, outcome: "planned" };
          }),
      },
      ownSales: new OwnSalesLedger({} as SwapQuoter),
      risk: { riskGate: { evaluate: () => ({ approved: true }) }, breaker: {} },
      execution: {
        operator: null,
        inFlightPositions: () => new Set<string>(),
        executeMany: async (items: readonly { plan: LiquidationPlan; context: ExecutionContext }[]): Promise<ExecutionReport[]> => {
          executed.push(...items.map((item) => item.plan.id));
          // A price answer arrives while the follow-up's first chunk is on the node.
          if (executed.length === 1) void reaction.exclusivelyForPrices(async () => void order.push("price"));
          return items.map((item) => ({ status: "not-sent", planId: item.plan.id, detail: "test" }));
        },
      },
      metrics: { opportunitiesDetected: { inc: () => undefined } },
      journal: { recordDecisions: () => undefined },
      races: null,
    } as unknown as KeeperEngineDeps;
    const host = {
      mode: "LIVE" as const,
      head: HEAD,
      baseFeePerGas: 0n,
      mayReact: () => true,
      instant: () => ({ timeMs: 0, block: HEAD }),
    };
    const totals = { detected: 0, planned: 0, skipped: 0, sent: 0, included: 0, failed: 0, lostRaces: 0 };
    const retries = new RetryScheduler();
    const reaction = new ReactionPipeline(deps, host, totals as never, retries, {} as never);
    const market = { id: "m", sharedUnlock: () => undefined, position: () => undefined };
    const items = plans.map((plan) => ({
      market,
      position: { key: plan.candidate.key, debts: [{ valueUsd: plan.candidate.debtToCoverUsd }] },
    }));

    await reaction.exclusively(() => {
      order.push("follow-up");
      return reaction.react(items as unknown as PositionToPlan[], 0, [], undefined, { yieldToPrices: true });
    });
    await reaction.exclusively(async () => undefined);

    // The first (alone) went; the chunk of the other four did not, and the price reaction ran right after.
    expect(executed).to.deep.equal([plans[0]!.id]);
    expect(order).to.deep.equal(["follow-up", "price"]);
    for (const plan of plans.slice(1)) {
      const entry = retries.entry(positionKeyId(plan.candidate.key));
      expect(entry, plan.id).to.include({ dueBlock: HEAD + 1, failures: 0 });
    }
  });
});
