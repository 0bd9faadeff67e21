/**
 * Uniswap V3 price arithmetic the sandbox needs to create pools at the feeds' prices and to arbitrage them back:
 * sqrtPriceX96 from two USD prices, and the full-range tick bounds for a fee tier. Pure bigint, no I/O.
 */

const Q192 = 1n << 192n;
/** TickMath.MIN_TICK / MAX_TICK of Uniswap V3. */
const MIN_TICK = -887272;
const MAX_TICK = 887272;
/** TickMath.MIN_SQRT_RATIO / MAX_SQRT_RATIO: a sqrt price must lie strictly inside these. */
export const MIN_SQRT_RATIO = 4295128739n;
export const MAX_SQRT_RATIO = 1461446703485210103287273184463435166849806526958n;

/** The tick spacing Uniswap V3's factory assigns to each enabled fee tier. */
export const TICK_SPACING: Readonly<Record<number, number>> = { 100: 1, 500: 10, 3000: 60, 10000: 200 };

/** floor(sqrt(value)) for a non-negative bigint (Newton's method). */
export function bigintSqrt(value: bigint): bigint {
  if (value < 0n) throw new Error(`cannot take the square root of a negative number (${value})`);
  if (value < 2n) return value;
  let x = value;
  let y = (x + 1n) / 2n;
  while (y < x) {
    x = y;
    y = (x + value / x) / 2n;
  }
  return x;
}

/**
 * The pool price (token1 raw units per token0 raw unit) as sqrtPriceX96, from each token's USD price given with the
 * same number of decimals (Chainlink's 8) and each token's decimals.
 */
export function sqrtPriceX96FromUsd(
  token0UsdPrice: bigint,
  token0Decimals: number,
  token1UsdPrice: bigint,
  token1Decimals: number,
): bigint {
  if (token0UsdPrice <= 0n || token1UsdPrice <= 0n) {
    throw new Error(`USD prices must be positive (token0 ${token0UsdPrice}, token1 ${token1UsdPrice})`);
  }
  const numerator = token0UsdPrice * 10n ** BigInt(token1Decimals) * Q192;
  const denominator = token1UsdPrice * 10n ** BigInt(token0Decimals);
  const sqrtPrice = bigintSqrt(numerator / denominator);
  if (sqrtPrice <= MIN_SQRT_RATIO || sqrtPrice >= MAX_SQRT_RATIO) {
    throw new Error(`price ${token0UsdPrice}/${token1UsdPrice} is outside Uniswap V3's representable range`);
  }
  return sqrtPrice;
}

/** token1-per-token0 in human units (both decimals applied) from a sqrtPriceX96, as a float for display and checks. */
export function humanPriceFromSqrtX96(sqrtPriceX96: bigint, token0Decimals: number, token1Decimals: number): number {
  // Scale before dividing so small prices keep their digits.
  const scaled = (sqrtPriceX96 * sqrtPriceX96 * 10n ** 18n) / Q192;
  return (Number(scaled) / 1e18) * 10 ** (token0Decimals - token1Decimals);
}

/** The widest tick range a position can span in a pool of this fee tier. */
export function fullRangeTicks(fee: number): { tickLower: number; tickUpper: number } {
  const spacing = TICK_SPACING[fee];
  if (spacing === undefined) throw new Error(`fee ${fee} is not a Uniswap V3 fee tier (100, 500, 3000, 10000)`);
  return {
    tickLower: Math.ceil(MIN_TICK / spacing) * spacing,
    tickUpper: Math.floor(MAX_TICK / spacing) * spacing,
  };
}
