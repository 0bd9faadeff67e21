/**
 * What a liquidation scenario runs against. The scenarios in this folder are written once and run twice: on the
 * sandbox (test/unit/liquidation-scenarios.test.ts) and on a Base fork pinned to one block (test/fork/). Everything
 * that differs between the two lives behind these interfaces:
 * - `ScenarioEnvironment`: the address book, the executor deployed by the Ignition module, and how an account gets
 *   tokens (minted on the sandbox, written into the token's balance slot on the fork);
 * - one market handle per protocol family, carrying the privileged hooks a scenario needs to move a price (the
 *   account allowed to re-point Aave's oracle, Moonwell's oracle admin, ...).
 * Everything else (positions, price moves, plans, checks) is the same code on both chains.
 */
import hre from "hardhat";
import { AbiCoder, Wallet, keccak256, type Signer } from "ethers";
import { IERC20__factory, type ChimeraExecutor } from "../../../typechain-types";
import type { AaveV3Market, Address, AddressBook, MorphoMarketParams } from "../../../keeper/config/address-book";

/** Tokens and spenders the "executor holds nothing" invariant is checked over, beyond the book's tokens and lenders. */
export interface ExtraHoldings {
  readonly tokens: readonly Address[];
  readonly spenders: readonly Address[];
}

export interface ScenarioEnvironment {
  /** "sandbox" or "base-fork": for messages only; scenario code never branches on it. */
  readonly label: string;
  readonly book: AddressBook;
  /** The executor deployed through ignition/modules/ChimeraExecutorModule.ts, connected to an operator. */
  readonly executor: ChimeraExecutor;
  /** The executor's owner, for allowlisting a target a plan needs (a Uniswap V3 pool used as flash source). */
  readonly owner: Signer;
  readonly treasury: Address;
  /** Gives `to` exactly `amount` more raw units of `token`. */
  fund(token: Address, to: Address, amount: bigint): Promise<void>;
  readonly extraHoldings: ExtraHoldings;
}

/** Aave V3 (or a fork of it) and the account allowed to call AaveOracle.setAssetSources (pool or asset-listing admin). */
export interface AaveScenarioMarket {
  readonly config: AaveV3Market;
  readonly oracleAdmin: Signer;
}

/** One Morpho Blue market. Its oracle is replaced in place by a settable one to move the price (see morpho-blue.ts). */
export interface MorphoScenarioMarket {
  readonly morpho: Address;
  readonly params: MorphoMarketParams;
}

/**
 * A Compound-v2-family pair of markets (Moonwell on Base, the CompoundV2 doubles on the sandbox). Prices follow
 * Compound's convention: `getUnderlyingPrice` = USD per whole underlying token x 1e18, scaled by 1e(18 - decimals).
 */
export interface CompoundScenarioMarket {
  readonly label: string;
  readonly comptroller: Address;
  /** Where the borrower borrows (and the executor repays): its underlying is the debt token. */
  readonly debtMarket: Address;
  /** Where the borrower supplies collateral (and the executor seizes and redeems). */
  readonly collateralMarket: Address;
  /** Makes `markets` count as the borrower's collateral (Compound's enterMarkets; a no-op where every market counts). */
  enterMarkets(borrower: Signer, markets: readonly Address[]): Promise<void>;
  underlyingPrice(market: Address): Promise<bigint>;
  /** Makes the comptroller price `market`'s underlying at `price` (same convention as `underlyingPrice`). */
  setUnderlyingPrice(market: Address, price: bigint): Promise<void>;
}

/** The book's token entry for an address, or an error naming the address and the book. */
export function tokenInfo(book: AddressBook, token: Address): { symbol: string; decimals: number } {
  const info = Object.values(book.tokens).find((t) => t.address.toLowerCase() === token.toLowerCase());
  if (info === undefined) throw new Error(`token ${token} is not in the "${book.network}" address book`);
  return info;
}

export function requireBookEntry<T>(value: T | undefined, field: string, book: AddressBook): T {
  if (value === undefined) throw new Error(`the "${book.network}" address book has no ${field}, which this scenario needs`);
  return value;
}

/**
 * A fresh borrower: a deterministic key per (label, index), funded with ETH for gas. Deterministic so a failing run
 * can be replayed; fresh so no scenario ever meets a position another test (or Base's history) left behind.
 */
export async function freshAccount(label: string, index = 0): Promise<Wallet> {
  const key = keccak256(AbiCoder.defaultAbiCoder().encode(["string", "string", "uint256"], ["chimera-liquidation-scenario", label, index]));
  const wallet = new Wallet(key, hre.ethers.provider);
  await hre.network.provider.send("hardhat_setBalance", [wallet.address, hre.ethers.toQuantity(10n ** 20n)]);
  return wallet;
}

export async function balanceOf(token: Address, account: Address): Promise<bigint> {
  return IERC20__factory.connect(token, hre.ethers.provider).balanceOf(account);
}

/** Ceil(a / b) for non-negative bigints. */
export function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}

/** `value` scaled by a decimal `factor` (e.g. 0.97), to 1e-9 precision: for sizing positions from plain-number targets. */
export function scaleBy(value: bigint, factor: number): bigint {
  if (!Number.isFinite(factor) || factor <= 0) throw new Error(`a scale factor must be a positive finite number, got ${factor}`);
  return (value * BigInt(Math.round(factor * 1e9))) / 1_000_000_000n;
}
