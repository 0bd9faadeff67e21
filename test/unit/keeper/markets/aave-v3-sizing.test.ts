import { expect } from "chai";
import fc from "fast-check";
import {
  aaveLiquidationOutcome,
  aaveLiquidationRulesFamily,
  aaveLiquidationRulesForRevision,
  AAVE_MIN_LEFTOVER_BASE,
  sizeAaveV3Liquidation,
  type AaveReserveGate,
  type AaveV3SizingInput,
} from "../../../../keeper/markets/aave-v3/liquidation-sizing";
import { AAVE_POOL, BORROWER_A, CBBTC, E18, E6, E8, hf, positionKey, USDC, WETH, sizedOrThrow } from "../strategy/fixtures";

/** Every input here: borrower A on the test pool, prices in Aave's 8-decimal base currency; the rest is the test's. */
function aaveInput(fields: Omit<AaveV3SizingInput, "key" | "pool" | "baseCurrencyUnit">): AaveV3SizingInput {
  return { key: positionKey(BORROWER_A), pool: AAVE_POOL, baseCurrencyUnit: E8, ...fields };
}

/** USDC debt ($1) against WETH collateral ($2,000), 5% bonus, no protocol fee unless a test sets one. */
function usdcDebtWethCollateral(overrides: {
  rules: AaveV3SizingInput["rules"];
  healthFactor: bigint;
  userDebt: bigint;
  collateralBalance: bigint;
  totalDebtBase?: bigint;
  totalCollateralBase?: bigint;
  protocolFeeBps?: number;
  requestedDebtToCover?: bigint;
}): AaveV3SizingInput {
  return aaveInput({
    rules: overrides.rules,
    healthFactor: overrides.healthFactor,
    detectedAtBlock: 100,
    debt: { token: USDC, decimals: 6, priceBase: 1n * E8, userDebt: overrides.userDebt },
    collateral: {
      token: WETH,
      decimals: 18,
      priceBase: 2_000n * E8,
      userBalance: overrides.collateralBalance,
      liquidationBonusBps: 500,
      liquidationProtocolFeeBps: overrides.protocolFeeBps ?? 0,
    },
    // Single-reserve positions unless a test says otherwise: total debt = this reserve's debt.
    totalDebtBase: overrides.totalDebtBase ?? (overrides.userDebt * E8) / E6,
    totalCollateralBase: overrides.totalCollateralBase ?? (overrides.collateralBalance * 2_000n * E8) / E18,
    requestedDebtToCover: overrides.requestedDebtToCover,
  });
}

const sized = (input: AaveV3SizingInput) => sizedOrThrow(sizeAaveV3Liquidation(input));

