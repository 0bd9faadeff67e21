/**
 * A chunk that may batch is simulated batches first (keeper/execution/batch-first.ts): plans sharing a flash loan are
 * simulated AS liquidateBatch pieces of at most MAX_BATCH_MEMBERS, never one by one, unless their piece fails; then
 * its members are simulated alone. Before, every plan of a chunk was simulated alone (one eth_call each, on a node that
 * serves them one at a time) and only then batched. Double: a simulator that records what it is asked and answers
 * every single and every batch with success (or a failing batch when told), and whose shortfalls it awaits.
 */
import { expect } from "chai";
import type { Address, LiquidationPlan } from "../../../../keeper/core/types";
import type { ExecutionContext } from "../../../../keeper/execution/execution-stage";
import { MAX_BATCH_MEMBERS, simulateBatchesFirst, splitEvenly } from "../../../../keeper/execution/batch-first";
import type { PlanSimulator, SimulationOutcome, SimulationRequest } from "../../../../keeper/execution/plan-simulator";

const POOL = "0x00000000000000000000000000000000000000c1" as Address;
const OTHER_POOL = "0x00000000000000000000000000000000000000c2" as Address;
const USDC = "0x00000000000000000000000000000000000000d1" as Address;
const WETH = "0x00000000000000000000000000000000000000d2" as Address;
const ROUTE = "0x" + "ab".repeat(43);

function plan(index: number, lender: Address = POOL): LiquidationPlan {
  const borrower = `0x${(0x100 + index).toString(16).padStart(40, "0")}` as Address;
  return {
    id: `aave:${borrower}@100`,
    candidate: {
      key: { protocol: "aave-v3", market: "aave-weth", borrower },
      collateralToken: WETH,
      debtToken: USDC,
      debtToCover: 1_000_000_000n,
      expectedCollateral: 10n ** 17n,
      debtToCoverUsd: 1_000,
      expectedCollateralUsd: 1_050,
      sizingRule: "test",
      healthFactor: 99n * 10n ** 16n,
      detectedAtBlock: 100,
      call: { shape: "AaveV3", market: POOL, debtToCover: 1_000_000_000n, poolDecidesSize: false },
    },
    flash: { kind: "aave-v3", executorSource: "AaveV3", address: lender, amount: 1_000_000_000n, fee: 500_000n },
    swap: { venue: "uniswapV3", route: ROUTE, amountIn: 10n ** 17n, amountOut: 1_040_000_000n },
    profitToken: USDC,
    expectedProfit: 40_000_000n,
    expectedProfitUsd: 40,
    gasUnits: 400_000n,
    gasCostUsd: 0.04,
    netProfitUsd: 39.96,
  } as unknown as LiquidationPlan;
}

function success(profit: bigint, shortfall: bigint): SimulationOutcome {
  return {
    ok: true,
    simulatedProfit: profit,
    expectedProfit: profit - shortfall,
    minProfit: 0n,
    gasEstimate: 300_000n,
    gasLimit: 600_000n,
    deadlineBlock: 102,
    planStruct: {} as never,
    calldata: "0x",
  };
}

const FAILED: SimulationOutcome = {
  ok: false,
  stage: "profit-probe",
  failure: { kind: "revert", name: "Error", args: ["Too little received"], summary: 'Error("Too little received")', data: "0x" },
  detail: "profit probe (eth_call) reverted",
};

/** Records single and batch simulations; `failBatchesOf`: sizes of batch that fail; `failSingles`: plans that fail alone. */
function recordingSimulator(failBatchesOf: readonly number[] = [], failSingles: readonly string[] = []) {
  const singles: string[] = [];
  const batches: { ids: string[]; shortfall: bigint }[] = [];
  /** The state block each simulation was asked to read, single or batch, in the order asked. */
  const stateBlocks: (number | undefined)[] = [];
  const simulator = {
    simulateMany: async (requests: readonly SimulationRequest[]) => {
      singles.push(...requests.map((r) => r.plan.id));
      stateBlocks.push(...requests.map((r) => r.stateBlock));
      return Promise.all(
        requests.map(async (r) => (failSingles.includes(r.plan.id) ? FAILED : success(40_000_000n, await (r.profitShortfall ?? 0n)))),
      );
    },
    simulateBatchPlan: async (
      plans: readonly LiquidationPlan[],
      _head: number,
      adjustments: { profitShortfall?: bigint | Promise<bigint>; stateBlock?: number },
    ) => {
      stateBlocks.push(adjustments.stateBlock);
      const shortfall = await (adjustments.profitShortfall ?? 0n);
      batches.push({ ids: plans.map((p) => p.id), shortfall });
      return failBatchesOf.includes(plans.length) ? FAILED : success(BigInt(plans.length) * 41_000_000n, shortfall);
    },
    prepared: () => success(1n, 0n),
  } as unknown as PlanSimulator;
  return { simulator, singles, batches, stateBlocks };
}

