/**
 * Stands up Aave v3.6 (POOL_REVISION 10) from genuine sources (npm @aave-dao/aave-v3-origin 3.6.0, compiled by
 * contracts/test/AaveV36Imports.sol), as Base runs it:
 * - the pool is an L2PoolInstance: Aave's address book lists an L2_ENCODER for AaveV3Base (0x39e9…78E2), the helper
 *   that exists only for L2Pool's packed-calldata entry points, and upstream's deployment procedures
 *   (src/deployments, AaveV3L2PoolProcedure) deploy L2PoolInstance wherever `l2PoolsEnabled` is set, as for Base.
 *   L2Pool only adds those entry points; `liquidationCall`, `flashLoan` & co. are Pool's.
 * - one DefaultReserveInterestRateStrategyV2 serves every reserve (v3.4+ pools take it in their constructor; each
 *   reserve's curve is data passed at listing);
 * - aTokens carry the treasury as an immutable (the deployer, as in the v3.0.2 market).
 * Order: provider + ACL, rate strategy, logic libraries, pool (the provider creates and initialises the proxy),
 * configurator, data provider, oracle, token implementations, reserves, risk parameters, e-mode, flash premium.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { AbiCoder } from "ethers";
import {
  AaveOracle__factory,
  AaveProtocolDataProvider__factory,
  AaveV36ACLManager__factory,
  AaveV36Oracle__factory,
  AaveV36PoolAddressesProvider__factory,
  AaveV36ProtocolDataProvider__factory,
  ATokenInstance__factory,
  DefaultReserveInterestRateStrategyV2__factory,
  L2PoolInstance__factory,
  PoolAddressesProvider__factory,
  PoolConfiguratorInstance__factory,
  Pool__factory,
  VariableDebtTokenInstance__factory,
} from "../typechain-types";
import {
  BorrowLogic__factory,
  ConfiguratorLogic__factory,
  FlashLoanLogic__factory,
  LiquidationLogic__factory,
  PoolLogic__factory,
  SupplyLogic__factory,
} from "../typechain-types/factories/artifacts/@aave-dao/aave-v3-origin/src/contracts/protocol/libraries/logic";
import type { Address } from "../keeper/config/address-book";
import { deployedAddress, listedAsset, mined, type AaveMarketListing, type DeployedAaveMarket } from "./aave-listing";
import { aaveOracleArguments, collateralParametersBps, configureReserveRisk, reserveTokenNames } from "./aave-reserve-setup";
import { AAVE_FLASH_PREMIUM_BPS, percentToBps, type SandboxReserveSpec } from "./market-spec";

const LOGIC = "@aave-dao/aave-v3-origin/src/contracts/protocol/libraries/logic";
const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

/** IDefaultInterestRateStrategyV2.InterestRateData, ABI-encoded: every field in bps. */
function interestRateData(spec: SandboxReserveSpec): string {
  return AbiCoder.defaultAbiCoder().encode(
    ["tuple(uint16 optimalUsageRatio, uint32 baseVariableBorrowRate, uint32 variableRateSlope1, uint32 variableRateSlope2)"],
    [
      [
        percentToBps(spec.rates.optimalUsagePercent),
        percentToBps(spec.rates.baseVariablePercent),
        percentToBps(spec.rates.slope1Percent),
        percentToBps(spec.rates.slope2Percent),
      ],
    ],
  );
}

