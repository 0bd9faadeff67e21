/**
 * Comptroller.getHypotheticalAccountLiquidityInternal (Compound v2 / Moonwell) in memory, with its Exp
 * arithmetic: every Exp·Exp product is truncated to 1e18 precision before the next step, and each
 * market's contribution is truncated before it is added (ExponentialNoError.mul_,
 * mul_ScalarTruncateAddUInt). Rules read from moonwell-fi/moonwell-contracts-v2 src/Comptroller.sol and
 * src/ExponentialNoError.sol; no code copied.
 *
 *   tokensToDenom  = ((collateralFactor · exchangeRate / 1e18) · price / 1e18)
 *   sumCollateral += tokensToDenom · mTokenBalance / 1e18
 *   sumBorrow     += price · borrowBalance / 1e18
 *   shortfall > 0 ⇔ sumBorrow > sumCollateral
 * The health factor reported is ⌊sumCollateral·1e18 / sumBorrow⌋, below 1e18 exactly when there is a shortfall.
 */

import { MAX_UINT256, WAD } from "../../core/fixed-point";

/** Compound's Exp mantissa (ExponentialNoError.expScale): the WAD scale under Compound's name. */
export const EXP_SCALE = WAD;
/** getUnderlyingPrice is USD per whole token scaled by 1e36 / 10^decimals: price · amount / PRICE_SCALE is USD. */
export const PRICE_SCALE = 10n ** 36n;

export interface MoonwellMarketState {
  readonly market: string;
  readonly collateralFactorMantissa: bigint;
  readonly exchangeRateMantissa: bigint;
  /** Oracle getUnderlyingPrice: USD·1e18 per whole token, scaled by 1e(18 − underlying decimals). */
  readonly priceMantissa: bigint;
}

export interface MoonwellAccountAsset {
  readonly market: string;
  readonly mTokenBalance: bigint;
  readonly borrowBalance: bigint;
}

export interface MoonwellLiquidity {
  readonly sumCollateral: bigint;
  readonly sumBorrow: bigint;
  readonly liquidity: bigint;
  readonly shortfall: bigint;
  readonly healthFactor: bigint;
}

export function tokensToDenom(market: MoonwellMarketState): bigint {
  return (((market.collateralFactorMantissa * market.exchangeRateMantissa) / EXP_SCALE) * market.priceMantissa) / EXP_SCALE;
}

/**
 * The account's liquidity and shortfall over the markets it has entered, in the comptroller's order.
 * `perMarket`, if given, receives each asset's own terms of the two sums (what the crossing index
 * models: each is linear in that market's price).
 */
export function accountLiquidity(
  assets: readonly MoonwellAccountAsset[],
  markets: ReadonlyMap<string, MoonwellMarketState>,
  perMarket?: (index: number, collateral: bigint, borrow: bigint) => void,
): MoonwellLiquidity {
  let sumCollateral = 0n;
  let sumBorrow = 0n;
  for (let i = 0; i < assets.length; i++) {
    const asset = assets[i];
    const market = markets.get(asset.market.toLowerCase());
    if (!market) throw new Error(`moonwell: market ${asset.market} is not loaded`);
    if (market.priceMantissa === 0n)
      throw new Error(`moonwell: oracle price of ${asset.market} is zero (the comptroller answers PRICE_ERROR)`);
    const collateral = (tokensToDenom(market) * asset.mTokenBalance) / EXP_SCALE;
    const borrow = (market.priceMantissa * asset.borrowBalance) / EXP_SCALE;
    sumCollateral += collateral;
    sumBorrow += borrow;
    perMarket?.(i, collateral, borrow);
  }
  return {
    sumCollateral,
    sumBorrow,
    liquidity: sumCollateral > sumBorrow ? sumCollateral - sumBorrow : 0n,
    shortfall: sumBorrow > sumCollateral ? sumBorrow - sumCollateral : 0n,
    healthFactor: sumBorrow === 0n ? MAX_UINT256 : (sumCollateral * EXP_SCALE) / sumBorrow,
  };
}

/** The market fields `accrueInterest` reads (MToken.sol), for projecting it to a later timestamp. */
export interface MoonwellAccrualState {
  readonly cash: bigint;
  readonly totalBorrows: bigint;
  readonly totalReserves: bigint;
  readonly totalSupply: bigint;
  readonly reserveFactorMantissa: bigint;
  /** Per second (Moonwell) or per block (Compound on Ethereum: pass blocks as "seconds"). */
  readonly borrowRateMantissa: bigint;
  readonly borrowIndex: bigint;
  readonly accrualTimestamp: bigint;
  /** Returned as is when nothing is supplied (Compound's exchangeRateStoredInternal). */
  readonly initialExchangeRateMantissa: bigint;
}

/**
 * What `accrueInterest` at `now` followed by `exchangeRateStored` would give: simple interest
 * `rate·Δt` on total borrows and on the borrow index, the reserve factor's share to reserves, and the
 * exchange rate (cash + borrows − reserves) / supply, each product truncated as MToken.sol does.
 */
export function projectAccrual(state: MoonwellAccrualState, now: bigint): { borrowIndex: bigint; exchangeRateMantissa: bigint } {
  const delta = now > state.accrualTimestamp ? now - state.accrualTimestamp : 0n;
  const simpleInterestFactor = state.borrowRateMantissa * delta;
  const interestAccumulated = (simpleInterestFactor * state.totalBorrows) / EXP_SCALE;
  const totalBorrows = state.totalBorrows + interestAccumulated;
  const totalReserves = (state.reserveFactorMantissa * interestAccumulated) / EXP_SCALE + state.totalReserves;
  const borrowIndex = (simpleInterestFactor * state.borrowIndex) / EXP_SCALE + state.borrowIndex;
  const exchangeRateMantissa =
    state.totalSupply === 0n
      ? state.initialExchangeRateMantissa
      : ((state.cash + totalBorrows - totalReserves) * EXP_SCALE) / state.totalSupply;
  return { borrowIndex, exchangeRateMantissa };
}
