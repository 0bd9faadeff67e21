/**
 * A liquidateBatch's profit floor counts this keeper's own earlier sales in the block, as a single plan's does.
 * The batch is simulated alone on the head's state; when an earlier transaction of ours in the same block already
 * sold into the batch's pool, a floor from that lone profit reverts the batch on chain (the step-locked quick start
 * landed an aave-weth liquidation a block late). Plain numbers: the simulator's node is a double that answers the
 * plan probe's eth_call with a fixed profit and gas (its ABI: probe(...) returns (success, profit, gasUsed,
 * revertData), keeper/execution/probe/ChimeraPlanProbe.sol), and the executor's treasury() with one address.
 */
import { expect } from "chai";
import { AbiCoder, Interface } from "ethers";
import { ChimeraExecutor__factory } from "../../../../typechain-types";
import type { Address, LiquidationPlan } from "../../../../keeper/core/types";
import { batchShortfall, chooseBatches } from "../../../../keeper/execution/batch-choice";
import type { ExecutionContext, ExecutionPrices } from "../../../../keeper/execution/execution-stage";
import { PlanSimulator, type SimulationOutcome, type SimulationProvider } from "../../../../keeper/execution/plan-simulator";

const EXECUTOR = "0x00000000000000000000000000000000000000e1" as Address;
const OPERATOR = "0x00000000000000000000000000000000000000a1" as Address;
const TREASURY = "0x00000000000000000000000000000000000000b1" as Address;
const POOL = "0x00000000000000000000000000000000000000c1" as Address;
const USDC = "0x00000000000000000000000000000000000000d1" as Address;
const WETH = "0x00000000000000000000000000000000000000d2" as Address;
const executorInterface = ChimeraExecutor__factory.createInterface();
const probeInterface = new Interface([
  "function probe(address executor, address profitToken, address treasury, bytes planCall) returns (bool success, uint256 profit, uint256 gasUsed, bytes revertData)",
]);

function plan(borrower: string): LiquidationPlan {
  return {
    id: `aave:${borrower}@100`,
    candidate: {
      key: { protocol: "aave-v3", market: "aave-weth", borrower: borrower as Address },
      collateralToken: WETH,
      debtToken: USDC,
      debtToCover: 1_000_000_000n,
      expectedCollateral: 300_000_000_000_000_000n,
      debtToCoverUsd: 1_000,
      expectedCollateralUsd: 1_050,
      sizingRule: "test",
      healthFactor: 990_000_000_000_000_000n,
      detectedAtBlock: 100,
      call: { shape: "AaveV3", market: POOL, debtToCover: 1_000_000_000n, poolDecidesSize: false },
    },
    flash: { kind: "aave-v3", executorSource: "AaveV3", address: POOL, amount: 1_000_000_000n, fee: 500_000n },
    swap: null,
    profitToken: USDC,
    expectedProfit: 40_000_000n,
    expectedProfitUsd: 40,
    gasUnits: 400_000n,
    gasCostUsd: 0.04,
    netProfitUsd: 39.96,
  } as LiquidationPlan;
}

/** A node whose plan probe measures `profit` (USDC units) and `gasUsed` for any plan or batch. */
function node(profit: bigint, gasUsed: bigint): SimulationProvider {
  return {
    call: async () => AbiCoder.defaultAbiCoder().encode(["address"], [TREASURY]),
    estimateGas: async () => gasUsed,
    send: async () => probeInterface.encodeFunctionResult("probe", [true, profit, gasUsed, "0x"]),
  };
}

const prices: ExecutionPrices = {
  usdPerToken: (token) => (token === USDC ? 1 : 3_500),
  decimalsOf: (token) => (token === USDC ? 6 : 18),
  nativeUsd: () => 3_500,
};

function context(profitShortfall: bigint): ExecutionContext {
  return { mode: "LIVE", headBlock: 100, seenAtMs: 0, at: { timeMs: 0, block: 100 }, profitShortfall };
}