/** Deploys the whole Aave v3.6 market and lists the reserves with the admin rights held by `deployer`. */
export async function deployAaveV36Market(deployer: HardhatEthersSigner, listing: AaveMarketListing): Promise<DeployedAaveMarket> {
  const { reserves } = listing;

  // 1. Provider and access control: the deployer is ACL admin and pool admin.
  const provider = await deployedAddress(new AaveV36PoolAddressesProvider__factory(deployer).deploy("Chimera Sandbox", deployer.address));
  const addressesProvider = AaveV36PoolAddressesProvider__factory.connect(provider, deployer);
  await mined(addressesProvider.setACLAdmin(deployer.address));
  const aclManager = await deployedAddress(new AaveV36ACLManager__factory(deployer).deploy(provider));
  await mined(addressesProvider.setACLManager(aclManager));
  await mined(AaveV36ACLManager__factory.connect(aclManager, deployer).addPoolAdmin(deployer.address));

  // 2. The rate strategy every reserve shares, and the logic libraries (FlashLoanLogic links BorrowLogic).
  const rateStrategy = await deployedAddress(new DefaultReserveInterestRateStrategyV2__factory(deployer).deploy(provider));
  const borrowLogic = await deployedAddress(new BorrowLogic__factory(deployer).deploy());
  const libraries = {
    [`${LOGIC}/BorrowLogic.sol:BorrowLogic`]: borrowLogic,
    [`${LOGIC}/FlashLoanLogic.sol:FlashLoanLogic`]: await deployedAddress(
      new FlashLoanLogic__factory({ [`${LOGIC}/BorrowLogic.sol:BorrowLogic`]: borrowLogic }, deployer).deploy(),
    ),
    [`${LOGIC}/LiquidationLogic.sol:LiquidationLogic`]: await deployedAddress(new LiquidationLogic__factory(deployer).deploy()),
    [`${LOGIC}/PoolLogic.sol:PoolLogic`]: await deployedAddress(new PoolLogic__factory(deployer).deploy()),
    [`${LOGIC}/SupplyLogic.sol:SupplyLogic`]: await deployedAddress(new SupplyLogic__factory(deployer).deploy()),
  } as const;

  // 3. Pool and configurator implementations (v3.6 implementations mark themselves initialised in their constructor);
  //    the provider deploys the proxies and initialises them.
  const poolImplementation = await deployedAddress(new L2PoolInstance__factory(libraries, deployer).deploy(provider, rateStrategy));
  await mined(addressesProvider.setPoolImpl(poolImplementation));
  const poolAddress = (await addressesProvider.getPool()) as Address;
  const deployBlock = await deployer.provider.getBlockNumber();

  const configuratorImplementation = await deployedAddress(
    new PoolConfiguratorInstance__factory(
      { [`${LOGIC}/ConfiguratorLogic.sol:ConfiguratorLogic`]: await deployedAddress(new ConfiguratorLogic__factory(deployer).deploy()) },
      deployer,
    ).deploy(),
  );
  await mined(addressesProvider.setPoolConfiguratorImpl(configuratorImplementation));
  const configurator = PoolConfiguratorInstance__factory.connect(await addressesProvider.getPoolConfigurator(), deployer);

  const dataProvider = await deployedAddress(new AaveV36ProtocolDataProvider__factory(deployer).deploy(provider));
  await mined(addressesProvider.setPoolDataProvider(dataProvider));

  // 4. Oracle: USD base currency (address 0, unit 1e8), one Chainlink source per asset, no fallback.
  const oracle = await deployedAddress(new AaveV36Oracle__factory(deployer).deploy(...aaveOracleArguments(provider, reserves)));
  await mined(addressesProvider.setPriceOracle(oracle));

  // 5. Reserves: shared token implementations (no incentives controller), each reserve's rate curve as data.
  const aTokenImpl = await deployedAddress(new ATokenInstance__factory(deployer).deploy(poolAddress, ZERO_ADDRESS, deployer.address));
  const variableDebtImpl = await deployedAddress(new VariableDebtTokenInstance__factory(deployer).deploy(poolAddress, ZERO_ADDRESS));
  await mined(
    configurator.initReserves(
      reserves.map(({ spec, asset }) => ({
        aTokenImpl,
        variableDebtTokenImpl: variableDebtImpl,
        underlyingAsset: asset,
        ...reserveTokenNames(spec),
        params: "0x",
        interestRateData: interestRateData(spec),
      })),
    ),
  );

  // 6. Risk parameters and flash loans (off until enabled; premium 0 until set).
  await configureReserveRisk(configurator, reserves);
  await mined(configurator.updateFlashloanPremium(AAVE_FLASH_PREMIUM_BPS));

  // 7. E-mode: v3.2+ categories hold a collateral bitmap and a borrowable bitmap; no price source any more.
  for (const eMode of listing.eModes) {
    await mined(configurator.setEModeCategory(eMode.id, ...collateralParametersBps(eMode), eMode.label));
    for (const symbol of eMode.collateral)
      await mined(configurator.setAssetCollateralInEMode(listedAsset(listing, symbol), eMode.id, true));
    for (const symbol of eMode.borrowable)
      await mined(configurator.setAssetBorrowableInEMode(listedAsset(listing, symbol), eMode.id, true));
  }

  const l2Pool = L2PoolInstance__factory.connect(poolAddress, deployer);
  return {
    aave: {
      version: "v3.6",
      revision: Number(await l2Pool.POOL_REVISION()),
      // The functions both versions share have identical ABIs (test/unit/sandbox-aave-versions.test.ts checks), so the
      // common handles use the v3.0.2 bindings; `l2Pool` and `configurator` speak v3.6's own ABI.
      addressesProvider: PoolAddressesProvider__factory.connect(provider, deployer),
      pool: Pool__factory.connect(poolAddress, deployer),
      oracle: AaveOracle__factory.connect(oracle, deployer),
      dataProvider: AaveProtocolDataProvider__factory.connect(dataProvider, deployer),
      configurator,
      l2Pool,
    },
    deployBlock,
  };
}
