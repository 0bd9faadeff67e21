/**
 * A liquidateBatch repays every member's debt, so the day's volume (the risk gate's `submitted` booking) must count
 * them all: it counted the lead's alone, and a 32-member batch moved the daily volume by 1/32 of what it repaid.
 * The real journal, nonce manager and transaction preparer against a scripted chain; the simulator double says every
 * plan and the batch of both succeed (simulation is proven on the sandbox), the broadcaster records.
 */
import path from "node:path";
import { expect } from "chai";
import { Wallet } from "ethers";
import { Journal } from "../../../../keeper/journal/journal";
import { TransactionPreparer } from "../../../../keeper/submit/transaction-preparer";
import { ExecutionStage } from "../../../../keeper/execution/execution-stage";
import type { PlanSimulator } from "../../../../keeper/execution/plan-simulator";
import type { ExecutionOutcome } from "../../../../keeper/risk/execution-outcome";
import { makePlan, makeTempDir, removeDir } from "../journal/journal-fixtures";
import { liveContext, scriptedKey, scriptedStageOptions, successfulSimulation } from "./stage-fixtures";

describe("execution: a batch books every member's debt as the day's volume", () => {
  it("reports one submission whose volume is the sum of its members' debts", async () => {
    const dir = makeTempDir("batch-volume");
    const journal = Journal.open(path.join(dir, "journal.sqlite"));
    const key = await scriptedKey(Wallet.createRandom(), dir, () => 0);
    try {
      const outcomes: ExecutionOutcome[] = [];
      const single = successfulSimulation();
      // The batch nets more than the two singles together, so the stage sends it.
      const batch = { ...single, simulatedProfit: 1_000_000_000n, expectedProfit: 1_000_000_000n, minProfit: 950_000_000n };
      const simulator = {
        simulate: async () => single,
        simulateMany: async (requests: readonly unknown[]) => requests.map(() => single),
        simulateBatchPlan: async () => batch,
        prepared: () => single,
      } as unknown as PlanSimulator;
      const stage = new ExecutionStage({
        ...scriptedStageOptions(() => single, {
          journal,
          preparer: await TransactionPreparer.create(key.preparerOptions),
          broadcaster: { broadcast: async () => ({ acceptedBy: ["recording"], alreadyIncluded: false }) },
          chain: { getTransactionReceipt: async () => null, getTransaction: async () => null, getTransactionCount: async () => 0 },
          onOutcome: (outcome) => outcomes.push(outcome),
        }),
        simulator,
      });
      const lead = makePlan({ id: "lead", market: "m1" });
      const member = {
        ...makePlan({ id: "member", market: "m2" }),
        candidate: { ...makePlan({ market: "m2" }).candidate, debtToCoverUsd: 2_500 },
      };

      const reports = await stage.executeMany(
        [
          { plan: lead, context: liveContext(100) },
          { plan: member, context: liveContext(100) },
        ],
        { batch: true },
      );

      expect(reports.map((report) => report.status)).to.deep.equal(["sent", "sent"]);
      const submitted = outcomes.filter((outcome) => outcome.kind === "submitted");
      expect(submitted).to.have.length(1);
      expect(submitted[0]).to.include({ planId: "lead", debtValueUsd: 10_000 + 2_500 });
    } finally {
      key.nonces.close();
      journal.close();
      removeDir(dir);
    }
  });
});
