/**
 * Which price feeds are Chainlink SVR feeds: prices sold at an oracle auction before anyone else can use them.
 *
 * An SVR feed's reports land through a private route auctioned to searchers (on Base through FastLane's Atlas;
 * docs/oev.md), the winner's liquidation running in the same transaction as the update. A keeper that reacts to
 * the new price in the next block races only for what the auction winner left. This module tells such feeds
 * apart by two documented facts, and says which one it used:
 * - "documented-aggregator": the aggregator is one Chainlink lists for Base in "SVR Searcher Onboarding: Atlas"
 *   (docs.chain.link -> data feeds -> SVR feeds; both its "Aave-SVR" and shared "SVR" types, table below);
 * - "dual-aggregator": the aggregator answers `typeAndVersion()` with "DualAggregator …", the type string of the
 *   SVR aggregator contract (smartcontractkit/chainlink DualAggregator.sol; a standard feed's OCR2 aggregator
 *   answers "AccessControlledOCR2Aggregator …"). Chainlink documents no other on-chain trait of an SVR feed, so a
 *   future SVR aggregator of another type on an unlisted address would be missed: the table is re-checked against
 *   Chainlink's page when it changes.
 */
import { ITypeAndVersion__factory } from "../../typechain-types";
import type { Address } from "../config/address-book";
import type { Multicall3Client } from "../chain/multicall";

/** Base (chain 8453) SVR aggregators, from Chainlink's "SVR Searcher Onboarding: Atlas" page (Base tab). */
export const BASE_SVR_AGGREGATORS: Readonly<Record<string, string>> = {
  "0x4b6f092e0e13b94ffaf2c59aabdeb85a5342e9c1": "AAVE-USD (Aave-SVR)",
  "0x137233996b6586a110bb7a753248e26cc0307b1b": "BTC-USD (Aave-SVR)",
  "0xeb3ad4395924b76eb64b3d6ababa0b62875b1a1f": "BTC-USD (SVR)",
  "0xd772f6d9b7a35cb96fddfe569964ab1c05017bf9": "ETH-USD (Aave-SVR)",
  "0x83f3425a5b32655dc645f7f4e422dd60e9741794": "ETH-USD (SVR)",
  "0x042fc0ba0684ede99b751b0931b6d1f590758994": "EURC-USD (Aave-SVR)",
  "0xa9c061d7f744796b29025a50ec7eb55971ca587d": "EURC-USD (SVR)",
  "0x68358e8e49138e89af9d3e55cc66bc44f6025d0f": "GHO-USD (Aave-SVR)",
  "0x0fb39ae1d48faf8ca5ea8dbf7e134e07386a7877": "USDC-USD (Aave-SVR)",
  "0x7f73eb1ae276ef4d155f9cf9a81986db343cf1ca": "USDC-USD (SVR)",
  "0xa7f8123688b9d7cf2f91cb926b2a3f44cc229d0a": "USDT-USD (Aave-SVR)",
  "0xcc7cc8513bd52e443cea0e63599d47db56149817": "USDT-USD (SVR)",
  "0x9ef2826f41563b1375a3188c33040e697981f7c5": "ezETH-ETH exchange rate (Aave-SVR)",
  "0x8bd94c7616fa88cc2ab59a66540bceaf034ef304": "LBTC-BTC exchange rate (Aave-SVR)",
  "0xf1a51dc55e6707f5aee7d426110ca50119a5314b": "rsETH-ETH exchange rate (Aave-SVR)",
  "0x6d96f90d0db82903406e97dda54969ea58a82ec8": "weETH-eETH exchange rate (Aave-SVR)",
  "0x926e0bba53f2deeb8a2bd0138fdd3dc675830399": "wstETH-stETH exchange rate (Aave-SVR)",
};

/** The type string the SVR aggregator contract answers, up to its version. */
export const SVR_AGGREGATOR_TYPE = "DualAggregator";

export type SvrEvidence = "documented-aggregator" | "dual-aggregator";

export interface SvrFeed {
  readonly aggregator: Address;
  readonly evidence: SvrEvidence;
  /** The table's name for a documented aggregator, else the type string it answered. */
  readonly detail: string;
}

const TYPE_AND_VERSION = ITypeAndVersion__factory.createInterface();

/** Pure: which of `candidates` are SVR aggregators, given what each answered to `typeAndVersion()` (undefined: reverted). */
export function classifySvrAggregators(
  candidates: readonly { readonly aggregator: Address; readonly typeAndVersion: string | undefined }[],
): Map<string, SvrFeed> {
  const found = new Map<string, SvrFeed>();
  for (const { aggregator, typeAndVersion } of candidates) {
    const key = aggregator.toLowerCase();
    const documented = BASE_SVR_AGGREGATORS[key];
    if (documented !== undefined) found.set(key, { aggregator: key as Address, evidence: "documented-aggregator", detail: documented });
    else if (typeAndVersion?.startsWith(`${SVR_AGGREGATOR_TYPE} `)) {
      found.set(key, { aggregator: key as Address, evidence: "dual-aggregator", detail: typeAndVersion });
    }
  }
  return found;
}

/** Asks each contract for `typeAndVersion()` in one batch and classifies them. */
export async function findSvrAggregators(
  multicall: Multicall3Client,
  contracts: readonly Address[],
  blockTag?: number,
): Promise<Map<string, SvrFeed>> {
  const unique = [...new Set(contracts.map((c) => c.toLowerCase() as Address))];
  if (unique.length === 0) return new Map();
  const results = await multicall.aggregate3(
    unique.map((target) => ({ target, callData: TYPE_AND_VERSION.encodeFunctionData("typeAndVersion") })),
    blockTag,
  );
  return classifySvrAggregators(
    unique.map((aggregator, i) => {
      let typeAndVersion: string | undefined;
      try {
        typeAndVersion = results[i].success
          ? (TYPE_AND_VERSION.decodeFunctionResult("typeAndVersion", results[i].returnData)[0] as string)
          : undefined;
      } catch {
        typeAndVersion = undefined; // answered something that is not a string: not an aggregator we know
      }
      return { aggregator, typeAndVersion };
    }),
  );
}
