/**
 * Aave V3 supply and borrow caps on the fork. A reserve sitting at its cap at the pinned block would refuse the
 * scenario's fresh position for a reason that has nothing to do with liquidations, so when less than the scenario
 * needs is left under a cap, the pool admin (impersonated, the same account that moves oracle sources) lifts it with
 * PoolConfigurator.setSupplyCap / setBorrowCap (`onlyRiskOrPoolAdmins`), and says so.
 */
import hre from "hardhat";
import type { Signer } from "ethers";
import {
  AaveProtocolDataProvider__factory,
  IERC20__factory,
  IERC20Metadata__factory,
  Pool__factory,
  PoolAddressesProvider__factory,
  PoolConfigurator__factory,
} from "../../../typechain-types";
import type { AaveV3Market, Address } from "../../../keeper/config/address-book";

export interface CapNeed {
  readonly asset: Address;
  readonly symbol: string;
  /** Whole tokens the scenarios may supply / borrow on top of what the reserve already has. */
  readonly supply?: bigint;
  readonly borrow?: bigint;
}

export async function ensureAaveCapHeadroom(config: AaveV3Market, poolAdmin: Signer, needs: readonly CapNeed[]): Promise<void> {
  const provider = PoolAddressesProvider__factory.connect(config.addressesProvider, hre.ethers.provider);
  const [poolAddress, dataProviderAddress, configuratorAddress] = await Promise.all([
    provider.getPool(),
    provider.getPoolDataProvider(),
    provider.getPoolConfigurator(),
  ]);
  const pool = Pool__factory.connect(poolAddress, hre.ethers.provider);
  const dataProvider = AaveProtocolDataProvider__factory.connect(dataProviderAddress, hre.ethers.provider);
  const configurator = PoolConfigurator__factory.connect(configuratorAddress, poolAdmin);
  for (const need of needs) {
    const { borrowCap, supplyCap } = await dataProvider.getReserveCaps(need.asset);
    const reserve = await pool.getReserveData(need.asset);
    const unit = 10n ** (await IERC20Metadata__factory.connect(need.asset, hre.ethers.provider).decimals());
    if (need.supply !== undefined && supplyCap !== 0n) {
      const supplied = (await IERC20__factory.connect(reserve.aTokenAddress, hre.ethers.provider).totalSupply()) / unit;
      if (supplied + need.supply >= supplyCap) {
        await (await configurator.setSupplyCap(need.asset, 0n)).wait();
        console.log(
          `    note: Aave ${need.symbol} supply cap ${supplyCap} had less than ${need.supply} left (${supplied} supplied); the fork lifted it`,
        );
      }
    }
    if (need.borrow !== undefined && borrowCap !== 0n) {
      const borrowed = (await IERC20__factory.connect(reserve.variableDebtTokenAddress, hre.ethers.provider).totalSupply()) / unit;
      if (borrowed + need.borrow >= borrowCap) {
        await (await configurator.setBorrowCap(need.asset, 0n)).wait();
        console.log(
          `    note: Aave ${need.symbol} borrow cap ${borrowCap} had less than ${need.borrow} left (${borrowed} borrowed); the fork lifted it`,
        );
      }
    }
  }
}
