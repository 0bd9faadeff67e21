/**
 * A fresh chunk reads the key's landed count, prices its own-sales shortfalls and has its plans simulated on ONE block:
 * the newest head known (reaction-pipeline.ts). Before, all three read latest at different moments, and a sale of this
 * keeper mined between the count and the probes was in the simulated pools AND in the shortfall: in the reaction bench
 * whole 32-plan chunks were refused as "does not cover" by the batch sent just before them, then retried blocks later.
 * Doubles: the chain answers the key's count with the block it was asked at; the execution stage records what it is
 * given; the own-sales ledger is the real one with a recording quoter.
 */
import { expect } from "chai";
import type { LiquidationPlan, PlanDecision } from "../../../../keeper/core/types";
import type { ExecutionContext, ExecutionReport } from "../../../../keeper/execution/execution-stage";
import { OwnSalesLedger } from "../../../../keeper/engine/own-sales";
import { ReactionPipeline } from "../../../../keeper/engine/reaction-pipeline";
import { RetryScheduler } from "../../../../keeper/engine/retry-scheduler";
import type { KeeperEngineDeps } from "../../../../keeper/engine/engine-deps";
import type { PositionToPlan } from "../../../../keeper/engine/opportunity-planner";
import type { SwapQuoter } from "../../../../keeper/venues/venue-plugin";
import { candidate, planWith, positionKey } from "../strategy/fixtures";

const OPERATOR = "0x00000000000000000000000000000000000000e2";
const ROUTE = "0x" + "ab".repeat(43);

function selling(index: number): LiquidationPlan {
  const borrower = `0x${(0x100 + index).toString(16).padStart(40, "0")}`;
  return planWith(`plan-${index}`, 10, {
    candidate: candidate({ key: positionKey(borrower) }),
    swap: { venue: "uniswapV3", route: ROUTE, amountIn: 100n, amountOut: 1_000n } as LiquidationPlan["swap"],
  });
}

function pipeline(newestHead: number) {
  const countsAskedAt: ("latest" | number)[] = [];
  const quotedAt: (number | string | undefined)[] = [];
  const executed: ExecutionContext[] = [];
  const quoter = {
    quoteRoute: async (_venue: unknown, _route: string, amounts: readonly bigint[], blockTag?: number | string) => {
      quotedAt.push(blockTag);
      return amounts.map((amount) => amount * 9n);
    },
  } as unknown as SwapQuoter;
  const ownSales = new OwnSalesLedger(quoter);
  // One earlier sale of ours is on the wire (nonce 7): the chunk's count decides whether it is in the pools.
  const earlier = selling(99);
  ownSales.record(earlier);
  ownSales.sent(earlier, 7);
  let planned: LiquidationPlan[] = [];
  const deps = {
    chain: {
      getTransactionCount: async (_address: string, blockTag: "latest" | number) => {
        countsAskedAt.push(blockTag);
        return 7;
      },
    },
    heads: { latest: { number: newestHead } },
    markets: [],
    planner: {
      plan: async (items: readonly PositionToPlan[]): Promise<PlanDecision[]> =>
        items.map((_, index) => ({ candidate: planned[index]!.candidate, plan: planned[index]!, outcome: "planned" })),
    },
    ownSales,
    risk: { riskGate: { evaluate: () => ({ approved: true }) }, breaker: {} },
    execution: {
      operator: OPERATOR,
      inFlightPositions: () => new Set<string>(),
      executeMany: async (items: readonly { plan: LiquidationPlan; context: ExecutionContext }[]): Promise<ExecutionReport[]> => {
        executed.push(...items.map((item) => item.context));
        // The shortfall each plan's simulation would wait for.
        await Promise.all(items.map((item) => item.context.saleShortfall?.(item.context.routeSoldBefore ?? 0n, 100n)));
        return items.map((item) => ({ status: "not-sent", planId: item.plan.id, detail: "test" }));
      },
    },
    metrics: { opportunitiesDetected: { inc: () => undefined } },
    journal: { recordDecisions: () => undefined },
    logger: { info: () => undefined, debug: () => undefined, warn: () => undefined },
    races: null,
  } as unknown as KeeperEngineDeps;
  const host = {
    mode: "LIVE" as const,
    head: newestHead - 3,
    baseFeePerGas: 0n,
    mayReact: () => true,
    instant: () => ({ timeMs: 0, block: newestHead }),
  };
  const totals = { detected: 0, planned: 0, skipped: 0, sent: 0, included: 0, failed: 0, lostRaces: 0 };
  const reaction = new ReactionPipeline(deps, host, totals as never, new RetryScheduler(), {} as never);
  const react = (plans: LiquidationPlan[]) => {
    planned = plans;
    const items = plans.map((plan) => ({
      market: { id: "m", sharedUnlock: () => undefined },
      position: { key: plan.candidate.key, debts: [] },
    }));
    return reaction.react(items as unknown as PositionToPlan[], 0, []);
  };
  return { react, countsAskedAt, quotedAt, executed };
}

describe("reaction: a fresh chunk's landed count, shortfall quotes and simulations read one block", () => {
  it("reads the count at the newest head known, prices the shortfall there and hands that block to the simulations", async () => {
    const { react, countsAskedAt, quotedAt, executed } = pipeline(120);

    await react([selling(1)]);

    expect(countsAskedAt).to.deep.equal([120]);
    expect(executed.map((context) => context.stateBlock)).to.deep.equal([120]);
    // The sale on the wire (nonce 7) is not in block 120's pools (count 7): priced on top of them, at that block.
    expect(executed[0]!.routeSoldBefore).to.equal(100n);
    expect(quotedAt).to.deep.equal([120]);
  });
});
