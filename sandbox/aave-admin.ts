/**
 * Admin actions on the sandbox's Aave market that the two versions spell differently (their configurators differ).
 * Tests and scenarios call these instead of the configurator, so they run unchanged on "v3.6" and "v3.0.2".
 * The sandbox deployer holds every Aave admin role.
 */
import { AbiCoder } from "ethers";
import {
  AToken__factory,
  ATokenInstance__factory,
  DefaultReserveInterestRateStrategy__factory,
  MintableERC20__factory,
  StableDebtToken__factory,
  VariableDebtToken__factory,
  VariableDebtTokenInstance__factory,
} from "../typechain-types";
import type { Address } from "../keeper/config/address-book";
import { deployedAddress, mined } from "./aave-listing";
import type { Sandbox } from "./sandbox-types";

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";
const RAY_PER_BPS = 10n ** 23n;

/** Sets the flash-loan premium (bps of the amount): `updateFlashloanPremium` on v3.6, `…PremiumTotal` on v3.0.2. */
export async function setAaveFlashPremium(sandbox: Sandbox, bps: number | bigint): Promise<void> {
  const { aave, deployer } = sandbox;
  if (aave.version === "v3.6") await mined(aave.configurator.connect(deployer).updateFlashloanPremium(bps));
  else await mined(aave.configurator.connect(deployer).updateFlashloanPremiumTotal(bps));
}

/** A reserve to add to the sandbox's Aave market after it was built (an attack token, an extra asset). */
export interface ExtraAaveReserve {
  readonly asset: Address;
  /** Used in the aToken / debt-token names. */
  readonly symbol: string;
  /** Variable-rate curve in bps; defaults to 80% optimal, 0 base, 4% slope 1, 60% slope 2. */
  readonly rates?: { readonly optimalUsageBps: number; readonly baseBps: number; readonly slope1Bps: number; readonly slope2Bps: number };
  readonly flashLoaning?: boolean;
}

/**
 * Lists `reserve` with fresh token implementations of the market's own version (the treasury is the deployer, no
 * incentives controller). Not enabled as collateral nor borrowable: callers configure what they need.
 */
export async function listAaveReserve(sandbox: Sandbox, reserve: ExtraAaveReserve): Promise<void> {
  const { aave, deployer } = sandbox;
  const pool = (await aave.pool.getAddress()) as Address;
  const rates = reserve.rates ?? { optimalUsageBps: 8_000, baseBps: 0, slope1Bps: 400, slope2Bps: 6_000 };
  const names = {
    aTokenName: `Aave Sandbox ${reserve.symbol}`,
    aTokenSymbol: `aSbx${reserve.symbol}`,
    variableDebtTokenName: `Aave Sandbox Variable Debt ${reserve.symbol}`,
    variableDebtTokenSymbol: `variableDebtSbx${reserve.symbol}`,
  };
  if (aave.version === "v3.6") {
    const aTokenImpl = await deployedAddress(new ATokenInstance__factory(deployer).deploy(pool, ZERO_ADDRESS, deployer.address));
    const variableDebtTokenImpl = await deployedAddress(new VariableDebtTokenInstance__factory(deployer).deploy(pool, ZERO_ADDRESS));
    const interestRateData = AbiCoder.defaultAbiCoder().encode(
      ["tuple(uint16, uint32, uint32, uint32)"],
      [[rates.optimalUsageBps, rates.baseBps, rates.slope1Bps, rates.slope2Bps]],
    );
    await mined(
      aave.configurator
        .connect(deployer)
        .initReserves([{ aTokenImpl, variableDebtTokenImpl, underlyingAsset: reserve.asset, ...names, params: "0x", interestRateData }]),
    );
  } else {
    // PoolAddressesProvider has its own getAddress(bytes32), which shadows ethers' getAddress().
    const provider = aave.addressesProvider.target as string;
    const strategy = await deployedAddress(
      new DefaultReserveInterestRateStrategy__factory(deployer).deploy(
        provider,
        BigInt(rates.optimalUsageBps) * RAY_PER_BPS,
        BigInt(rates.baseBps) * RAY_PER_BPS,
        BigInt(rates.slope1Bps) * RAY_PER_BPS,
        BigInt(rates.slope2Bps) * RAY_PER_BPS,
        // Stable borrowing stays disabled; its curve only has to be valid.
        0n,
        0n,
        0n,
        0n,
        2_000n * RAY_PER_BPS,
      ),
    );
    // Any ERC-20's decimals(); v3.0.2 takes them as an input, v3.6 reads them itself.
    const decimals = await MintableERC20__factory.connect(reserve.asset, deployer).decimals();
    await mined(
      aave.configurator.connect(deployer).initReserves([
        {
          aTokenImpl: await deployedAddress(new AToken__factory(deployer).deploy(pool)),
          stableDebtTokenImpl: await deployedAddress(new StableDebtToken__factory(deployer).deploy(pool)),
          variableDebtTokenImpl: await deployedAddress(new VariableDebtToken__factory(deployer).deploy(pool)),
          underlyingAssetDecimals: decimals,
          interestRateStrategyAddress: strategy,
          underlyingAsset: reserve.asset,
          treasury: deployer.address,
          incentivesController: ZERO_ADDRESS,
          ...names,
          stableDebtTokenName: `Aave Sandbox Stable Debt ${reserve.symbol}`,
          stableDebtTokenSymbol: `stableDebtSbx${reserve.symbol}`,
          params: "0x",
        },
      ]),
    );
  }
  if (reserve.flashLoaning) await mined(aave.configurator.connect(deployer).setReserveFlashLoaning(reserve.asset, true));
}
