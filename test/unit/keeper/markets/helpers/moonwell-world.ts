/**
 * The Moonwell test-double world the Moonwell plug-in's tests share (one fixture, so one build per test run):
 * contracts/test/MoonwellMarketDoubles.sol — a TEST DOUBLE with Moonwell's ABI and Compound's Exp arithmetic,
 * Moonwell shipping no bytecode on npm — with three markets priced by the sandbox's Chainlink feeds and 24
 * borrowers holding one or two collaterals and one or two debts at health factors 1.03–1.6.
 */
import { expect } from "chai";
import hre from "hardhat";
import { Wallet } from "ethers";
import { loadFixture, setBalance, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { sandboxFixture } from "../../../../shared/sandbox-fixture";
import { seededRandom, type Sandbox } from "../../../../../sandbox";
import type { Address, MoonwellDeployment } from "../../../../../keeper/config/address-book";
import { MoonwellMarket, type MoonwellMarketOptions } from "../../../../../keeper/markets/moonwell/moonwell-market";
import { createMarketDependencies } from "../../../../../keeper/markets/factory";
import type { MarketDependencies } from "../../../../../keeper/markets/market-dependencies";
import {
  MoonwellChainlinkOracleDouble__factory,
  MoonwellComptrollerDouble__factory,
  MoonwellMTokenDouble__factory,
  type MoonwellComptrollerDouble,
  type MoonwellMTokenDouble,
} from "../../../../../typechain-types";
import { startAtHead } from "./start-at-head";

export const SYMBOLS = ["USDC", "WETH", "cbBTC"] as const;
export type Symbol = (typeof SYMBOLS)[number];
const COLLATERAL_FACTORS: Record<Symbol, bigint> = { USDC: 83n * 10n ** 16n, WETH: 81n * 10n ** 16n, cbBTC: 78n * 10n ** 16n };
/** Per-second borrow rates (~6–12% a year) so interest accrues visibly. */
const RATES: Record<Symbol, bigint> = { USDC: 3_000_000_000n, WETH: 2_000_000_000n, cbBTC: 4_000_000_000n };
const PRICES_USD: Record<Symbol, number> = { USDC: 1, WETH: 3_000, cbBTC: 60_000 };
const DECIMALS: Record<Symbol, number> = { USDC: 6, WETH: 18, cbBTC: 8 };

export interface MoonwellWorld {
  sandbox: Sandbox;
  comptroller: MoonwellComptrollerDouble;
  mTokens: Record<Symbol, MoonwellMTokenDouble>;
  deployment: MoonwellDeployment;
  borrowers: Wallet[];
  liquidator: HardhatEthersSigner;
}

export async function fundAndApprove(
  sandbox: Sandbox,
  who: HardhatEthersSigner | Wallet,
  symbol: Symbol,
  amount: bigint,
  spender: string,
): Promise<void> {
  if (symbol === "WETH") await (await sandbox.tokens.WETH.connect(who).deposit({ value: amount })).wait();
  else await (await sandbox.tokens[symbol].connect(who)["mint(uint256)"](amount)).wait();
  await (await sandbox.tokens[symbol].connect(who).approve(spender, amount)).wait();
}

function units(symbol: Symbol, amount: number): bigint {
  return (BigInt(Math.round(amount * 1e6)) * 10n ** BigInt(DECIMALS[symbol])) / 1_000_000n;
}

export async function moonwellWorldFixture(): Promise<MoonwellWorld> {
  const sandbox = await loadFixture(sandboxFixture);
  const [deployer] = await hre.ethers.getSigners();
  const oracle = await new MoonwellChainlinkOracleDouble__factory(deployer).deploy();
  for (const symbol of SYMBOLS) await (await oracle.setFeed(symbol, await sandbox.priceFeeds[symbol].getAddress())).wait();
  const comptroller = await new MoonwellComptrollerDouble__factory(deployer).deploy(
    await oracle.getAddress(),
    5n * 10n ** 17n,
    108n * 10n ** 16n,
  );
  const mTokens = {} as Record<Symbol, MoonwellMTokenDouble>;
  for (const symbol of SYMBOLS) {
    // Moonwell's initial exchange rate: 0.02 underlying per mToken, in 1e18 · 10^(underlying − 8) units.
    const initialRate = 2n * 10n ** BigInt(16 + DECIMALS[symbol] - 8);
    const mToken = await new MoonwellMTokenDouble__factory(deployer).deploy(
      `Moonwell ${symbol}`,
      `m${symbol}`,
      await sandbox.tokens[symbol].getAddress(),
      await comptroller.getAddress(),
      initialRate,
      RATES[symbol],
    );
    const address = await mToken.getAddress();
    await (await comptroller._supportMarket(address)).wait();
    await (await comptroller._setCollateralFactor(address, COLLATERAL_FACTORS[symbol])).wait();
    // Lender liquidity: 20M USD per market.
    const liquidity = units(symbol, 20_000_000 / PRICES_USD[symbol]);
    await fundAndApprove(sandbox, deployer, symbol, liquidity, address);
    await (await mToken.mint(liquidity)).wait();
    mTokens[symbol] = mToken;
  }

  // Borrowers: one or two collaterals, one or two debts, health factors 1.03–1.6.
  const random = seededRandom(77);
  const borrowers: Wallet[] = [];
  for (let i = 0; i < 24; i++) {
    const wallet = new Wallet(Wallet.createRandom().privateKey, hre.ethers.provider);
    await setBalance(wallet.address, 10n ** 20n);
    const collaterals: Symbol[] = i % 5 === 0 ? ["WETH", "cbBTC"] : [SYMBOLS[i % 3]];
    let borrowingPowerUsd = 0;
    for (const symbol of collaterals) {
      const usd = random.between(2_000, 200_000);
      const amount = units(symbol, usd / PRICES_USD[symbol]);
      const market = mTokens[symbol];
      await fundAndApprove(sandbox, wallet, symbol, amount, await market.getAddress());
      await (await market.connect(wallet).mint(amount)).wait();
      borrowingPowerUsd += usd * (Number(COLLATERAL_FACTORS[symbol]) / 1e18);
    }
    await (await comptroller.connect(wallet).enterMarkets(await Promise.all(collaterals.map((s) => mTokens[s].getAddress())))).wait();
    const debts = SYMBOLS.filter((s) => !collaterals.includes(s)).slice(0, i % 4 === 0 ? 2 : 1);
    const targetHf = random.between(1.03, 1.6);
    for (const symbol of debts) {
      const usd = borrowingPowerUsd / targetHf / debts.length;
      const code = await mTokens[symbol].connect(wallet).borrow.staticCall(units(symbol, usd / PRICES_USD[symbol]));
      expect(code, `borrow allowed for borrower ${i}`).to.equal(0n);
      await (await mTokens[symbol].connect(wallet).borrow(units(symbol, usd / PRICES_USD[symbol]))).wait();
    }
    borrowers.push(wallet);
  }

  const liquidator = (await hre.ethers.getSigners())[13];
  for (const symbol of SYMBOLS)
    await fundAndApprove(sandbox, liquidator, symbol, units(symbol, 5_000_000 / PRICES_USD[symbol]), await mTokens[symbol].getAddress());
  await time.increase(3 * 24 * 3600);
  await hre.network.provider.send("evm_mine");

  const deployment: MoonwellDeployment = {
    label: "moonwell-double",
    comptroller: (await comptroller.getAddress()) as Address,
    oracle: (await oracle.getAddress()) as Address,
    markets: Object.fromEntries(await Promise.all(SYMBOLS.map(async (s) => [s, (await mTokens[s].getAddress()) as Address]))),
    deployBlock: 0,
  };
  return { sandbox, comptroller, mTokens, deployment, borrowers, liquidator };
}

/** The plug-in on `deployment`, started as the engine starts it: initialised, borrowers found from block 0, positions read at the head. */
export async function startMoonwellMarket(
  deployment: MoonwellDeployment,
  deps: MarketDependencies,
  options: MoonwellMarketOptions = {},
): Promise<MoonwellMarket> {
  return startAtHead(new MoonwellMarket(deployment, deps, options));
}

export async function startMarket(
  world: MoonwellWorld,
  options: MoonwellMarketOptions = {},
): Promise<{ market: MoonwellMarket; deps: MarketDependencies }> {
  const deps = createMarketDependencies(hre.ethers.provider, world.sandbox.book);
  return { market: await startMoonwellMarket(world.deployment, deps, options), deps };
}