describe("Aave V3 sizing", function () {
  describe("v3.0.x rules (@aave/core-v3 1.19.3)", function () {
    it("caps at 50% of the reserve debt while HF > 0.95 and pays the bonus less the protocol fee", function () {
      // 5,000 USDC of 10,000 buys 2.5 WETH; +5% bonus = 2.625 WETH; the protocol keeps 10% of the
      // 0.125 WETH bonus (0.0125), the liquidator gets 2.6125 WETH.
      const result = sized(
        usdcDebtWethCollateral({
          rules: "v3.0",
          healthFactor: hf(970),
          userDebt: 10_000n * E6,
          collateralBalance: 6n * E18,
          protocolFeeBps: 1_000,
        }),
      );
      expect(result.candidate.debtToCover).to.equal(5_000n * E6);
      expect(result.candidate.expectedCollateral).to.equal(2_612_500_000_000_000_000n);
      expect(result.protocolFeeCollateral).to.equal(12_500_000_000_000_000n);
      expect(result.candidate.debtToCoverUsd).to.be.closeTo(5_000, 1e-9);
      expect(result.candidate.expectedCollateralUsd).to.be.closeTo(5_225, 1e-9);
      expect(result.candidate.sizingRule).to.equal("aave-v3.0-close-factor-50%");
      // The pool's cap on the (grown) debt admits exactly the sized amount: the executor passes it.
      expect(result.candidate.call).to.deep.equal({
        shape: "AaveV3",
        market: AAVE_POOL,
        debtToCover: 5_000n * E6,
        poolDecidesSize: false,
        selfFunded: false,
      });
    });

    it("allows 100% at HF <= 0.95 (the threshold is inclusive)", function () {
      const result = sized(
        usdcDebtWethCollateral({ rules: "v3.0", healthFactor: hf(950), userDebt: 10_000n * E6, collateralBalance: 6n * E18 }),
      );
      expect(result.candidate.debtToCover).to.equal(10_000n * E6);
      expect(result.candidate.expectedCollateral).to.equal(5_250_000_000_000_000_000n);
      expect(result.candidate.sizingRule).to.equal("aave-v3.0-close-factor-100%-hf<=0.95");
    });

    it("caps by the collateral balance and reduces debtToCover to what that collateral pays for", function () {
      // 4 WETH = $8,000 covers 8,000 / 1.05 = 7,619.047619 USDC (percentDiv rounds half up).
      const result = sized(
        usdcDebtWethCollateral({
          rules: "v3.0",
          healthFactor: hf(900),
          userDebt: 10_000n * E6,
          collateralBalance: 4n * E18,
          protocolFeeBps: 1_000,
        }),
      );
      expect(result.cappedByCollateral).to.equal(true);
      expect(result.candidate.debtToCover).to.equal(7_619_047_619n);
      expect(result.protocolFeeCollateral).to.equal(19_047_619_047_619_048n);
      expect(result.candidate.expectedCollateral + result.protocolFeeCollateral).to.equal(4n * E18);
      expect(result.candidate.sizingRule).to.match(/capped-by-collateral$/);
      // The collateral binds: the pool sizes it from the full request on its own state.
      expect([result.candidate.call?.debtToCover, result.candidate.call?.poolDecidesSize]).to.deep.equal([10_000n * E6, true]);
    });

    it("handles an 8-decimal collateral against an 18-decimal debt", function () {
      // 1 WETH ($2,000) of debt buys 2,000 / 60,000 cbBTC = 0.03333333 (8 decimals, truncated); +5%.
      const result = sized(
        aaveInput({
          rules: "v3.0",
          healthFactor: hf(900),
          detectedAtBlock: 1,
          debt: { token: WETH, decimals: 18, priceBase: 2_000n * E8, userDebt: 1n * E18 },
          collateral: {
            token: CBBTC,
            decimals: 8,
            priceBase: 60_000n * E8,
            userBalance: 10_000_000n,
            liquidationBonusBps: 500,
            liquidationProtocolFeeBps: 0,
          },
          totalDebtBase: 2_000n * E8,
          totalCollateralBase: 6_000n * E8,
        }),
      );
      expect(result.candidate.debtToCover).to.equal(1n * E18);
      expect(result.candidate.expectedCollateral).to.equal(3_500_000n);
    });

    it("refuses a healthy position as not liquidatable", function () {
      const result = sizeAaveV3Liquidation(
        usdcDebtWethCollateral({ rules: "v3.0", healthFactor: E18, userDebt: 10_000n * E6, collateralBalance: 6n * E18 }),
      );
      expect(result).to.include({ ok: false, reason: "not-liquidatable" });
    });
  });

  describe("v3.3+ rules (aave-v3-origin LiquidationLogic.sol)", function () {
    it("caps at 50% of the user's total debt when both sides are >= $2,000 and HF > 0.95", function () {
      const result = sized(
        usdcDebtWethCollateral({ rules: "v3.3", healthFactor: hf(970), userDebt: 10_000n * E6, collateralBalance: 6n * E18 }),
      );
      expect(result.candidate.debtToCover).to.equal(5_000n * E6);
      expect(result.candidate.sizingRule).to.equal("aave-v3.3-close-factor-50%");
    });

    it("measures the 50% against the TOTAL debt: a reserve under half of it is fully liquidatable", function () {
      // 3,000 USDC of a $10,000 total debt: 50% of the total ($5,000) exceeds the reserve's debt.
      const result = sized(
        usdcDebtWethCollateral({
          rules: "v3.3",
          healthFactor: hf(970),
          userDebt: 3_000n * E6,
          collateralBalance: 6n * E18,
          totalDebtBase: 10_000n * E8,
        }),
      );
      expect(result.candidate.debtToCover).to.equal(3_000n * E6);
      expect(result.candidate.sizingRule).to.equal("aave-v3.3-close-factor-50%-reserve-within-cap+full-close");
    });

    it("allows 100% at HF <= 0.95", function () {
      const result = sized(
        usdcDebtWethCollateral({ rules: "v3.3", healthFactor: hf(950), userDebt: 10_000n * E6, collateralBalance: 6n * E18 }),
      );
      expect(result.candidate.debtToCover).to.equal(10_000n * E6);
      expect(result.candidate.sizingRule).to.equal("aave-v3.3-close-factor-100%-hf<=0.95+full-close");
    });

    it("a full close names more than the debt it saw, so interest accrued by execution cannot leave dust", function () {
      // Shown on genuine v3.6 bytecode (aave-v3-sizing-rules-genuine.test.ts): once interest has added a
      // few units, passing the debt as read repays all but those units, which v3.3+ refuses
      // (MUST_NOT_LEAVE_DUST).
      const result = sized(
        usdcDebtWethCollateral({ rules: "v3.5", healthFactor: hf(900), userDebt: 10_000n * E6, collateralBalance: 6n * E18 }),
      );
      expect(result.candidate.debtToCover).to.equal(10_000n * E6);
      expect([result.candidate.call?.debtToCover, result.candidate.call?.poolDecidesSize]).to.deep.equal([10_010n * E6 + 1n, true]);
      // v3.0 has no dust rule: the exact amount is passed.
      const v30 = sized(
        usdcDebtWethCollateral({ rules: "v3.0", healthFactor: hf(900), userDebt: 10_000n * E6, collateralBalance: 6n * E18 }),
      );
      expect([v30.candidate.call?.debtToCover, v30.candidate.call?.poolDecidesSize]).to.deep.equal([10_000n * E6, false]);
    });

    it("allows 100% for a small position: the pair's debt under $2,000 even with HF > 0.95", function () {
      const result = sized(
        usdcDebtWethCollateral({ rules: "v3.3", healthFactor: hf(980), userDebt: 1_500n * E6, collateralBalance: 1n * E18 }),
      );
      expect(result.candidate.debtToCover).to.equal(1_500n * E6);
      expect(result.candidate.expectedCollateral).to.equal(787_500_000_000_000_000n);
      expect(result.candidate.sizingRule).to.equal("aave-v3.3-close-factor-100%-small-position+full-close");
    });

    it("allows 100% for a small position: the pair's collateral under $2,000", function () {
      // Debt $2,500 is above the threshold; collateral 0.99 WETH = $1,980 is below it, which alone
      // lifts the close factor to 100% (the source requires BOTH sides >= $2,000 for the 50% cap).
      const result = sized(
        usdcDebtWethCollateral({
          rules: "v3.3",
          healthFactor: hf(990),
          userDebt: 2_500n * E6,
          collateralBalance: 990_000_000_000_000_000n,
          totalDebtBase: 2_500n * E8,
        }),
      );
      // Collateral caps it: 0.99 WETH pays for 1,980 / 1.05 = 1,885.714286 USDC.
      expect(result.candidate.sizingRule).to.match(/^aave-v3.3-close-factor-100%-small-position/);
      expect(result.cappedByCollateral).to.equal(true);
      expect(result.candidate.expectedCollateral).to.equal(990_000_000_000_000_000n);
    });

    it("dust rule: reduces a 50% liquidation that would leave under $1,000 of collateral", function () {
      // 2,100 USDC against 1.05 WETH ($2,100), HF 0.99: 50% = 1,050 USDC would seize 0.55125 WETH and
      // leave $997.50. The largest size leaving >= $1,000 seizes at most 0.55 WETH:
      // d * 5e8 * 1.05 <= 0.55e18 (half-up rounding) → d = 1,047.619047 USDC.
      const input = usdcDebtWethCollateral({
        rules: "v3.3",
        healthFactor: hf(990),
        userDebt: 2_100n * E6,
        collateralBalance: 1_050_000_000_000_000_000n,
      });
      expect(aaveLiquidationOutcome(input, 1_050n * E6).violatesDustRule).to.equal(true);
      const result = sized(input);
      expect(result.candidate.debtToCover).to.equal(1_047_619_047n);
      expect(result.candidate.sizingRule).to.equal("aave-v3.3-close-factor-50%+dust-rule-reduced");
      expect(aaveLiquidationOutcome(input, result.candidate.debtToCover).violatesDustRule).to.equal(false);
      expect(aaveLiquidationOutcome(input, result.candidate.debtToCover + 1n).violatesDustRule).to.equal(true);
    });

    it("dust rule: a partial request that would leave under $1,000 of debt becomes a full liquidation", function () {
      // A small position (debt < $2,000) may be closed fully; asking for 800 of 1,500 would leave $700.
      const result = sized(
        usdcDebtWethCollateral({
          rules: "v3.3",
          healthFactor: hf(980),
          userDebt: 1_500n * E6,
          collateralBalance: 1n * E18,
          requestedDebtToCover: 800n * E6,
        }),
      );
      expect(result.candidate.debtToCover).to.equal(1_500n * E6);
      expect(result.candidate.sizingRule).to.equal("aave-v3.3-close-factor-100%-small-position+dust-rule-full+full-close");
    });

    it("v3.0 has no dust rule: the same position keeps its 50% size", function () {
      const input = usdcDebtWethCollateral({
        rules: "v3.0",
        healthFactor: hf(990),
        userDebt: 2_100n * E6,
        collateralBalance: 1_050_000_000_000_000_000n,
      });
      expect(sized(input).candidate.debtToCover).to.equal(1_050n * E6);
    });

    it("passes the requested amount, not the computed debt, when collateral caps the liquidation", function () {
      // Found by the property below: the pool's debt for "all the collateral" rounds down, and handing
      // that smaller figure back makes the pool seize one wei less and leave dust (v3.3 reverts).
      const input = usdcDebtWethCollateral({
        rules: "v3.3",
        healthFactor: hf(500),
        userDebt: 1_146_145n,
        collateralBalance: 601_725_600_000_001n,
      });
      const result = sized(input);
      expect(result.cappedByCollateral).to.equal(true);
      expect(result.candidate.debtToCover).to.equal(1_146_144n);
      expect(result.candidate.call).to.deep.equal({
        shape: "AaveV3",
        market: AAVE_POOL,
        debtToCover: 1_146_145n,
        poolDecidesSize: true,
        selfFunded: false,
      });
      expect(aaveLiquidationOutcome(input, result.candidate.debtToCover).violatesDustRule).to.equal(true);
    });

    it("records bad debt only when the liquidation takes the user's last collateral", function () {
      const lastCollateral = sized(
        usdcDebtWethCollateral({ rules: "v3.3", healthFactor: hf(900), userDebt: 10_000n * E6, collateralBalance: 4n * E18 }),
      );
      expect(lastCollateral.badDebt).to.equal(10_000n * E6 - 7_619_047_619n);
      const otherCollateralRemains = sized(
        usdcDebtWethCollateral({
          rules: "v3.3",
          healthFactor: hf(900),
          userDebt: 10_000n * E6,
          collateralBalance: 4n * E18,
          totalCollateralBase: 9_000n * E8,
        }),
      );
      expect(otherCollateralRemains.badDebt).to.equal(0n);
    });
  });

  describe("v3.5+ rounding, the protocol fee and reserve gates (found on genuine v3.6 bytecode)", function () {
    it("maps pool revisions to rule sets, and rule sets to the address book's families", function () {
      const byRevision = [1, 3, 4, 6, 7, 8, 9, 10, 11].map((revision) => aaveLiquidationRulesForRevision(revision));
      expect(byRevision).to.deep.equal(["v3.0", "v3.0", "v3.0", "v3.0", "v3.3", "v3.3", "v3.5", "v3.5", "v3.5"]);
      expect(["v3.0", "v3.3", "v3.5"].map((r) => aaveLiquidationRulesFamily(r as "v3.0"))).to.deep.equal(["v3.0", "v3.3", "v3.3"]);
      expect(() => aaveLiquidationRulesForRevision(0)).to.throw(/POOL_REVISION must be a positive integer, got 0/);
    });

    it("the $1,000 leftover counts the protocol fee as taken: 50% would leave $997.50 with the borrower", function () {
      // 2,100 USDC against 1.05 WETH ($2,100) at HF 0.99, 10% fee: 1,050 USDC seizes 0.55125 WETH, of which
      // 0.002625 goes to the treasury. The borrower keeps 0.49875 WETH = $997.50 (counting only the liquidator's
      // share as taken said $1,002.75, and the keeper planned an amount the pool refuses).
      const input = usdcDebtWethCollateral({
        rules: "v3.5",
        healthFactor: hf(990),
        userDebt: 2_100n * E6,
        collateralBalance: 1_050_000_000_000_000_000n,
        protocolFeeBps: 1_000,
      });
      const half = aaveLiquidationOutcome(input, 1_050n * E6);
      expect([half.collateralToLiquidator, half.protocolFee]).to.deep.equal([548_625_000_000_000_000n, 2_625_000_000_000_000n]);
      expect(half.violatesDustRule).to.equal(true);
      expect(sized(input).candidate.debtToCover).to.equal(1_047_619_047n);
    });

    it("v3.5+ rounds the debt all the collateral pays for up (percentDivCeil); v3.3 rounded half up", function () {
      const common = { healthFactor: hf(500), userDebt: 1_300_000n, collateralBalance: 601_825_600_000_001n };
      expect(sized(usdcDebtWethCollateral({ rules: "v3.3", ...common })).candidate.debtToCover).to.equal(1_146_334n);
      expect(sized(usdcDebtWethCollateral({ rules: "v3.5", ...common })).candidate.debtToCover).to.equal(1_146_335n);
    });

    it("v3.5+ values the pair's debt rounding up: $1,999.99999999 of WETH is not a small position", function () {
      // 0.666666666666666666 WETH at $3,000 is 1,999.9999999999999998 USD: 199999999999 base units rounded down,
      // 200000000000 (= $2,000) rounded up. With $2,500 of collateral at HF 0.975 that decides 100% vs 50%.
      const input = (rules: AaveV3SizingInput["rules"]): AaveV3SizingInput =>
        aaveInput({
          rules,
          healthFactor: hf(975),
          detectedAtBlock: 1,
          debt: { token: WETH, decimals: 18, priceBase: 3_000n * E8, userDebt: 666_666_666_666_666_666n },
          collateral: {
            token: USDC,
            decimals: 6,
            priceBase: E8,
            userBalance: 2_500n * E6,
            liquidationBonusBps: 500,
            liquidationProtocolFeeBps: 0,
          },
          totalDebtBase: 200_000_000_000n,
          totalCollateralBase: 2_500n * E8,
        });
      expect(sized(input("v3.3")).candidate.sizingRule).to.match(/^aave-v3.3-close-factor-100%-small-position/);
      expect(sized(input("v3.5")).candidate.sizingRule).to.equal("aave-v3.3-close-factor-50%");
    });

    it("the protocol fee is what the borrower's scaled balance still covers after the liquidator's burn", function () {
      // All of 275,213,823 units seized at liquidity index 1.00122067…: the liquidator's 273,903,281 burn
      // ceil(…/index) scaled units, leaving 1,308,944 where the 1,310,542 fee needs 1,308,945; the treasury gets
      // floor(1,308,944 × index) = 1,310,541.
      const input = aaveInput({
        rules: "v3.5",
        healthFactor: hf(500),
        detectedAtBlock: 1,
        debt: { token: USDC, decimals: 6, priceBase: E8, userDebt: 10_000n * E6 },
        collateral: {
          token: CBBTC,
          decimals: 6,
          priceBase: E8,
          userBalance: 275_213_823n,
          liquidationBonusBps: 500,
          liquidationProtocolFeeBps: 1_000,
          scaled: { balance: 274_878_287n, liquidityIndex: 1_001_220_672_038_000_446_658_395_697n },
        },
        totalDebtBase: 10_000n * E8,
        totalCollateralBase: 275_213_823n * 100n,
      });
      const result = sized(input);
      expect(result.cappedByCollateral).to.equal(true);
      expect([result.candidate.expectedCollateral, result.protocolFeeCollateral]).to.deep.equal([273_903_281n, 1_310_541n]);
      const unscaled = aaveLiquidationOutcome({ ...input, collateral: { ...input.collateral, scaled: undefined } }, 10_000n * E6);
      expect(unscaled.protocolFee).to.equal(1_310_542n);
    });

    describe("reserve gates (validateLiquidationCall)", function () {
      const open: AaveReserveGate = { active: true, paused: false, liquidationGracePeriodUntil: 0n };
      const gated = (collateral: AaveReserveGate, debt: AaveReserveGate, now = 1_000n) =>
        sizeAaveV3Liquidation({
          ...usdcDebtWethCollateral({ rules: "v3.5", healthFactor: hf(900), userDebt: 10_000n * E6, collateralBalance: 6n * E18 }),
          gates: { collateral, debt, now },
        });

      it("refuses a paused or inactive reserve on either side", function () {
        expect(gated({ ...open, paused: true }, open)).to.deep.include({ ok: false, reason: "not-liquidatable" });
        const inactive = gated(open, { ...open, active: false });
        expect(inactive.ok ? "" : inactive.detail).to.match(/debt reserve is not active/);
        expect(gated(open, open).ok).to.equal(true);
      });

      it("refuses until the grace period has passed: the pool needs until < block.timestamp", function () {
        expect(gated(open, { ...open, liquidationGracePeriodUntil: 1_000n }).ok).to.equal(false);
        expect(gated({ ...open, liquidationGracePeriodUntil: 999n }, open).ok).to.equal(true);
      });
    });
  });

  describe("properties", function () {
    const arbitraryInput = fc.record({
      rules: fc.constantFrom<"v3.0" | "v3.3" | "v3.5">("v3.0", "v3.3", "v3.5"),
      hfThousandths: fc.integer({ min: 500, max: 999 }),
      userDebt: fc.bigInt({ min: 1n, max: 10n ** 12n }), // up to 1M USDC
      collateralBalance: fc.bigInt({ min: 1n, max: 10n ** 21n }), // up to 1,000 WETH
      otherDebtBase: fc.bigInt({ min: 0n, max: 10n ** 14n }),
      protocolFeeBps: fc.integer({ min: 0, max: 5_000 }),
      requested: fc.option(fc.bigInt({ min: 1n, max: 10n ** 12n }), { nil: undefined }),
    });

    it("never seizes more than the collateral balance nor repays more than the debt; v3.3 never leaves dust", function () {
      fc.assert(
        fc.property(arbitraryInput, (args) => {
          const input = usdcDebtWethCollateral({
            rules: args.rules,
            healthFactor: hf(args.hfThousandths),
            userDebt: args.userDebt,
            collateralBalance: args.collateralBalance,
            totalDebtBase: (args.userDebt * E8) / E6 + args.otherDebtBase,
            protocolFeeBps: args.protocolFeeBps,
            requestedDebtToCover: args.requested,
          });
          const result = sizeAaveV3Liquidation(input);
          if (!result.ok) return true;
          const { candidate } = result;
          expect(candidate.expectedCollateral + result.protocolFeeCollateral <= args.collateralBalance).to.equal(true);
          expect(candidate.debtToCover <= args.userDebt).to.equal(true);
          // Replaying the executor's argument through the pool model gives exactly the candidate, dust-free,
          // and the argument exceeds the debt repaid exactly when the pool is left to size it.
          const call = candidate.call!;
          expect(call.debtToCover > candidate.debtToCover).to.equal(call.poolDecidesSize);
          const outcome = aaveLiquidationOutcome(input, call.debtToCover);
          expect(outcome.actualDebtToLiquidate).to.equal(candidate.debtToCover);
          expect(outcome.collateralToLiquidator).to.equal(candidate.expectedCollateral);
          expect(outcome.violatesDustRule).to.equal(false);
          return true;
        }),
        { numRuns: 300 },
      );
    });

    it("the dust threshold constant is half the small-position threshold, as in the source", function () {
      expect(AAVE_MIN_LEFTOVER_BASE).to.equal(1_000n * E8);
    });
  });
});
