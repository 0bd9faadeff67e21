import { expect } from "chai";
import { computeEconomics, gweiToWei, minProfitWithHaircut, type EconomicsInput } from "../../../../keeper/strategy/economics";
import { E6 } from "./fixtures";

/**
 * Sell collateral for 1,100 USDC, repay 1,000 USDC plus a 0.5 USDC flash fee: 99.5 USDC profit. One
 * million gas at a 0.01 gwei base fee with ETH at $2,000 costs $0.02.
 */
function input(overrides: Partial<EconomicsInput> = {}): EconomicsInput {
  return {
    proceeds: 1_100n * E6,
    debtRepaid: 1_000n * E6,
    flashFee: 500_000n,
    profitTokenDecimals: 6,
    profitTokenUsd: 1,
    gasUnits: 1_000_000n,
    baseFeePerGasWei: 10_000_000n,
    nativeUsd: 2_000,
    bidShareOfProfit: 0.2,
    maxPriorityFeePerGasWei: gweiToWei(5),
    ...overrides,
  };
}

describe("economics", function () {
  it("profit = proceeds - debt repaid - flash fee; gas priced from the native token price", function () {
    const result = computeEconomics(input());
    expect(result.expectedProfit).to.equal(99_500_000n);
    expect(result.expectedProfitUsd).to.be.closeTo(99.5, 1e-9);
    expect(result.gasCostUsd).to.be.closeTo(0.02, 1e-12);
  });

  it("bids the configured share of profit as priority fee while under the cap", function () {
    // 20% of $99.50 = $19.90 = 0.00995 ETH over 1M gas = 9.95 gwei per gas (cap raised to 100 gwei).
    const result = computeEconomics(input({ maxPriorityFeePerGasWei: gweiToWei(100) }));
    expect(Number(result.priorityFeePerGas)).to.be.closeTo(9.95e9, 1);
    expect(result.bidUsd).to.be.closeTo(19.9, 1e-6);
    expect(result.netProfitUsd).to.be.closeTo(99.5 - 0.02 - 19.9, 1e-6);
  });

  it("caps the priority fee: 5 gwei over 1M gas costs $10, not $19.90", function () {
    const result = computeEconomics(input());
    expect(result.priorityFeePerGas).to.equal(5_000_000_000n);
    expect(result.bidUsd).to.be.closeTo(10, 1e-9);
    expect(result.netProfitUsd).to.be.closeTo(89.48, 1e-9);
    expect(result.maxFeePerGas).to.equal(2n * 10_000_000n + 5_000_000_000n);
  });

  it("bids nothing on a losing liquidation and reports the loss", function () {
    const result = computeEconomics(input({ proceeds: 990n * E6 }));
    expect(result.expectedProfit).to.equal(-10_500_000n);
    expect(result.priorityFeePerGas).to.equal(0n);
    expect(result.netProfitUsd).to.be.closeTo(-10.52, 1e-9);
  });

  it("adds the L1 data fee to the gas cost", function () {
    const result = computeEconomics(input({ l1DataFeeWei: 10n ** 13n })); // 0.00001 ETH = $0.02
    expect(result.gasCostUsd).to.be.closeTo(0.04, 1e-12);
  });

  it("rejects a bid share outside [0, 1]", function () {
    expect(() => computeEconomics(input({ bidShareOfProfit: 1.5 }))).to.throw(RangeError, /bidShareOfProfit/);
  });

  describe("minProfitWithHaircut", function () {
    it("takes the haircut off the simulated profit, rounding down", function () {
      expect(minProfitWithHaircut(1_000n, 500)).to.equal(950n);
      expect(minProfitWithHaircut(999n, 1)).to.equal(998n); // 999 * 0.9999 = 998.9001
      expect(minProfitWithHaircut(1_000n, 0)).to.equal(1_000n);
    });

    it("refuses a non-positive profit and an out-of-range haircut", function () {
      expect(() => minProfitWithHaircut(0n, 500)).to.throw(RangeError, /positive/);
      expect(() => minProfitWithHaircut(1_000n, 10_001)).to.throw(RangeError, /haircutBps/);
    });
  });
});
