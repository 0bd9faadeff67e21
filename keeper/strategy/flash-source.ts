/**
 * Picks where the debt token is borrowed for the length of the transaction.
 *
 * Order: no loan at all when the protocol funds the repayment itself (`LiquidationCall.selfFunded`:
 * Morpho Blue hands over the collateral and calls `onMorphoLiquidate` before it pulls the repayment);
 * then the cheapest source that can lend the whole amount now, ties going to the lender plug-in's
 * `preference` (the simplest callback first), then to the lower address. Borrowing from the same Aave V3
 * pool that is being liquidated works (v3 has no lock between flashLoan and liquidationCall), but it
 * costs the premium, so it only wins when free sources are dry. Nothing here knows a lender by name:
 * fee rounding and preference arrive with each option from its plug-in (keeper/flash/).
 */
import { BPS } from "../core/fixed-point";
import type { Address, FlashSourceOption, LiquidationPlan } from "../core/types";

export const ZERO_ADDRESS: Address = "0x0000000000000000000000000000000000000000";

export type FlashChoice = LiquidationPlan["flash"];

export type FlashSourceDecision =
  | { readonly ok: true; readonly flash: FlashChoice }
  | { readonly ok: false; readonly reason: "no-flash-liquidity"; readonly detail: string };

/** The plan's flash field when the protocol funds the liquidation itself. */
export const NO_FLASH_LOAN: FlashChoice = { kind: "none", executorSource: "None", address: ZERO_ADDRESS, amount: 0n, fee: 0n };

/** The fee a source charges on `amount`, rounded the way the source rounds it. */
export function flashFee(option: Pick<FlashSourceOption, "feeBps" | "feeRounding">, amount: bigint): bigint {
  if (option.feeBps < 0 || !Number.isInteger(option.feeBps)) {
    throw new RangeError(`flash feeBps must be a non-negative integer, got ${option.feeBps}`);
  }
  const product = amount * BigInt(option.feeBps);
  // Aave's PercentageMath.percentMul rounds half up; Uniswap V3's pool.flash rounds up (mulDivRoundingUp),
  // and so does every lender whose rule is not known exactly, which can only overstate the cost.
  return option.feeRounding === "half-up" ? (product + BPS / 2n) / BPS : (product + BPS - 1n) / BPS;
}

export interface FlashSourceRequest {
  /** The protocol pays for itself (LiquidationCall.selfFunded): no loan. */
  readonly selfFunded: boolean;
  readonly debtToken: Address;
  readonly amount: bigint;
  readonly options: readonly FlashSourceOption[];
}

export function chooseFlashSource(request: FlashSourceRequest): FlashSourceDecision {
  if (request.selfFunded) return { ok: true, flash: NO_FLASH_LOAN };
  const token = request.debtToken.toLowerCase();
  const usable = request.options.filter(
    (option) => option.kind !== "none" && option.token.toLowerCase() === token && option.availableLiquidity >= request.amount,
  );
  if (usable.length === 0) {
    const offered = request.options.filter((option) => option.token.toLowerCase() === token);
    const best = offered.reduce<bigint>((max, option) => (option.availableLiquidity > max ? option.availableLiquidity : max), 0n);
    return {
      ok: false,
      reason: "no-flash-liquidity",
      detail:
        offered.length === 0
          ? `no flash source lends ${request.debtToken}`
          : `needs ${request.amount} of ${request.debtToken}; the deepest of ${offered.length} source(s) holds ${best}`,
    };
  }
  const ranked = usable
    .map((option) => ({ option, fee: flashFee(option, request.amount) }))
    .sort(
      (a, b) =>
        (a.fee < b.fee ? -1 : a.fee > b.fee ? 1 : 0) ||
        a.option.preference - b.option.preference ||
        a.option.address.toLowerCase().localeCompare(b.option.address.toLowerCase()),
    );
  const best = ranked[0]!;
  return {
    ok: true,
    flash: {
      kind: best.option.kind,
      executorSource: best.option.executorSource,
      address: best.option.address,
      amount: request.amount,
      fee: best.fee,
    },
  };
}
