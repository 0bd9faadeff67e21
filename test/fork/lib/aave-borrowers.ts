/**
 * Real Aave V3 borrowers on the fork, found the way the keeper finds them: its Aave market plug-in scans the pool's
 * Borrow events over a bounded block range (chunked, halving chunks a node refuses), then reads every borrower's
 * position at the fork's head in Multicall3 batches.
 */
import hre from "hardhat";
import type { AddressBook, Address } from "../../../keeper/config/address-book";
import type { TrackedPosition } from "../../../keeper/core/types";
import { AaveV3Market } from "../../../keeper/markets/aave-v3/aave-v3-market";
import { createMarketDependencies } from "../../../keeper/markets/factory";
import { BASE_FORK_BLOCK } from "../pinned-block";

/**
 * Blocks scanned for Borrow events, ending at the pinned block: 10,000 Base blocks is about 5.5 hours, enough for
 * dozens of borrowers on Aave Base, and few enough getLogs requests for any archive RPC.
 */
export const DISCOVERY_SPAN = 10_000;
/** The widest getLogs request: common RPC plans cap ranges at 2,000 to 10,000 blocks. */
export const MAX_LOG_BLOCK_SPAN = 2_000;

export interface DiscoveredAaveMarket {
  readonly market: AaveV3Market;
  readonly fromBlock: number;
  readonly toBlock: number;
  /** The block positions were read at (the fork's head, above the pinned block). */
  readonly readBlock: number;
  readonly borrowers: readonly Address[];
}

/** Initialises the keeper's Aave market on the book's Aave V3, discovers borrowers and reads their positions. */
export async function discoverAaveBorrowers(book: AddressBook, span = DISCOVERY_SPAN): Promise<DiscoveredAaveMarket> {
  if (book.aaveV3 === undefined) throw new Error(`the "${book.network}" address book has no aaveV3 entry`);
  const market = new AaveV3Market(book.aaveV3, createMarketDependencies(hre.ethers.provider, book, { batchSize: 100 }), {
    maxLogBlockSpan: MAX_LOG_BLOCK_SPAN,
  });
  await market.init();
  const toBlock = BASE_FORK_BLOCK;
  const fromBlock = toBlock - span + 1;
  const discovery = await market.discoverBorrowers(fromBlock, toBlock);
  // Read at the head, a block the fork mined itself: Hardhat replays blocks at or below the fork block only for
  // chains whose hardfork history it knows, and Base is not one of them.
  const readBlock = await hre.ethers.provider.getBlockNumber();
  await market.refreshPositions(discovery.borrowers, readBlock);
  return { market, fromBlock, toBlock, readBlock, borrowers: discovery.borrowers };
}

/**
 * A discovered, still healthy borrower whose collateral in `collateral` is worth more than `minCollateralUsd`, who owes
 * between `minDebtUsd` and `maxDebtUsd` of `debt` and does not borrow `collateral` (so its health factor is affine in
 * the collateral's price). Largest collateral first.
 */
export function pickAaveBorrower(
  found: DiscoveredAaveMarket,
  criteria: {
    readonly collateral: Address;
    readonly debt: Address;
    readonly minCollateralUsd: number;
    readonly minDebtUsd: number;
    readonly maxDebtUsd: number;
    readonly label: string;
  },
): TrackedPosition {
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  const eligible = found.market
    .positions()
    .filter((p) => p.healthFactor > 10n ** 18n && p.healthFactor < 3n * 10n ** 18n)
    .filter((p) => p.collaterals.some((c) => same(c.token, criteria.collateral) && c.valueUsd > criteria.minCollateralUsd))
    .filter((p) => !p.debts.some((d) => same(d.token, criteria.collateral)))
    .filter((p) => p.debts.some((d) => same(d.token, criteria.debt) && d.valueUsd >= criteria.minDebtUsd && d.valueUsd <= criteria.maxDebtUsd))
    .sort((a, b) => {
      const value = (p: TrackedPosition) => p.collaterals.find((c) => same(c.token, criteria.collateral))?.valueUsd ?? 0;
      return value(b) - value(a);
    });
  if (eligible.length === 0) {
    throw new Error(
      `no healthy Aave borrower with > $${criteria.minCollateralUsd.toLocaleString("en-US")} of ${criteria.label} found in blocks ` +
        `${found.fromBlock}..${found.toBlock} (${found.borrowers.length} borrowers discovered): widen DISCOVERY_SPAN`,
    );
  }
  return eligible[0];
}
