/**
 * Integer arithmetic every stage shares: the WAD scale, the largest uint256, basis points, and the
 * conversions of raw token amounts to the USD figures that rank and gate plans. Each protocol's own
 * rounding rules live with its market plug-in (markets/aave-v3/aave-math.ts, markets/morpho-blue/
 * morpho-math.ts, markets/moonwell/moonwell-math.ts); this file holds only what they have in common.
 */

/** 1e18: the fixed-point unit of health factors, Morpho's WAD and Compound's Exp mantissa. */
export const WAD = 10n ** 18n;
/** type(uint256).max: the health factor of a position without debt. */
export const MAX_UINT256 = (1n << 256n) - 1n;
/** 10,000 basis points = 100%. */
export const BPS = 10_000n;

export function minBigint(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
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

/** Value in USD of a raw token amount, given the USD price of one whole token (0 when the price is unknown). */
export function tokenAmountToUsd(amount: bigint, decimals: number, usdPerToken: number | undefined): number {
  if (usdPerToken === undefined) return 0;
  return ratioToNumber(amount, unitOf(decimals)) * usdPerToken;
}
