/**
 * Aave V3 liquidation sizing, reproducing `LiquidationLogic.executeLiquidationCall` of the pool's own
 * version so the keeper asks for exactly what the pool will give.
 *
 * Sources (read for the rules; no code copied):
 * - v3.0.x: @aave/core-v3 1.19.3 (the sandbox's v3.0.2 market),
 *   contracts/protocol/libraries/logic/LiquidationLogic.sol — `_calculateDebt` and
 *   `_calculateAvailableCollateralToLiquidate`. Close factor 50% of the reserve's debt while
 *   HF > CLOSE_FACTOR_HF_THRESHOLD (0.95), 100% at or below it. No dust rule.
 * - v3.3+: aave-dao/aave-v3-origin tags v3.3.0 … v3.6.0 (npm @aave-dao/aave-v3-origin 3.6.0, the
 *   bytecode the sandbox runs by default), src/contracts/protocol/libraries/logic/LiquidationLogic.sol.
 *   CLOSE_FACTOR_HF_THRESHOLD = 0.95e18; MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD = 2000e8;
 *   MIN_LEFTOVER_BASE = MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD / 2 = 1000e8. The whole reserve debt is
 *   liquidatable unless BOTH the pair's collateral and the pair's debt are worth at least $2,000 AND
 *   HF > 0.95; only then is it capped at 50% of the user's TOTAL debt (all reserves) in base currency.
 *   After a partial liquidation (neither all the reserve's debt nor all its collateral taken) both the
 *   leftover debt and the leftover collateral (what neither the liquidator nor the protocol fee took)
 *   must be worth at least $1,000, else the call reverts with MUST_NOT_LEAVE_DUST.
 * - v3.5+ ("v3.5" rules, POOL_REVISION 9 and later) rounds against the borrower: the pair's debt and
 *   the leftover debt are valued rounding up (MathUtils.mulDivCeil), and the debt a whole collateral
 *   balance pays for rounds up (percentDivCeil); aToken amounts are scaled rounding up (TokenMath).
 * - every version then moves the protocol fee to the treasury in scaled units and, when rounding left
 *   the borrower fewer scaled units than the fee needs, lowers the fee to what is left.
 * - validateLiquidationCall refuses inactive or paused reserves and (v3.1+) a reserve whose
 *   liquidation grace period has not ended; frozen reserves may be liquidated.
 *
 * Prices are the Aave oracle's, in the market's base currency (USD with 8 decimals on Base and
 * Ethereum). The v3.3 thresholds are compared in raw base units exactly as the contract does.
 */
import { BPS, minBigint, ratioToNumber, unitOf, WAD } from "../../core/fixed-point";
import type { Address, PositionKey } from "../../core/types";
import type { SizingResult } from "../sizing-result";
import { mulDivCeil, percentDiv, percentDivCeil, percentMul, rayDiv, rayDivCeil, rayMul, rayMulFloor } from "./aave-math";

/** v3.0.x; v3.3 – v3.4 (close factor, dust and deficit rules); v3.5+ (the same, rounding against the borrower). */
export type AaveLiquidationRules = "v3.0" | "v3.3" | "v3.5";

/**
 * The rules a pool revision follows (aave-v3-origin tags: v3.3 = 7, v3.4 = 8, v3.5 = 9, v3.6 = 10;
 * v3.0.x pools report 1–3, v3.1 4, v3.2 5–6). Revisions above 10 are assumed to keep v3.6's rules.
 */
export function aaveLiquidationRulesForRevision(revision: number): AaveLiquidationRules {
  if (!Number.isInteger(revision) || revision < 1) throw new Error(`aave: POOL_REVISION must be a positive integer, got ${revision}`);
  if (revision >= 9) return "v3.5";
  return revision >= 7 ? "v3.3" : "v3.0";
}

/** The address-book / config family a rule set belongs to ("v3.5" is a "v3.3" pool with other rounding). */
export function aaveLiquidationRulesFamily(rules: AaveLiquidationRules): "v3.0" | "v3.3" {
  return rules === "v3.0" ? "v3.0" : "v3.3";
}

