/**
 * Which Aave reserves are priced through an oracle auction (Chainlink SVR, docs/oev.md): the contracts behind each
 * reserve's AaveOracle source (oracle-sources.ts: source → proxy's aggregator, adapter feeds → their aggregators)
 * are checked against what Chainlink documents about SVR feeds (keeper/oracles/svr-feeds.ts).
 *
 * A liquidation on such a reserve is labelled path "svr" (keeper/oracles/liquidation-path.ts): the auction's
 * winner liquidates in the price update's own transaction, so the keeper, which sees the price a block later,
 * races only for what the winner left. The label marks a pair when either of its reserves is auctioned (the
 * keeper does not know which price moved last), so an operator reads the "svr" won/lost figures as that race,
 * not as a latency problem; /status lists the reserves and the evidence.
 */
import type { Address } from "../../config/address-book";
import type { Multicall3Client } from "../../chain/multicall";
import { SVR_SIZING_RULE_PREFIX } from "../../oracles/liquidation-path";
import { findSvrAggregators, type SvrFeed } from "../../oracles/svr-feeds";
import type { SizingResult } from "../sizing-result";
import type { ResolvedOracleSources } from "./oracle-sources";

/** A reserve whose price reaches the protocol through an SVR feed. */
export interface AuctionedPrice extends SvrFeed {
  readonly asset: Address;
}

/** Lower-case asset → the SVR feed found in its price-source chain (none: an open race); `report` hears of any found. */
export async function findAuctionedPrices(
  multicall: Multicall3Client,
  resolved: ResolvedOracleSources,
  blockTag: number | undefined,
  report: (found: { readonly auctioned: readonly AuctionedPrice[] }) => void,
): Promise<Map<string, AuctionedPrice>> {
  const svr = await findSvrAggregators(multicall, [...resolved.chainOf.values()].flat(), blockTag);
  const auctioned = new Map<string, AuctionedPrice>();
  for (const [asset, chain] of resolved.chainOf) {
    const hit = chain.map((contract) => svr.get(contract.toLowerCase())).find((found) => found !== undefined);
    if (hit) auctioned.set(asset, { ...hit, asset: asset as Address });
  }
  if (auctioned.size > 0) report({ auctioned: [...auctioned.values()] });
  return auctioned;
}

/** Labels a sized liquidation whose collateral or debt is auction-priced (its sizing rule gains the "svr" prefix). */
export function labelAuctionedPrices(result: SizingResult, auctioned: ReadonlyMap<string, AuctionedPrice>): SizingResult {
  if (!result.ok || auctioned.size === 0) return result;
  const { candidate } = result;
  const hits = [candidate.collateralToken, candidate.debtToken].filter((token) => auctioned.has(token.toLowerCase()));
  if (hits.length === 0) return result;
  return { ...result, candidate: { ...candidate, sizingRule: `${SVR_SIZING_RULE_PREFIX}(${hits.join(",")})+${candidate.sizingRule}` } };
}
