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

export const WAD = 10n ** 18n;
export const ORACLE_PRICE_SCALE = 10n ** 36n;
export const VIRTUAL_SHARES = 10n ** 6n;
export const VIRTUAL_ASSETS = 1n;
export const MAX_UINT256 = (1n << 256n) - 1n;

export function mulDivDown(x: bigint, y: bigint, d: bigint): bigint {
  return (x * y) / d;
}

export function mulDivUp(x: bigint, y: bigint, d: bigint): bigint {
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
