/**
 * buildSandbox: one call stands up the whole Base-like market on the connected Hardhat chain (in-process or a
 * `npx hardhat node`), from genuine protocol bytecode wherever npm ships it. The order matters only where one piece
 * needs another: canonical WETH first (Aave, Uniswap and Balancer all take its address), feeds before the oracles
 * that read them, Aave before the liquidity that is supplied to it.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import {
  MintableERC20__factory,
  MockV3Aggregator__factory,
  SandboxBorrowerFactory__factory,
  type MintableERC20,
  type MockV3Aggregator,
} from "../typechain-types";
import type { Address, AddressBook, TokenInfo } from "../keeper/config/address-book";
import { deployAaveMarket } from "./aave-market";
import { parseAaveVersion } from "./aave-versions";
import { deployBalancerVault, fundBalancerVault } from "./balancer-vault";
import { placeMulticall3, placeWeth9 } from "./canonical-contracts";
import {
  SANDBOX_EMODES,
  SANDBOX_MORPHO_MARKETS,
  SANDBOX_POOLS,
  SANDBOX_RESERVES,
  usdToFeedAnswer,
  type SandboxReserveSpec,
} from "./market-spec";
import { deployMorphoBlue } from "./morpho-blue";
import type { Sandbox, SandboxOptions, SandboxTokens } from "./sandbox-types";
import { DEPLOYER_ETH, ensureDeployerHolds, ensureEth } from "./token-supply";
import { deployUniswapV3, seedUniswapPools, type TokenPricing } from "./uniswap-venue";

/** The sandbox mimics Base; the keeper checks the address book's chainId against the node's. */
export const SANDBOX_CHAIN_ID = 8453;
const CHAINLINK_DECIMALS = 8;
/** The sequencer feed reports "up since 30 days ago", so no grace-period logic treats it as just restarted. */
const SEQUENCER_UP_FOR_SECONDS = 30 * 24 * 3600;

function wholeTokens(amount: number, decimals: number): bigint {
  return BigInt(amount) * 10n ** BigInt(decimals);
}

