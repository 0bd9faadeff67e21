import { expect } from "chai";
import { AbiCoder, Interface } from "ethers";
import type { Address } from "../../../../keeper/core/types";
import { PlanSimulator, type SimulationProvider } from "../../../../keeper/execution/plan-simulator";
import { PLAN_PROBE_ABI } from "../../../../keeper/execution/probe/plan-probe-code";
import { planWith } from "../strategy/fixtures";

const EXECUTOR: Address = "0x00000000000000000000000000000000000000e1";
const OPERATOR: Address = "0x00000000000000000000000000000000000000e2";
const TREASURY: Address = "0x00000000000000000000000000000000000000e3";
const probe = new Interface(PLAN_PROBE_ABI);

/**
 * A plan whose shortfall was priced on one block's state is probed on that block (SimulationAdjustments.stateBlock):
 * at latest, a sale of this keeper mined between the landed count and the probe was in the simulated pool and in the
 * shortfall too, and whole chunks were refused as "does not cover" (reaction-pipeline.ts). The double records the
 * block tag of every probe.
 */
function node() {
  const probedAt: unknown[] = [];
  const provider: SimulationProvider = {
    call: async () => AbiCoder.defaultAbiCoder().encode(["address"], [TREASURY]),
    estimateGas: async () => 500_000n,
    send: async (method: string, params: unknown[]) => {
      if (method === "eth_blockNumber") return "0x70";
      probedAt.push(params[1]);
      return probe.encodeFunctionResult("probe", [true, 5_000_000n, 300_000n, "0x"]);
    },
  };
  return { provider, probedAt };
}

describe("plan simulation: probed on the block the shortfall was priced on", () => {
  const simulator = (provider: SimulationProvider) =>
    new PlanSimulator({ provider, executor: EXECUTOR, operator: OPERATOR, minProfitHaircutBps: 1_000, deadlineBlocks: 2 });

  it("a single and a batch with a state block are probed at that block; without one, at latest", async () => {
    const { provider, probedAt } = node();
    const sim = simulator(provider);
    await sim.simulateMany([
      { plan: planWith("a", 10), headBlock: 100, stateBlock: 105 },
      { plan: planWith("b", 10), headBlock: 100 },
    ]);
    await sim.simulateBatchPlan([planWith("c", 10), planWith("d", 10)], 100, { stateBlock: 106 });
    expect(probedAt).to.deep.equal(["0x69", "latest", "0x6a"]);
  });
});
