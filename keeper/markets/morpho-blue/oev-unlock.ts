/**
 * A Morpho Blue market whose collateral price Moonwell's ChainlinkOEVMorphoWrapper delays (docs/oev.md, "Morpho
 * markets"): the wrapper is the oracle's BASE_FEED_1 and hides a new round for `maxRoundDelay` seconds unless a
 * liquidator calls its `updatePriceEarlyAndLiquidate(MarketParams, borrower, seizedAssets, maxRepayAmount)`, which the
 * executor makes as a `MoonwellMorphoOev` call. The market can use it when the wrapper liquidates on this Morpho
 * (`morphoBlue()`), has this market in its `approvedMarkets`, and the oracle has the one base and one quote feed the
 * wrapper's split reads (else the wrapper reverts: the market then never plans ahead of a hidden round,
 * keeper/oracles/oev-wrapped-feeds.ts). While a round is hidden:
 * - the market evaluates at the fresh price (the oracle's formula with the new round), found by the delayed feed's
 *   AnswerUpdated, and keeps it over the shown one the block reads return;
 * - a liquidation is sized by Morpho's rules at that price, then as the wrapper makes it: by seized assets, repaying
 *   at most `maxRepayAmount` (the rest refunded), the executor receiving only the liquidator's share of the seizure
 *   (the repayment's worth plus `liquidatorFeeBps` of the bonus), no ETH fee;
 * - whether the wrapper hides a round is read with every market read (the wrapper's round against the delayed feed's,
 *   keeper/oracles/oev-round-facts.ts): a round hidden when the keeper starts is found by its first read, and a round
 *   public by the delay or by someone else's unlock is sized plain even when its log is processed late.
 */
import { IMoonwellMorphoOevWrapper__factory } from "../../../typechain-types";
import type { Address } from "../../config/address-book";
import { tokenAmountToUsd } from "../../core/fixed-point";
import { decodeAddressWord, decodeUintWord, type MulticallCall, type Multicall3Client, type MulticallResult } from "../../chain/multicall";
import { decodeOevRoundFacts, hiddenRoundOf, oevRoundCalls } from "../../oracles/oev-round-facts";
import { OEV_SIZING_RULE_PREFIX } from "../../oracles/liquidation-path";
import type { OevWrappedFeed } from "../../oracles/oev-wrapped-feeds";
import type { SizingResult } from "../sizing-result";
import { lowerAddress } from "../tracked-lending-market";
import { sizeMorphoBlueLiquidation, type MorphoBlueSizingInput } from "./liquidation-sizing";
import { liquidationIncentiveFactor, mulDivDown, mulDivUp, ORACLE_PRICE_SCALE, toAssetsUp, toSharesUp } from "./morpho-math";
import type { OracleModel } from "./oracle-model";
import { WAD } from "../../core/fixed-point";

const BPS = 10_000n;

/** A wrapped feed this market can unlock through the wrapper. */
export interface MorphoOevUnlock extends OevWrappedFeed {
  /** Lower-case emitters of the delayed feed's rounds: the feed and its aggregator. */
  readonly roundEmitters: readonly string[];
}

/**
 * The wrapped feed of `wrapped` this market can liquidate through, if any: the oracle's only base feed, the wrapper
 * liquidating on `morpho` with `marketId` approved, one quote feed. `emittersOf`: the delayed feed's log emitters.
 */
export async function findMorphoOevUnlock(
  multicall: Multicall3Client,
  args: { wrapped: readonly OevWrappedFeed[]; model: OracleModel; morpho: Address; marketId: string; blockTag: number },
  emittersOf: (feed: Address) => Promise<readonly string[]>,
): Promise<MorphoOevUnlock | null> {
  const { model } = args;
  if (model.baseFeeds.length !== 1 || model.quoteFeeds.length !== 1) return null;
  const wrapper = args.wrapped.find((w) => lowerAddress(w.feed) === lowerAddress(model.baseFeeds[0]!));
  if (wrapper === undefined) return null;
  const iface = IMoonwellMorphoOevWrapper__factory.createInterface();
  const [morpho, approved] = await multicall.aggregate3(
    [
      { target: wrapper.feed, callData: iface.encodeFunctionData("morphoBlue") },
      { target: wrapper.feed, callData: iface.encodeFunctionData("approvedMarkets", [args.marketId]) },
    ],
    args.blockTag,
  );
  // A Core wrapper (or an older Morpho one) has neither getter: its rounds stay unusable here.
  if (!morpho?.success || !approved?.success || morpho.returnData.length < 66 || approved.returnData.length < 66) return null;
  if (lowerAddress(decodeAddressWord(morpho.returnData)) !== lowerAddress(args.morpho) || decodeUintWord(approved.returnData) !== 1n) {
    return null;
  }
  return { ...wrapper, roundEmitters: (await emittersOf(wrapper.priceFeed)).map((e) => e.toLowerCase()) };
}

