/**
 * Whether a Moonwell OEV wrapper hides a round, decided from the chain in the same read as everything else the
 * evaluation uses: the wrapper's `latestRoundData()` (what the protocol shows) against the delayed feed's own
 * `latestRoundData()` (the newest round). The wrapper answers the older round exactly while the newest one is younger
 * than `maxRoundDelay` and nobody unlocked it (`cachedRoundId`), so two different round ids at one block mean "hidden
 * at that block", equal ones mean "public" (the delay passed, or another liquidator's unlock made it public). No
 * wall-clock guess is involved: a round log the keeper processes late (after the delay, or after someone else's
 * unlock) is judged by what the chain says at the block it is evaluated at, so the keeper never pays the wrapper's
 * share for a price that is already public (docs/oev.md, "Which path, from chain facts").
 *
 * Both Moonwell wrappers (Core `ChainlinkOEVWrapper`, Morpho `ChainlinkOEVMorphoWrapper`) share this behaviour.
 */
import type { Address } from "../config/address-book";
import { decodeIntWord, decodeUintWord, type MulticallCall, type MulticallResult } from "../chain/multicall";
import { MockV3Aggregator__factory } from "../../typechain-types";

const LATEST_ROUND_DATA = MockV3Aggregator__factory.createInterface().encodeFunctionData("latestRoundData");

/** The two reads, at one block. */
export interface OevRoundFacts {
  /** The round the wrapper answers (what the protocol reads). */
  readonly shownRoundId: bigint;
  /** The delayed feed's newest round. */
  readonly newestRoundId: bigint;
  readonly newestAnswer: bigint;
  /** Unix seconds the newest round was written. */
  readonly newestUpdatedAt: number;
}

/** A round hidden at the block the facts were read at. */
export interface HiddenRoundFact {
  readonly answer: bigint;
  /** The first second the wrapper shows it by itself (`updatedAt + maxRoundDelay`). */
  readonly publicAt: number;
  readonly roundId: bigint;
}

/** The two calls, in this order: the wrapper's view, then the delayed feed's. */
export function oevRoundCalls(wrapper: { readonly feed: Address; readonly priceFeed: Address }): MulticallCall[] {
  return [
    { target: wrapper.feed, callData: LATEST_ROUND_DATA },
    { target: wrapper.priceFeed, callData: LATEST_ROUND_DATA },
  ];
}

/** The facts from the two results of `oevRoundCalls`; null when either read failed (nothing is known, nothing is hidden). */
export function decodeOevRoundFacts(results: readonly (MulticallResult | undefined)[]): OevRoundFacts | null {
  const [shown, newest] = results;
  // latestRoundData → (roundId, answer, startedAt, updatedAt, answeredInRound): five words.
  if (!shown?.success || !newest?.success || shown.returnData.length < 322 || newest.returnData.length < 322) return null;
  return {
    shownRoundId: decodeUintWord(shown.returnData, 0),
    newestRoundId: decodeUintWord(newest.returnData, 0),
    newestAnswer: decodeIntWord(newest.returnData, 1),
    newestUpdatedAt: Number(decodeUintWord(newest.returnData, 3)),
  };
}

/** The round the wrapper hides at the facts' block, if any: the wrapper answers another round than the feed's newest. */
export function hiddenRoundOf(facts: OevRoundFacts | null, maxRoundDelay: number): HiddenRoundFact | null {
  if (facts === null || facts.shownRoundId === facts.newestRoundId || facts.newestAnswer <= 0n) return null;
  return { answer: facts.newestAnswer, publicAt: facts.newestUpdatedAt + maxRoundDelay, roundId: facts.newestRoundId };
}
