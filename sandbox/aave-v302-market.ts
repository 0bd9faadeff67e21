/**
 * Stands up Aave V3 (v3.0.2, genuine @aave/core-v3 bytecode) the way TOOLCHAIN.md's verified recipe does: logic
 * libraries, provider + ACL, Pool and PoolConfigurator behind the provider's proxies, Chainlink-fed AaveOracle, then
 * the reserves with Base-like risk parameters, the e-mode category, and flash loans on at 5 bps. The sandbox's second
 * Aave market (aave-market.ts), for version-specific tests.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import {
  ACLManager__factory,
  AToken__factory,
  AaveOracle__factory,
  AaveProtocolDataProvider__factory,
  DefaultReserveInterestRateStrategy__factory,
  PoolAddressesProvider__factory,
  PoolConfigurator__factory,
  Pool__factory,
  StableDebtToken__factory,
  VariableDebtToken__factory,
} from "../typechain-types";
// Imported by path: the root-level names of the logic libraries are Aave v3.6's (tasks/aave-origin-compile.ts).
import {
  BorrowLogic__factory,
  BridgeLogic__factory,
  ConfiguratorLogic__factory,
  EModeLogic__factory,
  FlashLoanLogic__factory,
  LiquidationLogic__factory,
  PoolLogic__factory,
  SupplyLogic__factory,
} from "../typechain-types/factories/node_modules/@aave/core-v3/artifacts/contracts/protocol/libraries/logic";
import type { Address } from "../keeper/config/address-book";
import { deployedAddress, listedAsset, mined, type AaveMarketListing, type DeployedAaveMarket } from "./aave-listing";
import { aaveOracleArguments, collateralParametersBps, configureReserveRisk, reserveTokenNames } from "./aave-reserve-setup";
import { AAVE_FLASH_PREMIUM_BPS } from "./market-spec";

const LOGIC = "contracts/protocol/libraries/logic";
const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";
const RAY_PER_PERCENT = 10n ** 25n;

function rayFromPercent(percent: number): bigint {
  // Percent with up to 2 decimals (2.7%) -> ray, exactly.
  return (BigInt(Math.round(percent * 100)) * RAY_PER_PERCENT) / 100n;
}

/** Deploys the whole Aave v3.0.2 market and lists the reserves with the admin rights held by `deployer`. */
export async function deployAaveV302Market(deployer: HardhatEthersSigner, listing: AaveMarketListing): Promise<DeployedAaveMarket> {
  const { reserves } = listing;
  // 1. Logic libraries; FlashLoanLogic calls into BorrowLogic, so it is linked to it.
  const borrowLogic = await deployedAddress(new BorrowLogic__factory(deployer).deploy());
  const libraries = {
    [`${LOGIC}/LiquidationLogic.sol:LiquidationLogic`]: await deployedAddress(new LiquidationLogic__factory(deployer).deploy()),
    [`${LOGIC}/SupplyLogic.sol:SupplyLogic`]: await deployedAddress(new SupplyLogic__factory(deployer).deploy()),
    [`${LOGIC}/EModeLogic.sol:EModeLogic`]: await deployedAddress(new EModeLogic__factory(deployer).deploy()),
    [`${LOGIC}/BorrowLogic.sol:BorrowLogic`]: borrowLogic,
    [`${LOGIC}/FlashLoanLogic.sol:FlashLoanLogic`]: await deployedAddress(
      new FlashLoanLogic__factory({ [`${LOGIC}/BorrowLogic.sol:BorrowLogic`]: borrowLogic }, deployer).deploy(),
    ),
    [`${LOGIC}/PoolLogic.sol:PoolLogic`]: await deployedAddress(new PoolLogic__factory(deployer).deploy()),
    [`${LOGIC}/BridgeLogic.sol:BridgeLogic`]: await deployedAddress(new BridgeLogic__factory(deployer).deploy()),
  } as const;
  const configuratorLogic = await deployedAddress(new ConfiguratorLogic__factory(deployer).deploy());

  // 2. Provider and access control: the deployer is ACL admin and pool admin.
  const addressesProvider = await new PoolAddressesProvider__factory(deployer).deploy("Chimera Sandbox", deployer.address);
  await addressesProvider.waitForDeployment();
  const providerAddress = addressesProvider.target as Address;
  await mined(addressesProvider.setACLAdmin(deployer.address));
  const aclManager = await deployedAddress(new ACLManager__factory(deployer).deploy(providerAddress));
  await mined(addressesProvider.setACLManager(aclManager));
  await mined(ACLManager__factory.connect(aclManager, deployer).addPoolAdmin(deployer.address));

  // 3. Pool and configurator implementations; the provider deploys the proxies and initialises them.
  const poolImplementation = await new Pool__factory(libraries, deployer).deploy(providerAddress);
  await poolImplementation.waitForDeployment();
  await mined(poolImplementation.initialize(providerAddress));
  await mined(addressesProvider.setPoolImpl(await poolImplementation.getAddress()));
  const pool = Pool__factory.connect(await addressesProvider.getPool(), deployer);
  const deployBlock = await deployer.provider.getBlockNumber();

  const configuratorImplementation = await new PoolConfigurator__factory(
    { "contracts/protocol/libraries/logic/ConfiguratorLogic.sol:ConfiguratorLogic": configuratorLogic },
    deployer,
  ).deploy();
  await configuratorImplementation.waitForDeployment();
  await mined(configuratorImplementation.initialize(providerAddress));
  await mined(addressesProvider.setPoolConfiguratorImpl(await configuratorImplementation.getAddress()));
  const configurator = PoolConfigurator__factory.connect(await addressesProvider.getPoolConfigurator(), deployer);

  const dataProviderAddress = await deployedAddress(new AaveProtocolDataProvider__factory(deployer).deploy(providerAddress));
  await mined(addressesProvider.setPoolDataProvider(dataProviderAddress));

  // 4. Oracle: USD base currency (address 0, unit 1e8), one Chainlink source per asset, no fallback.
  const oracleAddress = await deployedAddress(new AaveOracle__factory(deployer).deploy(...aaveOracleArguments(providerAddress, reserves)));
  await mined(addressesProvider.setPriceOracle(oracleAddress));

  // 5. Reserves: shared token implementations, one rate strategy per reserve, listed in one transaction.
  const poolAddress = await pool.getAddress();
  const aTokenImpl = await deployedAddress(new AToken__factory(deployer).deploy(poolAddress));
  const stableDebtImpl = await deployedAddress(new StableDebtToken__factory(deployer).deploy(poolAddress));
  const variableDebtImpl = await deployedAddress(new VariableDebtToken__factory(deployer).deploy(poolAddress));
  const inputs = [];
  for (const { spec, asset } of reserves) {
    const strategy = await deployedAddress(
      new DefaultReserveInterestRateStrategy__factory(deployer).deploy(
        providerAddress,
        rayFromPercent(spec.rates.optimalUsagePercent),
        rayFromPercent(spec.rates.baseVariablePercent),
        rayFromPercent(spec.rates.slope1Percent),
        rayFromPercent(spec.rates.slope2Percent),
        // Stable borrowing stays disabled; its curve only has to be valid.
        0n,
        0n,
        0n,
        0n,
        rayFromPercent(20),
      ),
    );
    inputs.push({
      aTokenImpl,
      stableDebtTokenImpl: stableDebtImpl,
      variableDebtTokenImpl: variableDebtImpl,
      underlyingAssetDecimals: spec.decimals,
      interestRateStrategyAddress: strategy,
      underlyingAsset: asset,
      treasury: deployer.address,
      incentivesController: ZERO_ADDRESS,
      ...reserveTokenNames(spec),
      stableDebtTokenName: `Aave Sandbox Stable Debt ${spec.symbol}`,
      stableDebtTokenSymbol: `stableDebtSbx${spec.symbol}`,
      params: "0x",
    });
  }
  await mined(configurator.initReserves(inputs));

  // 6. Risk parameters and flash loans (off until enabled; premium 0 until set).
  await configureReserveRisk(configurator, reserves);
  await mined(configurator.updateFlashloanPremiumTotal(AAVE_FLASH_PREMIUM_BPS));

  // 7. E-mode: v3.0 assigns each asset to one category; the category may name a price source (none here, as on Base).
  for (const eMode of listing.eModes) {
    await mined(configurator.setEModeCategory(eMode.id, ...collateralParametersBps(eMode), ZERO_ADDRESS, eMode.label));
    for (const symbol of new Set([...eMode.collateral, ...eMode.borrowable])) {
      await mined(configurator.setAssetEModeCategory(listedAsset(listing, symbol), eMode.id));
    }
  }

  return {
    aave: {
      version: "v3.0.2",
      revision: Number(await pool.POOL_REVISION()),
      addressesProvider,
      pool,
      oracle: AaveOracle__factory.connect(oracleAddress, deployer),
      dataProvider: AaveProtocolDataProvider__factory.connect(dataProviderAddress, deployer),
      configurator,
    },
    deployBlock,
  };
}
