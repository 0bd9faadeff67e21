/**
 * Under-water positions on the sandbox's genuine Aave V3 and Morpho Blue for the executor tests, and the price move
 * that puts them under water: the collateral's Chainlink feed (read by Aave's oracle and by the Morpho markets'
 * oracle) moves, and every Uniswap V3 pool holding the collateral is swapped to the new price, so seized collateral
 * sells at the new price and the profit a test sees is the liquidation bonus, not a stale pool.
 *
 * Positions belong to fresh deterministic wallets (one per seed and index) so tests never share a borrower.
 */
import hre from "hardhat";
import { expect } from "chai";
import { AbiCoder, Wallet, keccak256 } from "ethers";
import { IOracle__factory, UniswapV3Pool__factory } from "../../../../typechain-types";
import { morphoMarketId, type Sandbox } from "../../../../sandbox";
import { mintTo } from "../../../../sandbox/token-supply";
import { sqrtPriceX96FromUsd } from "../../../../sandbox/uniswap-math";
import type { Address, MorphoMarketParams } from "../../../../keeper/config/address-book";

const WAD = 10n ** 18n;
const MAX_UINT256 = (1n << 256n) - 1n;
const ORACLE_PRICE_SCALE = 10n ** 36n;
const AAVE_VARIABLE_RATE = 2n;

export interface UnhealthyAavePosition {
  readonly borrower: Address;
  readonly collateralToken: Address;
  readonly debtToken: Address;
  /** The borrower's variable debt after the price move. */
  readonly debt: bigint;
  /** Half the debt: within Aave v3.0's 50% close factor at any health factor. */
  readonly debtToCover: bigint;
  readonly healthFactor: bigint;
}

export interface UnhealthyMorphoPosition {
  readonly borrower: Address;
  readonly market: MorphoMarketParams;
  readonly collateral: bigint;
  readonly borrowShares: bigint;
}

export async function currentUsdPrice(sandbox: Sandbox, symbol: string): Promise<number> {
  return Number((await sandbox.priceFeeds[symbol].latestRoundData()).answer) / 1e8;
}

function symbolOf(sandbox: Sandbox, address: string): string {
  const token = Object.values(sandbox.book.tokens).find((t) => t.address.toLowerCase() === address.toLowerCase());
  if (token === undefined) throw new Error(`${address} is not a sandbox token`);
  return token.symbol;
}

/**
 * Sets `symbol`'s feed to `usd` and swaps every Uniswap pool holding it to the feeds' relative price. The deployer
 * (the sandbox's liquidity provider) takes the other side of those swaps with freshly minted tokens.
 */
export async function movePrice(sandbox: Sandbox, symbol: string, usd: number): Promise<void> {
  const { deployer, uniswap, book } = sandbox;
  await (await sandbox.priceFeeds[symbol].connect(deployer).updateAnswer(BigInt(Math.round(usd * 1e8)))).wait();
  const routerAddress = await uniswap.router.getAddress();
  for (const poolAddress of Object.values(uniswap.pools)) {
    const pool = UniswapV3Pool__factory.connect(poolAddress, deployer);
    const [token0, token1] = [await pool.token0(), await pool.token1()];
    const [symbol0, symbol1] = [symbolOf(sandbox, token0), symbolOf(sandbox, token1)];
    if (symbol0 !== symbol && symbol1 !== symbol) continue;
    const target = sqrtPriceX96FromUsd(
      (await sandbox.priceFeeds[symbol0].latestRoundData()).answer,
      book.tokens[symbol0].decimals,
      (await sandbox.priceFeeds[symbol1].latestRoundData()).answer,
      book.tokens[symbol1].decimals,
    );
    const { sqrtPriceX96 } = await pool.slot0();
    if (sqrtPriceX96 === target) continue;
    // Price (token1 per token0) falls when token0 is sold into the pool.
    const zeroForOne = target < sqrtPriceX96;
    const [tokenIn, tokenOut, symbolIn] = zeroForOne ? [token0, token1, symbol0] : [token1, token0, symbol1];
    // The swap stops at the price limit; the pool's whole balance of the input side bounds what it can take.
    const amountIn = (await sandbox.tokens[symbolIn].balanceOf(poolAddress)) + 1n;
    await mintTo(hre, sandbox.tokens, deployer, symbolIn, deployer.address as Address, amountIn);
    await (await sandbox.tokens[symbolIn].connect(deployer).approve(routerAddress, amountIn)).wait();
    await (
      await uniswap.router.connect(deployer).exactInputSingle({
        tokenIn,
        tokenOut,
        fee: await pool.fee(),
        recipient: deployer.address,
        amountIn,
        amountOutMinimum: 0n,
        sqrtPriceLimitX96: target,
      })
    ).wait();
    await (await sandbox.tokens[symbolIn].connect(deployer).approve(routerAddress, 0n)).wait();
  }
}

/** Moves `symbol`'s price down by `dropFraction` (0.05 = 5%) on its feed and in its Uniswap pools. */
export async function dropPrice(sandbox: Sandbox, symbol: string, dropFraction: number): Promise<void> {
  await movePrice(sandbox, symbol, (await currentUsdPrice(sandbox, symbol)) * (1 - dropFraction));
}

/** A fresh funded wallet, the same for the same (label, seed, index) on a fresh sandbox. */
async function borrowerWallet(label: string, seed: number, index: number): Promise<Wallet> {
  const key = keccak256(AbiCoder.defaultAbiCoder().encode(["string", "uint256", "uint256"], [label, seed, index]));
  const wallet = new Wallet(key, hre.ethers.provider);
  await hre.network.provider.send("hardhat_setBalance", [wallet.address, hre.ethers.toQuantity(10n ** 20n)]);
  return wallet;
}

