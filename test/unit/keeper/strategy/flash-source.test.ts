import { expect } from "chai";
import type { FlashSourceOption } from "../../../../keeper/core/types";
import { chooseFlashSource, flashFee } from "../../../../keeper/strategy/flash-source";
import { AAVE_POOL, BALANCER_VAULT, E6, MORPHO, UNI_POOL_WETH_USDC, USDC, WETH } from "./fixtures";

const AMOUNT = 1_000_000n * E6; // one million USDC

function option(
  kind: FlashSourceOption["kind"],
  address: FlashSourceOption["address"],
  feeBps: number,
  availableLiquidity: bigint,
  token = USDC,
): FlashSourceOption {
  return { kind, address, token, feeBps, availableLiquidity };
}

const deepBalancer = option("balancer", BALANCER_VAULT, 0, 5_000_000n * E6);
const shallowBalancer = option("balancer", BALANCER_VAULT, 0, 10n * E6);
const deepMorpho = option("morphoBlue", MORPHO, 0, 2_000_000n * E6);
const deepAave = option("aaveV3", AAVE_POOL, 5, 50_000_000n * E6);
const deepUniswap1Bp = option("uniswapV3", UNI_POOL_WETH_USDC, 1, 3_000_000n * E6);

describe("flash source choice", function () {
  it("prefers a zero-fee source that can lend the whole amount", function () {
    const decision = chooseFlashSource({
      protocol: "aaveV3",
      debtToken: USDC,
      amount: AMOUNT,
      options: [deepAave, deepMorpho, deepBalancer],
    });
    expect(decision).to.deep.equal({ ok: true, flash: { kind: "balancer", address: BALANCER_VAULT, amount: AMOUNT, fee: 0n } });
  });

  it("falls back to Morpho when Balancer lacks liquidity", function () {
    const decision = chooseFlashSource({
      protocol: "aaveV3",
      debtToken: USDC,
      amount: AMOUNT,
      options: [deepAave, shallowBalancer, deepMorpho],
    });
    expect(decision.ok && decision.flash.kind).to.equal("morphoBlue");
  });

  it("falls back to the cheapest paid source when no free one can lend: Aave's 5 bps premium", function () {
    const decision = chooseFlashSource({ protocol: "moonwell", debtToken: USDC, amount: AMOUNT, options: [shallowBalancer, deepAave] });
    // 1,000,000 USDC * 5 bps = 500 USDC.
    expect(decision).to.deep.equal({ ok: true, flash: { kind: "aaveV3", address: AAVE_POOL, amount: AMOUNT, fee: 500n * E6 } });
  });

  it("takes a 1 bp Uniswap V3 pool over Aave's 5 bps when both can lend", function () {
    const decision = chooseFlashSource({ protocol: "aaveV3", debtToken: USDC, amount: AMOUNT, options: [deepAave, deepUniswap1Bp] });
    expect(decision.ok && decision.flash).to.deep.equal({ kind: "uniswapV3", address: UNI_POOL_WETH_USDC, amount: AMOUNT, fee: 100n * E6 });
  });

  it("needs no loan for a Morpho Blue liquidation: its callback funds the repayment", function () {
    const decision = chooseFlashSource({ protocol: "morphoBlue", debtToken: USDC, amount: AMOUNT, options: [] });
    expect(decision.ok && decision.flash.kind).to.equal("none");
    expect(decision.ok && decision.flash.fee).to.equal(0n);
  });

  it("ignores sources of another token and reports no-flash-liquidity with what was available", function () {
    const decision = chooseFlashSource({
      protocol: "aaveV3",
      debtToken: USDC,
      amount: AMOUNT,
      options: [shallowBalancer, option("balancer", BALANCER_VAULT, 0, 10n ** 30n, WETH)],
    });
    expect(decision.ok).to.equal(false);
    if (decision.ok) return;
    expect(decision.reason).to.equal("no-flash-liquidity");
    expect(decision.detail).to.contain(`holds ${10n * E6}`);
  });

  it("rounds fees the way each source does: Aave half up, Uniswap up", function () {
    // 1,001 units at 5 bps = 0.5005 → Aave percentMul gives 1 (half up); 999 units → 0.4995 → 0.
    expect(flashFee({ kind: "aaveV3", feeBps: 5 }, 1_001n)).to.equal(1n);
    expect(flashFee({ kind: "aaveV3", feeBps: 5 }, 999n)).to.equal(0n);
    // Uniswap rounds any fraction up.
    expect(flashFee({ kind: "uniswapV3", feeBps: 5 }, 999n)).to.equal(1n);
    expect(flashFee({ kind: "balancer", feeBps: 0 }, AMOUNT)).to.equal(0n);
  });
});
