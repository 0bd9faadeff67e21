/**
 * Picks where the debt token is borrowed for the length of the transaction.
 *
 * Order: no loan at all for Morpho Blue liquidations (Morpho hands over the collateral and calls
 * `onMorphoLiquidate` before it pulls the repayment, so the seized collateral pays for itself); then
 * the zero-fee sources (Balancer V2, Morpho Blue flash loans); then the cheapest paid source (Aave V3
 * premium, a Uniswap V3 pool's fee). A source qualifies only if it can lend the whole amount now.
 * Borrowing from the same Aave V3 pool that is being liquidated works (v3 has no lock between
 * flashLoan and liquidationCall), but it costs the premium, so it only wins when free sources are dry.
 */
import type { Address, FlashSourceKind, FlashSourceOption, LiquidationPlan, ProtocolKind } from "../core/types";
import { BPS, percentMul } from "./sizing/fixed-point";

export const ZERO_ADDRESS: Address = "0x0000000000000000000000000000000000000000";

export type FlashChoice = LiquidationPlan["flash"];

export type FlashSourceDecision =
  | { readonly ok: true; readonly flash: FlashChoice }
  | { readonly ok: false; readonly reason: "no-flash-liquidity"; readonly detail: string };

/** Among sources of equal fee, prefer the ones with the simplest, cheapest callback. */
const KIND_PREFERENCE: Readonly<Record<FlashSourceKind, number>> = {
  none: 0,
  balancer: 1,
  morphoBlue: 2,
  aaveV3: 3,
  uniswapV3: 4,
};

/** The fee a source charges on `amount`, rounded the way the source rounds it (up when unsure). */
export function flashFee(option: Pick<FlashSourceOption, "kind" | "feeBps">, amount: bigint): bigint {
  if (option.feeBps < 0 || !Number.isInteger(option.feeBps)) {
    throw new RangeError(`flash feeBps must be a non-negative integer, got ${option.feeBps}`);
  }
  if (option.feeBps === 0) return 0n;
  const feeBps = BigInt(option.feeBps);
  // Aave V3 FlashLoanLogic: amount.percentMul(flashLoanPremiumTotal), half up.
  if (option.kind === "aaveV3") return percentMul(amount, feeBps);
  // Uniswap V3 pool.flash rounds its fee up (mulDivRoundingUp); so does everything else here, which
  // can only overstate the cost.
  return (amount * feeBps + BPS - 1n) / BPS;
}

export interface FlashSourceRequest {
  readonly protocol: ProtocolKind;
  readonly debtToken: Address;
  readonly amount: bigint;
  readonly options: readonly FlashSourceOption[];
}

export function chooseFlashSource(request: FlashSourceRequest): FlashSourceDecision {
  if (request.protocol === "morphoBlue") {
    return { ok: true, flash: { kind: "none", address: ZERO_ADDRESS, amount: 0n, fee: 0n } };
  }
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
        KIND_PREFERENCE[a.option.kind] - KIND_PREFERENCE[b.option.kind] ||
        a.option.address.toLowerCase().localeCompare(b.option.address.toLowerCase()),
    );
  const best = ranked[0]!;
  return {
    ok: true,
    flash: { kind: best.option.kind, address: best.option.address, amount: request.amount, fee: best.fee },
  };
}
