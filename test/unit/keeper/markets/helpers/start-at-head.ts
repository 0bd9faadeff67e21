/**
 * How the market tests bring a plug-in up to the chain's head, as the engine does at start: initialise it, find every
 * borrower from block 0, and read their positions, discovery and reads both at the current head.
 */
import hre from "hardhat";
import type { LendingMarket } from "../../../../../keeper/markets/market";

/** Every borrower found from block 0 and every position read, both at the current head; returns the head. */
export async function trackAllAtHead(market: Pick<LendingMarket, "discoverBorrowers" | "refreshPositions">): Promise<number> {
  const head = await hre.ethers.provider.getBlockNumber();
  await market.discoverBorrowers(0, head);
  await market.refreshPositions(undefined, head);
  return head;
}

/** The plug-in initialised, then tracking every borrower at the head. */
export async function startAtHead<Market extends Pick<LendingMarket, "init" | "discoverBorrowers" | "refreshPositions">>(
  market: Market,
): Promise<Market> {
  await market.init();
  await trackAllAtHead(market);
  return market;
}
