/**
 * Compound-v2-family (Moonwell) liquidation sizing. Rules read from moonwell-fi/moonwell-contracts-v2
 * src/Comptroller.sol (`liquidateBorrowAllowed`, `liquidateCalculateSeizeTokens`) and MToken.sol
 * (`seizeInternal`); Compound v2's CToken/Comptroller are the same (no code copied):
 * - repayAmount <= closeFactorMantissa * borrowBalanceStored / 1e18 (truncated), else TOO_MUCH_REPAY;
 * - seizeTokens = repayAmount * (incentive * priceBorrowed) / (priceCollateral * exchangeRate),
 *   with 1e18 fixed point truncated at every step (Exp math);
 * - seizeTokens above the borrower's market-token balance reverts ("seize too much"), so the repay is
 *   reduced until the seizure fits;
 * - protocolSeizeShareMantissa of the seized tokens go to reserves (Compound 2.8%, Moonwell 3%); the
 *   liquidator receives the rest and redeems it at the exchange rate.
 * Prices are the comptroller oracle's getUnderlyingPrice: USD * 1e(36 - underlying decimals).
 */
import { minBigint, ratioToNumber } from "../../core/fixed-point";
import type { Address, PositionKey } from "../../core/types";
import type { SizedLiquidation, SizingRefusal } from "../sizing-result";
import { EXP_SCALE, PRICE_SCALE } from "./moonwell-math";
import { OEV_SIZING_RULE_PREFIX } from "../../oracles/liquidation-path";
import { oevLiquidatorShare, type OevWrapper } from "./oev-wrappers";

/** A Moonwell sizing also says how many mTokens the liquidator receives (what the executor redeems). */
export type MoonwellSizingResult = (SizedLiquidation & { readonly liquidatorSeizeTokens: bigint }) | SizingRefusal;

export interface MoonwellSizingInput {
  readonly key: PositionKey;
  readonly healthFactor: bigint;
  readonly detectedAtBlock: number;
  readonly closeFactorMantissa: bigint;
  readonly liquidationIncentiveMantissa: bigint;
  readonly protocolSeizeShareMantissa: bigint;
  readonly borrowed: {
    readonly market: Address;
    readonly underlying: Address;
    readonly priceMantissa: bigint;
    /** borrowBalanceStored after accrual: the keeper's call accrues interest first. */
    readonly borrowBalance: bigint;
  };
  readonly collateral: {
    readonly market: Address;
    readonly underlying: Address;
    readonly priceMantissa: bigint;
    readonly exchangeRateMantissa: bigint;
    /** The borrower's market-token (cToken/mToken) balance. */
    readonly marketTokenBalance: bigint;
  };
  /** Underlying the keeper would like to repay; defaults to the most the close factor allows. */
  readonly requestedRepayAmount?: bigint;
}

/** Exp-math ratio (incentive * priceBorrowed) / (priceCollateral * exchangeRate), 1e18-scaled. */
function seizeRatio(input: MoonwellSizingInput): bigint {
  const numerator = (input.liquidationIncentiveMantissa * input.borrowed.priceMantissa) / EXP_SCALE;
  const denominator = (input.collateral.priceMantissa * input.collateral.exchangeRateMantissa) / EXP_SCALE;
  return (numerator * EXP_SCALE) / denominator;
}

/** `liquidateCalculateSeizeTokens` for a given repay amount. */
export function moonwellSeizeTokens(input: MoonwellSizingInput, repayAmount: bigint): bigint {
  return (seizeRatio(input) * repayAmount) / EXP_SCALE;
}

