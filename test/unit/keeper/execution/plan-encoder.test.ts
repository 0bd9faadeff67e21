import { expect } from "chai";
import { ChimeraExecutor__factory } from "../../../../typechain-types";
import type { Address, LiquidationPlan } from "../../../../keeper/core/types";
import type { ExecutorTargets } from "../../../../keeper/execution/executor-targets";
import { UnknownMarketTargetError } from "../../../../keeper/execution/executor-targets";
import { encodeLiquidateCall, encodePlanStruct, PlanEncodingError } from "../../../../keeper/execution/plan-encoder";

const EXECUTOR: Address = "0x00000000000000000000000000000000000000e1";
const POOL: Address = "0x00000000000000000000000000000000000000a1";
const MORPHO: Address = "0x00000000000000000000000000000000000000b1";
const ROUTER: Address = "0x00000000000000000000000000000000000000c1";
const VAULT: Address = "0x00000000000000000000000000000000000000d1";
const WETH: Address = "0x4200000000000000000000000000000000000006";
const USDC: Address = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913";
const BORROWER: Address = "0x1111111111111111111111111111111111111111";
const ORACLE: Address = "0x00000000000000000000000000000000000000f1";
const IRM: Address = "0x00000000000000000000000000000000000000f2";
const LLTV = 860_000_000_000_000_000n;

const targets: ExecutorTargets = {
  executor: EXECUTOR,
  markets: new Map([
    ["aave-v3:Sandbox", { protocol: "aaveV3" as const, pool: POOL }],
    [
      "morpho-blue:WETH/USDC",
      {
        protocol: "morphoBlue" as const,
        morpho: MORPHO,
        params: { label: "WETH/USDC", loanToken: USDC, collateralToken: WETH, oracle: ORACLE, irm: IRM, lltv: LLTV },
      },
    ],
  ]),
  routers: { uniswapV3: ROUTER },
};

function aavePlan(overrides: Partial<LiquidationPlan> = {}): LiquidationPlan {
  return {
    id: "aaveV3:aave-v3:Sandbox:0x1111@100",
    candidate: {
      key: { protocol: "aaveV3", market: "aave-v3:Sandbox", borrower: BORROWER },
      collateralToken: WETH,
      debtToken: USDC,
      debtToCover: 1_000_000_000n,
      expectedCollateral: 350_000_000_000_000_000n,
      debtToCoverUsd: 1_000,
      expectedCollateralUsd: 1_050,
      sizingRule: "aave-v3.0-close-factor-50%",
      healthFactor: 990_000_000_000_000_000n,
      detectedAtBlock: 100,
      callArgs: { protocol: "aaveV3", debtToCoverArgument: 1_000_000_007n },
    },
    flash: { kind: "balancer", address: VAULT, amount: 1_000_000_000n, fee: 0n },
    swap: {
      venue: "uniswapV3",
      tokenIn: WETH,
      tokenOut: USDC,
      amountIn: 350_000_000_000_000_000n,
      amountOut: 1_040_000_000n,
      route: "0xabcdef",
      gasEstimate: 90_000n,
      pools: [],
    },
    profitToken: USDC,
    expectedProfit: 40_000_000n,
    expectedProfitUsd: 40,
    gasUnits: 900_000n,
    gasCostUsd: 0.01,
    netProfitUsd: 39,
    ...overrides,
  };
}

