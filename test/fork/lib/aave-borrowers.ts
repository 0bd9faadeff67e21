/**
 * Real Aave V3 borrowers on the fork, found the way the keeper finds them (its Aave market plug-in scanning the pool's
 * Borrow events, test/shared/liquidation-scenarios/keeper-dry-run.ts) over a bounded range ending at the pinned block.
 */
import type { AddressBook } from "../../../keeper/config/address-book";
import { discoverAaveWithKeeper, type DiscoveredAaveMarket } from "../../shared/liquidation-scenarios/keeper-dry-run";
import { BASE_FORK_BLOCK } from "../pinned-block";

/**
 * Blocks scanned for Borrow events, ending at the pinned block: 10,000 Base blocks is about 5.5 hours, enough for
 * dozens of borrowers on Aave Base, and few enough getLogs requests for any archive RPC.
 */
export const DISCOVERY_SPAN = 10_000;
/** The widest getLogs request: common RPC plans cap ranges at 2,000 to 10,000 blocks. */
export const MAX_LOG_BLOCK_SPAN = 2_000;

/**
 * Discovers and reads Aave Base borrowers. Positions are read at the fork's head, a block the fork mined itself:
 * Hardhat re-executes blocks at or below the fork block only for chains whose hardfork history it knows, and Base is
 * not one of them (event logs come from the RPC and are fine).
 */
export async function discoverAaveBorrowers(book: AddressBook, span = DISCOVERY_SPAN): Promise<DiscoveredAaveMarket> {
  return discoverAaveWithKeeper(book, {
    fromBlock: BASE_FORK_BLOCK - span + 1,
    toBlock: BASE_FORK_BLOCK,
    maxLogBlockSpan: MAX_LOG_BLOCK_SPAN,
  });
}

export { pickAaveBorrower, type DiscoveredAaveMarket } from "../../shared/liquidation-scenarios/keeper-dry-run";
