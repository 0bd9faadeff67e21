import type { LiquidationCandidate, SkipReason } from "../core/types";

/** What a protocol's sizing rule returns: a candidate the executor can run, or why there is none. */
export type SizingResult = SizedLiquidation | SizingRefusal;

export interface SizedLiquidation {
  readonly ok: true;
  readonly candidate: LiquidationCandidate;
  /** Collateral (underlying units) the protocol keeps out of the seizure as its fee or seize share. */
  readonly protocolFeeCollateral: bigint;
  /** True when the borrower's collateral balance, not the close factor, limited the size. */
  readonly cappedByCollateral: boolean;
  /** Debt (debt-token units) the protocol writes off as bad debt because collateral ran out. */
  readonly badDebt: bigint;
}

export interface SizingRefusal {
  readonly ok: false;
  readonly reason: SkipReason;
  readonly detail: string;
}
