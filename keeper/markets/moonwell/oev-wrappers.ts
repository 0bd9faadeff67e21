/**
 * Moonwell's OEV wrappers (docs/oev.md; contracts/interfaces/IMoonwellOevWrapper.sol). Moonwell's oracle
 * reads each Chainlink feed through a wrapper that shows the previous round for `maxRoundDelay` seconds
 * after a new one, unless a liquidator calls `updatePriceEarlyAndLiquidate`, which unlocks the round and
 * liquidates in one call, paying the liquidator collateral worth the repayment plus `liquidatorFeeBps` of
 * the rest. This file finds which of the oracle's feeds are wrappers (by asking them for their wrapper
 * getters: a plain Chainlink feed has none), reads their parameters on chain (never assumed), and
 * prices the liquidator's share the way the wrapper does.
 */
import type { Address } from "../../config/address-book";
import { decodeAddressWord, decodeUintWord, type Multicall3Client } from "../../chain/multicall";
import { returnedWord } from "../multicall-results";
import { lowerAddress } from "../tracked-lending-market";
import { OEV_WRAPPER } from "./moonwell-abi";

const BPS = 10_000n;

/** One wrapper as read on chain. */
export interface OevWrapper {
  readonly wrapper: Address;
  /** The Chainlink feed it delays: its rounds (and its aggregator's AnswerUpdated) are the fresh prices. */
  readonly priceFeed: Address;
  /** The liquidator's share of the bonus, in basis points. */
  readonly liquidatorFeeBps: bigint;
  /** Seconds a new round stays hidden unless unlocked. */
  readonly maxRoundDelay: number;
}

/** Which of `feeds` are OEV wrappers: one batch of the three getters each (a plain feed reverts on them). */
export async function readOevWrappers(
  multicall: Multicall3Client,
  feeds: readonly Address[],
  blockTag: number,
): Promise<Map<string, OevWrapper>> {
  const getters = ["priceFeed", "liquidatorFeeBps", "maxRoundDelay"] as const;
  const results = await multicall.aggregate3(
    feeds.flatMap((feed) => getters.map((name) => ({ target: feed, callData: OEV_WRAPPER.encodeFunctionData(name as "priceFeed") }))),
    blockTag,
  );
  const wrappers = new Map<string, OevWrapper>();
  feeds.forEach((feed, i) => {
    const [priceFeed, feeBps, delay] = results.slice(getters.length * i, getters.length * (i + 1));
    if (!returnedWord(priceFeed) || !returnedWord(feeBps) || !returnedWord(delay)) return;
    const liquidatorFeeBps = decodeUintWord(feeBps.returnData);
    const maxRoundDelay = decodeUintWord(delay.returnData);
    if (liquidatorFeeBps > BPS || maxRoundDelay === 0n) {
      throw new Error(
        `OEV wrapper ${feed}: liquidatorFeeBps ${liquidatorFeeBps} (expected <= ${BPS}) or maxRoundDelay ${maxRoundDelay} (expected > 0) is out of range`,
      );
    }
    wrappers.set(feed.toLowerCase(), {
      wrapper: lowerAddress(feed),
      priceFeed: lowerAddress(decodeAddressWord(priceFeed.returnData)),
      liquidatorFeeBps,
      maxRoundDelay: Number(maxRoundDelay),
    });
  });
  return wrappers;
}

/**
 * The wrapper's split of the collateral it redeemed (`received`, underlying units): the liquidator gets
 * collateral worth the repayment plus `liquidatorFeeBps` of the surplus, priced in the oracle's mantissas
 * (USD·1e(36 − decimals), which is the wrapper's own scaling), truncated as the wrapper truncates.
 * Null when the seizure is not worth the repayment (the wrapper's subtraction would revert).
 */
export function oevLiquidatorShare(args: {
  readonly repayAmount: bigint;
  readonly borrowedPriceMantissa: bigint;
  readonly received: bigint;
  readonly collateralPriceMantissa: bigint;
  readonly liquidatorFeeBps: bigint;
}): { liquidatorFee: bigint; protocolFee: bigint } | null {
  const repayValue = args.repayAmount * args.borrowedPriceMantissa;
  const collateralValue = args.received * args.collateralPriceMantissa;
  if (args.collateralPriceMantissa === 0n || collateralValue < repayValue) return null;
  const liquidatorFee = (repayValue + ((collateralValue - repayValue) * args.liquidatorFeeBps) / BPS) / args.collateralPriceMantissa;
  return { liquidatorFee, protocolFee: args.received - liquidatorFee };
}
