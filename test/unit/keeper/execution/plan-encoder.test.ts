import { expect } from "chai";
import { ChimeraExecutor__factory } from "../../../../typechain-types";
import type { Address, LiquidationCall, LiquidationPlan } from "../../../../keeper/core/types";
import { MaxUint256 } from "ethers";
import {
  calldataWithDeadline,
  calldataWithMinProfit,
  encodeBatchPlanStruct,
  encodeLiquidateBatchCall,
  encodeLiquidateCall,
  encodePlanStruct,
  FLASH_HEADROOM,
  PlanEncodingError,
} from "../../../../keeper/execution/plan-encoder";

const POOL: Address = "0x00000000000000000000000000000000000000a1";
const MORPHO: Address = "0x00000000000000000000000000000000000000b1";
const ROUTER: Address = "0x00000000000000000000000000000000000000c1";
const VAULT: Address = "0x00000000000000000000000000000000000000d1";
const M_USDC: Address = "0x00000000000000000000000000000000000000e1";
const M_WETH: Address = "0x00000000000000000000000000000000000000e2";
const WETH: Address = "0x4200000000000000000000000000000000000006";
const USDC: Address = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913";
const BORROWER: Address = "0x1111111111111111111111111111111111111111";
const ORACLE: Address = "0x00000000000000000000000000000000000000f1";
const IRM: Address = "0x00000000000000000000000000000000000000f2";
const ZERO: Address = "0x0000000000000000000000000000000000000000";
const LLTV = 860_000_000_000_000_000n;

/** The Aave plan with another protocol call on its candidate. */
function withCall(plan: LiquidationPlan, call: LiquidationCall | undefined): LiquidationPlan {
  return { ...plan, candidate: { ...plan.candidate, call } };
}