function singleOutcome(profit: bigint, shortfall: bigint, gas: bigint): SimulationOutcome {
  return {
    ok: true,
    simulatedProfit: profit,
    expectedProfit: profit - shortfall,
    minProfit: 0n,
    gasEstimate: gas,
    gasLimit: gas * 2n,
    deadlineBlock: 102,
    planStruct: {} as never,
    calldata: "0x",
  };
}

describe("execution: a liquidateBatch's floor counts our own earlier sales in the block", () => {
  const members = [plan("0x0000000000000000000000000000000000000011"), plan("0x0000000000000000000000000000000000000012")];
  // Each member alone would earn 40 USDC; our earlier transactions in this block take 10 and 15 USDC off them.
  const shortfalls = [10_000_000n, 15_000_000n];
  const runnable = members.map((member, index) => ({ plan: member, context: context(shortfalls[index]!) }));
  const singles = members.map((_, index) => singleOutcome(40_000_000n, shortfalls[index]!, 400_000n));

  it("sets the batch's floor from its simulated profit less the members' summed shortfalls", async () => {
    // The batch earns 80 USDC in its lone simulation, for 550k gas (two singles: 800k).
    const simulator = new PlanSimulator({
      provider: node(80_000_000n, 550_000n),
      executor: EXECUTOR,
      operator: OPERATOR,
      minProfitHaircutBps: 1_000,
    });
    const chosen = await chooseBatches(runnable, singles, { simulator, prices, logger: { debug: () => undefined } });

    const batch = chosen.get(0);
    expect(batch, "the batch beats the singles").to.not.equal(undefined);
    if (!batch!.simulation.ok) throw new Error(`the batch failed: ${batch!.simulation.detail}`);
    // 80 − (10 + 15) = 55 USDC expected; floor = 55 × (1 − 10%) = 49.5 USDC. From the lone 80 it would be 72,
    // above what the batch can earn behind our earlier sales: it would revert on chain.
    expect(batch!.simulation.expectedProfit).to.equal(55_000_000n);
    expect(batch!.simulation.minProfit).to.equal(49_500_000n);
    const signed = executorInterface.decodeFunctionData("liquidateBatch", batch!.simulation.calldata)[0];
    expect(signed.minProfit).to.equal(49_500_000n);
    expect(signed.liquidations.length).to.equal(2);
  });

  it("does not batch when the batch's simulated profit does not cover the members' shortfalls", async () => {
    const simulator = new PlanSimulator({
      provider: node(20_000_000n, 550_000n),
      executor: EXECUTOR,
      operator: OPERATOR,
      minProfitHaircutBps: 1_000,
    });
    const outcome = await simulator.simulateBatchPlan(members, 100, { profitShortfall: 25_000_000n });
    expect(outcome.ok).to.equal(false);
    if (outcome.ok) return;
    expect(outcome.failure.kind === "revert" && outcome.failure.name).to.equal("InsufficientProfit");
    const chosen = await chooseBatches(runnable, singles, { simulator, prices, logger: { debug: () => undefined } });
    expect(chosen.size).to.equal(0);
  });
});

