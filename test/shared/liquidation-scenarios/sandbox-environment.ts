/**
 * The sandbox as a ScenarioEnvironment: genuine Aave V3 (v3.0.2), Uniswap V3, Balancer V2 and Morpho Blue bytecode,
 * the executor deployed through the Ignition module, plus the venues npm has no bytecode for, taken from the executor
 * tests' venueFixture (test/unit/contracts/helpers/venues.ts):
 * - Aerodrome: the AerodromeRouterDouble of contracts/test/ (a TEST DOUBLE with Aerodrome's Router ABI, holding a
 *   WETH/USDC volatile pool). The fork runs the same scenarios against Aerodrome's real router and pools.
 * - Aerodrome Slipstream: Uniswap's v1 SwapRouter (genuine bytecode with Slipstream's exactInput ABI) over the sandbox
 *   pools, quoted by the sandbox QuoterV2.
 * - Moonwell: the CompoundV2 doubles of contracts/test/ (TEST DOUBLES: comptroller + mUSDC/mWETH markets with
 *   Compound's rules and return codes). The fork runs the Compound-v2 scenario against Moonwell's real bytecode.
 * The scenario code is the same on both; only this wiring differs.
 */
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { MockV3Aggregator__factory } from "../../../typechain-types";
import type { Address, AddressBook } from "../../../keeper/config/address-book";
import type { Sandbox } from "../../../sandbox";
import { mintTo } from "../../../sandbox/token-supply";
import { AERODROME_POOL_FACTORY, venueFixture } from "../../unit/contracts/helpers/venues";
import {
  tokenInfo,
  type AaveScenarioMarket,
  type CompoundScenarioMarket,
  type MorphoScenarioMarket,
  type ScenarioEnvironment,
} from "./environment";

export interface SandboxScenarioWorld {
  readonly sandbox: Sandbox;
  readonly env: ScenarioEnvironment;
  readonly aave: AaveScenarioMarket;
  /** The sandbox's WETH/USDC 86% Morpho market. */
  readonly morpho: MorphoScenarioMarket;
  /** mWETH collateral, mUSDC debt, on the Compound-v2 doubles. */
  readonly compound: CompoundScenarioMarket;
}

const MANTISSA = 10n ** 18n;

/** Use with loadFixture: `const world = await loadFixture(sandboxScenarioFixture)`. */
export async function sandboxScenarioFixture(): Promise<SandboxScenarioWorld> {
  const venues = await loadFixture(venueFixture);
  const { sandbox, executor, owner, treasury, comptroller, mUSDC, mWETH, aerodrome, slipstreamRouter } = venues;
  const [comptrollerAddress, mUSDCAddress, mWETHAddress, aerodromeAddress, slipstreamAddress] = (await Promise.all([
    comptroller.getAddress(),
    mUSDC.getAddress(),
    mWETH.getAddress(),
    aerodrome.getAddress(),
    slipstreamRouter.getAddress(),
  ])) as Address[];

  const book: AddressBook = {
    ...sandbox.book,
    aerodrome: {
      router: aerodromeAddress,
      poolFactory: AERODROME_POOL_FACTORY,
      slipstreamRouter: slipstreamAddress,
      slipstreamQuoter: sandbox.book.uniswapV3!.quoterV2,
    },
    moonwell: {
      label: "Compound-v2 doubles",
      comptroller: comptrollerAddress,
      // The comptroller double prices markets itself from the sandbox's Chainlink feeds.
      oracle: comptrollerAddress,
      markets: { USDC: mUSDCAddress, WETH: mWETHAddress },
      deployBlock: 0,
    },
  };

  const env: ScenarioEnvironment = {
    label: "sandbox",
    book,
    executor,
    owner,
    treasury: treasury.address as Address,
    fund: async (token, to, amount) => mintTo(hre, sandbox.tokens, sandbox.deployer, tokenInfo(book, token).symbol, to, amount),
    extraHoldings: {
      tokens: [mUSDCAddress, mWETHAddress],
      spenders: [aerodromeAddress, slipstreamAddress, mUSDCAddress, mWETHAddress],
    },
  };

  const compound: CompoundScenarioMarket = {
    label: "Compound-v2 doubles",
    comptroller: comptrollerAddress,
    debtMarket: mUSDCAddress,
    collateralMarket: mWETHAddress,
    // The comptroller double counts every listed market as collateral: there is nothing to enter.
    enterMarkets: async () => undefined,
    underlyingPrice: async (market) => comptroller.underlyingPriceMantissa(market),
    setUnderlyingPrice: async (market, price) => {
      // The double reads an 8-decimal USD feed: answer = price x 10^decimals / 1e28.
      const { priceFeed, underlyingDecimals } = await comptroller.markets(market);
      const answer = (price * 10n ** underlyingDecimals) / (MANTISSA * 10n ** 10n);
      await (await MockV3Aggregator__factory.connect(priceFeed, sandbox.deployer).updateAnswer(answer)).wait();
    },
  };

  return {
    sandbox,
    env,
    aave: { config: book.aaveV3!, oracleAdmin: sandbox.deployer },
    morpho: { morpho: book.morphoBlue!.morpho, params: sandbox.morpho.markets[0] },
    compound,
  };
}