/** The one round the wrapper may be hiding, as the market evaluates it. */
export class MorphoHiddenRound {
  private round: { readonly price: bigint; readonly publicAt: number } | null = null;

  /** A new round of the delayed feed (its log): the oracle price it makes (`freshPrice`) is hidden until `publicAt`. */
  onNewRound(freshPrice: bigint, publicAt: number): void {
    this.round = { price: freshPrice, publicAt };
  }

  /** The reads that decide whether `unlock`'s wrapper hides a round, for the market's read batch (none without one). */
  static roundCalls(unlock: MorphoOevUnlock | null): MulticallCall[] {
    return unlock === null ? [] : oevRoundCalls(unlock);
  }

  /**
   * The results of `roundCalls` at one block: a round is hidden exactly when the wrapper answers another round than the
   * delayed feed's newest; `freshPrice` turns that round's answer into the oracle's price (undefined: not modelled).
   */
  observe(results: readonly MulticallResult[], unlock: MorphoOevUnlock | null, freshPrice: (answer: bigint) => bigint | undefined): void {
    if (unlock === null) return;
    const fact = hiddenRoundOf(decodeOevRoundFacts(results), unlock.maxRoundDelay);
    const price = fact === null ? undefined : freshPrice(fact.answer);
    this.round = fact === null || price === undefined ? null : { price, publicAt: fact.publicAt };
  }

  /** The price to evaluate at when the oracle shows `shown` at `nowSeconds`: the fresh one while hidden. */
  priceAt(shown: bigint, nowSeconds: number): bigint {
    if (this.round === null) return shown;
    if (nowSeconds >= this.round.publicAt || shown === this.round.price) {
      this.round = null;
      return shown;
    }
    return this.round.price;
  }

  /** Whether a round is hidden at `nowSeconds`. */
  hiddenAt(nowSeconds: number): boolean {
    return this.round !== null && nowSeconds < this.round.publicAt;
  }
}

/**
 * Sizes a liquidation through the wrapper at the fresh price (`input.oraclePrice`): Morpho's plain sizing, then by
 * seized assets (one unit less while the repaid shares, rounded up, exceed the borrower's), `maxRepayAmount` = the
 * repayment plus 1 bp and a unit for interest, and the executor's proceeds = the liquidator's share.
 */
export function sizeThroughMorphoOevWrapper(input: MorphoBlueSizingInput, unlock: MorphoOevUnlock): SizingResult {
  const plain = sizeMorphoBlueLiquidation(input);
  if (!plain.ok) return plain;
  const lif = liquidationIncentiveFactor(input.lltv);
  const repaidSharesFor = (seized: bigint) =>
    toSharesUp(
      mulDivUp(mulDivUp(seized, input.oraclePrice, ORACLE_PRICE_SCALE), WAD, lif),
      input.totalBorrowAssets,
      input.totalBorrowShares,
    );
  let seized = plain.candidate.expectedCollateral;
  let shares = repaidSharesFor(seized);
  while (shares > input.borrowShares && seized > 1n) shares = repaidSharesFor(--seized);
  if (shares > input.borrowShares) return { ok: false, reason: "dust", detail: "no seizure fits the borrower's shares" };
  const repaid = toAssetsUp(shares, input.totalBorrowAssets, input.totalBorrowShares);
  const maxRepayAmount = repaid + repaid / BPS + 1n;
  // The wrapper's split: collateral worth the repayment, plus liquidatorFeeBps of the rest (all of it when the
  // seizure is worth no more than the repayment), valued at the fresh price.
  const repaidInCollateral = mulDivDown(repaid, ORACLE_PRICE_SCALE, input.oraclePrice);
  const share =
    seized <= repaidInCollateral ? seized : repaidInCollateral + ((seized - repaidInCollateral) * BigInt(unlock.liquidatorFeeBps)) / BPS;
  const rule = `${OEV_SIZING_RULE_PREFIX}-morpho(liquidator ${unlock.liquidatorFeeBps / 100}% of bonus)+${plain.candidate.sizingRule}`;
  return {
    ...plain,
    protocolFeeCollateral: seized - share,
    candidate: {
      ...plain.candidate,
      debtToCover: maxRepayAmount,
      expectedCollateral: share,
      debtToCoverUsd: tokenAmountToUsd(maxRepayAmount, input.loanToken.decimals, input.loanToken.usdPrice),
      expectedCollateralUsd: tokenAmountToUsd(share, input.collateralToken.decimals, input.collateralToken.usdPrice),
      sizingRule: rule,
      call: {
        shape: "MoonwellMorphoOev",
        market: input.morpho,
        debtToCover: maxRepayAmount,
        oevWrapper: lowerAddress(unlock.feed),
        morpho: { oracle: input.oracle, irm: input.irm, lltv: input.lltv, seizedAssets: seized, repaidShares: 0n },
        poolDecidesSize: false,
        // The wrapper pulls the repayment before Morpho pays anything, and calls nobody back: a flash loan pays it.
        selfFunded: false,
      },
    },
  };
}