describe("execution: a batch never jumps our own sale on the same route", () => {
  // The ledger books floors in rank order; a batch goes out at its first member's place. Three plans ranked A, B, C:
  // A and C share a flash loan (a batch), B does not. Test double: the simulator answers every batch with a profit
  // that beats the singles, and records which batches it was asked for (the choice, not the simulation, is tested).
  const ROUTE_R = "0x" + "ab".repeat(43);
  const ROUTE_S = "0x" + "cd".repeat(43);
  function selling(borrower: string, route: string, flash: "pool" | "none"): LiquidationPlan {
    const base = plan(borrower);
    return {
      ...base,
      flash: flash === "pool" ? base.flash : { kind: "none" },
      swap: { venue: "uniswap-v3", route, amountIn: 300_000_000_000_000_000n, amountOut: 1_040_000_000n },
    } as unknown as LiquidationPlan;
  }
  async function choose(between: LiquidationPlan, betweenSimulates = true) {
    const ranked = [selling("0x0000000000000000000000000000000000000021", ROUTE_R, "pool"), between];
    ranked.push(selling("0x0000000000000000000000000000000000000023", ROUTE_R, "pool"));
    const asked: string[][] = [];
    const simulator = {
      simulateBatchPlan: async (plans: readonly LiquidationPlan[]) => {
        asked.push(plans.map((p) => p.candidate.key.borrower.slice(-2)));
        return singleOutcome(200_000_000n, 0n, 500_000n);
      },
    };
    const outcomes = ranked.map((_, index) =>
      index === 1 && !betweenSimulates
        ? ({ ok: false, stage: "profit-probe", failure: { kind: "transport", summary: "x" }, detail: "x" } as SimulationOutcome)
        : singleOutcome(40_000_000n, 0n, 400_000n),
    );
    const chosen = await chooseBatches(
      ranked.map((p) => ({ plan: p, context: context(0n) })),
      outcomes,
      { simulator, prices, logger: { debug: () => undefined } },
    );
    return { asked, chosen: [...chosen.entries()].map(([at, choice]) => [at, choice.members.map((m) => m.position)]) };
  }

  it("does not batch A with C when B, ranked between them and sent, sells into C's route (its floor never saw C's sale)", async () => {
    const { asked, chosen } = await choose(selling("0x0000000000000000000000000000000000000022", ROUTE_R, "none"));
    expect(asked).to.deep.equal([]);
    expect(chosen).to.deep.equal([]);
  });

  it("batches A with C when B sells into another route, or is not sent at all", async () => {
    const other = await choose(selling("0x0000000000000000000000000000000000000022", ROUTE_S, "none"));
    expect(other.asked).to.deep.equal([["21", "23"]]);
    expect(other.chosen).to.deep.equal([[0, [0, 2]]]);
    const failed = await choose(selling("0x0000000000000000000000000000000000000022", ROUTE_R, "none"), false);
    expect(failed.chosen).to.deep.equal([[0, [0, 2]]]);
  });
});

describe("execution: liquidations through one OEV wrapper go as one batch", () => {
  // The first liquidation through a wrapper makes its round public: a later single races whoever acts on public prices
  // (docs/oev.md). So their batch is sent whenever it simulates, even when the singles look better on paper.
  const WRAPPER = "0x00000000000000000000000000000000000000f1" as Address;
  function throughWrapper(borrower: string, wrapper: Address | undefined): LiquidationPlan {
    const base = plan(borrower);
    return {
      ...base,
      candidate: { ...base.candidate, call: { ...base.candidate.call!, shape: "MoonwellOev", oevWrapper: wrapper } },
    } as LiquidationPlan;
  }
  // The batch earns 70 USDC for 790k gas: less than two singles' 2 × 40 USDC for 2 × 400k gas.
  const simulator = () =>
    new PlanSimulator({ provider: node(70_000_000n, 790_000n), executor: EXECUTOR, operator: OPERATOR, minProfitHaircutBps: 1_000 });
  const singles = [singleOutcome(40_000_000n, 0n, 400_000n), singleOutcome(40_000_000n, 0n, 400_000n)];

  it("batches two plans through the same wrapper although the singles net more", async () => {
    const members = [
      throughWrapper("0x0000000000000000000000000000000000000031", WRAPPER),
      throughWrapper("0x0000000000000000000000000000000000000032", WRAPPER),
    ];
    const runnable = members.map((member) => ({ plan: member, context: context(0n) }));
    const chosen = await chooseBatches(runnable, singles, { simulator: simulator(), prices, logger: { debug: () => undefined } });
    expect(chosen.get(0)?.members.map((m) => m.position)).to.deep.equal([0, 1]);
  });

  it("never batches a plan through a wrapper with one through no wrapper, even when the batch would net more", async () => {
    const members = [
      throughWrapper("0x0000000000000000000000000000000000000051", WRAPPER),
      plan("0x0000000000000000000000000000000000000052"),
    ];
    const runnable = members.map((member) => ({ plan: member, context: context(0n) }));
    const generous = new PlanSimulator({
      provider: node(90_000_000n, 500_000n),
      executor: EXECUTOR,
      operator: OPERATOR,
      minProfitHaircutBps: 1_000,
    });
    const chosen = await chooseBatches(runnable, singles, { simulator: generous, prices, logger: { debug: () => undefined } });
    expect(chosen.size).to.equal(0);
  });

  it("keeps the comparison for plans through no wrapper or different wrappers", async () => {
    const other = "0x00000000000000000000000000000000000000f2" as Address;
    for (const wrappers of [
      [WRAPPER, other],
      [undefined, undefined],
    ]) {
      const members = wrappers.map((wrapper, index) => throughWrapper(`0x00000000000000000000000000000000000000${40 + index}`, wrapper));
      const runnable = members.map((member) => ({ plan: member, context: context(0n) }));
      const chosen = await chooseBatches(runnable, singles, { simulator: simulator(), prices, logger: { debug: () => undefined } });
      expect(chosen.size, `wrappers ${wrappers.join(", ")}`).to.equal(0);
    }
  });
});