/** Sizes a Compound-v2-style `liquidateBorrow` for one borrowed/collateral market pair. */
export function sizeMoonwellLiquidation(input: MoonwellSizingInput): MoonwellSizingResult {
  const { borrowed, collateral } = input;
  if (input.healthFactor >= EXP_SCALE) {
    return { ok: false, reason: "not-liquidatable", detail: `health factor ${input.healthFactor} is not below 1e18 (no shortfall)` };
  }
  if (borrowed.priceMantissa <= 0n || collateral.priceMantissa <= 0n || collateral.exchangeRateMantissa <= 0n) {
    return { ok: false, reason: "not-liquidatable", detail: "the comptroller oracle returned a zero price (PRICE_ERROR)" };
  }
  if (borrowed.borrowBalance <= 0n || collateral.marketTokenBalance <= 0n) {
    return { ok: false, reason: "dust", detail: "the pair has no borrow or no collateral" };
  }
  const ratio = seizeRatio(input);
  if (ratio === 0n) return { ok: false, reason: "dust", detail: "the seize ratio truncates to zero" };

  const maxClose = (input.closeFactorMantissa * borrowed.borrowBalance) / EXP_SCALE;
  let repayAmount = minBigint(input.requestedRepayAmount ?? maxClose, maxClose);
  let seizeTokens = moonwellSeizeTokens(input, repayAmount);
  const cappedByCollateral = seizeTokens > collateral.marketTokenBalance;
  if (cappedByCollateral) {
    // Largest repay whose truncated seizure still fits: floor((balance + 1) * 1e18 - 1) / ratio).
    repayAmount = ((collateral.marketTokenBalance + 1n) * EXP_SCALE - 1n) / ratio;
    seizeTokens = moonwellSeizeTokens(input, repayAmount);
  }
  const protocolSeizeTokens = (seizeTokens * input.protocolSeizeShareMantissa) / EXP_SCALE;
  const liquidatorSeizeTokens = seizeTokens - protocolSeizeTokens;
  // The executor redeems its market tokens; redeem pays tokens * exchangeRate / 1e18, truncated.
  const underlyingReceived = (liquidatorSeizeTokens * collateral.exchangeRateMantissa) / EXP_SCALE;
  if (repayAmount === 0n || underlyingReceived === 0n) {
    return { ok: false, reason: "dust", detail: "the liquidation rounds to zero repay or zero collateral" };
  }

  return {
    ok: true,
    candidate: {
      key: input.key,
      collateralToken: collateral.underlying,
      debtToken: borrowed.underlying,
      debtToCover: repayAmount,
      expectedCollateral: underlyingReceived,
      debtToCoverUsd: ratioToNumber(repayAmount * borrowed.priceMantissa, PRICE_SCALE),
      expectedCollateralUsd: ratioToNumber(underlyingReceived * collateral.priceMantissa, PRICE_SCALE),
      sizingRule: cappedByCollateral
        ? "moonwell-close-factor+capped-by-collateral"
        : `moonwell-close-factor-${ratioToNumber(input.closeFactorMantissa * 100n, EXP_SCALE)}%`,
      healthFactor: input.healthFactor,
      detectedAtBlock: input.detectedAtBlock,
      // Moonwell is a Compound-v2 market: the executor calls liquidateBorrow on the debt's mToken and
      // redeems the collateral's. This is the one place the Moonwell plug-in names that call shape.
      call: {
        shape: "CompoundV2",
        market: borrowed.market,
        debtToCover: repayAmount,
        collateralMarket: collateral.market,
        poolDecidesSize: false,
        selfFunded: false,
      },
    },
    liquidatorSeizeTokens,
    protocolFeeCollateral: (protocolSeizeTokens * collateral.exchangeRateMantissa) / EXP_SCALE,
    cappedByCollateral,
    // Compound v2 has no bad-debt write-off: whatever the collateral cannot cover stays on the books.
    badDebt: 0n,
  };
}

/**
 * The same liquidation made through the collateral feed's OEV wrapper (`updatePriceEarlyAndLiquidate`):
 * the wrapper receives the seized mTokens, redeems them and pays the liquidator only its share
 * (oev-wrappers.ts), so the candidate's expected collateral is that share and the rest counts as the
 * protocol's fee. The wrapper charges nothing else (no ETH): its cut of the bonus is the whole price.
 */
export function throughOevWrapper(
  plain: Extract<MoonwellSizingResult, { ok: true }>,
  oev: { readonly wrapper: OevWrapper; readonly borrowedPriceMantissa: bigint; readonly collateralPriceMantissa: bigint },
): MoonwellSizingResult {
  const { candidate } = plain;
  const share = oevLiquidatorShare({
    repayAmount: candidate.debtToCover,
    borrowedPriceMantissa: oev.borrowedPriceMantissa,
    received: candidate.expectedCollateral,
    collateralPriceMantissa: oev.collateralPriceMantissa,
    liquidatorFeeBps: oev.wrapper.liquidatorFeeBps,
  });
  if (share === null || share.liquidatorFee === 0n) {
    return {
      ok: false,
      reason: "unprofitable",
      detail: `the seizure through OEV wrapper ${oev.wrapper.wrapper} is worth less than the repayment`,
    };
  }
  return {
    ...plain,
    candidate: {
      ...candidate,
      expectedCollateral: share.liquidatorFee,
      expectedCollateralUsd: ratioToNumber(share.liquidatorFee * oev.collateralPriceMantissa, PRICE_SCALE),
      sizingRule: `${OEV_SIZING_RULE_PREFIX}(liquidator ${Number(oev.wrapper.liquidatorFeeBps) / 100}% of bonus)+${candidate.sizingRule}`,
      call: { ...candidate.call!, shape: "MoonwellOev", oevWrapper: oev.wrapper.wrapper },
    },
    protocolFeeCollateral: plain.protocolFeeCollateral + share.protocolFee,
  };
}
