/**
 * Integer arithmetic with the exact rounding each protocol uses on chain. Sizing must reproduce the
 * contracts bit for bit: a debtToCover one wei too large is silently capped (lost profit), a seize
 * one wei too large reverts (lost gas), so "close enough" floating point is not good enough here.
 */

export const WAD = 10n ** 18n;
export const BPS = 10_000n;
const HALF_BPS = 5_000n;

/** Aave PercentageMath.percentMul: value * bps / 10,000, rounded half up. */
export function percentMul(value: bigint, bps: bigint): bigint {
  return (value * bps + HALF_BPS) / BPS;
}

/** Aave PercentageMath.percentDiv: value * 10,000 / bps, rounded half up. */
export function percentDiv(value: bigint, bps: bigint): bigint {
  if (bps === 0n) throw new RangeError("percentDiv by zero");
  return (value * BPS + bps / 2n) / bps;
}

/** Morpho MathLib.mulDivDown. */
export function mulDivDown(x: bigint, y: bigint, d: bigint): bigint {
  if (d === 0n) throw new RangeError("mulDivDown by zero");
  return (x * y) / d;
}

/** Morpho MathLib.mulDivUp. */
export function mulDivUp(x: bigint, y: bigint, d: bigint): bigint {
  if (d === 0n) throw new RangeError("mulDivUp by zero");
  return (x * y + (d - 1n)) / d;
}

export function minBigint(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

export function maxBigint(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

/** 10^decimals as a bigint; rejects decimals a token could not have. */
export function unitOf(decimals: number): bigint {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 36) {
    throw new RangeError(`token decimals must be an integer in [0, 36], got ${decimals}`);
  }
  return 10n ** BigInt(decimals);
}

/**
 * Converts `amount * price / scale` to a float. USD figures only rank and gate plans (types.ts), so a
 * float is fine; the division is done in bigint first to keep large amounts from losing their digits.
 */
export function ratioToNumber(numerator: bigint, denominator: bigint): number {
  if (denominator === 0n) throw new RangeError("ratioToNumber by zero");
  const negative = numerator < 0n !== denominator < 0n && numerator !== 0n;
  const num = numerator < 0n ? -numerator : numerator;
  const den = denominator < 0n ? -denominator : denominator;
  const whole = num / den;
  const remainder = num % den;
  // 18 fractional digits are far beyond what a USD figure needs.
  const fraction = Number((remainder * 10n ** 18n) / den) / 1e18;
  const value = Number(whole) + fraction;
  return negative ? -value : value;
}

/** Value in USD of a raw token amount, given the USD price of one whole token. */
export function tokenAmountToUsd(amount: bigint, decimals: number, usdPerToken: number): number {
  return ratioToNumber(amount, unitOf(decimals)) * usdPerToken;
}