const deps = (simulator: PlanSimulator) => ({
  simulator,
  prices: {
    usdPerToken: (token: Address) => (token === USDC ? 1 : 3_500),
    decimalsOf: (token: Address) => (token === USDC ? 6 : 18),
    nativeUsd: () => 3_500,
  },
  logger: { debug: () => undefined },
});

function context(extra: Partial<ExecutionContext> = {}): ExecutionContext {
  return { mode: "LIVE", headBlock: 100, seenAtMs: 0, at: { timeMs: 0, block: 100 }, ...extra };
}

describe("execution: a chunk that may batch is simulated batches first", () => {
  it("simulates plans sharing a flash loan as batch pieces of at most MAX_BATCH_MEMBERS, none of them alone", async () => {
    const plans = Array.from({ length: MAX_BATCH_MEMBERS + 8 }, (_, i) => plan(i));
    const loner = plan(999, OTHER_POOL);
    const runnable = [...plans, loner].map((p) => ({ plan: p, context: context() }));
    const { simulator, singles, batches } = recordingSimulator();

    const result = await simulateBatchesFirst(runnable, deps(simulator));

    // 40 members: two pieces of 20 (as even as they come), each one batch; the plan with another lender alone.
    expect(batches.map((b) => b.ids.length)).to.deep.equal([20, 20]);
    expect(singles).to.deep.equal([loner.id]);
    expect([...result.batches.keys()]).to.deep.equal([0, 20]);
    expect(result.batches.get(20)!.members.map((m) => m.position)).to.deep.equal(Array.from({ length: 20 }, (_, i) => 20 + i));
    expect(result.simulations.every((s) => s.ok)).to.equal(true);
  });

  it("simulates the members of a failed batch one by one, and batches those that stand where that pays", async () => {
    const runnable = [0, 1, 2].map((i) => ({ plan: plan(i), context: context() }));
    // The batch of three fails: the second member's sale does not cover its repayment (it fails alone too).
    const { simulator, singles, batches } = recordingSimulator([3], [runnable[1]!.plan.id]);

    const result = await simulateBatchesFirst(runnable, deps(simulator));

    expect(batches.map((b) => b.ids)).to.deep.equal([runnable.map((r) => r.plan.id), [runnable[0]!.plan.id, runnable[2]!.plan.id]]);
    expect(singles).to.deep.equal(runnable.map((r) => r.plan.id));
    expect(result.simulations[1]!.ok).to.equal(false);
    expect([...result.batches.values()].map((b) => b.members.map((m) => m.position))).to.deep.equal([[0, 2]]);
  });

  it("prices a batch's shortfall once, on its members' summed sale after what was booked before its first member", async () => {
    const asked: [bigint, bigint][] = [];
    const saleShortfall = async (soldBefore: bigint, amountIn: bigint) => {
      asked.push([soldBefore, amountIn]);
      return 7n;
    };
    const sale = 10n ** 17n;
    const runnable = [0, 1, 2].map((i) => ({ plan: plan(i), context: context({ routeSoldBefore: sale * BigInt(i + 1), saleShortfall }) }));
    const { simulator, batches } = recordingSimulator();

    await simulateBatchesFirst(runnable, deps(simulator));

    // One question for the batch (its first member had one sale before it; the three sell 3 × sale), not three
    // members' figures summed (each of which counts the members before it, which the batch's simulation prices itself).
    expect(asked).to.deep.equal([[sale, 3n * sale]]);
    expect(batches[0]!.shortfall).to.equal(7n);
  });

  it("simulates a batch, its failed members alone and their smaller batch on the block their shortfall was priced on", async () => {
    const runnable = [0, 1, 2].map((i) => ({ plan: plan(i), context: context({ stateBlock: 104 }) }));
    const { simulator, stateBlocks } = recordingSimulator([3], [runnable[1]!.plan.id]);

    await simulateBatchesFirst(runnable, deps(simulator));

    // The batch of three, its three members alone, the batch of the two that stand: every one on block 104.
    expect(stateBlocks).to.deep.equal([104, 104, 104, 104, 104]);
  });

  it("splits a run into the fewest pieces of at most the size, as even as they come", () => {
    expect(splitEvenly([1, 2, 3, 4, 5], 2)).to.deep.equal([[1, 2], [3, 4], [5]]);
    expect(
      splitEvenly(
        Array.from({ length: 99 }, (_, i) => i),
        32,
      ).map((p) => p.length),
    ).to.deep.equal([25, 25, 25, 24]);
    expect(splitEvenly([], 32)).to.deep.equal([]);
  });
});
