import { expect } from "chai";
import type { SwapQuote } from "../../../../keeper/core/types";
import { aaveV3Lender } from "../../../../keeper/flash/aave-v3/plugin";
import { balancerV2Lender } from "../../../../keeper/flash/balancer-v2/plugin";
import { uniswapV3Lender } from "../../../../keeper/flash/uniswap-v3/plugin";
import { buildLiquidationPlan, type BuildPlanInput } from "../../../../keeper/strategy/build-plan";
import { gweiToWei } from "../../../../keeper/strategy/economics";
import {
  AAVE_POOL,
  BALANCER_VAULT,
  BORROWER_A,
  candidate,
  E6,
  flashOption,
  MORPHO,
  positionKey,
  UNI_POOL_OTHER,
  UNI_POOL_WETH_USDC,
  USDC,
  WETH,
} from "./fixtures";

const balancer = flashOption(balancerV2Lender, BALANCER_VAULT, 0, 10n ** 15n);
const aave = flashOption(aaveV3Lender, AAVE_POOL, 5, 10n ** 15n);
const uniswapFlash = flashOption(uniswapV3Lender, UNI_POOL_WETH_USDC, 1, 10n ** 15n);

const UNI_ROUTER = "0x2626664c2603336E57B271c5C0b26F421741e481";

/** Selling the candidate's 0.525 WETH for 1,045 USDC through a given pool. */
function wethToUsdc(amountOut: bigint, pool = UNI_POOL_OTHER): SwapQuote {
  return {
    venue: "uniswapV3",
    executorVenue: "UniswapV3",
    router: UNI_ROUTER,
    tokenIn: WETH,
    tokenOut: USDC,
    amountIn: candidate().expectedCollateral,
    amountOut,
    route: `via-${pool}`,
    gasEstimate: 120_000n,
    pools: [pool],
  };
}

function input(overrides: Partial<BuildPlanInput> = {}): BuildPlanInput {
  return {
    candidate: candidate(),
    flashOptions: [balancer, aave],
    quotes: [wethToUsdc(1_045n * E6)],
    market: { debtTokenDecimals: 6, debtTokenUsd: 1, nativeUsd: 2_000, baseFeePerGasWei: 10_000_000n },
    settings: { bidShareOfProfit: 0.1, maxPriorityFeePerGasWei: gweiToWei(50), dustUsd: 10, gasUnitsFallback: 600_000n },
    ...overrides,
  };
}

