/**
 * Aave V3's fixed-point arithmetic, reproduced bit for bit so in-memory health factors equal the
 * pool's `getUserAccountData`. Rules read from (no code copied):
 * - v3.0.2 / v3.1: @aave/core-v3 1.19.3 contracts/protocol/libraries/math/{WadRayMath,PercentageMath,MathUtils}.sol
 *   (the bytecode the sandbox runs);
 * - v3.2 – v3.7: aave-dao/aave-v3-origin src/contracts/protocol/libraries/math/* and helpers/TokenMath.sol.
 *
 * What changed between versions, and matters to the health factor:
 * - `calculateCompoundedInterest` (variable-debt index growth): v3.0–v3.3 use the binomial terms
 *   `exp·(exp−1)·base²/2` and `exp·(exp−1)·(exp−2)·base³/6` with `base² = rate.rayMul(rate)/year²`;
 *   v3.4+ compute `x = rate·exp/year` and return `RAY + x + x.rayMul(x/2 + x.rayMul(x/6))`.
 * - balances: up to v3.4 `scaled.rayMul(index)` (half-up); v3.5+ round aToken balances down
 *   (`rayMulFloor`) and debt balances up (`rayMulCeil`) — TokenMath.getATokenBalance/getVTokenBalance.
 */

import { WAD } from "../../core/fixed-point";

export const HALF_WAD = WAD / 2n;
export const RAY = 10n ** 27n;
export const HALF_RAY = RAY / 2n;
export const PERCENTAGE_FACTOR = 10_000n;
export const HALF_PERCENTAGE_FACTOR = 5_000n;
export const SECONDS_PER_YEAR = 365n * 24n * 3600n;

/** Which arithmetic a pool revision uses (see `mathProfileForRevision`). */
export type AaveMathProfile = "v3.0" | "v3.2" | "v3.4" | "v3.5" | "v3.6";

/**
 * Maps `Pool.POOL_REVISION()` to its arithmetic. Revisions (aave-v3-origin tags): v3.1 = 4,
 * v3.2 = 5, v3.3 = 7, v3.4 = 8, v3.5 = 9, v3.6 = 10, v3.7 = 11; v3.0.x pools report 1–3.
 * - v3.0: stable debt exists; e-mode by per-reserve category with an optional price source.
 * - v3.2: stable debt gone; e-mode by collateral bitmap.
 * - v3.4: new compounded-interest formula.
 * - v3.5: floor/ceil balance rounding, debt value rounded up, HF = Σ(value·LT).wadDiv(debt)/1e4.
 * - v3.6: collateral with LT = 0 still counts in total collateral; e-mode LT applies by bitmap alone.
 * Revisions above the newest known one use the newest arithmetic.
 */
export function mathProfileForRevision(revision: number): AaveMathProfile {
  if (!Number.isInteger(revision) || revision < 1) {
    throw new Error(`aave: POOL_REVISION must be a positive integer, got ${revision}`);
  }
  if (revision <= 4) return "v3.0";
  if (revision <= 7) return "v3.2";
  if (revision === 8) return "v3.4";
  if (revision === 9) return "v3.5";
  return "v3.6";
}

export function wadMul(a: bigint, b: bigint): bigint {
  return (a * b + HALF_WAD) / WAD;
}

export function wadDiv(a: bigint, b: bigint): bigint {
  if (b === 0n) throw new RangeError("wadDiv by zero");
  return (a * WAD + b / 2n) / b;
}

export function rayMul(a: bigint, b: bigint): bigint {
  return (a * b + HALF_RAY) / RAY;
}

export function rayMulFloor(a: bigint, b: bigint): bigint {
  return (a * b) / RAY;
}

export function rayMulCeil(a: bigint, b: bigint): bigint {
  const product = a * b;
  return product / RAY + (product % RAY === 0n ? 0n : 1n);
}

export function rayDiv(a: bigint, b: bigint): bigint {
  if (b === 0n) throw new RangeError("rayDiv by zero");
  return (a * RAY + b / 2n) / b;
}

/** WadRayMath.rayDivCeil (v3.5+): scaled amounts of aToken burns and transfers round up. */
export function rayDivCeil(a: bigint, b: bigint): bigint {
  if (b === 0n) throw new RangeError("rayDivCeil by zero");
  const numerator = a * RAY;
  return numerator / b + (numerator % b === 0n ? 0n : 1n);
}

export function percentMul(value: bigint, percentage: bigint): bigint {
  return (value * percentage + HALF_PERCENTAGE_FACTOR) / PERCENTAGE_FACTOR;
}

