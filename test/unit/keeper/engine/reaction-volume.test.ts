/**
 * The daily volume limit holds across a busy step. A chunk's plans are all gated before its first transaction is
 * submitted (and only a submission books volume), so before this the gate saw the same "volume today" for every plan
 * of a 32-plan chunk and approved them all: tier 1 ($2,500 a day) could send $12,800 in one chunk. The pipeline now
 * counts what it approved and has not heard back about; what comes back unsent is released. The same holds for a
 * THROTTLED breaker's one execution per window, which a whole chunk went through at once.
 * Doubles: the planner hands back the test's plans; the execution stage books a sent plan as the real one does
 * (`submitted` into the risk gate) or reports it unsent. The risk gate is the real one at tier 1.
 */
import { expect } from "chai";
import type { LiquidationPlan, PlanDecision } from "../../../../keeper/core/types";
import type { ExecutionContext, ExecutionReport } from "../../../../keeper/execution/execution-stage";
import { OwnSalesLedger } from "../../../../keeper/engine/own-sales";
import { ReactionPipeline } from "../../../../keeper/engine/reaction-pipeline";
import { RetryScheduler } from "../../../../keeper/engine/retry-scheduler";
import type { KeeperEngineDeps } from "../../../../keeper/engine/engine-deps";
import type { PositionToPlan } from "../../../../keeper/engine/opportunity-planner";
import { limitsForTier } from "../../../../keeper/risk/limits";
import { RiskGate } from "../../../../keeper/risk/risk-gate";
import { CircuitBreaker } from "../../../../keeper/risk/circuit-breaker";
import type { SwapQuoter } from "../../../../keeper/venues/venue-plugin";
import { candidate, planWith, positionKey } from "../strategy/fixtures";

const GWEI = 10n ** 9n;
const NOW = { timeMs: Date.parse("2026-12-08T12:00:00Z"), block: 500 };

/** A plan repaying $400 for $60 net (tier 1: single ≤ $500, day ≤ $2,500, profit ≥ $50) on its own borrower. */
function repaying400(tag: string, index: number): LiquidationPlan {
  const borrower = `0x${(0x1000 + index).toString(16).padStart(40, "0")}`;
  return planWith(`${tag}-${index}`, 60, {
    candidate: candidate({ key: positionKey(borrower), debtToCoverUsd: 400 }),
    priorityFeePerGas: 1n * GWEI,
    maxFeePerGas: 2n * GWEI,
  });
}

function pipeline(outcome: "sent" | "not-sent", breaker?: CircuitBreaker) {
  const gate = new RiskGate(
    limitsForTier(1, { maxPriorityFeePerGasWei: 2n * GWEI, maxFeePerGasWei: 5n * GWEI, borrowerCooldown: { amount: 10, unit: "blocks" } }),
    1,
    NOW,
  );
  const executed: string[] = [];
  let planned: LiquidationPlan[] = [];
  const deps = {
    chain: { getTransactionCount: async () => 0 },
    heads: { latest: { number: NOW.block } },
    markets: [],
    planner: {
      plan: async (items: readonly PositionToPlan[]): Promise<PlanDecision[]> =>
        items.map((item) => {
          const plan = planned.find((candidatePlan) => candidatePlan.candidate.key.borrower === item.position.key.borrower)!;
          return { candidate: plan.candidate, plan, outcome: "planned" };
        }),
    },
    ownSales: new OwnSalesLedger({} as SwapQuoter),
    risk: { riskGate: gate, breaker },
    execution: {
      operator: null,
      inFlightPositions: () => new Set<string>(),
      executeMany: async (items: readonly { plan: LiquidationPlan; context: ExecutionContext }[]): Promise<ExecutionReport[]> =>
        items.map(({ plan }) => {
          executed.push(plan.id);
          if (outcome === "not-sent") return { status: "not-sent", planId: plan.id, detail: "test" };
          const booked = { kind: "submitted", planId: plan.id, borrower: plan.candidate.key.borrower, debtValueUsd: 400, at: NOW } as const;
          gate.record(booked);
          breaker?.recordOutcome(booked);
          return { status: "sent", planId: plan.id, txHash: "0x01", nonce: executed.length } as ExecutionReport;
        }),
    },
    metrics: { opportunitiesDetected: { inc: () => undefined } },
    journal: { recordDecisions: () => undefined },
    logger: { info: () => undefined, debug: () => undefined, warn: () => undefined },
    races: null,
  } as unknown as KeeperEngineDeps;
  const host = { mode: "LIVE" as const, head: NOW.block, baseFeePerGas: 0n, mayReact: () => true, instant: () => NOW };
  const totals = { detected: 0, planned: 0, skipped: 0, sent: 0, included: 0, failed: 0, lostRaces: 0 };
  const reaction = new ReactionPipeline(deps, host, totals as never, new RetryScheduler(), {} as never);
  const react = async (plans: LiquidationPlan[], options: { firstAlone?: boolean } = {}) => {
    planned = plans;
    const items = plans.map((plan) => ({
      market: { id: "test-market", sharedUnlock: () => undefined },
      position: { key: plan.candidate.key, debts: [{ valueUsd: 400 }] },
    }));
    const out: { decision: PlanDecision }[] = [];
    await reaction.react(items as unknown as PositionToPlan[], 0, out as never, undefined, options);
    return out.map((record) => record.decision);
  };
  return { react, executed, gate };
}

describe("reaction: the daily volume limit holds across a chunk gated before its first send", () => {
  it("approves a chunk only up to the day's volume, counting the plans approved ahead of each one", async () => {
    const { react, executed, gate } = pipeline("sent");
    const plans = Array.from({ length: 8 }, (_, index) => repaying400("a", index));

    const decisions = await react(plans);

    // The first goes alone and is booked ($400); the chunk after it fits five more ($2,400), not the other two.
    expect(executed).to.have.length(6);
    const refused = decisions.filter((decision) => decision.outcome === "skipped");
    expect(refused.map((decision) => decision.reason)).to.deep.equal(["daily-volume-exceeded", "daily-volume-exceeded"]);
    expect(gate.totalsAt(NOW).volumeUsd).to.equal(2_400);
  });

  it("releases what came back unsent: the next reaction is gated on what was really submitted", async () => {
    const { react, executed, gate } = pipeline("not-sent");

    const first = await react(Array.from({ length: 8 }, (_, index) => repaying400("a", index)));
    // Nothing is booked, but a chunk still never approves more than the day allows at once.
    expect(first.filter((decision) => decision.reason === "daily-volume-exceeded")).to.have.length(1);
    expect(executed).to.have.length(7);

    const second = await react(Array.from({ length: 3 }, (_, index) => repaying400("b", 100 + index)));
    expect(second.map((decision) => decision.outcome)).to.deep.equal(["planned", "planned", "planned"]);
    expect(gate.totalsAt(NOW).volumeUsd).to.equal(0);
  });

  it("lets one plan of a chunk through a THROTTLED breaker, not the whole chunk", async () => {
    const breaker = new CircuitBreaker();
    breaker.observe({ at: NOW, executorPaused: false, lastHeadAtMs: NOW.timeMs - 60_000 });
    expect(breaker.state).to.equal("THROTTLED");
    const { react, executed } = pipeline("sent", breaker);

    // A prepared plan already left for this price: the positions go as one chunk, gated before any is sent.
    const decisions = await react(
      Array.from({ length: 4 }, (_, index) => repaying400("t", index)),
      { firstAlone: false },
    );

    expect(executed).to.deep.equal(["t-0"]);
    expect(decisions.filter((decision) => decision.reason === "breaker-throttled")).to.have.length(3);
  });
});
