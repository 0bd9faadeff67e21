/**
 * Decoding what the Aave V3 Pool returns about its reserves and e-mode categories. Read for the rules:
 * @aave/core-v3 1.19.3 (v3.0.2) and aave-dao/aave-v3-origin (v3.2+) IPool.sol / DataTypes.sol.
 */
import { L2PoolInstance__factory, Pool__factory } from "../../../typechain-types";
import type { Address } from "../../config/address-book";
import { decodeAddressWord, decodeUintWord, type MulticallCall, type Multicall3Client } from "../../chain/multicall";
import { returnDataOf } from "../multicall-results";
import { lowerAddress } from "../tracked-lending-market";
import type { AaveEModeCategory, AaveReserve } from "./account-data";
import { decodeReserveConfiguration } from "./reserve-configuration";

/**
 * Getters added in Aave v3.1/v3.2 (liquidation grace periods, the e-mode bitmaps), from the genuine v3.6 pool
 * (npm @aave-dao/aave-v3-origin, compiled by contracts/test/AaveV36Imports.sol); the npm v3.0.2 artifacts behind
 * Pool__factory predate them.
 */
const poolV36Iface = L2PoolInstance__factory.createInterface();

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";
const poolIface = Pool__factory.createInterface();

/** v3.0 only: the reserves whose stable debt can matter (stable borrowing on, or stable debt outstanding). */
export async function readStableReserveIds(
  multicall: Multicall3Client,
  reserves: readonly AaveReserve[],
  totalSupplySelector: string,
  blockTag: number,
): Promise<Set<number>> {
  const withStable = reserves.filter((r) => r.stableDebtToken !== ZERO_ADDRESS);
  const supplies = await multicall.aggregate3(
    withStable.map((r) => ({ target: r.stableDebtToken, callData: totalSupplySelector })),
    blockTag,
  );
  const ids = new Set<number>();
  withStable.forEach((reserve, i) => {
    const hasSupply = supplies[i].success && supplies[i].returnData.length >= 66 && decodeUintWord(supplies[i].returnData) > 0n;
    if (hasSupply || reserve.params.stableBorrowingEnabled) ids.add(reserve.id);
  });
  return ids;
}

/** getReserveData's struct is all static words: configuration, indexes, rates, timestamp, id, token addresses. */
export function decodeReserveData(asset: Address, data: string): AaveReserve {
  const configuration = decodeUintWord(data, 0);
  return {
    asset,
    id: Number(decodeUintWord(data, 7)),
    params: decodeReserveConfiguration(configuration),
    index: {
      liquidityIndex: decodeUintWord(data, 1),
      currentLiquidityRate: decodeUintWord(data, 2),
      variableBorrowIndex: decodeUintWord(data, 3),
      currentVariableBorrowRate: decodeUintWord(data, 4),
      lastUpdateTimestamp: decodeUintWord(data, 6),
    },
    aToken: lowerAddress(decodeAddressWord(data, 8)),
    stableDebtToken: lowerAddress(decodeAddressWord(data, 9)),
    variableDebtToken: lowerAddress(decodeAddressWord(data, 10)),
  };
}

/**
 * The e-mode categories `ids` in one Multicall3 batch. `legacy` (v3.0/v3.1): a category has an optional
 * price source and applies by per-reserve assignment; from v3.2 it applies by collateral bitmap (and,
 * from v3.6, an LTV-zero bitmap).
 */
export async function readEModeCategories(
  multicall: Multicall3Client,
  pool: Address,
  ids: readonly number[],
  legacy: boolean,
  blockTag: number,
): Promise<AaveEModeCategory[]> {
  const calls: MulticallCall[] = [];
  for (const id of ids) {
    calls.push({ target: pool, callData: poolIface.encodeFunctionData("getEModeCategoryData", [id]) });
    if (!legacy) {
      calls.push({ target: pool, callData: poolV36Iface.encodeFunctionData("getEModeCategoryCollateralBitmap", [id]) });
      calls.push({ target: pool, callData: poolV36Iface.encodeFunctionData("getEModeCategoryLtvzeroBitmap", [id]) });
    }
  }
  const results = await multicall.aggregate3(calls, blockTag);
  const stride = legacy ? 1 : 3;
  return ids.map((id, i) => {
    const data = returnDataOf(results[i * stride], `Pool.getEModeCategoryData(${id})`);
    const category = poolIface.decodeFunctionResult("getEModeCategoryData", data)[0];
    const priceSource = lowerAddress(category.priceSource as string);
    let collateralBitmap = 0n;
    let ltvzeroBitmap = 0n;
    if (!legacy) {
      collateralBitmap = decodeUintWord(returnDataOf(results[i * stride + 1], `Pool.getEModeCategoryCollateralBitmap(${id})`));
      // Only v3.6+ pools have the LTV-zero bitmap; older ones revert, which means "none".
      const ltvzero = results[i * stride + 2];
      ltvzeroBitmap = ltvzero.success && ltvzero.returnData.length >= 66 ? decodeUintWord(ltvzero.returnData) : 0n;
    }
    return {
      id,
      ltv: Number(category.ltv),
      liquidationThreshold: Number(category.liquidationThreshold),
      liquidationBonus: Number(category.liquidationBonus),
      priceSource: legacy && priceSource !== ZERO_ADDRESS ? priceSource : null,
      collateralBitmap,
      ltvzeroBitmap,
    };
  });
}

/** Liquidation grace periods (v3.1+, POOL_REVISION 4): the pool refuses liquidations of a reserve until then. */
const FIRST_REVISION_WITH_GRACE_PERIODS = 4;

/**
 * Unix time until which each reserve (lower-case asset) refuses liquidations; absent = none. Grace
 * periods change only through the configurator (setReservePause with a grace period, whose events
 * reload the market) and expire with time, so they are read with the reserves.
 */
export async function readLiquidationGracePeriods(
  multicall: Multicall3Client,
  pool: Address,
  assets: readonly Address[],
  revision: number,
  blockTag: number,
): Promise<Map<string, bigint>> {
  const periods = new Map<string, bigint>();
  if (revision < FIRST_REVISION_WITH_GRACE_PERIODS) return periods;
  const results = await multicall.aggregate3Strict(
    assets.map((asset) => ({
      target: pool,
      callData: poolV36Iface.encodeFunctionData("getLiquidationGracePeriod", [asset]),
      label: `Pool.getLiquidationGracePeriod(${asset})`,
    })),
    blockTag,
  );
  assets.forEach((asset, i) => {
    const until = decodeUintWord(results[i]);
    if (until !== 0n) periods.set(asset, until);
  });
  return periods;
}
