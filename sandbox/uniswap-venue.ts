/**
 * Uniswap V3 from its genuine npm bytecode: factory, NonfungiblePositionManager (no token descriptor), QuoterV2 and
 * SwapRouter02 (no V2 factory), plus full-range pools seeded at the Chainlink feeds' prices.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import {
  NonfungiblePositionManager__factory,
  QuoterV2__factory,
  SwapRouter02__factory,
  UniswapV3Factory__factory,
} from "../typechain-types";
import type { Address } from "../keeper/config/address-book";
import type { SandboxPoolSpec } from "./market-spec";
import type { SandboxTokens, SandboxUniswap } from "./sandbox-types";
import { ensureDeployerHolds } from "./token-supply";
import { fullRangeTicks, sqrtPriceX96FromUsd } from "./uniswap-math";

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";
const MAX_UINT256 = (1n << 256n) - 1n;

/** The key a pool is stored under in `Sandbox.uniswap.pools` and the address book. */
export function uniswapPoolKey(first: string, second: string, fee: number): string {
  return `${first}/${second}/${fee}`;
}

/** Finds a sandbox pool by its two symbols in either order; undefined when the sandbox has no such pool. */
export function findUniswapPool(
  pools: Readonly<Record<string, Address>>,
  symbolA: string,
  symbolB: string,
  fee: number,
): Address | undefined {
  return pools[uniswapPoolKey(symbolA, symbolB, fee)] ?? pools[uniswapPoolKey(symbolB, symbolA, fee)];
}

/** Deploys the Uniswap V3 contracts; WETH must already be at its canonical address. */
export async function deployUniswapV3(deployer: HardhatEthersSigner, weth: Address): Promise<Omit<SandboxUniswap, "pools">> {
  const factory = await new UniswapV3Factory__factory(deployer).deploy();
  await factory.waitForDeployment();
  const factoryAddress = await factory.getAddress();
  // Base's Uniswap also runs the 1 bp tier; enabling it keeps fee-tier enumeration honest.
  await (await factory.enableFeeAmount(100, 1)).wait();
  const positionManager = await new NonfungiblePositionManager__factory(deployer).deploy(factoryAddress, weth, ZERO_ADDRESS);
  await positionManager.waitForDeployment();
  const quoter = await new QuoterV2__factory(deployer).deploy(factoryAddress, weth);
  await quoter.waitForDeployment();
  const router = await new SwapRouter02__factory(deployer).deploy(ZERO_ADDRESS, factoryAddress, await positionManager.getAddress(), weth);
  await router.waitForDeployment();
  return { factory, positionManager, quoter, router };
}

/** USD price (8 decimals) and decimals of each token, as the pools are seeded from them. */
export interface TokenPricing {
  readonly usdPrice: bigint;
  readonly decimals: number;
}

/**
 * Creates each pool at the feeds' price and mints a full-range position worth `depthUsd` from the deployer.
 * @returns pool addresses keyed by `uniswapPoolKey(first, second, fee)`.
 */
export async function seedUniswapPools(
  hre: HardhatRuntimeEnvironment,
  deployer: HardhatEthersSigner,
  uniswap: Omit<SandboxUniswap, "pools">,
  tokens: SandboxTokens,
  pricing: Readonly<Record<string, TokenPricing>>,
  specs: readonly SandboxPoolSpec[],
): Promise<Record<string, Address>> {
  const pools: Record<string, Address> = {};
  const managerAddress = await uniswap.positionManager.getAddress();
  const approved = new Set<string>();
  for (const spec of specs) {
    const first = { symbol: spec.first, address: (await tokens[spec.first].getAddress()) as Address };
    const second = { symbol: spec.second, address: (await tokens[spec.second].getAddress()) as Address };
    const [token0, token1] = BigInt(first.address) < BigInt(second.address) ? [first, second] : [second, first];
    const price0 = pricing[token0.symbol];
    const price1 = pricing[token1.symbol];

    const sqrtPriceX96 = sqrtPriceX96FromUsd(price0.usdPrice, price0.decimals, price1.usdPrice, price1.decimals);
    await (await uniswap.positionManager.createAndInitializePoolIfNecessary(token0.address, token1.address, spec.fee, sqrtPriceX96)).wait();

    // Half the depth on each side, in raw units: usd * 10^decimals / price.
    const halfDepthUsd8 = BigInt(Math.round(spec.depthUsd / 2)) * 100_000_000n;
    const amount0 = (halfDepthUsd8 * 10n ** BigInt(price0.decimals)) / price0.usdPrice;
    const amount1 = (halfDepthUsd8 * 10n ** BigInt(price1.decimals)) / price1.usdPrice;
    for (const [token, amount] of [
      [token0, amount0],
      [token1, amount1],
    ] as const) {
      await ensureDeployerHolds(hre, { tokens, deployer }, token.symbol, amount);
      if (!approved.has(token.symbol)) {
        await (await tokens[token.symbol].connect(deployer).approve(managerAddress, MAX_UINT256)).wait();
        approved.add(token.symbol);
      }
    }
    const { tickLower, tickUpper } = fullRangeTicks(spec.fee);
    const latest = await deployer.provider.getBlock("latest");
    await (
      await uniswap.positionManager.mint({
        token0: token0.address,
        token1: token1.address,
        fee: spec.fee,
        tickLower,
        tickUpper,
        amount0Desired: amount0,
        amount1Desired: amount1,
        amount0Min: 0n,
        amount1Min: 0n,
        recipient: deployer.address,
        deadline: BigInt((latest?.timestamp ?? 0) + 3600),
      })
    ).wait();
    pools[uniswapPoolKey(spec.first, spec.second, spec.fee)] = (await uniswap.factory.getPool(
      token0.address,
      token1.address,
      spec.fee,
    )) as Address;
  }
  return pools;
}
