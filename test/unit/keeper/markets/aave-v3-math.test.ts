/**
 * Aave arithmetic profiles the sandbox does not run (it builds v3.0.2 and v3.6; the profiles in between
 * are pinned here by worked examples): which revision gets which arithmetic, and that each profile switch changes exactly
 * the step the newer pool changed — interest formula (v3.4), floor/ceil balances and the direct HF
 * division (v3.5), LT-0 collateral counted in the total (v3.6). Expected values are worked out in the
 * comments from the formulas in aave-math.ts / account-data.ts.
 */
import { expect } from "chai";
import fc from "fast-check";
import type { Address } from "../../../../keeper/config/address-book";
import {
  aTokenBalance,
  calculateCompoundedInterest,
  mathProfileForRevision,
  RAY,
  SECONDS_PER_YEAR,
  variableDebtBalance,
  type AaveMathProfile,
} from "../../../../keeper/markets/aave-v3/aave-math";
import { WAD } from "../../../../keeper/core/fixed-point";
import { AaveEvaluationContext, calculateUserAccountData, type AaveReserve } from "../../../../keeper/markets/aave-v3/account-data";
import { decodeReserveConfiguration } from "../../../../keeper/markets/aave-v3/reserve-configuration";

const COLLATERAL = "0x00000000000000000000000000000000000000c0" as Address;
const DEBT = "0x00000000000000000000000000000000000000d0" as Address;

/** A reserve with the given LT (bps), 0 decimals (so base values equal amounts times price), index 1. */
function reserve(id: number, asset: Address, liquidationThreshold: number): AaveReserve {
  const configuration = BigInt(liquidationThreshold) << 16n; // decimals 0, LTV 0
  return {
    asset,
    id,
    params: decodeReserveConfiguration(configuration),
    index: {
      liquidityIndex: RAY,
      variableBorrowIndex: RAY,
      currentLiquidityRate: 0n,
      currentVariableBorrowRate: 0n,
      lastUpdateTimestamp: 0n,
    },
    aToken: asset,
    variableDebtToken: asset,
    stableDebtToken: "0x0000000000000000000000000000000000000000",
  };
}

function accountData(profile: AaveMathProfile, collateralThreshold: number, collateral: bigint, debt: bigint) {
  const ctx = new AaveEvaluationContext(
    profile,
    [reserve(0, COLLATERAL, collateralThreshold), reserve(1, DEBT, 8_000)],
    new Map(),
    new Map([
      [COLLATERAL, 1n],
      [DEBT, 1n],
    ]),
    0n,
  );
  // Reserve 0 used as collateral (bit 1), reserve 1 borrowed (bit 2).
  return calculateUserAccountData(ctx, {
    userConfig: 0b0110n,
    eModeCategory: 0,
    scaledCollateral: new Map([[0, collateral]]),
    scaledVariableDebt: new Map([[1, debt]]),
    stableDebt: new Map(),
  });
}

describe("keeper/markets Aave arithmetic profiles", function () {
  it("maps POOL_REVISION to the arithmetic of that release", function () {
    const table: [number, AaveMathProfile][] = [
      [1, "v3.0"],
      [3, "v3.0"],
      [4, "v3.0"], // v3.1
      [5, "v3.2"],
      [7, "v3.2"], // v3.3
      [8, "v3.4"],
      [9, "v3.5"],
      [10, "v3.6"],
      [11, "v3.6"], // v3.7
      [40, "v3.6"], // unknown future revisions: newest known arithmetic
    ];
    for (const [revision, profile] of table) expect(mathProfileForRevision(revision), `revision ${revision}`).to.equal(profile);
    expect(() => mathProfileForRevision(0)).to.throw(/POOL_REVISION must be a positive integer/);
  });

  it("v3.0 and v3.4 compounded interest are two truncations of the same series", function () {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: RAY }), fc.bigInt({ min: 0n, max: 30n * 86_400n }), (rate, seconds) => {
        const old = calculateCompoundedInterest("v3.0", rate, 0n, seconds);
        const current = calculateCompoundedInterest("v3.4", rate, 0n, seconds);
        expect(old >= RAY + (rate * seconds) / SECONDS_PER_YEAR).to.equal(true);
        // v3.0 uses exp·(exp−1) where v3.4 squares exp, and truncates base³ = rate³/year³ to a few
        // thousand ray units (relative error ~3e-5 of a third term ≤ 1e-4): the gap stays below 1e-8 of
        // RAY for any rate ≤ 100% and Δt ≤ 30 days. A transcription error would be orders larger.
        const gap = old > current ? old - current : current - old;
        expect(gap * 10n ** 8n <= RAY).to.equal(true);
        if (seconds === 0n) expect([old, current]).to.deep.equal([RAY, RAY]);
      }),
    );
  });

  it("v3.5 floors aToken balances and ceils debt balances; earlier versions round half up", function () {
    // scaled 1 at index 1.5: exact 1.5 → half-up 2, floor 1, ceil 2.
    const index = (RAY * 3n) / 2n;
    expect(aTokenBalance("v3.4", 1n, index)).to.equal(2n);
    expect(aTokenBalance("v3.5", 1n, index)).to.equal(1n);
    expect(variableDebtBalance("v3.4", 1n, index)).to.equal(2n);
    expect(variableDebtBalance("v3.5", 1n, index)).to.equal(2n);
    // scaled 1 at index 1.4: half-up 1, ceil 2.
    expect(variableDebtBalance("v3.4", 1n, (RAY * 14n) / 10n)).to.equal(1n);
    expect(variableDebtBalance("v3.6", 1n, (RAY * 14n) / 10n)).to.equal(2n);
  });

  it("v3.5 divides the threshold-weighted collateral directly; up to v3.4 it rounds through percentMul first", function () {
    // Collateral 3 (base units) at LT 82.5%, debt 2.
    // v3.4: avgLT = 3·8250/3 = 8250; percentMul(3, 8250) = (24750 + 5000) / 10000 = 2; wadDiv(2, 2) = 1e18.
    // v3.5: wadDiv(3·8250, 2) / 10000 = 12375e18 / 10000 = 1.2375e18.
    expect(accountData("v3.4", 8_250, 3n, 2n).healthFactor).to.equal(WAD);
    expect(accountData("v3.5", 8_250, 3n, 2n).healthFactor).to.equal((12_375n * WAD) / 10_000n);
  });

  it("v3.6 counts collateral with LT 0 in the total (not in the health factor); v3.5 skips it", function () {
    const v35 = accountData("v3.5", 0, 1_000n, 10n);
    const v36 = accountData("v3.6", 0, 1_000n, 10n);
    expect(v35.totalCollateralBase).to.equal(0n);
    expect(v36.totalCollateralBase).to.equal(1_000n);
    expect(v35.healthFactor).to.equal(0n);
    expect(v36.healthFactor).to.equal(0n);
  });
});
