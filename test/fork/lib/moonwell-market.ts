/**
 * Moonwell on the fork as a CompoundScenarioMarket: its real Comptroller, markets and ChainlinkOracle. Prices move
 * through the oracle's own admin override (ChainlinkOracle.setUnderlyingPrice, moonwell-contracts-v2
 * src/oracles/ChainlinkOracle.sol: `onlyAdmin`; the admin is read from `admin()` and impersonated, on Base Moonwell's
 * TemporalGovernor). Note the override's units: it stores USD per whole token x 1e18 and getUnderlyingPrice returns
 * that x 1e(18 - decimals), so the handle divides before storing.
 */
import hre from "hardhat";
import { Contract, Interface, type Signer } from "ethers";
import type { Address, AddressBook } from "../../../keeper/config/address-book";
import type { CompoundScenarioMarket } from "../../shared/liquidation-scenarios/environment";
import { impersonate } from "./fork-accounts";

/** Moonwell ChainlinkOracle (src/oracles/ChainlinkOracle.sol). */
const MOONWELL_ORACLE_ABI = new Interface([
  "function admin() view returns (address)",
  "function getUnderlyingPrice(address mToken) view returns (uint256)",
  "function setUnderlyingPrice(address mToken, uint256 underlyingPriceMantissa)",
]);

/** Moonwell Comptroller (src/Comptroller.sol, src/ComptrollerStorage.sol). */
const MOONWELL_COMPTROLLER_ABI = new Interface([
  "function admin() view returns (address)",
  "function oracle() view returns (address)",
  "function enterMarkets(address[] mTokens) returns (uint256[])",
  "function supplyCaps(address mToken) view returns (uint256)",
  "function borrowCaps(address mToken) view returns (uint256)",
  "function mintGuardianPaused(address mToken) view returns (bool)",
  "function borrowGuardianPaused(address mToken) view returns (bool)",
  "function _setMarketSupplyCaps(address[] mTokens, uint256[] newSupplyCaps)",
  "function _setMarketBorrowCaps(address[] mTokens, uint256[] newBorrowCaps)",
]);

/** Moonwell MErc20 (src/MToken.sol) reads for cap headroom and price units. */
const MOONWELL_MTOKEN_ABI = new Interface([
  "function underlying() view returns (address)",
  "function getCash() view returns (uint256)",
  "function totalBorrows() view returns (uint256)",
  "function totalReserves() view returns (uint256)",
]);
const ERC20_DECIMALS_ABI = new Interface(["function decimals() view returns (uint8)"]);

function call<T>(contract: Contract, method: string, ...args: unknown[]): Promise<T> {
  return contract.getFunction(method).staticCall(...args) as Promise<T>;
}

export interface MoonwellMarketChoice {
  /** Symbols of the address book's moonwell.markets. */
  readonly collateral: string;
  readonly debt: string;
}

/**
 * The handle for one collateral/debt pair of Moonwell markets. Fails with the reason if either market is paused for
 * what the scenario does, and lifts a supply or borrow cap (as the comptroller admin) only when less than
 * `headroom` underlying units are left under it, so a cap reached at the pinned block cannot fail the scenario.
 */
