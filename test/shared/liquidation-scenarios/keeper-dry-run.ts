/**
 * The keeper's Aave V3 market plug-in driven the way a DRY keeper drives it (discover, read, react to prices, size;
 * never send), with its in-memory view checked against the pool's own getUserAccountData. Run on the sandbox
 * (v3.6 by default) by the unit suite and on Base (v3.3+) by test/fork/keeper-dry-run.fork.test.ts.
 */
import hre from "hardhat";
import { expect } from "chai";
import type { AddressBook, Address } from "../../../keeper/config/address-book";
import type { TrackedPosition } from "../../../keeper/core/types";
import { AaveV3Market } from "../../../keeper/markets/aave-v3/aave-v3-market";
import type { MarketUpdate } from "../../../keeper/markets/market";
import { createMarketDependencies } from "../../../keeper/markets/factory";
import { aaveContracts, makeAaveLiquidatable } from "./aave-v3";
import type { AaveScenarioMarket, ScenarioEnvironment } from "./environment";

const WAD = 10n ** 18n;

export interface DiscoveredAaveMarket {
  readonly market: AaveV3Market;
  readonly fromBlock: number;
  readonly toBlock: number;
  /** The block positions were read at (the chain's head when discovery finished). */
  readonly readBlock: number;
  readonly borrowers: readonly Address[];
}

/**
 * Initialises the keeper's Aave market on the book's Aave V3, discovers borrowers from Borrow events in
 * `fromBlock..toBlock` (requests no wider than `maxLogBlockSpan`) and reads their positions at the head.
 */
export async function discoverAaveWithKeeper(
  book: AddressBook,
  range: { readonly fromBlock: number; readonly toBlock: number; readonly maxLogBlockSpan?: number },
): Promise<DiscoveredAaveMarket> {
  if (book.aaveV3 === undefined) throw new Error(`the "${book.network}" address book has no aaveV3 entry`);
  const market = new AaveV3Market(book.aaveV3, createMarketDependencies(hre.ethers.provider, book, { batchSize: 100 }), {
    maxLogBlockSpan: range.maxLogBlockSpan,
  });
  await market.init();
  const discovery = await market.discoverBorrowers(range.fromBlock, range.toBlock);
  const readBlock = await hre.ethers.provider.getBlockNumber();
  await market.refreshPositions(discovery.borrowers, readBlock);
  return { market, fromBlock: range.fromBlock, toBlock: range.toBlock, readBlock, borrowers: discovery.borrowers };
}

export interface BorrowerCriteria {
  readonly collateral: Address;
  readonly debt: Address;
  readonly minCollateralUsd: number;
  readonly minDebtUsd: number;
  readonly maxDebtUsd: number;
  /** For the error message: what kind of borrower was wanted. */
  readonly label: string;
}

/**
 * A tracked, still healthy borrower (HF 1..3) with more than `minCollateralUsd` of `collateral`, between `minDebtUsd`
 * and `maxDebtUsd` of `debt`, and no debt in `collateral` (so its health factor is affine in the collateral's price).
 * Largest collateral first.
 */
export function pickAaveBorrower(found: DiscoveredAaveMarket, criteria: BorrowerCriteria): TrackedPosition {
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  const collateralValue = (p: TrackedPosition) => p.collaterals.find((c) => same(c.token, criteria.collateral))?.valueUsd ?? 0;
  const eligible = found.market
    .positions()
    .filter((p) => p.healthFactor > WAD && p.healthFactor < 3n * WAD)
    .filter((p) => collateralValue(p) > criteria.minCollateralUsd)
    .filter((p) => !p.debts.some((d) => same(d.token, criteria.collateral)))
    .filter((p) =>
      p.debts.some((d) => same(d.token, criteria.debt) && d.valueUsd >= criteria.minDebtUsd && d.valueUsd <= criteria.maxDebtUsd),
    )
    .sort((a, b) => collateralValue(b) - collateralValue(a));
  if (eligible.length === 0) {
    throw new Error(
      `no healthy Aave borrower with > $${criteria.minCollateralUsd.toLocaleString("en-US")} of ${criteria.label} found in blocks ` +
        `${found.fromBlock}..${found.toBlock} (${found.borrowers.length} borrowers discovered): widen the discovery range`,
    );
  }
  return eligible[0];
}

