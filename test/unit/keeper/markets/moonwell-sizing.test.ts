import { expect } from "chai";
import fc from "fast-check";
import type { Address } from "../../../../keeper/core/types";
import {
  moonwellSeizeTokens,
  sizeMoonwellLiquidation,
  type MoonwellSizingInput,
} from "../../../../keeper/markets/moonwell/liquidation-sizing";
import { BORROWER_A, E18, E6, hf, positionKey, USDC, WETH, sizedOrThrow } from "../strategy/fixtures";

const M_USDC: Address = "0xEdc817A28E8B93B03976FBd4a3dDBc9f7D176c22";
const M_WETH: Address = "0x628ff693426583D9a7FB391E54366292F509D457";

/**
 * Moonwell-like numbers: close factor 50%, incentive 110%, protocol seize share 3%. Oracle prices are
 * USD * 1e(36 - decimals): USDC 1e30, WETH 2,000e18. mWETH has 8 decimals and an exchange rate of
 * 0.02 WETH per mToken, i.e. 0.02 * 1e(18 - 8 + 18) = 2e26.
 */
function usdcBorrowWethCollateral(
  overrides: {
    borrowBalance?: bigint;
    marketTokenBalance?: bigint;
    protocolSeizeShareMantissa?: bigint;
    requestedRepayAmount?: bigint;
  } = {},
): MoonwellSizingInput {
  return {
    key: positionKey(BORROWER_A, "moonwell"),
    healthFactor: hf(980),
    detectedAtBlock: 3,
    closeFactorMantissa: E18 / 2n,
    liquidationIncentiveMantissa: (110n * E18) / 100n,
    protocolSeizeShareMantissa: overrides.protocolSeizeShareMantissa ?? (3n * E18) / 100n,
    borrowed: { market: M_USDC, underlying: USDC, priceMantissa: 10n ** 30n, borrowBalance: overrides.borrowBalance ?? 2_000n * E6 },
    collateral: {
      market: M_WETH,
      underlying: WETH,
      priceMantissa: 2_000n * E18,
      exchangeRateMantissa: 2n * 10n ** 26n,
      marketTokenBalance: overrides.marketTokenBalance ?? 100n * 10n ** 8n, // 100 mWETH = 2 WETH
    },
    requestedRepayAmount: overrides.requestedRepayAmount,
  };
}

const sized = (input: MoonwellSizingInput) => sizedOrThrow(sizeMoonwellLiquidation(input));

describe("Compound v2 / Moonwell sizing", function () {
  it("seizeTokens = repay * incentive * priceBorrowed / (priceCollateral * exchangeRate)", function () {
    // 1,000 USDC * 1.1 = $1,100 of WETH = 0.55 WETH = 27.5 mWETH = 2,750,000,000 (8 decimals).
    expect(moonwellSeizeTokens(usdcBorrowWethCollateral(), 1_000n * E6)).to.equal(2_750_000_000n);
  });

  it("repays up to the close factor and keeps the protocol seize share out of the liquidator's cut", function () {
    const result = sized(usdcBorrowWethCollateral());
    expect(result.candidate.debtToCover).to.equal(1_000n * E6); // 50% of 2,000
    // 3% of 2,750,000,000 = 82,500,000 to reserves; the liquidator redeems 2,667,500,000 mWETH
    // at 0.02 = 0.5335 WETH.
    // Moonwell is a Compound-v2 market: liquidateBorrow on the debt's mToken, redeem on the collateral's.
    expect(result.candidate.call).to.deep.equal({
      shape: "CompoundV2",
      market: M_USDC,
      debtToCover: 1_000n * E6,
      collateralMarket: M_WETH,
      poolDecidesSize: false,
      selfFunded: false,
    });
    expect(result.liquidatorSeizeTokens).to.equal(2_667_500_000n);
    expect(result.candidate.expectedCollateral).to.equal(533_500_000_000_000_000n);
    expect(result.protocolFeeCollateral).to.equal(16_500_000_000_000_000n);
    expect(result.candidate.debtToCoverUsd).to.be.closeTo(1_000, 1e-9);
    expect(result.candidate.expectedCollateralUsd).to.be.closeTo(1_067, 1e-9);
  });

  it("without a protocol seize share the liquidator gets the full 10% incentive", function () {
    const result = sized(usdcBorrowWethCollateral({ protocolSeizeShareMantissa: 0n }));
    expect(result.candidate.expectedCollateral).to.equal(550_000_000_000_000_000n);
  });

  it("reduces the repay so the seizure fits the borrower's market-token balance", function () {
    // 20 mWETH (0.4 WETH, $800) fit a repay of 2e9 / 2.75 = 727.272727 USDC.
    const result = sized(usdcBorrowWethCollateral({ marketTokenBalance: 2_000_000_000n }));
    expect(result.cappedByCollateral).to.equal(true);
    expect(result.candidate.debtToCover).to.equal(727_272_727n);
    const seize = moonwellSeizeTokens(usdcBorrowWethCollateral(), 727_272_727n);
    expect(seize <= 2_000_000_000n).to.equal(true);
    expect(moonwellSeizeTokens(usdcBorrowWethCollateral(), 727_272_728n) > 2_000_000_000n).to.equal(true);
  });

  it("refuses a position without shortfall", function () {
    const input = { ...usdcBorrowWethCollateral(), healthFactor: E18 };
    expect(sizeMoonwellLiquidation(input)).to.include({ ok: false, reason: "not-liquidatable" });
  });

  it("property: the seizure never exceeds the balance and the repay never exceeds the close factor", function () {
    fc.assert(
      fc.property(
        fc.record({
          borrowBalance: fc.bigInt({ min: 1n, max: 10n ** 15n }),
          marketTokenBalance: fc.bigInt({ min: 1n, max: 10n ** 14n }),
          requested: fc.option(fc.bigInt({ min: 1n, max: 10n ** 15n }), { nil: undefined }),
        }),
        (args) => {
          const input = usdcBorrowWethCollateral({
            borrowBalance: args.borrowBalance,
            marketTokenBalance: args.marketTokenBalance,
            requestedRepayAmount: args.requested,
          });
          const result = sizeMoonwellLiquidation(input);
          if (!result.ok) return true;
          expect(moonwellSeizeTokens(input, result.candidate.debtToCover) <= args.marketTokenBalance).to.equal(true);
          expect(result.candidate.debtToCover <= args.borrowBalance / 2n).to.equal(true);
          return true;
        },
      ),
      { numRuns: 300 },
    );
  });
});
