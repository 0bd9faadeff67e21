/**
 * The venues that have no genuine bytecode on npm, stood up next to the sandbox for the executor's unit tests:
 * - a Moonwell market pair (mUSDC debt, mWETH collateral) from contracts/test/MoonwellMarketDoubles.sol (TEST DOUBLES
 *   with Moonwell's ABI and Compound's rules and return codes: Moonwell ships no bytecode on npm), priced by the
 *   oracle double from the sandbox's Chainlink feeds, with one under-water borrower;
 * - an Aerodrome v2-style router double (contracts/test/AerodromeRouterDouble.sol) holding a WETH/USDC pool;
 * - Uniswap's original SwapRouter (genuine v3-periphery bytecode) as the Slipstream venue: Slipstream's SwapRouter has
 *   the same `exactInput((path, recipient, deadline, amountIn, amountOutMinimum))` ABI, only its path carries a tick
 *   spacing where Uniswap's carries a fee, which the executor treats as opaque bytes.
 * All are allowlisted by the owner. Real Moonwell, Aerodrome and Slipstream are covered by the fork tests.
 */
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { ContractFactory, type Contract } from "ethers";
import SwapRouterV1Artifact from "@uniswap/v3-periphery/artifacts/contracts/SwapRouter.sol/SwapRouter.json";
import {
  AerodromeRouterDouble__factory,
  MoonwellChainlinkOracleDouble__factory,
  MoonwellComptrollerDouble__factory,
  MoonwellMTokenDouble__factory,
  type AerodromeRouterDouble,
  type MoonwellChainlinkOracleDouble,
  type MoonwellComptrollerDouble,
  type MoonwellMTokenDouble,
} from "../../../../typechain-types";
import { executorFixture, type ExecutorFixture } from "../../../shared/executor-fixture";
import { currentUsdPrice, dropPrice } from "./positions";

/** Aerodrome's PoolFactory on Base: the factory id routes name (the double accepts only this one). */
export const AERODROME_POOL_FACTORY = "0x420DD381b31aEf6683db6B902084cB0FFECe40Da";
const MANTISSA = 10n ** 18n;
/** No interest: the executor's behaviour does not depend on it, and borrow balances stay exact across blocks. */
const NO_INTEREST = 0n;
/** Compound's initial exchange rate, 0.02 underlying per cToken, scaled by 1e(18 + underlyingDecimals - 8). */
const exchangeRate = (underlyingDecimals: number) => 2n * 10n ** BigInt(16 + underlyingDecimals - 8);

export interface VenueFixture extends ExecutorFixture {
  /** Prices both markets from the sandbox's USDC and WETH Chainlink feeds. */
  readonly oracle: MoonwellChainlinkOracleDouble;
  readonly comptroller: MoonwellComptrollerDouble;
  readonly mUSDC: MoonwellMTokenDouble;
  readonly mWETH: MoonwellMTokenDouble;
  /** Under water in the Moonwell double: WETH collateral (market entered), USDC debt. */
  readonly compoundBorrower: HardhatEthersSigner;
  readonly compoundDebt: bigint;
  readonly aerodrome: AerodromeRouterDouble;
  /** Uniswap's v1 SwapRouter, the Slipstream-ABI venue. */
  readonly slipstreamRouter: Contract;
}