export const AAVE_CLOSE_FACTOR_HF_THRESHOLD = (95n * WAD) / 100n;
export const AAVE_DEFAULT_CLOSE_FACTOR_BPS = 5_000n;
export const AAVE_MAX_CLOSE_FACTOR_BPS = 10_000n;
export const AAVE_MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD = 2_000n * 10n ** 8n;
export const AAVE_MIN_LEFTOVER_BASE = AAVE_MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD / 2n;

export interface AaveReserveQuote {
  readonly token: Address;
  readonly decimals: number;
  /** Aave oracle price of one whole token in base-currency units (USD * 1e8 on Base). */
  readonly priceBase: bigint;
}

/** What validateLiquidationCall checks about a reserve besides the health factor. */
export interface AaveReserveGate {
  readonly active: boolean;
  readonly paused: boolean;
  /** v3.1+: the pool refuses liquidations until this unix time has passed (`until < block.timestamp`); 0 = none. */
  readonly liquidationGracePeriodUntil: bigint;
}

export interface AaveV3SizingInput {
  readonly rules: AaveLiquidationRules;
  readonly key: PositionKey;
  /** The pool liquidationCall goes to. */
  readonly pool: Address;
  /** WAD; the pool refuses to liquidate at or above 1.0. */
  readonly healthFactor: bigint;
  readonly detectedAtBlock: number;
  readonly debt: AaveReserveQuote & {
    /** The borrower's debt in this reserve (variable + stable on v3.0), underlying units. */
    readonly userDebt: bigint;
  };
  readonly collateral: AaveReserveQuote & {
    /** The borrower's aToken balance of this reserve, underlying units. */
    readonly userBalance: bigint;
    /** Bonus over 100%, in bps (500 = 5%; the pool stores it as 10,500). E-mode's when it applies. */
    readonly liquidationBonusBps: number;
    /** The reserve's liquidationProtocolFee: the protocol's share of the bonus, in bps (1000 = 10%). */
    readonly liquidationProtocolFeeBps: number;
    /**
     * The borrower's scaled aToken balance and the reserve's liquidity index at execution time: with
     * them the protocol fee is exact when rounding leaves too few scaled units for it (see header).
     */
    readonly scaled?: { readonly balance: bigint; readonly liquidityIndex: bigint };
  };
  /** Reserve states at `now` (unix seconds, the time the liquidation is expected to execute). */
  readonly gates?: { readonly collateral: AaveReserveGate; readonly debt: AaveReserveGate; readonly now: bigint };
  /** The borrower's total debt over all reserves, base currency (getUserAccountData). Used by v3.3. */
  readonly totalDebtBase: bigint;
  /** The borrower's total collateral over all reserves, base currency: v3.3 writes off the rest of the
   * debt as a deficit when a liquidation takes the last of it. */
  readonly totalCollateralBase: bigint;
  /** One unit of the base currency in the oracle's scale (1e8 for USD markets), to express USD. */
  readonly baseCurrencyUnit: bigint;
  /** Debt the keeper would like to repay; defaults to the most the rules allow. */
  readonly requestedDebtToCover?: bigint;
}

/** What the pool would do for a given debtToCover: a line-by-line model of executeLiquidationCall. */
export interface AaveLiquidationOutcome {
  readonly maxLiquidatableDebt: bigint;
  readonly actualDebtToLiquidate: bigint;
  /** Collateral transferred to the liquidator (after the protocol fee). */
  readonly collateralToLiquidator: bigint;
  readonly protocolFee: bigint;
  readonly cappedByCollateral: boolean;
  /** Value of the seized collateral (fee included) in base currency, as the pool computes it. */
  readonly collateralToLiquidateBase: bigint;
  /** v3.3+ only: the call would revert with MUST_NOT_LEAVE_DUST. */
  readonly violatesDustRule: boolean;
  readonly closeFactorRule: string;
}

function baseValue(amount: bigint, priceBase: bigint, decimals: number): bigint {
  return (amount * priceBase) / unitOf(decimals);
}

/** A debt's value in base currency: v3.5+ rounds it up. */
function debtBaseValue(rules: AaveLiquidationRules, amount: bigint, priceBase: bigint, decimals: number): bigint {
  return rules === "v3.5" ? mulDivCeil(amount, priceBase, unitOf(decimals)) : baseValue(amount, priceBase, decimals);
}