/** |mine - pool| <= 1e-9 x |pool|. */
function expectWithinOnePpb(mine: bigint, pool: bigint, what: string): void {
  const difference = mine > pool ? mine - pool : pool - mine;
  expect(difference * 1_000_000_000n <= (pool < 0n ? -pool : pool), `${what}: keeper ${mine} vs pool ${pool} (1e-9 relative)`).to.equal(
    true,
  );
}

/** Every tracked position's in-memory health factor, collateral and debt against getUserAccountData at `blockTag`. */
export async function expectKeeperAgreesWithPool(aave: AaveScenarioMarket, market: AaveV3Market, blockTag: number): Promise<number> {
  const { pool } = await aaveContracts(aave);
  let compared = 0;
  for (const position of market.positions()) {
    const borrower = position.key.borrower;
    const mine = market.accountData(borrower);
    if (mine === undefined) throw new Error(`the keeper tracks ${borrower} but has no account data for it`);
    const theirs = await pool.getUserAccountData(borrower, { blockTag });
    expectWithinOnePpb(mine.healthFactor, theirs.healthFactor, `health factor of ${borrower}`);
    expectWithinOnePpb(mine.totalCollateralBase, theirs.totalCollateralBase, `collateral of ${borrower}`);
    expectWithinOnePpb(mine.totalDebtBase, theirs.totalDebtBase, `debt of ${borrower}`);
    compared += 1;
  }
  return compared;
}

/** Sizes every liquidatable position: a candidate by the pool's rules (`rulesPrefix`) or a refusal with a reason. */
export function expectEverySizingDecided(market: AaveV3Market, positions: readonly TrackedPosition[], rulesPrefix: RegExp): number {
  let sized = 0;
  for (const stale of positions) {
    const position = market.position(stale.key.borrower);
    if (position === undefined || position.healthFactor >= WAD) continue;
    const sizing = market.sizeLiquidationWithReason(position);
    if (sizing.ok) {
      expect(sizing.candidate.sizingRule, `sizing of ${position.key.borrower}`).to.match(rulesPrefix);
      sized += 1;
    } else {
      expect(sizing.reason, `refusal of ${position.key.borrower}`).to.be.a("string").and.not.equal("");
    }
  }
  return sized;
}

/**
 * Pushes `borrower` below 1 by moving `collateral`'s oracle source, then lets the keeper react as it does to a price
 * update it cannot model (re-read the oracle, recompute the holders in memory), and catch up with the indexes of the
 * blocks mined since. Returns the price reaction; the caller checks agreement and sizing.
 */
export async function pushBorrowerAndReact(
  env: ScenarioEnvironment,
  aave: AaveScenarioMarket,
  market: AaveV3Market,
  borrower: Address,
  collateral: Address,
  targetHealthFactor: number,
): Promise<{ readonly update: MarketUpdate; readonly readBlock: number }> {
  await makeAaveLiquidatable(env, aave, borrower, collateral, targetHealthFactor);
  const readBlock = await hre.ethers.provider.getBlockNumber();
  const block = await hre.ethers.provider.getBlock(readBlock);
  if (block === null) throw new Error(`block ${readBlock} not found`);
  const update = await market.refreshPrices(readBlock);
  expect(update.recomputed, "positions holding the moved asset were recomputed").to.be.greaterThan(0);
  expect(
    update.newlyLiquidatable.map((p) => p.key.borrower.toLowerCase()),
    "the pushed borrower became liquidatable in memory",
  ).to.include(borrower.toLowerCase());
  await market.onBlock({ number: readBlock, timestamp: block.timestamp });
  return { update, readBlock };
}
