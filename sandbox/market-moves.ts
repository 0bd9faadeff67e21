/**
 * Moves the sandbox market the way scenarios need: Chainlink prices (which Aave's oracle and the Morpho oracle
 * double both read), Uniswap pool prices arbitraged to follow, tokens for any account, and chain time.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { UniswapV3Pool__factory } from "../typechain-types";
import type { Address } from "../keeper/config/address-book";
import { usdToFeedAnswer } from "./market-spec";
import type { Sandbox } from "./sandbox-types";
import { ensureDeployerHolds, ensureEth, mintTo, tokenBySymbol } from "./token-supply";
import { MAX_SQRT_RATIO, MIN_SQRT_RATIO, sqrtPriceX96FromUsd } from "./uniswap-math";

export interface SetPriceOptions {
  /** Also swap every Uniswap pool holding `symbol` to the feeds' new price (default false: pools keep their price). */
  readonly movePools?: boolean;
}

/**
 * Sets `symbol`'s Chainlink answer to `usd` (8 decimals); Aave and the Morpho markets follow at once. With
 * `movePools`, arbitrages each pool that holds `symbol` to the price implied by both tokens' feeds.
 */
export async function setPrice(
  hre: HardhatRuntimeEnvironment,
  sandbox: Sandbox,
  symbol: string,
  usd: number,
  opts: SetPriceOptions = {},
): Promise<void> {
  const feed = sandbox.priceFeeds[symbol];
  if (feed === undefined) {
    throw new Error(`setPrice: no price feed for "${symbol}"; expected one of ${Object.keys(sandbox.priceFeeds).join(", ")}`);
  }
  await (await feed.connect(sandbox.deployer).updateAnswer(usdToFeedAnswer(usd))).wait();
  if (opts.movePools) {
    for (const [key, pool] of Object.entries(sandbox.uniswap.pools)) {
      const [first, second] = key.split("/");
      if (first === symbol || second === symbol) await alignPoolWithFeeds(hre, sandbox, pool);
    }
  }
}

/** The USD answer a feed currently gives, as 8-decimal bigint. */
async function feedAnswer(sandbox: Sandbox, symbol: string): Promise<bigint> {
  return (await sandbox.priceFeeds[symbol].latestRoundData()).answer;
}

function symbolAt(sandbox: Sandbox, address: string): string {
  const token = Object.values(sandbox.book.tokens).find((t) => t.address.toLowerCase() === address.toLowerCase());
  if (token === undefined) throw new Error(`pool token ${address} is not a sandbox token`);
  return token.symbol;
}

/**
 * Swaps through SwapRouter02 with a price limit so the pool ends exactly at the feeds' price: the router pays only what
 * the pool took to get there. The deployer is the arbitrageur and is given the input token first.
 */
export async function alignPoolWithFeeds(hre: HardhatRuntimeEnvironment, sandbox: Sandbox, poolAddress: Address): Promise<void> {
  const pool = UniswapV3Pool__factory.connect(poolAddress, sandbox.deployer);
  const [token0, token1, fee, slot0] = await Promise.all([pool.token0(), pool.token1(), pool.fee(), pool.slot0()]);
  const symbol0 = symbolAt(sandbox, token0);
  const symbol1 = symbolAt(sandbox, token1);
  const target = sqrtPriceX96FromUsd(
    await feedAnswer(sandbox, symbol0),
    sandbox.book.tokens[symbol0].decimals,
    await feedAnswer(sandbox, symbol1),
    sandbox.book.tokens[symbol1].decimals,
  );
  const current = slot0.sqrtPriceX96;
  if (target === current || target <= MIN_SQRT_RATIO || target >= MAX_SQRT_RATIO) return;

  // Price (token1 per token0) must rise: sell token1 into the pool; must fall: sell token0.
  const [symbolIn, tokenIn, tokenOut] = target > current ? [symbol1, token1, token0] : [symbol0, token0, token1];
  // Full-range liquidity: 4x the pool's balance of the input token moves the price by up to 25x, far beyond any
  // scenario; the limit stops the swap at the target and the router takes only what was used.
  const inputToken = tokenBySymbol(sandbox.tokens, symbolIn);
  const amountIn = 4n * (await inputToken.balanceOf(poolAddress)) + 1n;
  await ensureDeployerHolds(hre, sandbox, symbolIn, amountIn);
  const routerAddress = await sandbox.uniswap.router.getAddress();
  await (await inputToken.connect(sandbox.deployer).approve(routerAddress, amountIn)).wait();
  await (
    await sandbox.uniswap.router.connect(sandbox.deployer).exactInputSingle({
      tokenIn,
      tokenOut,
      fee,
      recipient: sandbox.deployer.address,
      amountIn,
      amountOutMinimum: 0n,
      sqrtPriceLimitX96: target,
    })
  ).wait();
  // The unused allowance is withdrawn so the deployer's approvals do not pile up across price moves.
  await (await inputToken.connect(sandbox.deployer).approve(routerAddress, 0n)).wait();
}

/**
 * Gives `to` `amount` raw units of `symbol` (minted, or wrapped for WETH). The symbol "ETH" sets native balance: the
 * account ends with its balance plus `amount`.
 */
export async function fundAccount(
  hre: HardhatRuntimeEnvironment,
  sandbox: Sandbox,
  symbol: string,
  to: Address,
  amount: bigint,
): Promise<void> {
  if (amount < 0n) throw new Error(`fundAccount: amount must be >= 0, got ${amount}`);
  if (symbol === "ETH") {
    const balance = await hre.ethers.provider.getBalance(to);
    await ensureEth(hre, to, balance + amount);
    return;
  }
  await mintTo(hre, sandbox.tokens, sandbox.deployer, symbol, to, amount);
}

/** Mines `count` empty blocks at once (hardhat_mine), e.g. to pass a deadline block. */
export async function mineBlocks(hre: HardhatRuntimeEnvironment, count: number): Promise<void> {
  if (!Number.isInteger(count) || count < 1) throw new Error(`mineBlocks: count must be a positive integer, got ${count}`);
  await hre.network.provider.send("hardhat_mine", [hre.ethers.toQuantity(count)]);
}

/** Moves chain time forward by `seconds` and mines a block so the new time is visible (interest accrues). */
export async function advanceTime(hre: HardhatRuntimeEnvironment, seconds: number): Promise<void> {
  if (!Number.isInteger(seconds) || seconds < 1) throw new Error(`advanceTime: seconds must be a positive integer, got ${seconds}`);
  await hre.network.provider.send("evm_increaseTime", [seconds]);
  await hre.network.provider.send("evm_mine", []);
}