describe("buildLiquidationPlan", function () {
  it("builds a plan: zero-fee flash, best route, profit net of gas and bid", function () {
    const decision = buildLiquidationPlan(input());
    expect(decision.outcome).to.equal("planned");
    const plan = decision.plan!;
    expect(plan.id).to.equal(`aaveV3:test-market:${BORROWER_A}@100`);
    expect(plan.flash).to.deep.equal({
      kind: "balancer",
      executorSource: "BalancerV2",
      address: BALANCER_VAULT,
      amount: 1_000n * E6,
      fee: 0n,
    });
    expect(plan.swap?.amountOut).to.equal(1_045n * E6);
    expect(plan.expectedProfit).to.equal(45n * E6);
    // Gas: (600,000 fallback + 120,000 swap) * 0.01 gwei = 7.2e12 wei = $0.0144. Bid: 10% of $45.
    expect(plan.gasUnits).to.equal(720_000n);
    expect(plan.gasCostUsd).to.be.closeTo(0.0144, 1e-12);
    expect(plan.bidUsd).to.be.closeTo(4.5, 1e-6);
    expect(plan.netProfitUsd).to.be.closeTo(45 - 0.0144 - 4.5, 1e-6);
    expect(plan.profitToken).to.equal(USDC);
  });

  it("bids an OEV-wrapper liquidation on its share's profit net of gas; the same figures on the open path bid on the gross", function () {
    const oevCall = {
      shape: "MoonwellOev" as const,
      market: "0x00000000000000000000000000000000000000e1" as const,
      collateralMarket: "0x00000000000000000000000000000000000000e2" as const,
      oevWrapper: "0x00000000000000000000000000000000000000e3" as const,
      debtToCover: 1_000n * E6,
      poolDecidesSize: false,
      selfFunded: false,
    };
    const oev = buildLiquidationPlan(input({ candidate: candidate({ call: oevCall }) })).plan!;
    const open = buildLiquidationPlan(input()).plan!;
    expect(oev.expectedProfit).to.equal(open.expectedProfit);
    expect(open.bidUsd).to.be.closeTo(4.5, 1e-6);
    expect(oev.bidUsd).to.be.closeTo((45 - 0.0144) * 0.1, 1e-6);
    expect(oev.bidUsd! + oev.gasCostUsd).to.be.at.most(oev.expectedProfitUsd);
  });

  it("skips dust below the configured USD floor before looking for liquidity", function () {
    const decision = buildLiquidationPlan(input({ candidate: candidate({ debtToCoverUsd: 9.99 }), flashOptions: [] }));
    expect(decision).to.include({ outcome: "skipped", reason: "dust" });
  });

  it("skips with no-flash-liquidity when no source can lend the debt", function () {
    const decision = buildLiquidationPlan(input({ flashOptions: [] }));
    expect(decision).to.include({ outcome: "skipped", reason: "no-flash-liquidity" });
  });

  it("skips with no-route when the collateral cannot be sold", function () {
    const decision = buildLiquidationPlan(input({ quotes: [] }));
    expect(decision).to.include({ outcome: "skipped", reason: "no-route" });
  });

  it("skips as unprofitable when the flash fee and gas eat the bonus", function () {
    // Aave's 5 bps on 1,000 USDC is 0.5 USDC; the swap returns only 1,000.40.
    const decision = buildLiquidationPlan(input({ flashOptions: [aave], quotes: [wethToUsdc(1_000_400_000n)] }));
    expect(decision).to.include({ outcome: "skipped", reason: "unprofitable" });
    expect(decision.detail).to.match(/expected profit \$-0\.10/);
  });

  it("uses a gas estimate when one is given instead of the fallback", function () {
    const decision = buildLiquidationPlan(input({ market: { ...input().market, gasUnits: 400_000n } }));
    expect(decision.plan?.gasUnits).to.equal(400_000n);
  });

  it("never routes through the Uniswap V3 pool it flash-borrows from", function () {
    const decision = buildLiquidationPlan(
      input({
        flashOptions: [uniswapFlash],
        quotes: [wethToUsdc(1_046n * E6, UNI_POOL_WETH_USDC), wethToUsdc(1_040n * E6, UNI_POOL_OTHER)],
      }),
    );
    expect(decision.plan?.flash.kind).to.equal("uniswapV3");
    expect(decision.plan?.swap?.pools).to.deep.equal([UNI_POOL_OTHER]);
  });

  it("plans a self-funded liquidation (Morpho Blue's callback) without a flash loan", function () {
    const selfFunded = candidate({
      key: positionKey(BORROWER_A, "morphoBlue"),
      call: { shape: "MorphoBlue", market: MORPHO, debtToCover: 0n, poolDecidesSize: false, selfFunded: true },
    });
    const decision = buildLiquidationPlan(input({ candidate: selfFunded, flashOptions: [balancer] }));
    expect(decision.plan?.flash).to.include({ kind: "none", executorSource: "None", amount: 0n, fee: 0n });
  });

  it("plans a same-token liquidation without a swap (venue none)", function () {
    const sameToken = candidate({ collateralToken: USDC, expectedCollateral: 1_050n * E6 });
    const decision = buildLiquidationPlan(input({ candidate: sameToken, quotes: [] }));
    expect(decision.plan?.swap).to.equal(null);
    expect(decision.plan?.expectedProfit).to.equal(50n * E6);
    expect(decision.plan?.gasUnits).to.equal(600_000n);
  });
});