export async function moonwellScenarioMarket(
  book: AddressBook,
  choice: MoonwellMarketChoice,
  headroom: { readonly collateral: bigint; readonly debt: bigint },
): Promise<CompoundScenarioMarket & { readonly oracleAdmin: Signer }> {
  const moonwell = book.moonwell;
  if (moonwell === undefined) throw new Error(`the "${book.network}" address book has no moonwell entry`);
  const collateralMarket = moonwell.markets[choice.collateral];
  const debtMarket = moonwell.markets[choice.debt];
  if (collateralMarket === undefined || debtMarket === undefined) {
    throw new Error(`moonwell.markets lacks ${choice.collateral} or ${choice.debt}; it lists ${Object.keys(moonwell.markets).join(", ")}`);
  }
  const comptroller = new Contract(moonwell.comptroller, MOONWELL_COMPTROLLER_ABI, hre.ethers.provider);
  const oracleAddress = (await call<string>(comptroller, "oracle")) as Address;
  if (oracleAddress.toLowerCase() !== moonwell.oracle.toLowerCase()) {
    // Not fatal: the comptroller's oracle is the one liquidations use, so the handle follows it.
    console.warn(`    note: Moonwell's comptroller uses oracle ${oracleAddress}, the address book says ${moonwell.oracle}`);
  }
  const oracle = new Contract(oracleAddress, MOONWELL_ORACLE_ABI, hre.ethers.provider);
  const oracleAdmin = await impersonate((await call<string>(oracle, "admin")) as Address);

  if (await call<boolean>(comptroller, "mintGuardianPaused", collateralMarket))
    throw new Error(`Moonwell ${choice.collateral} minting is paused at this block`);
  if (await call<boolean>(comptroller, "borrowGuardianPaused", debtMarket))
    throw new Error(`Moonwell ${choice.debt} borrowing is paused at this block`);
  await ensureCapHeadroom(comptroller, collateralMarket, "supply", headroom.collateral);
  await ensureCapHeadroom(comptroller, debtMarket, "borrow", headroom.debt);

  const decimalsOf = async (market: Address): Promise<bigint> => {
    const underlying = await call<string>(new Contract(market, MOONWELL_MTOKEN_ABI, hre.ethers.provider), "underlying");
    return call<bigint>(new Contract(underlying, ERC20_DECIMALS_ABI, hre.ethers.provider), "decimals");
  };

  return {
    label: moonwell.label,
    comptroller: moonwell.comptroller,
    debtMarket,
    collateralMarket,
    oracleAdmin,
    enterMarkets: async (borrower, markets) => {
      const codes = await call<bigint[]>(comptroller.connect(borrower) as Contract, "enterMarkets", markets);
      if (codes.some((code) => code !== 0n))
        throw new Error(`Moonwell enterMarkets(${markets.join(", ")}) returned error codes ${codes.join(", ")}`);
      await (await (comptroller.connect(borrower) as Contract).getFunction("enterMarkets").send(markets)).wait();
    },
    underlyingPrice: (market) => call<bigint>(oracle, "getUnderlyingPrice", market),
    setUnderlyingPrice: async (market, price) => {
      const scale = 10n ** (18n - (await decimalsOf(market)));
      await (await (oracle.connect(oracleAdmin) as Contract).getFunction("setUnderlyingPrice").send(market, price / scale)).wait();
    },
  };
}

/** Lifts `market`'s supply or borrow cap (comptroller admin) when less than `needed` is left under it. */
async function ensureCapHeadroom(comptroller: Contract, market: Address, kind: "supply" | "borrow", needed: bigint): Promise<void> {
  const cap = await call<bigint>(comptroller, kind === "supply" ? "supplyCaps" : "borrowCaps", market);
  if (cap === 0n) return; // 0 = unlimited
  const mToken = new Contract(market, MOONWELL_MTOKEN_ABI, hre.ethers.provider);
  const borrows = await call<bigint>(mToken, "totalBorrows");
  const used =
    kind === "borrow" ? borrows : (await call<bigint>(mToken, "getCash")) + borrows - (await call<bigint>(mToken, "totalReserves"));
  if (cap > used + needed) return;
  const admin = await impersonate((await call<string>(comptroller, "admin")) as Address);
  const setter = kind === "supply" ? "_setMarketSupplyCaps" : "_setMarketBorrowCaps";
  await (await (comptroller.connect(admin) as Contract).getFunction(setter).send([market], [used + needed * 10n])).wait();
  console.log(`    note: Moonwell ${market} ${kind} cap ${cap} was within ${needed} of its use ${used}; the fork raised it`);
}
