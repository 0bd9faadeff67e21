/**
 * Morpho Blue liquidation sizing, reproducing `Morpho.liquidate` (source:
 * node_modules/@morpho-org/morpho-blue/src/Morpho.sol and libraries/ConstantsLib.sol,
 * SharesMathLib.sol, MathLib.sol — read for the rules, no code copied):
 * - no close factor: any amount of an unhealthy position may be liquidated;
 * - liquidation incentive factor LIF = min(MAX_LIQUIDATION_INCENTIVE_FACTOR = 1.15e18,
 *   WAD / (WAD - LIQUIDATION_CURSOR * (WAD - lltv))), LIQUIDATION_CURSOR = 0.3e18;
 * - the oracle price is the value of one collateral unit in loan units, scaled by 1e36;
 * - when the liquidation takes the last collateral, the remaining borrow shares are realised as bad
 *   debt (socialised to suppliers; the liquidator does not pay it).
 *
 * Morpho's `liquidate` takes EITHER seizedAssets OR repaidShares. The keeper repays the whole debt by
 * shares when the collateral covers it (the most profitable size, since the incentive is linear), and
 * otherwise seizes all the collateral.
 */
import { minBigint, tokenAmountToUsd, WAD } from "../../core/fixed-point";
import type { Address, PositionKey } from "../../core/types";
import type { SizingResult } from "../sizing-result";
import { liquidationIncentiveFactor, mulDivDown, mulDivUp, ORACLE_PRICE_SCALE, toAssetsDown, toAssetsUp, toSharesUp } from "./morpho-math";

export interface MorphoBlueSizingInput {
  readonly key: PositionKey;
  /** Morpho Blue, and the market's oracle and IRM: with the tokens and LLTV, the MarketParams liquidate takes. */
  readonly morpho: Address;
  readonly oracle: Address;
  readonly irm: Address;
  readonly healthFactor: bigint;
  readonly detectedAtBlock: number;
  readonly loanToken: { readonly address: Address; readonly decimals: number; readonly usdPrice: number };
  readonly collateralToken: { readonly address: Address; readonly decimals: number; readonly usdPrice: number };
  /** Market LLTV, WAD. */
  readonly lltv: bigint;
  /** The market oracle's `price()`: loan units per collateral unit, scaled by 1e36. */
  readonly oraclePrice: bigint;
  readonly borrowShares: bigint;
  readonly collateral: bigint;
  /** Market totals AFTER interest accrual up to the block being targeted (Morpho accrues first). */
  readonly totalBorrowAssets: bigint;
  readonly totalBorrowShares: bigint;
}

/** What `liquidate` does when given `repaidShares`. */
function byRepaidShares(input: MorphoBlueSizingInput, lif: bigint, repaidShares: bigint) {
  const seizedAssets = mulDivDown(
    mulDivDown(toAssetsDown(repaidShares, input.totalBorrowAssets, input.totalBorrowShares), lif, WAD),
    ORACLE_PRICE_SCALE,
    input.oraclePrice,
  );
  return { seizedAssets, repaidShares };
}

/** What `liquidate` does when given `seizedAssets`. */
function bySeizedAssets(input: MorphoBlueSizingInput, lif: bigint, seizedAssets: bigint) {
  const seizedAssetsQuoted = mulDivUp(seizedAssets, input.oraclePrice, ORACLE_PRICE_SCALE);
  const repaidShares = toSharesUp(mulDivUp(seizedAssetsQuoted, WAD, lif), input.totalBorrowAssets, input.totalBorrowShares);
  return { seizedAssets, repaidShares };
}

/** Sizes a Morpho Blue liquidation: repay everything if the collateral covers it, else seize it all. */
export function sizeMorphoBlueLiquidation(input: MorphoBlueSizingInput): SizingResult {
  if (input.healthFactor >= WAD) {
    return { ok: false, reason: "not-liquidatable", detail: `health factor ${input.healthFactor} is not below 1e18` };
  }
  if (input.oraclePrice <= 0n) {
    return { ok: false, reason: "not-liquidatable", detail: "the market oracle returned a zero price" };
  }
  if (input.borrowShares <= 0n || input.collateral <= 0n) {
    return { ok: false, reason: "dust", detail: "the position has no borrow shares or no collateral" };
  }
  const lif = liquidationIncentiveFactor(input.lltv);

  const repayAll = byRepaidShares(input, lif, input.borrowShares);
  const seizesCollateral = repayAll.seizedAssets > input.collateral;
  let call = repayAll;
  if (seizesCollateral) {
    // Rounding up can ask for a share more than the borrower owes, which would underflow on chain;
    // seize one unit less until it fits (a handful of steps at most).
    let seized = input.collateral;
    call = bySeizedAssets(input, lif, seized);
    while (call.repaidShares > input.borrowShares && seized > 1n) {
      seized -= 1n;
      call = bySeizedAssets(input, lif, seized);
    }
    if (call.repaidShares > input.borrowShares) {
      return { ok: false, reason: "dust", detail: "no collateral amount fits the borrower's shares" };
    }
  }
  const sizingRule = seizesCollateral ? "morpho-blue-seize-all-collateral" : "morpho-blue-repay-all-shares";
  const repaidAssets = toAssetsUp(call.repaidShares, input.totalBorrowAssets, input.totalBorrowShares);
  if (repaidAssets === 0n || call.seizedAssets === 0n) {
    return { ok: false, reason: "dust", detail: "the liquidation rounds to zero repaid or zero seized" };
  }

  let badDebt = 0n;
  if (call.seizedAssets === input.collateral) {
    const remainingShares = input.borrowShares - call.repaidShares;
    const totalAssetsAfter = input.totalBorrowAssets > repaidAssets ? input.totalBorrowAssets - repaidAssets : 0n;
    const totalSharesAfter = input.totalBorrowShares - call.repaidShares;
    badDebt = minBigint(totalAssetsAfter, toAssetsUp(remainingShares, totalAssetsAfter, totalSharesAfter));
  }

  return {
    ok: true,
    candidate: {
      key: input.key,
      collateralToken: input.collateralToken.address,
      debtToken: input.loanToken.address,
      debtToCover: repaidAssets,
      expectedCollateral: call.seizedAssets,
      debtToCoverUsd: tokenAmountToUsd(repaidAssets, input.loanToken.decimals, input.loanToken.usdPrice),
      expectedCollateralUsd: tokenAmountToUsd(call.seizedAssets, input.collateralToken.decimals, input.collateralToken.usdPrice),
      sizingRule: `${sizingRule}-lif-${lif}`,
      healthFactor: input.healthFactor,
      detectedAtBlock: input.detectedAtBlock,
      call: {
        shape: "MorphoBlue",
        market: input.morpho,
        debtToCover: 0n,
        morpho: {
          oracle: input.oracle,
          irm: input.irm,
          lltv: input.lltv,
          // Exactly one argument is non-zero, as liquidate() requires.
          seizedAssets: seizesCollateral ? call.seizedAssets : 0n,
          repaidShares: seizesCollateral ? 0n : call.repaidShares,
        },
        poolDecidesSize: false,
        // Morpho sends the collateral, calls onMorphoLiquidate, then pulls the repayment: the sale pays for it.
        selfFunded: true,
      },
    },
    protocolFeeCollateral: 0n,
    cappedByCollateral: seizesCollateral,
    badDebt,
  };
}
