/**
 * Function selectors the Aave V3 plug-in encodes calls with by hand (selector ‖ one address argument,
 * keeper/chain/multicall.ts), and the errors its simulations decode, taken from the TypeChain bindings of the
 * genuine npm artifacts.
 */
import {
  AaveOracle__factory,
  AToken__factory,
  L2PoolInstance__factory,
  LiquidationLogic__factory,
  Pool__factory,
  StableDebtToken__factory,
} from "../../../typechain-types";
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

/**
 * Since v3.4 the pool reverts with custom errors: the pool's own and, for liquidations, those of LiquidationLogic (a
 * library the pool delegates to, so its errors are not in the pool's ABI). v3.0's numeric strings need neither.
 */
export const AAVE_REVERT_ERRORS = [L2PoolInstance__factory.createInterface(), LiquidationLogic__factory.createInterface()];