function maxLiquidatableDebt(input: AaveV3SizingInput): { amount: bigint; rule: string } {
  const { debt, collateral, healthFactor, rules } = input;
  const hfAboveThreshold = healthFactor > AAVE_CLOSE_FACTOR_HF_THRESHOLD;
  if (rules === "v3.0") {
    return hfAboveThreshold
      ? { amount: percentMul(debt.userDebt, AAVE_DEFAULT_CLOSE_FACTOR_BPS), rule: "aave-v3.0-close-factor-50%" }
      : { amount: debt.userDebt, rule: "aave-v3.0-close-factor-100%-hf<=0.95" };
  }
  const debtBase = debtBaseValue(rules, debt.userDebt, debt.priceBase, debt.decimals);
  const collateralBase = baseValue(collateral.userBalance, collateral.priceBase, collateral.decimals);
  const smallPosition = collateralBase < AAVE_MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD || debtBase < AAVE_MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD;
  if (!hfAboveThreshold) return { amount: debt.userDebt, rule: "aave-v3.3-close-factor-100%-hf<=0.95" };
  if (smallPosition) return { amount: debt.userDebt, rule: "aave-v3.3-close-factor-100%-small-position" };
  const halfOfTotalDebtBase = percentMul(input.totalDebtBase, AAVE_DEFAULT_CLOSE_FACTOR_BPS);
  if (debtBase > halfOfTotalDebtBase) {
    return {
      amount: (halfOfTotalDebtBase * unitOf(debt.decimals)) / debt.priceBase,
      rule: "aave-v3.3-close-factor-50%",
    };
  }
  // This reserve is at most half of the user's debt: the 50% cap of the total does not bind.
  return { amount: debt.userDebt, rule: "aave-v3.3-close-factor-50%-reserve-within-cap" };
}

/** Models the pool's answer to `liquidationCall(collateral, debt, user, debtToCover, false)`. */
export function aaveLiquidationOutcome(input: AaveV3SizingInput, debtToCover: bigint): AaveLiquidationOutcome {
  const { debt, collateral } = input;
  const cap = maxLiquidatableDebt(input);
  const requested = minBigint(debtToCover, cap.amount);
  const bonusBps = BPS + BigInt(collateral.liquidationBonusBps);
  const collateralUnit = unitOf(collateral.decimals);
  const debtUnit = unitOf(debt.decimals);

  const baseCollateral = (debt.priceBase * requested * collateralUnit) / (collateral.priceBase * debtUnit);
  const maxCollateral = percentMul(baseCollateral, bonusBps);
  let collateralAmount: bigint;
  let actualDebt: bigint;
  const cappedByCollateral = maxCollateral > collateral.userBalance;
  if (cappedByCollateral) {
    collateralAmount = collateral.userBalance;
    const debtForAll = (collateral.priceBase * collateralAmount * debtUnit) / (debt.priceBase * collateralUnit);
    actualDebt = input.rules === "v3.5" ? percentDivCeil(debtForAll, bonusBps) : percentDiv(debtForAll, bonusBps);
  } else {
    collateralAmount = maxCollateral;
    actualDebt = requested;
  }
  let protocolFee = 0n;
  if (collateral.liquidationProtocolFeeBps !== 0) {
    const bonusCollateral = collateralAmount - percentDiv(collateralAmount, bonusBps);
    protocolFee = percentMul(bonusCollateral, BigInt(collateral.liquidationProtocolFeeBps));
  }
  const collateralToLiquidator = collateralAmount - protocolFee;

  let violatesDustRule = false;
  if (input.rules !== "v3.0" && actualDebt < debt.userDebt && collateralToLiquidator + protocolFee < collateral.userBalance) {
    const leftoverDebtBase = debtBaseValue(input.rules, debt.userDebt - actualDebt, debt.priceBase, debt.decimals);
    // What neither the liquidator nor the treasury takes stays with the borrower.
    const leftoverCollateral = collateral.userBalance - collateralToLiquidator - protocolFee;
    const leftoverCollateralBase = baseValue(leftoverCollateral, collateral.priceBase, collateral.decimals);
    violatesDustRule = leftoverDebtBase < AAVE_MIN_LEFTOVER_BASE || leftoverCollateralBase < AAVE_MIN_LEFTOVER_BASE;
  }
  // After the dust check the pool moves the fee in scaled units, capped at what the borrower has left.
  if (protocolFee !== 0n && collateral.scaled !== undefined) {
    protocolFee = feeAfterScaledTransfer(input.rules, collateral.scaled, collateralToLiquidator, protocolFee);
  }
  return {
    maxLiquidatableDebt: cap.amount,
    actualDebtToLiquidate: actualDebt,
    collateralToLiquidator,
    protocolFee,
    cappedByCollateral,
    collateralToLiquidateBase: baseValue(collateralAmount, collateral.priceBase, collateral.decimals),
    violatesDustRule,
    closeFactorRule: cap.rule,
  };
}