describe("execution: plan encoding", () => {
  it("maps an Aave plan onto IChimeraExecutor.Plan: the pool from the targets, the liquidationCall argument, a sell-all swap", () => {
    const plan = encodePlanStruct(aavePlan(), targets, { minProfit: 38_000_000n, deadlineBlock: 102 });
    expect(plan.flash).to.deep.equal({ source: 1, lender: VAULT, token: USDC, amount: 1_000_000_000n });
    expect(plan.liquidation.protocol).to.equal(0);
    expect(plan.liquidation.market).to.equal(POOL);
    // Not capped by collateral: exactly the sized repayment, which the pool's cap on the (grown) debt admits.
    expect(plan.liquidation.debtToCover).to.equal(1_000_000_000n);
    expect(plan.liquidation.swap).to.deep.equal({
      venue: 1,
      router: ROUTER,
      amountIn: 0n,
      minAmountOut: 1_000_000_000n,
      route: "0xabcdef",
    });
    expect(plan.minProfit).to.equal(38_000_000n);
    expect(plan.deadlineBlock).to.equal(102n);
  });

  it("lets the pool size a collateral-capped liquidation and borrows a buffer for the interest accrued since sizing", () => {
    const base = aavePlan();
    const capped = aavePlan({ candidate: { ...base.candidate, sizingRule: "aave-v3.0-close-factor-100%+capped-by-collateral" } });
    const plan = encodePlanStruct(capped, targets, { minProfit: 1n, deadlineBlock: 1 });
    expect(plan.liquidation.debtToCover).to.equal(1_000_000_007n);
    expect(plan.flash.amount).to.equal(1_000_000_000n + 1_000_000n + 1n);
  });

  it("a swap must at least repay the flash principal plus its fee", () => {
    const plan = encodePlanStruct(aavePlan({ flash: { kind: "aaveV3", address: POOL, amount: 1_000_000_000n, fee: 500_000n } }), targets, {
      minProfit: 1n,
      deadlineBlock: 1,
    });
    expect(plan.flash.source).to.equal(3);
    expect(plan.liquidation.swap.minAmountOut).to.equal(1_000_500_000n);
  });

  it("encodes a self-funded Morpho liquidation with the market's params and exactly one of seized assets / repaid shares", () => {
    const base = aavePlan();
    const morpho = aavePlan({
      id: "morphoBlue:morpho-blue:WETH/USDC:0x1111@100",
      candidate: {
        ...base.candidate,
        key: { protocol: "morphoBlue", market: "morpho-blue:WETH/USDC", borrower: BORROWER },
        callArgs: { protocol: "morphoBlue", seizedAssets: 350_000_000_000_000_000n, repaidShares: 0n },
      },
      flash: { kind: "none", address: "0x0000000000000000000000000000000000000000", amount: 0n, fee: 0n },
    });
    const plan = encodePlanStruct(morpho, targets, { minProfit: 1n, deadlineBlock: 5 });
    expect(plan.flash).to.deep.equal({
      source: 0,
      lender: "0x0000000000000000000000000000000000000000",
      token: "0x0000000000000000000000000000000000000000",
      amount: 0n,
    });
    expect(plan.liquidation.market).to.equal(MORPHO);
    expect(plan.liquidation.morpho).to.deep.equal({
      oracle: ORACLE,
      irm: IRM,
      lltv: LLTV,
      seizedAssets: 350_000_000_000_000_000n,
      repaidShares: 0n,
    });

    const both = {
      ...morpho,
      candidate: { ...morpho.candidate, callArgs: { protocol: "morphoBlue" as const, seizedAssets: 1n, repaidShares: 1n } },
    };
    expect(() => encodePlanStruct(both, targets, { minProfit: 1n, deadlineBlock: 5 })).to.throw(PlanEncodingError, "exactly one");
  });

  it("refuses a plan for a market it has no target for, naming the market", () => {
    const stray = aavePlan({
      candidate: { ...aavePlan().candidate, key: { protocol: "aaveV3", market: "aave-v3:Elsewhere", borrower: BORROWER } },
    });
    expect(() => encodePlanStruct(stray, targets, { minProfit: 1n, deadlineBlock: 1 })).to.throw(
      UnknownMarketTargetError,
      "aave-v3:Elsewhere",
    );
  });

  it("produces liquidate(plan) calldata that decodes back to the same plan", () => {
    const plan = encodePlanStruct(aavePlan(), targets, { minProfit: 7n, deadlineBlock: 9 });
    const [decoded] = ChimeraExecutor__factory.createInterface().decodeFunctionData("liquidate", encodeLiquidateCall(plan));
    expect(decoded.liquidation.borrower).to.equal(BORROWER);
    expect(decoded.minProfit).to.equal(7n);
    expect(decoded.liquidation.swap.route).to.equal("0xabcdef");
  });
});