function aavePlan(overrides: Partial<LiquidationPlan> = {}): LiquidationPlan {
  return {
    id: "aaveV3:aaveV3:Sandbox:0x1111@100",
    candidate: {
      key: { protocol: "aaveV3", market: "aaveV3:Sandbox", borrower: BORROWER },
      collateralToken: WETH,
      debtToken: USDC,
      debtToCover: 1_000_000_000n,
      expectedCollateral: 350_000_000_000_000_000n,
      debtToCoverUsd: 1_000,
      expectedCollateralUsd: 1_050,
      sizingRule: "aave-v3.0-close-factor-50%",
      healthFactor: 990_000_000_000_000_000n,
      detectedAtBlock: 100,
      call: { shape: "AaveV3", market: POOL, debtToCover: 1_000_000_000n, poolDecidesSize: false, selfFunded: false },
    },
    flash: { kind: "balancer", executorSource: "BalancerV2", address: VAULT, amount: 1_000_000_000n, fee: 0n },
    swap: {
      venue: "uniswapV3",
      executorVenue: "UniswapV3",
      router: ROUTER,
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
  it("maps an Aave plan onto IChimeraExecutor.Plan: the market's call, the lender's source, the venue's router, a sell-all swap", () => {
    const plan = encodePlanStruct(aavePlan(), { minProfit: 38_000_000n, deadlineBlock: 102 });
    // One unit of headroom above the repayment (FLASH_HEADROOM), fee-free at Balancer: the sale floor is the repayment.
    expect(plan.flash).to.deep.equal({ source: 1, lender: VAULT, token: USDC, amount: 1_000_000_001n });
    expect(plan.liquidation.protocol).to.equal(0);
    expect(plan.liquidation.market).to.equal(POOL);
    // Not capped by collateral: exactly the sized repayment, which the pool's cap on the (grown) debt admits.
    expect(plan.liquidation.debtToCover).to.equal(1_000_000_000n);
    expect([plan.liquidation.collateralMarket, plan.liquidation.morpho.oracle, plan.liquidation.morpho.lltv]).to.deep.equal([
      ZERO,
      ZERO,
      0n,
    ]);
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

  it("when the pool decides the size, passes the market's argument and borrows a buffer for the interest accrued since sizing", () => {
    const capped = withCall(aavePlan(), {
      shape: "AaveV3",
      market: POOL,
      debtToCover: 1_000_000_007n,
      poolDecidesSize: true,
      selfFunded: false,
    });
    const plan = encodePlanStruct(capped, { minProfit: 1n, deadlineBlock: 1 });
    expect(plan.liquidation.debtToCover).to.equal(1_000_000_007n);
    // The buffer alone: it already keeps the flash token's balance above zero, so no headroom unit on top.
    expect(plan.flash.amount).to.equal(1_000_000_000n + 1_000_000n + 1n);
    // The sizing rule's text decides nothing: the same rule string without the flag borrows no buffer.
    const flagOff = withCall(aavePlan(), { ...capped.candidate.call!, poolDecidesSize: false });
    const unbuffered = encodePlanStruct(
      { ...flagOff, candidate: { ...flagOff.candidate, sizingRule: "aave-v3.0+capped-by-collateral" } },
      {
        minProfit: 1n,
        deadlineBlock: 1,
      },
    );
    expect(unbuffered.flash.amount).to.equal(1_000_000_000n + FLASH_HEADROOM);
  });

  it("a swap must at least repay the flash principal plus its fee, counting the headroom unit's fee where the lender charges one", () => {
    const plan = encodePlanStruct(
      aavePlan({ flash: { kind: "aaveV3", executorSource: "AaveV3", address: POOL, amount: 1_000_000_000n, fee: 500_000n } }),
      { minProfit: 1n, deadlineBlock: 1 },
    );
    expect(plan.flash.source).to.equal(3);
    expect(plan.flash.amount).to.equal(1_000_000_001n);
    // 5 bps of one more unit rounds to at most one more unit of premium.
    expect(plan.liquidation.swap.minAmountOut).to.equal(1_000_500_001n);
  });

  it("borrows one headroom unit per liquidation of a batch", () => {
    const batch = encodeBatchPlanStruct([aavePlan(), aavePlan({ id: "second" })], { minProfit: 1n, deadlineBlock: 1 });
    expect(batch.flash.amount).to.equal(2n * (1_000_000_000n + FLASH_HEADROOM));
    expect(batch.liquidations.map((l) => l.swap.minAmountOut)).to.deep.equal([1_000_000_000n, 1_000_000_000n]);
  });

  it("encodes a self-funded Morpho liquidation with the market's params and exactly one of seized assets / repaid shares", () => {
    const morphoCall: LiquidationCall = {
      shape: "MorphoBlue",
      market: MORPHO,
      debtToCover: 0n,
      morpho: { oracle: ORACLE, irm: IRM, lltv: LLTV, seizedAssets: 350_000_000_000_000_000n, repaidShares: 0n },
      poolDecidesSize: false,
      selfFunded: true,
    };
    const morpho = {
      ...withCall(aavePlan(), morphoCall),
      flash: { kind: "none", executorSource: "None" as const, address: ZERO, amount: 0n, fee: 0n },
    };
    const plan = encodePlanStruct(morpho, { minProfit: 1n, deadlineBlock: 5 });
    expect(plan.flash).to.deep.equal({ source: 0, lender: ZERO, token: ZERO, amount: 0n });
    expect(plan.liquidation.protocol).to.equal(1);
    expect(plan.liquidation.market).to.equal(MORPHO);
    expect(plan.liquidation.morpho).to.deep.equal(morphoCall.morpho);

    const both = withCall(morpho, { ...morphoCall, morpho: { ...morphoCall.morpho!, repaidShares: 1n } });
    expect(() => encodePlanStruct(both, { minProfit: 1n, deadlineBlock: 5 })).to.throw(PlanEncodingError, "exactly one");
  });

  it("encodes the Compound-v2 call shape with both markets: liquidateBorrow on the debt's, redeem on the collateral's", () => {
    const moonwell = withCall(aavePlan(), {
      shape: "CompoundV2",
      market: M_USDC,
      debtToCover: 999_000_000n,
      collateralMarket: M_WETH,
      poolDecidesSize: false,
      selfFunded: false,
    });
    const plan = encodePlanStruct(moonwell, { minProfit: 1n, deadlineBlock: 5 });
    expect(plan.liquidation.protocol).to.equal(2);
    expect([plan.liquidation.market, plan.liquidation.collateralMarket, plan.liquidation.debtToCover]).to.deep.equal([
      M_USDC,
      M_WETH,
      999_000_000n,
    ]);
  });

  it("refuses a candidate its market sized no executor call for, naming the market", () => {
    expect(() => encodePlanStruct(withCall(aavePlan(), undefined), { minProfit: 1n, deadlineBlock: 1 })).to.throw(
      PlanEncodingError,
      "aaveV3:Sandbox",
    );
  });

  it("produces liquidate(plan) calldata that decodes back to the same plan", () => {
    const plan = encodePlanStruct(aavePlan(), { minProfit: 7n, deadlineBlock: 9 });
    const [decoded] = ChimeraExecutor__factory.createInterface().decodeFunctionData("liquidate", encodeLiquidateCall(plan));
    expect(decoded.liquidation.borrower).to.equal(BORROWER);
    expect(decoded.minProfit).to.equal(7n);
    expect(decoded.liquidation.swap.route).to.equal("0xabcdef");
  });

  it("rewrites only the floor word of liquidate and liquidateBatch calldata: byte for byte a fresh encoding at that floor", () => {
    const routed = aavePlan({ swap: { ...aavePlan().swap!, route: `0x${"ab".repeat(43)}` } });
    const floors = [0n, 1n, 38_000_000n, 2n ** 255n, MaxUint256];
    const single = encodeLiquidateCall(encodePlanStruct(routed, { minProfit: 0n, deadlineBlock: 9 }));
    const members = [routed, aavePlan({ id: "second" }), aavePlan({ id: "third" })];
    const batch = encodeLiquidateBatchCall(encodeBatchPlanStruct(members, { minProfit: 0n, deadlineBlock: 9 }));
    for (const minProfit of floors) {
      expect(calldataWithMinProfit(single, minProfit)).to.equal(
        encodeLiquidateCall(encodePlanStruct(routed, { minProfit, deadlineBlock: 9 })),
        `liquidate at ${minProfit}`,
      );
      expect(calldataWithMinProfit(batch, minProfit)).to.equal(
        encodeLiquidateBatchCall(encodeBatchPlanStruct(members, { minProfit, deadlineBlock: 9 })),
        `liquidateBatch at ${minProfit}`,
      );
    }
    expect(calldataWithDeadline(single, 123)).to.equal(
      encodeLiquidateCall(encodePlanStruct(routed, { minProfit: 0n, deadlineBlock: 123 })),
    );
    expect(calldataWithDeadline(batch, 123)).to.equal(
      encodeLiquidateBatchCall(encodeBatchPlanStruct(members, { minProfit: 0n, deadlineBlock: 123 })),
    );
    // The deadline is the word after the floor: rewriting the floor must leave it alone.
    const [decoded] = ChimeraExecutor__factory.createInterface().decodeFunctionData("liquidate", calldataWithMinProfit(single, 5n));
    expect([decoded.minProfit, decoded.deadlineBlock]).to.deep.equal([5n, 9n]);
  });

  it("refuses to rewrite calldata of another function, or a floor outside uint256", () => {
    const single = encodeLiquidateCall(encodePlanStruct(aavePlan(), { minProfit: 0n, deadlineBlock: 9 }));
    expect(() => calldataWithMinProfit(single, -1n)).to.throw(PlanEncodingError, "uint256");
    expect(() => calldataWithMinProfit(single, MaxUint256 + 1n)).to.throw(PlanEncodingError, "uint256");
    expect(() => calldataWithMinProfit(`0xdeadbeef${single.slice(10)}`, 1n)).to.throw(PlanEncodingError, "neither");
    expect(() => calldataWithMinProfit(single.slice(0, 200), 1n)).to.throw(PlanEncodingError, "too short");
  });
});
