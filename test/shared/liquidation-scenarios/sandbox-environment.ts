/**
 * The sandbox as a ScenarioEnvironment: genuine Aave V3 (v3.6 by default), Uniswap V3, Balancer V2 and Morpho Blue bytecode,
 * the executor deployed through the Ignition module, plus the venues npm has no bytecode for, taken from the executor
 * tests' venueFixture (test/unit/contracts/helpers/venues.ts):
 * - Aerodrome: the AerodromeRouterDouble of contracts/test/ (a TEST DOUBLE with Aerodrome's Router ABI, holding a
 *   WETH/USDC volatile pool). The fork runs the same scenarios against Aerodrome's real router and pools.
 * - Aerodrome Slipstream: Uniswap's v1 SwapRouter (genuine bytecode with Slipstream's exactInput ABI) over the sandbox
 *   pools, quoted by the sandbox QuoterV2.
 * - Moonwell: the Moonwell doubles of contracts/test/MoonwellMarketDoubles.sol (TEST DOUBLES: Chainlink oracle,
 *   comptroller and mUSDC/mWETH markets with Moonwell's ABI and Compound's rules and return codes). The fork runs the
 *   Compound-v2 scenario against Moonwell's real bytecode.
 * The scenario code is the same on both; only this wiring differs.
 */
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { IERC20Metadata__factory, MockV3Aggregator__factory, MoonwellMTokenDouble__factory } from "../../../typechain-types";
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
  /** mWETH collateral, mUSDC debt, on the Moonwell doubles. */
  readonly compound: CompoundScenarioMarket;
}

/** Use with loadFixture: `const world = await loadFixture(sandboxScenarioFixture)`. */
export async function sandboxScenarioFixture(): Promise<SandboxScenarioWorld> {
  const venues = await loadFixture(venueFixture);
  const { sandbox, executor, owner, treasury, oracle, comptroller, mUSDC, mWETH, aerodrome, slipstreamRouter } = venues;
  const [oracleAddress, comptrollerAddress, mUSDCAddress, mWETHAddress, aerodromeAddress, slipstreamAddress] = (await Promise.all([
    oracle.getAddress(),
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
      label: "Moonwell doubles",
      comptroller: comptrollerAddress,
      oracle: oracleAddress,
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
    label: "Moonwell doubles",
    comptroller: comptrollerAddress,
    debtMarket: mUSDCAddress,
    collateralMarket: mWETHAddress,
    enterMarkets: async (account, markets) => {
      const codes = await comptroller.connect(account).enterMarkets.staticCall([...markets]);
      if (codes.some((code) => code !== 0n)) {
        throw new Error(`Moonwell double enterMarkets(${markets.join(", ")}) returned error codes ${codes.join(", ")}`);
      }
      await (await comptroller.connect(account).enterMarkets([...markets])).wait();
    },
    underlyingPrice: async (market) => oracle.getUnderlyingPrice(market),
    setUnderlyingPrice: async (market, price) => {
      // The oracle double reads the underlying's Chainlink feed (the one the sandbox's Aave prices with too, as
      // before): getUnderlyingPrice = answer x 10^(18 - feedDecimals) x 10^(18 - underlyingDecimals).
      const underlyingAddress = await MoonwellMTokenDouble__factory.connect(market, sandbox.deployer).underlying();
      const underlying = IERC20Metadata__factory.connect(underlyingAddress, sandbox.deployer);
      const feed = MockV3Aggregator__factory.connect(await oracle.getFeed(await underlying.symbol()), sandbox.deployer);
      const scale = 10n ** (36n - (await feed.decimals()) - (await underlying.decimals()));
      await (await feed.updateAnswer(price / scale)).wait();
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
