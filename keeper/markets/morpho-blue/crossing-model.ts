/**
 * The crossing index's model of a Morpho Blue market (crossing-index.ts): HF = collateral · price ·
 * lltv / debt with ONE price key, the market id (the oracle's price of a collateral unit in loan
 * units, 1e36-scaled). Values are in whole loan tokens, so the model needs no USD price; the loan
 * token gets a key of its own that never moves.
 */
import type { MorphoMarketParams } from "../../config/address-book";
import { WAD } from "../../core/fixed-point";
import type { TrackedPosition } from "../../core/types";
import type { CrossingModel, PositionExposure } from "../crossing-index";
import { ORACLE_PRICE_SCALE } from "./morpho-math";

export function morphoCrossingModel(
  marketId: string,
  params: Pick<MorphoMarketParams, "collateralToken" | "lltv">,
  current: () => { readonly price: bigint; readonly loanDecimals: number },
): CrossingModel {
  const loanKey = `${marketId}:loan`;
  const collateralToken = params.collateralToken.toLowerCase();
  return {
    keyOfToken: (token) => (token.toLowerCase() === collateralToken ? marketId : loanKey),
    priceOfKey: (key) => (key === marketId ? current().price : key === loanKey ? 1 : undefined),
    // The collateral's maxBorrow with the exact lltv (a position's basis points are truncated), and the debt.
    exposureOf: (position: TrackedPosition): PositionExposure => {
      const { price, loanDecimals } = current();
      const unit = 10 ** loanDecimals;
      const collateral = position.collaterals[0];
      const debt = position.debts[0];
      const maxBorrow = ((collateral?.amount ?? 0n) * price * params.lltv) / (ORACLE_PRICE_SCALE * WAD);
      return {
        collaterals: collateral ? [{ token: collateral.token, valueUsd: Number(maxBorrow) / unit, liquidationThresholdBps: 10_000 }] : [],
        debts: debt ? [{ token: debt.token, valueUsd: Number(debt.amount) / unit }] : [],
      };
    },
  };
}