export function percentDiv(value: bigint, percentage: bigint): bigint {
  if (percentage === 0n) throw new RangeError("percentDiv by zero");
  return (value * PERCENTAGE_FACTOR + percentage / 2n) / percentage;
}

/** PercentageMath.percentDivCeil (v3.5+): the debt a whole collateral balance pays for rounds up. */
export function percentDivCeil(value: bigint, percentage: bigint): bigint {
  if (percentage === 0n) throw new RangeError("percentDivCeil by zero");
  const numerator = value * PERCENTAGE_FACTOR;
  return numerator / percentage + (numerator % percentage === 0n ? 0n : 1n);
}

export function mulDivCeil(a: bigint, b: bigint, c: bigint): bigint {
  if (c === 0n) throw new RangeError("mulDivCeil by zero");
  const product = a * b;
  return product / c + (product % c === 0n ? 0n : 1n);
}

/** MathUtils.calculateLinearInterest: `RAY + rate·Δt/year` (liquidity index growth). */
export function calculateLinearInterest(rate: bigint, lastUpdateTimestamp: bigint, now: bigint): bigint {
  return RAY + (rate * (now - lastUpdateTimestamp)) / SECONDS_PER_YEAR;
}

/** MathUtils.calculateCompoundedInterest as of the given arithmetic (variable-debt index growth). */
export function calculateCompoundedInterest(profile: AaveMathProfile, rate: bigint, lastUpdateTimestamp: bigint, now: bigint): bigint {
  const exp = now - lastUpdateTimestamp;
  if (exp === 0n) return RAY;
  if (profile === "v3.0" || profile === "v3.2") {
    const expMinusOne = exp - 1n;
    const expMinusTwo = exp > 2n ? exp - 2n : 0n;
    const basePowerTwo = rayMul(rate, rate) / (SECONDS_PER_YEAR * SECONDS_PER_YEAR);
    const basePowerThree = rayMul(basePowerTwo, rate) / SECONDS_PER_YEAR;
    const secondTerm = (exp * expMinusOne * basePowerTwo) / 2n;
    const thirdTerm = (exp * expMinusOne * expMinusTwo * basePowerThree) / 6n;
    return RAY + (rate * exp) / SECONDS_PER_YEAR + secondTerm + thirdTerm;
  }
  const x = (rate * exp) / SECONDS_PER_YEAR;
  return RAY + x + rayMul(x, x / 2n + rayMul(x, x / 6n));
}

/** The reserve fields the index formulas read (getReserveData). */
export interface ReserveIndexState {
  readonly liquidityIndex: bigint;
  readonly variableBorrowIndex: bigint;
  readonly currentLiquidityRate: bigint;
  readonly currentVariableBorrowRate: bigint;
  /** Unix seconds, as the pool stores it (uint40). */
  readonly lastUpdateTimestamp: bigint;
}

/**
 * ReserveLogic.getNormalizedIncome at `now`. A `now` before the last update (a stale block) returns
 * the stored index, as the pool would at the update's own block.
 */
export function normalizedIncome(reserve: ReserveIndexState, now: bigint): bigint {
  if (now <= reserve.lastUpdateTimestamp) return reserve.liquidityIndex;
  return rayMul(calculateLinearInterest(reserve.currentLiquidityRate, reserve.lastUpdateTimestamp, now), reserve.liquidityIndex);
}

/** ReserveLogic.getNormalizedDebt at `now`. */
export function normalizedDebt(profile: AaveMathProfile, reserve: ReserveIndexState, now: bigint): bigint {
  if (now <= reserve.lastUpdateTimestamp) return reserve.variableBorrowIndex;
  return rayMul(
    calculateCompoundedInterest(profile, reserve.currentVariableBorrowRate, reserve.lastUpdateTimestamp, now),
    reserve.variableBorrowIndex,
  );
}

/** aToken balance from its scaled balance, as the version rounds it. */
export function aTokenBalance(profile: AaveMathProfile, scaled: bigint, index: bigint): bigint {
  return profile === "v3.5" || profile === "v3.6" ? rayMulFloor(scaled, index) : rayMul(scaled, index);
}

/** Variable-debt balance from its scaled balance, as the version rounds it. */
export function variableDebtBalance(profile: AaveMathProfile, scaled: bigint, index: bigint): bigint {
  return profile === "v3.5" || profile === "v3.6" ? rayMulCeil(scaled, index) : rayMul(scaled, index);
}