export async function venueFixture(): Promise<VenueFixture> {
  const base = await loadFixture(executorFixture);
  const { sandbox, executor, owner } = base;
  const { deployer, tokens } = sandbox;
  const [, , , , , compoundBorrower] = await hre.ethers.getSigners();
  const usdc = await tokens.USDC.getAddress();
  const weth = await tokens.WETH.getAddress();

  const oracle = await new MoonwellChainlinkOracleDouble__factory(deployer).deploy();
  await (await oracle.setFeed("USDC", sandbox.priceFeeds.USDC)).wait();
  await (await oracle.setFeed("WETH", sandbox.priceFeeds.WETH)).wait();
  const comptroller = await new MoonwellComptrollerDouble__factory(deployer).deploy(oracle, MANTISSA / 2n, (108n * MANTISSA) / 100n);
  const mUSDC = await new MoonwellMTokenDouble__factory(deployer).deploy(
    "Moonwell USDC",
    "mUSDC",
    usdc,
    comptroller,
    exchangeRate(6),
    NO_INTEREST,
  );
  const mWETH = await new MoonwellMTokenDouble__factory(deployer).deploy(
    "Moonwell WETH",
    "mWETH",
    weth,
    comptroller,
    exchangeRate(18),
    NO_INTEREST,
  );
  for (const market of [mUSDC, mWETH]) {
    await (await comptroller._supportMarket(market)).wait();
    await (await comptroller._setCollateralFactor(market, (80n * MANTISSA) / 100n)).wait();
  }

  // Lenders' cash in mUSDC.
  const usdcCash = 5_000_000n * 10n ** 6n;
  await (await tokens.USDC.connect(deployer)["mint(address,uint256)"](deployer.address, usdcCash)).wait();
  await (await tokens.USDC.connect(deployer).approve(mUSDC, usdcCash)).wait();
  await (await mUSDC.connect(deployer).mint(usdcCash)).wait();

  // The borrower: $20k USDC against WETH at HF 1.03 (collateral factor 80%), then WETH drops 5%.
  const wethPrice = await currentUsdPrice(sandbox, "WETH");
  const compoundDebt = 20_000n * 10n ** 6n;
  const collateral = hre.ethers.parseEther(((20_000 * 1.03) / 0.8 / wethPrice).toFixed(18));
  await (await tokens.WETH.connect(compoundBorrower).deposit({ value: collateral })).wait();
  await (await tokens.WETH.connect(compoundBorrower).approve(mWETH, collateral)).wait();
  await (await mWETH.connect(compoundBorrower).mint(collateral)).wait();
  await (await comptroller.connect(compoundBorrower).enterMarkets([await mWETH.getAddress()])).wait();
  await (await mUSDC.connect(compoundBorrower).borrow(compoundDebt)).wait();
  await dropPrice(sandbox, "WETH", 0.05);

  // Aerodrome double: a deep WETH/USDC volatile pool at the new price.
  const aerodrome = await new AerodromeRouterDouble__factory(deployer).deploy(AERODROME_POOL_FACTORY);
  const poolWeth = 2_000n * 10n ** 18n;
  const poolUsdc = BigInt(Math.round((await currentUsdPrice(sandbox, "WETH")) * 2_000)) * 10n ** 6n;
  await (await tokens.WETH.connect(deployer).deposit({ value: poolWeth })).wait();
  await (await tokens.USDC.connect(deployer)["mint(address,uint256)"](deployer.address, poolUsdc)).wait();
  await (await tokens.WETH.connect(deployer).approve(aerodrome, poolWeth)).wait();
  await (await tokens.USDC.connect(deployer).approve(aerodrome, poolUsdc)).wait();
  await (await aerodrome.addLiquidity(weth, usdc, false, poolWeth, poolUsdc)).wait();

  const slipstreamRouter = (await new ContractFactory(SwapRouterV1Artifact.abi, SwapRouterV1Artifact.bytecode, deployer).deploy(
    await sandbox.uniswap.factory.getAddress(),
    weth,
  )) as Contract;
  await slipstreamRouter.waitForDeployment();

  await (
    await executor
      .connect(owner)
      .setAllowedTargets(
        [await mUSDC.getAddress(), await mWETH.getAddress(), await aerodrome.getAddress(), await slipstreamRouter.getAddress()],
        true,
      )
  ).wait();

  return { ...base, oracle, comptroller, mUSDC, mWETH, compoundBorrower, compoundDebt, aerodrome, slipstreamRouter };
}
