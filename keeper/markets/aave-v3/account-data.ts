/**
 * GenericLogic.calculateUserAccountData (and PoolLogic.executeGetUserAccountData), evaluated in
 * memory from scaled balances, reserve indexes and oracle prices. Every rounding step is the pool's,
 * per arithmetic profile (see aave-math.ts), so the result equals `Pool.getUserAccountData` at the
 * same timestamp and prices. Sources read (no code copied): @aave/core-v3 1.19.3 GenericLogic.sol,
 * EModeLogic.sol; aave-dao/aave-v3-origin tags v3.2.0…v3.7 GenericLogic.sol, ValidationLogic.sol.
 */
import type { Address } from "../../config/address-book";
import { MAX_UINT256 } from "../../core/fixed-point";
import {
  aTokenBalance,
  calculateCompoundedInterest,
  mulDivCeil,
  normalizedDebt,
  normalizedIncome,
  PERCENTAGE_FACTOR,
  percentMul,
  rayMul,
  type AaveMathProfile,
  type ReserveIndexState,
  variableDebtBalance,
  wadDiv,
} from "./aave-math";
import {
  activeReserveIds,
  isBorrowing,
  isReserveEnabledOnBitmap,
  isUsingAsCollateral,
  type ReserveParameters,
} from "./reserve-configuration";

export interface AaveReserve {
  readonly asset: Address;
  /** Position in getReservesList = the reserve's bit in user configurations. */
  readonly id: number;
  readonly params: ReserveParameters;
  readonly index: ReserveIndexState;
  readonly aToken: Address;
  readonly variableDebtToken: Address;
  /** v3.0/v3.1 only; the zero address (or a mock) afterwards. */
  readonly stableDebtToken: Address;
}

export interface AaveEModeCategory {
  readonly id: number;
  readonly ltv: number;
  readonly liquidationThreshold: number;
  readonly liquidationBonus: number;
  /** v3.0/v3.1: an asset whose oracle price replaces the prices of the category's assets; null when unset. */
  readonly priceSource: Address | null;
  /** v3.2+: reserves that count as collateral of the category (bit = reserve id). */
  readonly collateralBitmap: bigint;
  /** v3.6+: reserves whose LTV is zero inside the category. */
  readonly ltvzeroBitmap: bigint;
}

/** v3.0 stable debt: balance = principal.rayMul(compounded(rate, since lastUpdate)). */
export interface StableDebtPosition {
  readonly principal: bigint;
  readonly rate: bigint;
  readonly lastUpdateTimestamp: bigint;
}

export interface AaveUserState {
  readonly userConfig: bigint;
  readonly eModeCategory: number;
  /** Scaled aToken balances by reserve id (only reserves flagged as collateral are read). */
  readonly scaledCollateral: ReadonlyMap<number, bigint>;
  /** Scaled variable-debt balances by reserve id (only reserves flagged as borrowed are read). */
  readonly scaledVariableDebt: ReadonlyMap<number, bigint>;
  readonly stableDebt: ReadonlyMap<number, StableDebtPosition>;
}

/** Everything an evaluation needs about the market at one timestamp; build once per recompute round. */
export class AaveEvaluationContext {
  private readonly incomes = new Map<number, bigint>();
  private readonly debtIndexes = new Map<number, bigint>();

  constructor(
    readonly profile: AaveMathProfile,
    /** Indexed by reserve id; holes for dropped reserves. */
    readonly reserves: readonly (AaveReserve | undefined)[],
    readonly eModeCategories: ReadonlyMap<number, AaveEModeCategory>,
    /** Oracle price in base-currency units, by lower-case asset address. */
    readonly prices: ReadonlyMap<string, bigint>,
    /** Unix seconds at which balances are evaluated. */
    readonly now: bigint,
  ) {}

  income(reserve: AaveReserve): bigint {
    let value = this.incomes.get(reserve.id);
    if (value === undefined) this.incomes.set(reserve.id, (value = normalizedIncome(reserve.index, this.now)));
    return value;
  }

  debtIndex(reserve: AaveReserve): bigint {
    let value = this.debtIndexes.get(reserve.id);
    if (value === undefined) {
      this.debtIndexes.set(reserve.id, (value = normalizedDebt(this.profile, reserve.index, this.now)));
    }
    return value;
  }

