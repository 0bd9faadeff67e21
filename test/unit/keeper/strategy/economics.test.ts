import { expect } from "chai";
import fc from "fast-check";
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

  describe("the OEV path's bid (proceeds are the liquidator's share after the wrapper's cut)", function () {
    it("bids a share of the profit net of gas: $99.50 - $0.02 gas, 20% = $19.896, not $19.90", function () {
      const result = computeEconomics(input({ maxPriorityFeePerGasWei: gweiToWei(100), path: "oev" }));
      expect(result.bidUsd).to.be.closeTo((99.5 - 0.02) * 0.2, 1e-6);
      expect(result.netProfitUsd).to.be.closeTo((99.5 - 0.02) * 0.8, 1e-6);
    });

    it("bids nothing when gas alone eats the share, where the open path would still bid on the gross profit", function () {
      // A $0.50 profit against $1 of gas (1M gas at 0.5 gwei = 0.0005 ETH at $2,000).
      const thin = { proceeds: 1_000_500_000n, flashFee: 0n, baseFeePerGasWei: 500_000_000n, maxPriorityFeePerGasWei: gweiToWei(100) };
      expect(computeEconomics(input({ ...thin, path: "oev" })).priorityFeePerGas).to.equal(0n);
      expect(computeEconomics(input({ ...thin, path: "open" })).priorityFeePerGas > 0n).to.equal(true);
    });

    it("open path unchanged: no path and path open give the same figures", function () {
      expect(computeEconomics(input({ path: "open" }))).to.deep.equal(computeEconomics(input()));
    });

    it("property: bid + gas never exceeds the share's profit; the open bid stays share x gross profit", function () {
      fc.assert(
        fc.property(
          fc.bigInt({ min: 1n, max: 10n ** 12n }), // debt repaid, 6-decimal units
          fc.bigInt({ min: 0n, max: 10n ** 11n }), // the share's surplus over the repayment
          fc.bigInt({ min: 21_000n, max: 16_777_216n }), // gas units
          fc.bigInt({ min: 0n, max: 10n ** 11n }), // base fee, wei
          fc.integer({ min: 0, max: 10_000 }), // bid share, bps
          fc.bigInt({ min: 0n, max: 10n ** 12n }), // priority cap, wei
          (debt, surplus, gasUnits, baseFee, shareBps, cap) => {
            const common = input({
              proceeds: debt + surplus,
              debtRepaid: debt,
              flashFee: 0n,
              gasUnits,
              baseFeePerGasWei: baseFee,
              bidShareOfProfit: shareBps / 10_000,
              maxPriorityFeePerGasWei: cap,
            });
            const oev = computeEconomics({ ...common, path: "oev" });
            const tolerance = 1e-9 * Math.max(1, oev.expectedProfitUsd);
            expect(oev.bidUsd).to.be.at.most(Math.max(0, oev.expectedProfitUsd - oev.gasCostUsd) + tolerance);
            if (oev.expectedProfitUsd > oev.gasCostUsd) expect(oev.netProfitUsd).to.be.at.least(-tolerance);
            const open = computeEconomics({ ...common, path: "open" });
            const budgetWei = BigInt(Math.floor(((open.expectedProfitUsd * (shareBps / 10_000)) / 2_000) * 1e18));
            const uncapped = open.expectedProfit > 0n ? budgetWei / gasUnits : 0n;
            expect(open.priorityFeePerGas).to.equal(uncapped > cap ? cap : uncapped);
            expect(oev.priorityFeePerGas <= open.priorityFeePerGas).to.equal(true);
          },
        ),
        { numRuns: 300 },
      );
    });
  });
});
