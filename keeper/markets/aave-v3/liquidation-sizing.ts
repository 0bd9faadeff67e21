/**
 * Aave V3 liquidation sizing, reproducing `LiquidationLogic.executeLiquidationCall` of the pool's own
 * version so the keeper asks for exactly what the pool will give.
 *
 * Sources (read for the rules; no code copied):
 * - v3.0.x: @aave/core-v3 1.19.3 (the bytecode the sandbox runs),
 *   contracts/protocol/libraries/logic/LiquidationLogic.sol — `_calculateDebt` and
 *   `_calculateAvailableCollateralToLiquidate`. Close factor 50% of the reserve's debt while
 *   HF > CLOSE_FACTOR_HF_THRESHOLD (0.95), 100% at or below it. No dust rule.
 * - v3.3+: aave-dao/aave-v3-origin, src/contracts/protocol/libraries/logic/LiquidationLogic.sol.
 *   CLOSE_FACTOR_HF_THRESHOLD = 0.95e18; MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD = 2000e8;
 *   MIN_LEFTOVER_BASE = MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD / 2 = 1000e8. The whole reserve debt is
 *   liquidatable unless BOTH the pair's collateral and the pair's debt are worth at least $2,000 AND
 *   HF > 0.95; only then is it capped at 50% of the user's TOTAL debt (all reserves) in base currency.
 *   After a partial liquidation (neither all the reserve's debt nor all its collateral taken) both the
 *   leftover debt and the leftover collateral must be worth at least $1,000, else the call reverts
 *   with MUST_NOT_LEAVE_DUST.
 *
 * Prices are the Aave oracle's, in the market's base currency (USD with 8 decimals on Base and
 * Ethereum). The v3.3 thresholds are compared in raw base units exactly as the contract does.
 */
import { BPS, minBigint, ratioToNumber, unitOf, WAD } from "../../core/fixed-point";
import type { Address, PositionKey } from "../../core/types";
import type { SizingResult } from "../sizing-result";
import { percentDiv, percentMul } from "./aave-math";

export type AaveLiquidationRules = "v3.0" | "v3.3";

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
  };
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
  /** v3.3 only: the call would revert with MUST_NOT_LEAVE_DUST. */
  readonly violatesDustRule: boolean;
  readonly closeFactorRule: string;
}

function baseValue(amount: bigint, priceBase: bigint, decimals: number): bigint {
  return (amount * priceBase) / unitOf(decimals);
}

function maxLiquidatableDebt(input: AaveV3SizingInput): { amount: bigint; rule: string } {
  const { debt, collateral, healthFactor, rules } = input;
  const hfAboveThreshold = healthFactor > AAVE_CLOSE_FACTOR_HF_THRESHOLD;
  if (rules === "v3.0") {
    return hfAboveThreshold
      ? { amount: percentMul(debt.userDebt, AAVE_DEFAULT_CLOSE_FACTOR_BPS), rule: "aave-v3.0-close-factor-50%" }
      : { amount: debt.userDebt, rule: "aave-v3.0-close-factor-100%-hf<=0.95" };
  }
  const debtBase = baseValue(debt.userDebt, debt.priceBase, debt.decimals);
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
    actualDebt = percentDiv((collateral.priceBase * collateralAmount * debtUnit) / (debt.priceBase * collateralUnit), bonusBps);
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
  if (input.rules === "v3.3" && actualDebt < debt.userDebt && collateralToLiquidator + protocolFee < collateral.userBalance) {
    const leftoverDebtBase = baseValue(debt.userDebt - actualDebt, debt.priceBase, debt.decimals);
    const leftoverCollateralBase = baseValue(collateral.userBalance - collateralToLiquidator, collateral.priceBase, collateral.decimals);
    violatesDustRule = leftoverDebtBase < AAVE_MIN_LEFTOVER_BASE || leftoverCollateralBase < AAVE_MIN_LEFTOVER_BASE;
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

  // `argument` is what the executor passes to liquidationCall; the pool applies the close factor and
  // the collateral cap to it, so it may exceed the debt actually repaid (see LiquidationCall).
  let argument = input.requestedDebtToCover ?? debt.userDebt;
  let outcome = aaveLiquidationOutcome(input, argument);
  let sizingRule = outcome.closeFactorRule;
  let fullForDustRule = false;
  if (outcome.violatesDustRule) {
    if (outcome.maxLiquidatableDebt >= debt.userDebt) {
      // The rules allow a full liquidation, which can never leave dust: take it.
      argument = debt.userDebt;
      outcome = aaveLiquidationOutcome(input, argument);
      sizingRule = `${outcome.closeFactorRule}+dust-rule-full`;
      fullForDustRule = true;
    } else {
      // Violating at the cap means the cap is not collateral-bound, so neither is anything below it.
      argument = largestDustFreeDebt(input, minBigint(argument, outcome.maxLiquidatableDebt));
      if (argument === 0n) {
        return {
          ok: false,
          reason: "dust",
          detail: "Aave v3.3 MUST_NOT_LEAVE_DUST: every size allowed by the 50% close factor leaves less than $1,000 of debt or collateral",
        };
      }
      outcome = aaveLiquidationOutcome(input, argument);
      sizingRule = `${outcome.closeFactorRule}+dust-rule-reduced`;
    }
  }
  if (outcome.actualDebtToLiquidate === 0n || outcome.collateralToLiquidator === 0n) {
    return { ok: false, reason: "dust", detail: "the liquidation rounds to zero debt or zero collateral" };
  }

  const debtUsd = ratioToNumber(outcome.actualDebtToLiquidate * debt.priceBase, unitOf(debt.decimals) * input.baseCurrencyUnit);
  const collateralUsd = ratioToNumber(
    outcome.collateralToLiquidator * collateral.priceBase,
    unitOf(collateral.decimals) * input.baseCurrencyUnit,
  );
  // The pool recomputes the cap itself when the collateral binds or the whole debt may go: passing the stale
  // computed debt back would leave a wei behind, and v3.3 reverts MUST_NOT_LEAVE_DUST (LiquidationCall).
  const poolDecidesSize = argument > outcome.actualDebtToLiquidate && (outcome.cappedByCollateral || fullForDustRule);
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
    // v3.3 burns the rest of the debt as a deficit when the user's last collateral goes; the keeper
    // does not pay for it, but the journal records it. (Other debt reserves are burned too; not counted.)
    badDebt:
      input.rules === "v3.3" && outcome.collateralToLiquidateBase >= input.totalCollateralBase
        ? debt.userDebt - outcome.actualDebtToLiquidate
        : 0n,
  };
}