/**
 * The protocol fee the treasury actually receives. The liquidator's collateral is burned first, then
 * the fee moves in scaled units; if rounding left fewer scaled units than the fee needs, the fee is
 * what is left (LiquidationLogic: "to avoid trying to send more aTokens than available on balance").
 */
function feeAfterScaledTransfer(
  rules: AaveLiquidationRules,
  scaled: { readonly balance: bigint; readonly liquidityIndex: bigint },
  collateralToLiquidator: bigint,
  protocolFee: bigint,
): bigint {
  const index = scaled.liquidityIndex;
  const roundUp = rules === "v3.5";
  const burned = roundUp ? rayDivCeil(collateralToLiquidator, index) : rayDiv(collateralToLiquidator, index);
  const left = scaled.balance > burned ? scaled.balance - burned : 0n;
  const feeScaled = roundUp ? rayDivCeil(protocolFee, index) : rayDiv(protocolFee, index);
  if (feeScaled <= left) return protocolFee;
  return roundUp ? rayMulFloor(left, index) : rayMul(left, index);
}

/** Why the pool would refuse the call before sizing anything, if it would. */
function gateRefusal(input: AaveV3SizingInput): string | null {
  if (input.gates === undefined) return null;
  const { now } = input.gates;
  for (const [side, gate] of [
    ["collateral", input.gates.collateral],
    ["debt", input.gates.debt],
  ] as const) {
    if (!gate.active) return `the ${side} reserve is not active (RESERVE_INACTIVE)`;
    if (gate.paused) return `the ${side} reserve is paused (RESERVE_PAUSED)`;
    if (gate.liquidationGracePeriodUntil >= now) {
      return `the ${side} reserve's liquidation grace period lasts until ${gate.liquidationGracePeriodUntil} (LiquidationGraceSentinelCheckFailed at ${now})`;
    }
  }
  return null;
}

/**
 * The largest debtToCover in [1, upper] whose liquidation leaves no dust. Leftover debt and leftover
 * collateral both shrink as debtToCover grows, so the passing amounts form a prefix and a binary
 * search over the exact model finds its end.
 */
function largestDustFreeDebt(input: AaveV3SizingInput, upper: bigint): bigint {
  let low = 0n; // known to pass (nothing liquidated)
  let high = upper; // known to fail
  while (high - low > 1n) {
    const mid = (low + high) / 2n;
    if (aaveLiquidationOutcome(input, mid).violatesDustRule) high = mid;
    else low = mid;
  }
  return low;
}

/** Interest headroom on a full close: 10 bps + 1 unit, hours of interest at any sane borrow rate. */
export function fullCloseHeadroom(debt: bigint): bigint {
  return debt / 1_000n + 1n;
}

