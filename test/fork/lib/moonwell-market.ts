/**
 * Moonwell on the fork as a CompoundScenarioMarket: its real Comptroller, markets and ChainlinkOracle. Prices move
 * through the oracle's own admin override (ChainlinkOracle.setUnderlyingPrice, moonwell-contracts-v2
 * src/oracles/ChainlinkOracle.sol: `onlyAdmin`; the admin is read from `admin()` and impersonated, on Base Moonwell's
 * TemporalGovernor). Note the override's units: it stores USD per whole token x 1e18 and getUnderlyingPrice returns
 * that x 1e(18 - decimals), so the handle divides before storing.
 */
import hre from "hardhat";
import type { Signer } from "ethers";
import {
  IERC20Metadata__factory,
  IMoonwellComptroller__factory,
  IMoonwellComptrollerAdmin__factory,
  IMoonwellMToken__factory,
  IMoonwellOracle__factory,
  IMoonwellOracleAdmin__factory,
  type IMoonwellComptrollerAdmin,
} from "../../../typechain-types";
import type { Address, AddressBook } from "../../../keeper/config/address-book";
import type { CompoundScenarioMarket } from "../../shared/liquidation-scenarios/environment";
import { impersonate } from "./fork-accounts";

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
  const provider = hre.ethers.provider;
  const comptroller = IMoonwellComptrollerAdmin__factory.connect(moonwell.comptroller, provider);
  const oracleAddress = (await IMoonwellComptroller__factory.connect(moonwell.comptroller, provider).oracle()) as Address;
  if (oracleAddress.toLowerCase() !== moonwell.oracle.toLowerCase()) {
    // Not fatal: the comptroller's oracle is the one liquidations use, so the handle follows it.
    console.warn(`    note: Moonwell's comptroller uses oracle ${oracleAddress}, the address book says ${moonwell.oracle}`);
  }
  const oracle = IMoonwellOracle__factory.connect(oracleAddress, provider);
  const oracleAdminActions = IMoonwellOracleAdmin__factory.connect(oracleAddress, provider);
  const oracleAdmin = await impersonate((await oracleAdminActions.admin()) as Address);

  if (await comptroller.mintGuardianPaused(collateralMarket))
    throw new Error(`Moonwell ${choice.collateral} minting is paused at this block`);
  if (await comptroller.borrowGuardianPaused(debtMarket)) throw new Error(`Moonwell ${choice.debt} borrowing is paused at this block`);
  await ensureCapHeadroom(comptroller, collateralMarket, "supply", headroom.collateral);
  await ensureCapHeadroom(comptroller, debtMarket, "borrow", headroom.debt);

  const decimalsOf = async (market: Address): Promise<bigint> => {
    const underlying = await IMoonwellMToken__factory.connect(market, provider).underlying();
    return IERC20Metadata__factory.connect(underlying, provider).decimals();
  };

  return {
    label: moonwell.label,
    comptroller: moonwell.comptroller,
    debtMarket,
    collateralMarket,
    oracleAdmin,
    enterMarkets: async (borrower, markets) => {
      const codes = await comptroller.connect(borrower).enterMarkets.staticCall([...markets]);
      if (codes.some((code) => code !== 0n))
        throw new Error(`Moonwell enterMarkets(${markets.join(", ")}) returned error codes ${codes.join(", ")}`);
      await (await comptroller.connect(borrower).enterMarkets([...markets])).wait();
    },
    underlyingPrice: (market) => oracle.getUnderlyingPrice(market),
    setUnderlyingPrice: async (market, price) => {
      const scale = 10n ** (18n - (await decimalsOf(market)));
      await (await oracleAdminActions.connect(oracleAdmin).setUnderlyingPrice(market, price / scale)).wait();
    },
  };
}

/** Lifts `market`'s supply or borrow cap (comptroller admin) when less than `needed` is left under it. */
async function ensureCapHeadroom(
  comptroller: IMoonwellComptrollerAdmin,
  market: Address,
  kind: "supply" | "borrow",
  needed: bigint,
): Promise<void> {
  const cap = kind === "supply" ? await comptroller.supplyCaps(market) : await comptroller.borrowCaps(market);
  if (cap === 0n) return; // 0 = unlimited
  const mToken = IMoonwellMToken__factory.connect(market, hre.ethers.provider);
  const borrows = await mToken.totalBorrows();
  const used = kind === "borrow" ? borrows : (await mToken.getCash()) + borrows - (await mToken.totalReserves());
  if (cap > used + needed) return;
  const admin = comptroller.connect(await impersonate((await comptroller.admin()) as Address));
  const raised = [used + needed * 10n];
  await (await (kind === "supply" ? admin._setMarketSupplyCaps([market], raised) : admin._setMarketBorrowCaps([market], raised))).wait();
  console.log(`    note: Moonwell ${market} ${kind} cap ${cap} was within ${needed} of its use ${used}; the fork raised it`);
}