/** `usd` worth of `symbol` in raw units at its feed price. */
async function usdToRaw(sandbox: Sandbox, symbol: string, usd: number): Promise<bigint> {
  const price = (await sandbox.priceFeeds[symbol].latestRoundData()).answer;
  return (BigInt(Math.round(usd * 1e6)) * 100n * 10n ** BigInt(sandbox.book.tokens[symbol].decimals)) / price;
}

/**
 * Opens `count` Aave borrowers at health factor `openAt` (at least LT/LTV, about 1.032 for WETH, so the borrow itself
 * is allowed), then drops the collateral price by `dropFraction`. Defaults: WETH/USDC, $20k, 1.04 -> ~0.98 after 6%.
 */
export async function unhealthyAavePositions(
  sandbox: Sandbox,
  options: { count?: number; seed?: number; collateral?: string; debt?: string; debtUsd?: number; openAt?: number; dropFraction?: number } = {},
): Promise<UnhealthyAavePosition[]> {
  const collateral = options.collateral ?? "WETH";
  const debt = options.debt ?? "USDC";
  const { pool, dataProvider } = sandbox.aave;
  const collateralToken = sandbox.book.tokens[collateral].address;
  const debtToken = sandbox.book.tokens[debt].address;
  const { liquidationThreshold } = await dataProvider.getReserveConfigurationData(collateralToken);
  const openAt = options.openAt ?? 1.04;
  const borrowers: Address[] = [];
  for (let i = 0; i < (options.count ?? 1); i++) {
    const wallet = await borrowerWallet("aave", options.seed ?? 11, i);
    const debtAmount = await usdToRaw(sandbox, debt, options.debtUsd ?? 20_000);
    const collateralUsd = ((options.debtUsd ?? 20_000) * openAt * 10_000) / Number(liquidationThreshold);
    const collateralAmount = await usdToRaw(sandbox, collateral, collateralUsd);
    await mintTo(hre, sandbox.tokens, sandbox.deployer, collateral, wallet.address as Address, collateralAmount);
    await (await sandbox.tokens[collateral].connect(wallet).approve(pool, collateralAmount)).wait();
    await (await pool.connect(wallet).supply(collateralToken, collateralAmount, wallet.address, 0)).wait();
    await (await pool.connect(wallet).borrow(debtToken, debtAmount, AAVE_VARIABLE_RATE, 0, wallet.address)).wait();
    borrowers.push(wallet.address as Address);
  }
  await dropPrice(sandbox, collateral, options.dropFraction ?? 0.06);
  const positions: UnhealthyAavePosition[] = [];
  for (const borrower of borrowers) {
    const { healthFactor } = await pool.getUserAccountData(borrower);
    expect(healthFactor, `Aave borrower ${borrower} should be liquidatable`).to.be.lessThan(WAD);
    const { currentVariableDebt } = await dataProvider.getUserReserveData(debtToken, borrower);
    positions.push({ borrower, collateralToken, debtToken, debt: currentVariableDebt, debtToCover: currentVariableDebt / 2n, healthFactor });
  }
  return positions;
}

/**
 * Opens `count` Morpho Blue borrowers in market `market` (0 = WETH/USDC 86%) at `openAt` (maxBorrow / borrowed), then
 * drops the collateral price by `dropFraction`. Defaults: $20k, 1.03 -> ~0.98 after 5%.
 */
export async function unhealthyMorphoPositions(
  sandbox: Sandbox,
  options: { market?: number; count?: number; seed?: number; debtUsd?: number; openAt?: number; dropFraction?: number } = {},
): Promise<UnhealthyMorphoPosition[]> {
  const market = sandbox.morpho.markets[options.market ?? 0];
  const { morpho } = sandbox.morpho;
  const collateral = symbolOf(sandbox, market.collateralToken);
  const loan = symbolOf(sandbox, market.loanToken);
  const oraclePrice = await IOracle__factory.connect(market.oracle, hre.ethers.provider).price();
  const borrowers: Address[] = [];
  for (let i = 0; i < (options.count ?? 1); i++) {
    const wallet = await borrowerWallet("morpho", options.seed ?? 13, i);
    const loanAmount = await usdToRaw(sandbox, loan, options.debtUsd ?? 20_000);
    // maxBorrow = collateral * price / 1e36 * lltv / 1e18  =>  collateral = HF * loan * 1e18 / lltv * 1e36 / price.
    const openAtMillionths = BigInt(Math.round((options.openAt ?? 1.03) * 1e6));
    const collateralAmount = (((loanAmount * openAtMillionths) / 1_000_000n) * WAD * ORACLE_PRICE_SCALE) / market.lltv / oraclePrice + 1n;
    await mintTo(hre, sandbox.tokens, sandbox.deployer, collateral, wallet.address as Address, collateralAmount);
    await (await sandbox.tokens[collateral].connect(wallet).approve(morpho, MAX_UINT256)).wait();
    await (await morpho.connect(wallet).supplyCollateral(market, collateralAmount, wallet.address, "0x")).wait();
    await (await morpho.connect(wallet).borrow(market, loanAmount, 0n, wallet.address, wallet.address)).wait();
    await (await sandbox.tokens[collateral].connect(wallet).approve(morpho, 0n)).wait();
    borrowers.push(wallet.address as Address);
  }
  await dropPrice(sandbox, collateral, options.dropFraction ?? 0.05);
  const id = morphoMarketId(market);
  const positions: UnhealthyMorphoPosition[] = [];
  for (const borrower of borrowers) {
    const position = await morpho.position(id, borrower);
    positions.push({ borrower, market, collateral: position.collateral, borrowShares: position.borrowShares });
  }
  return positions;
}