describe("execution: a batch's shortfall counts only our sales sent before it", () => {
  // Two members sell into one route. The ledger's figure for the second counts the first's sale, which the batch's own
  // simulation already prices (it sells them in order): summing them refused the quick start's Moonwell OEV batches.
  const ROUTE = "0x" + "ef".repeat(43);
  function selling(borrower: string): LiquidationPlan {
    return {
      ...plan(borrower),
      swap: {
        venue: "uniswap-v3",
        executorVenue: "UniswapV3",
        router: POOL,
        tokenIn: WETH,
        tokenOut: USDC,
        route: ROUTE,
        amountIn: 300_000_000_000_000_000n,
        amountOut: 1_040_000_000n,
      },
    } as unknown as LiquidationPlan;
  }
  const first = selling("0x0000000000000000000000000000000000000031");
  const second = selling("0x0000000000000000000000000000000000000032");
  const withSold = (shortfall: bigint, routeSoldBefore: bigint | undefined): ExecutionContext => ({
    ...context(shortfall),
    routeSoldBefore,
  });

  it("adds nothing for members that only count each other, when nothing was sold on the route before the batch", async () => {
    const members = [
      { plan: first, context: withSold(0n, 0n) },
      { plan: second, context: withSold(25_000_000n, 300_000_000_000_000_000n) },
    ];
    expect(batchShortfall(members)).to.equal(0n);
    // The batch earns 20 USDC: summing the figures (25) would refuse it; it is chosen, as one wrapper's batch must be.
    const simulator = new PlanSimulator({
      provider: node(20_000_000n, 550_000n),
      executor: EXECUTOR,
      operator: OPERATOR,
      minProfitHaircutBps: 1_000,
    });
    const singles = [singleOutcome(15_000_000n, 0n, 400_000n), singleOutcome(15_000_000n, 25_000_000n, 400_000n)];
    const chosen = await chooseBatches(members, singles, { simulator, prices, logger: { debug: () => undefined } });
    const batch = chosen.get(0);
    expect(batch?.simulation.ok).to.equal(true);
    if (batch?.simulation.ok) expect(batch.simulation.expectedProfit).to.equal(20_000_000n);
  });

  it("sums them when a sale of ours went before the batch on its route, or when that is not known", () => {
    const before = [
      { plan: first, context: withSold(4_000_000n, 100n) },
      { plan: second, context: withSold(9_000_000n, 300_000_000_000_000_100n) },
    ];
    expect(batchShortfall(before)).to.equal(13_000_000n);
    const unknown = [
      { plan: first, context: withSold(4_000_000n, undefined) },
      { plan: second, context: withSold(9_000_000n, undefined) },
    ];
    expect(batchShortfall(unknown)).to.equal(13_000_000n);
  });

  it("sums the shortfalls of members on different routes or selling nothing", () => {
    const noSale = [
      { plan: plan("0x0000000000000000000000000000000000000041"), context: withSold(10_000_000n, 0n) },
      { plan: plan("0x0000000000000000000000000000000000000042"), context: withSold(15_000_000n, 0n) },
    ];
    expect(batchShortfall(noSale)).to.equal(25_000_000n);
  });
});