/** Builds the sandbox on `hre`'s current network. Takes about 3-5 s in-process. */
export async function buildSandbox(hre: HardhatRuntimeEnvironment, options: SandboxOptions = {}): Promise<Sandbox> {
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed)) throw new Error(`SandboxOptions.seed must be an integer, got ${seed}`);
  const aaveVersion = parseAaveVersion(options.aaveVersion ?? "v3.6");
  const chainId = Number((await hre.ethers.provider.getNetwork()).chainId);
  if (chainId !== SANDBOX_CHAIN_ID) {
    throw new Error(
      `the sandbox mimics Base and needs chainId ${SANDBOX_CHAIN_ID}, but network "${hre.network.name}" reports ${chainId}; ` +
        `run it on the in-process "hardhat" network or a \`npx hardhat node\` started from this project (both use 8453)`,
    );
  }
  const [deployer] = await hre.ethers.getSigners();
  if (deployer === undefined) throw new Error(`network "${hre.network.name}" has no unlocked account to deploy from`);
  await ensureEth(hre, deployer.address as Address, DEPLOYER_ETH);

  // Canonical contracts first: WETH's address is a constructor argument of Aave's reserve list, Uniswap and Balancer.
  const weth = await placeWeth9(hre, deployer);
  const multicall3 = await placeMulticall3(hre, deployer);

  const tokens: Record<string, MintableERC20 | typeof weth> = { WETH: weth };
  const priceFeeds: Record<string, MockV3Aggregator> = {};
  const pricing: Record<string, TokenPricing> = {};
  const decimals: Record<string, number> = {};
  for (const spec of SANDBOX_RESERVES) {
    if (spec.symbol !== "WETH") {
      const token = await new MintableERC20__factory(deployer).deploy(spec.name, spec.symbol, spec.decimals);
      await token.waitForDeployment();
      tokens[spec.symbol] = token;
    }
    const answer = usdToFeedAnswer(spec.priceUsd);
    const feed = await new MockV3Aggregator__factory(deployer).deploy(CHAINLINK_DECIMALS, answer);
    await feed.waitForDeployment();
    priceFeeds[spec.symbol] = feed;
    pricing[spec.symbol] = { usdPrice: answer, decimals: spec.decimals };
    decimals[spec.symbol] = spec.decimals;
  }
  const sandboxTokens = tokens as unknown as SandboxTokens;

  const sequencerUptimeFeed = await new MockV3Aggregator__factory(deployer).deploy(0, 0);
  await sequencerUptimeFeed.waitForDeployment();
  const now = (await hre.ethers.provider.getBlock("latest"))?.timestamp ?? Math.floor(Date.now() / 1000);
  await (await sequencerUptimeFeed.updateRoundData(1, 0, now, now - SEQUENCER_UP_FOR_SECONDS)).wait();

  const addressOf = async (symbol: string) => (await sandboxTokens[symbol].getAddress()) as Address;
  const { aave, deployBlock: aaveDeployBlock } = await deployAaveMarket(aaveVersion, deployer, {
    reserves: await Promise.all(
      SANDBOX_RESERVES.map(async (spec) => ({
        spec,
        asset: await addressOf(spec.symbol),
        priceSource: (await priceFeeds[spec.symbol].getAddress()) as Address,
      })),
    ),
    eModes: SANDBOX_EMODES,
  });
  await supplyInitialAaveLiquidity(hre, { tokens: sandboxTokens, deployer }, aave.pool, SANDBOX_RESERVES);

  const uniswapCore = await deployUniswapV3(deployer, (await weth.getAddress()) as Address);
  const pools = await seedUniswapPools(hre, deployer, uniswapCore, sandboxTokens, pricing, SANDBOX_POOLS);

  const vault = await deployBalancerVault(deployer, (await weth.getAddress()) as Address);
  await fundBalancerVault(
    hre,
    deployer,
    sandboxTokens,
    vault,
    Object.fromEntries(SANDBOX_RESERVES.map((s) => [s.symbol, wholeTokens(s.balancerFlashLiquidity, s.decimals)])),
  );

  const morpho = await deployMorphoBlue(hre, deployer, sandboxTokens, decimals, priceFeeds, SANDBOX_MORPHO_MARKETS);

  const borrowerFactory = await new SandboxBorrowerFactory__factory(deployer).deploy();
  await borrowerFactory.waitForDeployment();

  const tokenInfo: Record<string, TokenInfo> = {};
  for (const spec of SANDBOX_RESERVES) {
    tokenInfo[spec.symbol] = { symbol: spec.symbol, address: await addressOf(spec.symbol), decimals: spec.decimals };
  }
  const poolAddress = (await aave.pool.getAddress()) as Address;
  const morphoAddress = (await morpho.morpho.getAddress()) as Address;
  const book: AddressBook = {
    network: "sandbox",
    chainId,
    multicall3,
    weth: (await weth.getAddress()) as Address,
    tokens: tokenInfo,
    aaveV3: {
      label: "Aave V3 Sandbox",
      addressesProvider: aave.addressesProvider.target as Address,
      pool: poolAddress,
      oracle: (await aave.oracle.getAddress()) as Address,
      dataProvider: (await aave.dataProvider.getAddress()) as Address,
      // The rule family the revision implies; the keeper re-derives it from POOL_REVISION and warns on a mismatch.
      liquidationRules: aave.version === "v3.6" ? "v3.3" : "v3.0",
      deployBlock: aaveDeployBlock,
    },
    morphoBlue: { morpho: morphoAddress, markets: morpho.markets, deployBlock: morpho.deployBlock },
    uniswapV3: {
      factory: (await uniswapCore.factory.getAddress()) as Address,
      swapRouter02: (await uniswapCore.router.getAddress()) as Address,
      quoterV2: (await uniswapCore.quoter.getAddress()) as Address,
    },
    flash: {
      balancerVault: (await vault.getAddress()) as Address,
      morphoBlue: morphoAddress,
      aaveV3Pool: poolAddress,
      uniswapV3Pools: pools,
    },
    chainlink: {
      ethUsd: (await priceFeeds.WETH.getAddress()) as Address,
      sequencerUptime: (await sequencerUptimeFeed.getAddress()) as Address,
    },
  };

  return {
    book,
    deployer,
    seed,
    tokens: sandboxTokens,
    priceFeeds,
    sequencerUptimeFeed,
    aave,
    uniswap: { ...uniswapCore, pools },
    balancer: { vault },
    morpho: { morpho: morpho.morpho, irm: morpho.irm, markets: morpho.markets },
    borrowerFactory,
  };
}

/** The deployer supplies each reserve's starting liquidity (its aTokens stay with the deployer). */
async function supplyInitialAaveLiquidity(
  hre: HardhatRuntimeEnvironment,
  sandbox: Pick<Sandbox, "tokens" | "deployer">,
  pool: Sandbox["aave"]["pool"],
  reserves: readonly SandboxReserveSpec[],
): Promise<void> {
  const poolAddress = await pool.getAddress();
  for (const spec of reserves) {
    if (spec.initialAaveSupply === 0) continue;
    const amount = wholeTokens(spec.initialAaveSupply, spec.decimals);
    await ensureDeployerHolds(hre, sandbox, spec.symbol, amount);
    const token = sandbox.tokens[spec.symbol];
    await (await token.connect(sandbox.deployer).approve(poolAddress, amount)).wait();
    await (await pool.connect(sandbox.deployer).supply(await token.getAddress(), amount, sandbox.deployer.address, 0)).wait();
  }
}
