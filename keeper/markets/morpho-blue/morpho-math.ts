/**
 * Morpho Blue's arithmetic for health checks, reproduced exactly (rules read from
 * @morpho-org/morpho-blue 1.0.0: src/Morpho.sol `_isHealthy`/`_accrueInterest`, libraries/MathLib.sol,
 * SharesMathLib.sol, ConstantsLib.sol; no code copied).
 *
 *   borrowed  = borrowShares.toAssetsUp(totalBorrowAssets, totalBorrowShares)   (virtual shares 1e6, virtual assets 1)
 *   maxBorrow = collateral.mulDivDown(price, 1e36).wMulDown(lltv)
 *   healthy  ⇔ maxBorrow ≥ borrowed
 * The health factor reported is ⌊maxBorrow·1e18 / borrowed⌋, which is < 1e18 exactly when Morpho
 * would accept a liquidation.
 */

import { MAX_UINT256, minBigint, WAD } from "../../core/fixed-point";

export const ORACLE_PRICE_SCALE = 10n ** 36n;
export const VIRTUAL_SHARES = 10n ** 6n;
export const VIRTUAL_ASSETS = 1n;
/** ConstantsLib.LIQUIDATION_CURSOR and MAX_LIQUIDATION_INCENTIVE_FACTOR. */
export const LIQUIDATION_CURSOR = (3n * WAD) / 10n;
export const MAX_LIQUIDATION_INCENTIVE_FACTOR = (115n * WAD) / 100n;

/** MathLib.mulDivDown. */
export function mulDivDown(x: bigint, y: bigint, d: bigint): bigint {
  if (d === 0n) throw new RangeError("mulDivDown by zero");
  return (x * y) / d;
}

/** MathLib.mulDivUp. */
export function mulDivUp(x: bigint, y: bigint, d: bigint): bigint {
  if (d === 0n) throw new RangeError("mulDivUp by zero");
  return (x * y + (d - 1n)) / d;
}

export function wMulDown(x: bigint, y: bigint): bigint {
  return mulDivDown(x, y, WAD);
}

export function toAssetsUp(shares: bigint, totalAssets: bigint, totalShares: bigint): bigint {
  return mulDivUp(shares, totalAssets + VIRTUAL_ASSETS, totalShares + VIRTUAL_SHARES);
}

export function toAssetsDown(shares: bigint, totalAssets: bigint, totalShares: bigint): bigint {
  return mulDivDown(shares, totalAssets + VIRTUAL_ASSETS, totalShares + VIRTUAL_SHARES);
}

export function toSharesUp(assets: bigint, totalAssets: bigint, totalShares: bigint): bigint {
  return mulDivUp(assets, totalShares + VIRTUAL_SHARES, totalAssets + VIRTUAL_ASSETS);
}

/**
 * The liquidation incentive factor for a market's LLTV (both WAD, Morpho.liquidate):
 * min(MAX_LIQUIDATION_INCENTIVE_FACTOR, WAD / (WAD − LIQUIDATION_CURSOR · (WAD − lltv))).
 */
export function liquidationIncentiveFactor(lltv: bigint): bigint {
  if (lltv < 0n || lltv >= WAD) throw new RangeError(`lltv must be in [0, 1e18), got ${lltv}`);
  const uncapped = mulDivDown(WAD, WAD, WAD - mulDivDown(LIQUIDATION_CURSOR, WAD - lltv, WAD));
  return minBigint(MAX_LIQUIDATION_INCENTIVE_FACTOR, uncapped);
}

/** MathLib.wTaylorCompounded: e^(x·n) − 1 to the third order. */
export function wTaylorCompounded(x: bigint, n: bigint): bigint {
  const firstTerm = x * n;
  const secondTerm = mulDivDown(firstTerm, firstTerm, 2n * WAD);
  const thirdTerm = mulDivDown(secondTerm, firstTerm, 3n * WAD);
  return firstTerm + secondTerm + thirdTerm;
}

/** The market fields the health check and accrual read (`Morpho.market(id)`). */
export interface MorphoMarketState {
  readonly totalSupplyAssets: bigint;
  readonly totalSupplyShares: bigint;
  readonly totalBorrowAssets: bigint;
  readonly totalBorrowShares: bigint;
  readonly lastUpdate: bigint;
  readonly fee: bigint;
}

/**
 * Total borrow assets after `_accrueInterest` at `now`, with the per-second `borrowRate` the IRM
 * returns for this state (0 when the market has no IRM).
 */
export function accruedTotalBorrowAssets(state: MorphoMarketState, borrowRate: bigint, now: bigint): bigint {
  const elapsed = now - state.lastUpdate;
  if (elapsed <= 0n || borrowRate === 0n) return state.totalBorrowAssets;
  const interest = wMulDown(state.totalBorrowAssets, wTaylorCompounded(borrowRate, elapsed));
  return state.totalBorrowAssets + interest;
}

export interface MorphoHealth {
  readonly borrowed: bigint;
  readonly maxBorrow: bigint;
  /** WAD; MAX_UINT256 without debt. */
  readonly healthFactor: bigint;
}

export function morphoHealth(
  position: { readonly borrowShares: bigint; readonly collateral: bigint },
  totalBorrowAssets: bigint,
  totalBorrowShares: bigint,
  collateralPrice: bigint,
  lltv: bigint,
): MorphoHealth {
  const borrowed = toAssetsUp(position.borrowShares, totalBorrowAssets, totalBorrowShares);
  const maxBorrow = wMulDown(mulDivDown(position.collateral, collateralPrice, ORACLE_PRICE_SCALE), lltv);
  const healthFactor = position.borrowShares === 0n || borrowed === 0n ? MAX_UINT256 : (maxBorrow * WAD) / borrowed;
  return { borrowed, maxBorrow, healthFactor };
}
