import { expect } from "chai";
import { aaveV3Lender } from "../../../../keeper/flash/aave-v3/plugin";
import { balancerV2Lender } from "../../../../keeper/flash/balancer-v2/plugin";
import { morphoBlueLender } from "../../../../keeper/flash/morpho-blue/plugin";
import { uniswapV3Lender } from "../../../../keeper/flash/uniswap-v3/plugin";
import { chooseFlashSource, flashFee } from "../../../../keeper/strategy/flash-source";
import { AAVE_POOL, BALANCER_VAULT, E6, flashOption, MORPHO, UNI_POOL_WETH_USDC, USDC, WETH } from "./fixtures";

const AMOUNT = 1_000_000n * E6; // one million USDC

// Options as the lender plug-ins describe themselves (name, callback family, fee rounding, preference).
const deepBalancer = flashOption(balancerV2Lender, BALANCER_VAULT, 0, 5_000_000n * E6);
const shallowBalancer = flashOption(balancerV2Lender, BALANCER_VAULT, 0, 10n * E6);
const deepMorpho = flashOption(morphoBlueLender, MORPHO, 0, 2_000_000n * E6);
const deepAave = flashOption(aaveV3Lender, AAVE_POOL, 5, 50_000_000n * E6);
const deepUniswap1Bp = flashOption(uniswapV3Lender, UNI_POOL_WETH_USDC, 1, 3_000_000n * E6);

describe("flash source choice", function () {
  it("prefers a zero-fee source that can lend the whole amount", function () {
    const decision = chooseFlashSource({
      selfFunded: false,
      debtToken: USDC,
      amount: AMOUNT,
      options: [deepAave, deepMorpho, deepBalancer],
    });
    expect(decision).to.deep.equal({
      ok: true,
      flash: { kind: "balancer", executorSource: "BalancerV2", address: BALANCER_VAULT, amount: AMOUNT, fee: 0n },
    });
  });

  it("falls back to Morpho when Balancer lacks liquidity", function () {
    const decision = chooseFlashSource({
      selfFunded: false,
      debtToken: USDC,
      amount: AMOUNT,
      options: [deepAave, shallowBalancer, deepMorpho],
    });
    expect(decision.ok && decision.flash.kind).to.equal("morphoBlue");
  });

  it("falls back to the cheapest paid source when no free one can lend: Aave's 5 bps premium", function () {
    const decision = chooseFlashSource({ selfFunded: false, debtToken: USDC, amount: AMOUNT, options: [shallowBalancer, deepAave] });
    // 1,000,000 USDC * 5 bps = 500 USDC.
    expect(decision).to.deep.equal({
      ok: true,
      flash: { kind: "aaveV3", executorSource: "AaveV3", address: AAVE_POOL, amount: AMOUNT, fee: 500n * E6 },
    });
  });

  it("takes a 1 bp Uniswap V3 pool over Aave's 5 bps when both can lend", function () {
    const decision = chooseFlashSource({ selfFunded: false, debtToken: USDC, amount: AMOUNT, options: [deepAave, deepUniswap1Bp] });
    expect(decision.ok && decision.flash).to.deep.equal({
      kind: "uniswapV3",
      executorSource: "UniswapV3",
      address: UNI_POOL_WETH_USDC,
      amount: AMOUNT,
      fee: 100n * E6,
    });
  });

  it("needs no loan when the protocol funds the repayment itself (Morpho Blue's callback)", function () {
    const decision = chooseFlashSource({ selfFunded: true, debtToken: USDC, amount: AMOUNT, options: [deepBalancer] });
    expect(decision.ok && [decision.flash.kind, decision.flash.executorSource]).to.deep.equal(["none", "None"]);
    expect(decision.ok && decision.flash.fee).to.equal(0n);
  });

  it("ignores sources of another token and reports no-flash-liquidity with what was available", function () {
    const decision = chooseFlashSource({
      selfFunded: false,
      debtToken: USDC,
      amount: AMOUNT,
      options: [shallowBalancer, flashOption(balancerV2Lender, BALANCER_VAULT, 0, 10n ** 30n, WETH)],
    });
    expect(decision.ok).to.equal(false);
    if (decision.ok) return;
    expect(decision.reason).to.equal("no-flash-liquidity");
    expect(decision.detail).to.contain(`holds ${10n * E6}`);
  });

  it("rounds fees the way each source does: Aave half up, Uniswap up", function () {
    // 1,001 units at 5 bps = 0.5005 → Aave percentMul gives 1 (half up); 999 units → 0.4995 → 0.
    expect(flashFee({ feeRounding: aaveV3Lender.feeRounding, feeBps: 5 }, 1_001n)).to.equal(1n);
    expect(flashFee({ feeRounding: aaveV3Lender.feeRounding, feeBps: 5 }, 999n)).to.equal(0n);
    // Uniswap rounds any fraction up.
    expect(flashFee({ feeRounding: uniswapV3Lender.feeRounding, feeBps: 5 }, 999n)).to.equal(1n);
    expect(flashFee({ feeRounding: balancerV2Lender.feeRounding, feeBps: 0 }, AMOUNT)).to.equal(0n);
  });
});