  price(asset: string): bigint {
    const price = this.prices.get(asset.toLowerCase());
    if (price === undefined) throw new Error(`aave: no oracle price loaded for ${asset}`);
    return price;
  }
}

export interface ReserveExposure {
  readonly reserve: AaveReserve;
  /** The price the pool used for this reserve (the e-mode price source's on v3.0 when it applies). */
  readonly price: bigint;
  /** Underlying units; 0 when not used as collateral. */
  readonly collateralBalance: bigint;
  readonly collateralBase: bigint;
  /** Effective liquidation threshold / bonus for this user (e-mode's when it applies), bps as stored. */
  readonly liquidationThreshold: number;
  readonly liquidationBonus: number;
  /** Underlying units (variable + stable); 0 when not borrowed. */
  readonly debtBalance: bigint;
  readonly debtBase: bigint;
  readonly countsAsCollateral: boolean;
  readonly isBorrowed: boolean;
}

export interface AaveAccountData {
  readonly totalCollateralBase: bigint;
  readonly totalDebtBase: bigint;
  readonly availableBorrowsBase: bigint;
  /** bps, weighted by collateral value (getUserAccountData's currentLiquidationThreshold). */
  readonly currentLiquidationThreshold: bigint;
  readonly ltv: bigint;
  /** WAD; MAX_UINT256 without debt. */
  readonly healthFactor: bigint;
  readonly exposures: readonly ReserveExposure[];
}

/** StableDebtToken.balanceOf (v3.0/v3.1) at `now`. */
export function stableDebtBalance(profile: AaveMathProfile, position: StableDebtPosition, now: bigint): bigint {
  if (position.principal === 0n) return 0n;
  const growth =
    now <= position.lastUpdateTimestamp
      ? 10n ** 27n
      : calculateCompoundedInterest(profile, position.rate, position.lastUpdateTimestamp, now);
  return rayMul(position.principal, growth);
}

