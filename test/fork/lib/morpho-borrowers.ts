/**
 * Real borrowers of one Morpho Blue market on the fork, from Morpho's Borrow events over a bounded block range
 * (`Borrow(Id indexed id, address caller, address indexed onBehalf, address indexed receiver, uint256 assets,
 * uint256 shares)`: topic 1 is the market id, topic 2 the borrower).
 */
import hre from "hardhat";
import { EventsLib__factory } from "../../../typechain-types";
import type { Address } from "../../../keeper/config/address-book";
import { morphoMarketId } from "../../../sandbox/morpho-blue";
import { morphoHealthOf, type MorphoHealth } from "../../shared/liquidation-scenarios/morpho-blue";
import type { MorphoScenarioMarket } from "../../shared/liquidation-scenarios/environment";
import { MAX_LOG_BLOCK_SPAN } from "./aave-borrowers";

export interface MorphoBorrower extends MorphoHealth {
  readonly borrower: Address;
}

/**
 * Healthy borrowers of `market` who borrowed in blocks `fromBlock..toBlock` and owe between `minLoan` and `maxLoan`
 * raw loan tokens now, largest first.
 */
export async function discoverMorphoBorrowers(
  market: MorphoScenarioMarket,
  range: { readonly fromBlock: number; readonly toBlock: number },
  size: { readonly minLoan: bigint; readonly maxLoan: bigint },
): Promise<MorphoBorrower[]> {
  // Morpho declares its events in EventsLib, whose ABI (not Morpho's, compiled with 0.8.19) carries them.
  const borrowEvent = EventsLib__factory.createInterface().getEvent("Borrow");
  if (borrowEvent === null) throw new Error("Morpho's EventsLib ABI has no Borrow event");
  const topic = borrowEvent.topicHash;
  const id = morphoMarketId(market.params);
  const borrowers = new Set<Address>();
  for (let from = range.fromBlock; from <= range.toBlock; from += MAX_LOG_BLOCK_SPAN) {
    const to = Math.min(range.toBlock, from + MAX_LOG_BLOCK_SPAN - 1);
    const logs = await hre.ethers.provider.getLogs({ address: market.morpho, topics: [topic, id], fromBlock: from, toBlock: to });
    for (const log of logs) borrowers.add(hre.ethers.getAddress(`0x${log.topics[2].slice(26)}`) as Address);
  }
  const found: MorphoBorrower[] = [];
  for (const borrower of borrowers) {
    const health = await morphoHealthOf(market, borrower);
    if (health.healthFactor <= 10n ** 18n || health.borrowedAssets < size.minLoan || health.borrowedAssets > size.maxLoan) continue;
    found.push({ borrower, ...health });
  }
  return found.sort((a, b) => (b.borrowedAssets > a.borrowedAssets ? 1 : b.borrowedAssets < a.borrowedAssets ? -1 : 0));
}
