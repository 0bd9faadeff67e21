import { expect } from "chai";
import fc from "fast-check";
import { sizeMorphoBlueLiquidation, type MorphoBlueSizingInput } from "../../../../keeper/markets/morpho-blue/liquidation-sizing";
import { liquidationIncentiveFactor } from "../../../../keeper/markets/morpho-blue/morpho-math";
import { BORROWER_A, E18, E6, hf, MORPHO, positionKey, USDC, WETH, sizedOrThrow } from "../strategy/fixtures";

const ORACLE = "0x00000000000000000000000000000000000000f1";
const IRM = "0x00000000000000000000000000000000000000f2";

/** Thousandths to WAD: wad(860) = 0.86e18. */
const wad = (thousandths: number): bigint => (BigInt(thousandths) * E18) / 1000n;

/**
 * A USDC-loan / WETH-collateral market at $2,000 per WETH: the oracle price is loan units per
 * collateral unit scaled by 1e36, i.e. 2,000e6 / 1e18 * 1e36 = 2,000e24. 1,000 USDC borrowed in total,
 * shares at the usual 1e6 per asset unit; the borrower owes 100 USDC (100e12 shares).
 */
function wethUsdcMarket(overrides: Partial<MorphoBlueSizingInput> = {}): MorphoBlueSizingInput {
  return {
    key: positionKey(BORROWER_A, "morphoBlue"),
    morpho: MORPHO,
    oracle: ORACLE,
    irm: IRM,
    healthFactor: hf(990),
    detectedAtBlock: 7,
    loanToken: { address: USDC, decimals: 6, usdPrice: 1 },
    collateralToken: { address: WETH, decimals: 18, usdPrice: 2_000 },
    lltv: wad(860),
    oraclePrice: 2_000n * 10n ** 24n,
    borrowShares: 100n * 10n ** 12n,
    collateral: 1n * E18,
    totalBorrowAssets: 1_000n * E6,
    totalBorrowShares: 1_000n * 10n ** 12n,
    ...overrides,
  };
}

const sized = (input: MorphoBlueSizingInput) => sizedOrThrow(sizeMorphoBlueLiquidation(input));

describe("Morpho Blue sizing", function () {
  describe("liquidation incentive factor", function () {
    // Expected values: floor(1e36 / (1e18 - 0.3 * (1e18 - lltv))), capped at 1.15e18, computed
    // independently of the code under test.
    const cases: Array<[number, bigint]> = [
      [945, 1_016_776_817_488_561_260n],
      [915, 1_026_167_265_264_238_070n],
      [860, 1_043_841_336_116_910_229n],
      [770, 1_074_113_856_068_743_286n],
      [625, 1_126_760_563_380_281_690n],
    ];
    for (const [lltvThousandths, expected] of cases) {
      it(`LLTV ${lltvThousandths / 10}% → ${expected}`, function () {
        expect(liquidationIncentiveFactor(wad(lltvThousandths))).to.equal(expected);
      });
    }

    it("is capped at 1.15 for low LLTVs (50%, 38.5%, 0%)", function () {
      for (const lltv of [500, 385, 0]) {
        expect(liquidationIncentiveFactor(wad(lltv))).to.equal(1_150_000_000_000_000_000n);
      }
    });

    it("rejects an LLTV of 100% or more", function () {
      expect(() => liquidationIncentiveFactor(E18)).to.throw(RangeError);
    });
  });

  it("repays the whole debt by shares when the collateral covers it (no close factor)", function () {
    // 100 USDC * 1.04384... / 2,000 = 0.0521920665 WETH.
    const result = sized(wethUsdcMarket());
    expect(result.candidate.debtToCover).to.equal(100n * E6);
    expect(result.candidate.expectedCollateral).to.equal(52_192_066_500_000_000n);
    // Morpho's liquidate with the market's params; it funds itself through onMorphoLiquidate.
    expect(result.candidate.call).to.deep.equal({
      shape: "MorphoBlue",
      market: MORPHO,
      debtToCover: 0n,
      morpho: { oracle: ORACLE, irm: IRM, lltv: wad(860), seizedAssets: 0n, repaidShares: 100n * 10n ** 12n },
      poolDecidesSize: false,
      selfFunded: true,
    });
    expect(result.badDebt).to.equal(0n);
    expect(result.cappedByCollateral).to.equal(false);
    expect(result.candidate.sizingRule).to.match(/^morpho-blue-repay-all-shares/);
  });

  it("seizes all the collateral when it cannot cover the debt, and reports the bad debt left", function () {
    // 0.05 WETH = 100 USDC of collateral buys 100 / 1.0438 = 95.800001 USDC of debt (rounded up);
    // the remaining ~4.2 USDC is realised as bad debt.
    const result = sized(wethUsdcMarket({ collateral: 5n * 10n ** 16n }));
    expect(result.candidate.call?.morpho).to.include({ seizedAssets: 5n * 10n ** 16n, repaidShares: 0n });
    expect(result.candidate.expectedCollateral).to.equal(5n * 10n ** 16n);
    expect(result.candidate.debtToCover).to.equal(95_800_001n);
    expect(result.badDebt).to.equal(4_199_999n);
    expect(result.cappedByCollateral).to.equal(true);
  });

  it("refuses a healthy position and a zero oracle price", function () {
    expect(sizeMorphoBlueLiquidation(wethUsdcMarket({ healthFactor: E18 }))).to.include({ ok: false, reason: "not-liquidatable" });
    expect(sizeMorphoBlueLiquidation(wethUsdcMarket({ oraclePrice: 0n }))).to.include({ ok: false, reason: "not-liquidatable" });
  });

  it("property: never seizes more than the collateral nor repays more shares than owed; one call argument is zero", function () {
    fc.assert(
      fc.property(
        fc.record({
          lltv: fc.integer({ min: 0, max: 980 }),
          borrowShares: fc.bigInt({ min: 1n, max: 10n ** 24n }),
          extraShares: fc.bigInt({ min: 0n, max: 10n ** 24n }),
          collateral: fc.bigInt({ min: 1n, max: 10n ** 24n }),
          totalAssetsPerShareE6: fc.bigInt({ min: 1n, max: 3_000_000n }), // 1e-6 .. 3 assets per 1e6 shares
          oraclePrice: fc.bigInt({ min: 1n, max: 10n ** 40n }),
        }),
        (args) => {
          const totalBorrowShares = args.borrowShares + args.extraShares;
          const totalBorrowAssets = (totalBorrowShares * args.totalAssetsPerShareE6) / 10n ** 12n;
          const result = sizeMorphoBlueLiquidation(
            wethUsdcMarket({
              lltv: wad(args.lltv),
              borrowShares: args.borrowShares,
              collateral: args.collateral,
              totalBorrowShares,
              totalBorrowAssets,
              oraclePrice: args.oraclePrice,
            }),
          );
          if (!result.ok) return true;
          const callArgs = result.candidate.call!.morpho!;
          expect(result.candidate.expectedCollateral <= args.collateral).to.equal(true);
          expect(callArgs.repaidShares <= args.borrowShares).to.equal(true);
          expect((callArgs.seizedAssets === 0n) !== (callArgs.repaidShares === 0n)).to.equal(true);
          return true;
        },
      ),
      { numRuns: 300 },
    );
  });
});
