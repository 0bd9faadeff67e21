/**
 * The reserve set-up both Aave deployers (aave-v302-market.ts, aave-v36-market.ts) do alike: the oracle's
 * constructor arguments, the reserve tokens' names, the LTV/threshold/bonus encoding reserves and e-mode categories
 * share, and each reserve's risk parameters and flash-loan switch. The configurator setters used here have the same
 * signatures in v3.0.2 and v3.6 (both TypeChain bindings must satisfy ReserveRiskConfigurator, which the compiler
 * checks), so one routine drives either version's configurator; what differs (token implementations, rate
 * strategies, the e-mode setters, the flash premium setter) stays in each deployer.
 */
import type { ContractTransactionResponse } from "ethers";
import type { Address } from "../keeper/config/address-book";
import { mined, type AaveReserveListing } from "./aave-listing";
import { percentToBps, type SandboxReserveSpec } from "./market-spec";

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";
/** Aave's oracle quotes in USD with 8 decimals (BASE_CURRENCY address 0, BASE_CURRENCY_UNIT 1e8), as on Base. */
const USD_BASE_CURRENCY_UNIT = 100_000_000n;

/** The reserve risk setters of PoolConfigurator (v3.0.2) and PoolConfiguratorInstance (v3.6) alike. */
export interface ReserveRiskConfigurator {
  configureReserveAsCollateral(asset: Address, ltv: bigint, threshold: bigint, bonus: bigint): Promise<ContractTransactionResponse>;
  setReserveBorrowing(asset: Address, enabled: boolean): Promise<ContractTransactionResponse>;
  setReserveFlashLoaning(asset: Address, enabled: boolean): Promise<ContractTransactionResponse>;
  setReserveFactor(asset: Address, reserveFactor: bigint): Promise<ContractTransactionResponse>;
  setLiquidationProtocolFee(asset: Address, fee: bigint): Promise<ContractTransactionResponse>;
}

/**
 * AaveOracle's constructor arguments: one Chainlink source per asset, no fallback oracle, USD base currency. The
 * same in both versions (AaveOracle did not change between them).
 */
export function aaveOracleArguments(
  provider: Address,
  reserves: readonly AaveReserveListing[],
): [provider: Address, assets: Address[], sources: Address[], fallbackOracle: Address, baseCurrency: Address, baseCurrencyUnit: bigint] {
  return [provider, reserves.map((r) => r.asset), reserves.map((r) => r.priceSource), ZERO_ADDRESS, ZERO_ADDRESS, USD_BASE_CURRENCY_UNIT];
}

/** The names and symbols of a reserve's aToken and variable-debt token. */
export function reserveTokenNames(spec: SandboxReserveSpec): {
  aTokenName: string;
  aTokenSymbol: string;
  variableDebtTokenName: string;
  variableDebtTokenSymbol: string;
} {
  return {
    aTokenName: `Aave Sandbox ${spec.symbol}`,
    aTokenSymbol: `aSbx${spec.symbol}`,
    variableDebtTokenName: `Aave Sandbox Variable Debt ${spec.symbol}`,
    variableDebtTokenSymbol: `variableDebtSbx${spec.symbol}`,
  };
}

/** The percentages a reserve or an e-mode category is listed with. */
interface CollateralPercents {
  readonly ltvPercent: number;
  readonly liquidationThresholdPercent: number;
  readonly liquidationBonusPercent: number;
}

/**
 * LTV, liquidation threshold and liquidation bonus as Aave's configurator takes them, for a reserve and an e-mode
 * category alike: basis points, the bonus on top of the 100% the liquidator is repaid (5% → 10_500).
 */
export function collateralParametersBps(percents: CollateralPercents): [ltv: bigint, threshold: bigint, bonus: bigint] {
  return [
    percentToBps(percents.ltvPercent),
    percentToBps(percents.liquidationThresholdPercent),
    10_000n + percentToBps(percents.liquidationBonusPercent),
  ];
}

/**
 * Each listed reserve's risk parameters (LTV, liquidation threshold and bonus, borrowing, reserve factor, liquidation
 * protocol fee) and flash loans switched on. A freshly listed reserve has flash loans off and every parameter 0.
 */
export async function configureReserveRisk(configurator: ReserveRiskConfigurator, reserves: readonly AaveReserveListing[]): Promise<void> {
  for (const { spec, asset } of reserves) {
    await mined(configurator.configureReserveAsCollateral(asset, ...collateralParametersBps(spec)));
    await mined(configurator.setReserveBorrowing(asset, spec.borrowingEnabled));
    await mined(configurator.setReserveFlashLoaning(asset, true));
    await mined(configurator.setReserveFactor(asset, percentToBps(spec.reserveFactorPercent)));
    await mined(configurator.setLiquidationProtocolFee(asset, percentToBps(spec.liquidationProtocolFeePercent)));
  }
}
