import { expect } from "chai";
import { AbiCoder, Interface } from "ethers";
import { ChimeraExecutor__factory } from "../../../../typechain-types";
import type { Address } from "../../../../keeper/core/types";
import { PlanSimulator, type SimulationProvider } from "../../../../keeper/execution/plan-simulator";
import { PLAN_PROBE_ABI } from "../../../../keeper/execution/probe/plan-probe-code";
import { planWith } from "../strategy/fixtures";

const EXECUTOR: Address = "0x00000000000000000000000000000000000000e1";
const OPERATOR: Address = "0x00000000000000000000000000000000000000e2";
const TREASURY: Address = "0x00000000000000000000000000000000000000e3";
const executor = ChimeraExecutor__factory.createInterface();
const probe = new Interface(PLAN_PROBE_ABI);

/**
 * A plan's deadline counts from the block the node SIMULATED it on, read beside the probe: in the reaction bench's
 * busy steps this keeper's head was 7-9 blocks behind the node, and every probe failed PlanExpired(head + 2, latest).
 * The double answers the probe's eth_call as ChimeraPlanProbe does (success, profit, gas), refusing a plan whose
 * deadline is below the node's block as the executor would, and eth_blockNumber with the node's block.
 */
function node(latest: number | null) {
  const probedDeadlines: bigint[] = [];
  const provider: SimulationProvider = {
    call: async () => AbiCoder.defaultAbiCoder().encode(["address"], [TREASURY]),
    estimateGas: async () => 500_000n,
    send: async (method: string, params: unknown[]) => {
      if (method === "eth_blockNumber") {
        if (latest === null) throw new Error("eth_blockNumber unsupported");
        return `0x${latest.toString(16)}`;
      }
      const [, , , planCall] = probe.decodeFunctionData("probe", (params[0] as { data: string }).data);
      const [plan] = executor.decodeFunctionData("liquidate", planCall as string);
      probedDeadlines.push(plan.deadlineBlock as bigint);
      const expired = latest !== null && (plan.deadlineBlock as bigint) < BigInt(latest);
      return probe.encodeFunctionResult("probe", [!expired, expired ? 0n : 5_000_000n, 300_000n, expired ? "0x1234abcd" : "0x"]);
    },
  };
  return { provider, probedDeadlines };
}

describe("plan simulation: the deadline counts from the block the node simulated on", () => {
  const simulator = (provider: SimulationProvider) =>
    new PlanSimulator({ provider, executor: EXECUTOR, operator: OPERATOR, minProfitHaircutBps: 1_000, deadlineBlocks: 2 });

  it("a keeper whose head (100) is 9 blocks behind the node (109): probed on the node's state, signed with deadline 111", async () => {
    const { provider, probedDeadlines } = node(109);
    const [outcome] = await simulator(provider).simulateMany([{ plan: planWith("p", 10), headBlock: 100 }]);
    expect(outcome!.ok, outcome!.ok ? "" : outcome!.detail).to.equal(true);
    const ok = outcome as Extract<typeof outcome, { ok: true }>;
    expect(ok.deadlineBlock).to.equal(111);
    expect(probedDeadlines[0]! >= 109n).to.equal(true);
    const [signed] = executor.decodeFunctionData("liquidate", ok.calldata);
    expect([signed.deadlineBlock, signed.minProfit]).to.deep.equal([111n, ok.minProfit]);
    expect(ok.planStruct.deadlineBlock).to.equal(111n);
  });

  it("a node that does not say its block: the keeper's head stands (deadline = head + 2)", async () => {
    const { provider } = node(null);
    const outcome = await simulator(provider).simulate(planWith("p", 10), 100);
    expect(outcome.ok && outcome.deadlineBlock).to.equal(102);
  });
});