/** The user's account data exactly as the pool computes it at `ctx.now`. */
export function calculateUserAccountData(ctx: AaveEvaluationContext, user: AaveUserState): AaveAccountData {
  const exposures: ReserveExposure[] = [];
  if (user.userConfig === 0n) {
    return {
      totalCollateralBase: 0n,
      totalDebtBase: 0n,
      availableBorrowsBase: 0n,
      currentLiquidationThreshold: 0n,
      ltv: 0n,
      healthFactor: MAX_UINT256,
      exposures,
    };
  }
  const { profile } = ctx;
  const legacyEMode = profile === "v3.0";
  const category = user.eModeCategory !== 0 ? ctx.eModeCategories.get(user.eModeCategory) : undefined;
  if (user.eModeCategory !== 0 && !category) {
    throw new Error(`aave: e-mode category ${user.eModeCategory} is not loaded`);
  }
  // v3.0: the category's price source (when set) prices every asset of the category.
  const eModePrice = legacyEMode && category?.priceSource ? ctx.price(category.priceSource) : 0n;

  let totalCollateralBase = 0n;
  let totalDebtBase = 0n;
  let weightedLtv = 0n;
  let weightedThreshold = 0n;

  for (const id of activeReserveIds(user.userConfig)) {
    const reserve = ctx.reserves[id];
    if (!reserve) continue; // a dropped reserve leaves a hole the pool skips too
    const { params } = reserve;
    const unit = 10n ** BigInt(params.decimals);
    const inLegacyCategory = legacyEMode && user.eModeCategory !== 0 && params.eModeCategory === user.eModeCategory;
    const inBitmapCategory = !legacyEMode && category !== undefined && isReserveEnabledOnBitmap(category.collateralBitmap, id);
    const price = inLegacyCategory && eModePrice !== 0n ? eModePrice : ctx.price(reserve.asset);

    const collateralFlag = isUsingAsCollateral(user.userConfig, id);
    // Up to v3.5 a reserve with LT = 0 is skipped as collateral; v3.6 counts it (and may apply e-mode's LT).
    const countsAsCollateral = collateralFlag && (profile === "v3.6" || params.liquidationThreshold !== 0);
    let collateralBalance = 0n;
    let collateralBase = 0n;
    let threshold = params.liquidationThreshold;
    let bonus = params.liquidationBonus;
    if (countsAsCollateral) {
      const scaled = user.scaledCollateral.get(id) ?? 0n;
      collateralBalance = aTokenBalance(profile, scaled, ctx.income(reserve));
      collateralBase = (collateralBalance * price) / unit;
      totalCollateralBase += collateralBase;
      const inCategory = inLegacyCategory || inBitmapCategory;
      if (inCategory && category) {
        threshold = category.liquidationThreshold;
        bonus = category.liquidationBonus;
      }
      let ltv: number;
      if (profile === "v3.6") {
        ltv = inBitmapCategory && category ? (isReserveEnabledOnBitmap(category.ltvzeroBitmap, id) ? 0 : category.ltv) : params.ltv;
      } else {
        ltv = params.ltv === 0 ? 0 : inCategory && category ? category.ltv : params.ltv;
      }
      weightedLtv += collateralBase * BigInt(ltv);
      weightedThreshold += collateralBase * BigInt(threshold);
    }

    const borrowed = isBorrowing(user.userConfig, id);
    let debtBalance = 0n;
    let debtBase = 0n;
    if (borrowed) {
      const scaledDebt = user.scaledVariableDebt.get(id) ?? 0n;
      debtBalance = variableDebtBalance(profile, scaledDebt, ctx.debtIndex(reserve));
      const stable = user.stableDebt.get(id);
      if (stable) debtBalance += stableDebtBalance(profile, stable, ctx.now);
      debtBase = profile === "v3.5" || profile === "v3.6" ? mulDivCeil(debtBalance, price, unit) : (debtBalance * price) / unit;
      totalDebtBase += debtBase;
    }

    exposures.push({
      reserve,
      price,
      collateralBalance,
      collateralBase,
      liquidationThreshold: threshold,
      liquidationBonus: bonus,
      debtBalance,
      debtBase,
      countsAsCollateral,
      isBorrowed: borrowed,
    });
  }

  let healthFactor: bigint;
  const avgThreshold = totalCollateralBase !== 0n ? weightedThreshold / totalCollateralBase : 0n;
  const avgLtv = totalCollateralBase !== 0n ? weightedLtv / totalCollateralBase : 0n;
  if (totalDebtBase === 0n) {
    healthFactor = MAX_UINT256;
  } else if (profile === "v3.5" || profile === "v3.6") {
    // v3.5+: the weighted sum is divided directly, avoiding the avg-then-percentMul double rounding.
    healthFactor = wadDiv(weightedThreshold, totalDebtBase) / PERCENTAGE_FACTOR;
  } else {
    healthFactor = wadDiv(percentMul(totalCollateralBase, avgThreshold), totalDebtBase);
  }

  // PoolLogic.executeGetUserAccountData → GenericLogic.calculateAvailableBorrows.
  const borrowCapacity =
    profile === "v3.5" || profile === "v3.6" ? (totalCollateralBase * avgLtv) / PERCENTAGE_FACTOR : percentMul(totalCollateralBase, avgLtv);
  const availableBorrowsBase = borrowCapacity > totalDebtBase ? borrowCapacity - totalDebtBase : 0n;

  return {
    totalCollateralBase,
    totalDebtBase,
    availableBorrowsBase,
    currentLiquidationThreshold: avgThreshold,
    ltv: avgLtv,
    healthFactor,
    exposures,
  };
}

/** The highest borrow rate in force, per year as a number (rates are rays): every reserve's variable rate and `stableRate`, the highest v3.0 stable rate any tracked borrower pays. */
export function highestBorrowRate(reserves: Iterable<AaveReserve>, stableRate: bigint): number {
  let max = stableRate;
  for (const { index } of reserves) if (index.currentVariableBorrowRate > max) max = index.currentVariableBorrowRate;
  return Number(max) / 1e27;
}

/** The assets whose oracle price a user's health factor depends on: its active reserves and its e-mode price source. */
export function priceKeysOf(
  user: AaveUserState,
  reserves: readonly (AaveReserve | undefined)[],
  eModes: ReadonlyMap<number, AaveEModeCategory>,
): string[] {
  const keys: string[] = [];
  for (const id of activeReserveIds(user.userConfig)) {
    const reserve = reserves[id];
    if (reserve) keys.push(reserve.asset);
  }
  const source = user.eModeCategory !== 0 ? eModes.get(user.eModeCategory)?.priceSource : null;
  if (source) keys.push(source);
  return keys;
}