/** Sizes an Aave V3 liquidation of one collateral/debt pair by the pool version's own rules. */
export function sizeAaveV3Liquidation(input: AaveV3SizingInput): SizingResult {
  const { debt, collateral, healthFactor, key } = input;
  if (healthFactor >= WAD) {
    return { ok: false, reason: "not-liquidatable", detail: `health factor ${healthFactor} is not below 1e18` };
  }
  if (debt.userDebt <= 0n || collateral.userBalance <= 0n) {
    return { ok: false, reason: "dust", detail: "the pair has no debt or no collateral to liquidate" };
  }
  if (debt.priceBase <= 0n || collateral.priceBase <= 0n) {
    return { ok: false, reason: "not-liquidatable", detail: "the Aave oracle returned a zero price" };
  }
  const refusal = gateRefusal(input);
  if (refusal !== null) return { ok: false, reason: "not-liquidatable", detail: refusal };

  // `argument` is what the executor passes to liquidationCall; the pool applies the close factor and
  // the collateral cap to it, so it may exceed the debt actually repaid (see LiquidationCall).
  let argument = input.requestedDebtToCover ?? debt.userDebt;
  let outcome = aaveLiquidationOutcome(input, argument);
  let sizingRule = outcome.closeFactorRule;
  // Set when the size is the whole debt: the pool must then decide the amount on its state at execution.
  let closesWholeDebt = false;
  if (outcome.violatesDustRule) {
    if (outcome.maxLiquidatableDebt >= debt.userDebt) {
      // The rules allow a full liquidation, which can never leave dust: take it.
      argument = debt.userDebt;
      outcome = aaveLiquidationOutcome(input, argument);
      sizingRule = `${outcome.closeFactorRule}+dust-rule-full`;
      closesWholeDebt = true;
    } else {
      // Violating at the cap means the cap is not collateral-bound, so neither is anything below it.
      argument = largestDustFreeDebt(input, minBigint(argument, outcome.maxLiquidatableDebt));
      if (argument === 0n) {
        return {
          ok: false,
          reason: "dust",
          detail:
            "Aave v3.3+ MUST_NOT_LEAVE_DUST: every size allowed by the 50% close factor leaves less than $1,000 of debt or collateral",
        };
      }
      outcome = aaveLiquidationOutcome(input, argument);
      sizingRule = `${outcome.closeFactorRule}+dust-rule-reduced`;
    }
  }
  if (outcome.actualDebtToLiquidate === 0n || outcome.collateralToLiquidator === 0n) {
    return { ok: false, reason: "dust", detail: "the liquidation rounds to zero debt or zero collateral" };
  }
  if (input.rules !== "v3.0" && !outcome.cappedByCollateral && outcome.actualDebtToLiquidate === debt.userDebt) {
    // Closing the whole reserve debt: by execution interest has added a few wei, and naming the debt as
    // seen here would leave them behind, which v3.3+ refuses (MUST_NOT_LEAVE_DUST). A larger argument
    // lets the pool close the debt as it stands then (the plan's flash loan carries the same headroom).
    const withHeadroom = debt.userDebt + fullCloseHeadroom(debt.userDebt);
    if (argument < withHeadroom) argument = withHeadroom;
    sizingRule = `${sizingRule}+full-close`;
    closesWholeDebt = true;
  }

  const debtUsd = ratioToNumber(outcome.actualDebtToLiquidate * debt.priceBase, unitOf(debt.decimals) * input.baseCurrencyUnit);
  const collateralUsd = ratioToNumber(
    outcome.collateralToLiquidator * collateral.priceBase,
    unitOf(collateral.decimals) * input.baseCurrencyUnit,
  );
  // The pool recomputes the cap itself when the collateral binds or the whole debt goes: passing the stale
  // computed debt back would leave a wei behind, and v3.3+ reverts MUST_NOT_LEAVE_DUST (LiquidationCall).
  const poolDecidesSize = argument > outcome.actualDebtToLiquidate && (outcome.cappedByCollateral || closesWholeDebt);
  return {
    ok: true,
    candidate: {
      key,
      collateralToken: collateral.token,
      debtToken: debt.token,
      debtToCover: outcome.actualDebtToLiquidate,
      expectedCollateral: outcome.collateralToLiquidator,
      debtToCoverUsd: debtUsd,
      expectedCollateralUsd: collateralUsd,
      sizingRule: outcome.cappedByCollateral ? `${sizingRule}+capped-by-collateral` : sizingRule,
      healthFactor,
      detectedAtBlock: input.detectedAtBlock,
      call: {
        shape: "AaveV3",
        market: input.pool,
        debtToCover: poolDecidesSize ? argument : outcome.actualDebtToLiquidate,
        poolDecidesSize,
        selfFunded: false,
      },
    },
    protocolFeeCollateral: outcome.protocolFee,
    cappedByCollateral: outcome.cappedByCollateral,
    // v3.3+ burns the rest of the debt as a deficit when the user's last collateral goes; the keeper
    // does not pay for it, but the journal records it. (Other debt reserves are burned too; not counted.)
    badDebt:
      input.rules !== "v3.0" && outcome.collateralToLiquidateBase >= input.totalCollateralBase
        ? debt.userDebt - outcome.actualDebtToLiquidate
        : 0n,
  };
}
