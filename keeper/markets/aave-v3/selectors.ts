/**
 * Function selectors the Aave V3 plug-in encodes calls with by hand (selector ‖ one address argument,
 * keeper/chain/multicall.ts), taken from the TypeChain bindings of the genuine npm artifacts.
 */
import { AaveOracle__factory, AToken__factory, Pool__factory, StableDebtToken__factory } from "../../../typechain-types";
import type { AaveReaderSelectors } from "./position-reader";

export interface AaveSelectors extends AaveReaderSelectors {
  readonly getReserveData: string;
  readonly getAssetPrice: string;
  readonly totalSupply: string;
}

const pool = Pool__factory.createInterface();
const stableDebt = StableDebtToken__factory.createInterface();

export const AAVE_SELECTORS: AaveSelectors = {
  getUserConfiguration: pool.getFunction("getUserConfiguration").selector,
  getUserEMode: pool.getFunction("getUserEMode").selector,
  getReserveData: pool.getFunction("getReserveData").selector,
  getAssetPrice: AaveOracle__factory.createInterface().getFunction("getAssetPrice").selector,
  scaledBalanceOf: AToken__factory.createInterface().getFunction("scaledBalanceOf").selector,
  principalBalanceOf: stableDebt.getFunction("principalBalanceOf").selector,
  getUserStableRate: stableDebt.getFunction("getUserStableRate").selector,
  getUserLastUpdated: stableDebt.getFunction("getUserLastUpdated").selector,
  totalSupply: stableDebt.getFunction("totalSupply").selector,
};
