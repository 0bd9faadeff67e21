/**
 * Builds the input of Aave's liquidation sizing (liquidation-sizing.ts) from the plug-in's in-memory state:
 * the borrower's account data as the pool would compute it at the evaluation time, the pair's reserves, their
 * gates (active, paused, grace period) and the borrower's scaled collateral, so the model can reproduce
 * `liquidationCall` to the wei. Kept apart from the plug-in so tests can replay any argument through the model
 * with exactly what the keeper would size with.
 */
import type { Address } from "../../config/address-book";
import type { LiquidationPair } from "../market";
import type { PositionKey } from "../../core/types";
import type { SizingRefusal } from "../sizing-result";
import type { AaveAccountData, AaveEvaluationContext, AaveReserve, AaveUserState } from "./account-data";
import type { AaveLiquidationRules, AaveReserveGate, AaveV3SizingInput } from "./liquidation-sizing";

export interface SizingInputSources {
  readonly key: PositionKey;
  /** The pool liquidationCall goes to. */
  readonly pool: Address;
  readonly pair: LiquidationPair;
  readonly rules: AaveLiquidationRules;
  readonly data: AaveAccountData;
  readonly state: AaveUserState;
  readonly ctx: AaveEvaluationContext;
  /** Unix time until which a reserve (lower-case asset) refuses liquidations. */
  readonly gracePeriods: ReadonlyMap<string, bigint>;
  readonly detectedAtBlock: number;
  readonly baseCurrencyUnit: bigint;
}

function gateOf(reserve: AaveReserve, gracePeriods: ReadonlyMap<string, bigint>): AaveReserveGate {
  return {
    active: reserve.params.active,
    paused: reserve.params.paused,
    liquidationGracePeriodUntil: gracePeriods.get(reserve.asset) ?? 0n,
  };
}

/** The sizing input for one collateral/debt pair, or why the pair cannot be sized. */
export function aaveSizingInput(sources: SizingInputSources): AaveV3SizingInput | SizingRefusal {
  const { data, pair, state, ctx } = sources;
  const collateralToken = pair.collateralToken.toLowerCase() as Address;
  const debtToken = pair.debtToken.toLowerCase() as Address;
  const collateral = data.exposures.find((e) => e.reserve.asset === collateralToken && e.countsAsCollateral);
  const debt = data.exposures.find((e) => e.reserve.asset === debtToken && e.isBorrowed);
  if (!collateral || !debt) {
    return { ok: false, reason: "not-liquidatable", detail: `pair ${pair.collateralToken}/${pair.debtToken} is not held by the borrower` };
  }
  const scaledCollateral = state.scaledCollateral.get(collateral.reserve.id);
  return {
    rules: sources.rules,
    key: sources.key,
    pool: sources.pool,
    healthFactor: data.healthFactor,
    detectedAtBlock: sources.detectedAtBlock,
    gates: {
      collateral: gateOf(collateral.reserve, sources.gracePeriods),
      debt: gateOf(debt.reserve, sources.gracePeriods),
      now: ctx.now,
    },
    debt: {
      token: debt.reserve.asset,
      decimals: debt.reserve.params.decimals,
      priceBase: debt.price,
      userDebt: debt.debtBalance,
    },
    collateral: {
      token: collateral.reserve.asset,
      decimals: collateral.reserve.params.decimals,
      priceBase: collateral.price,
      userBalance: collateral.collateralBalance,
      liquidationBonusBps: Math.max(0, collateral.liquidationBonus - 10_000),
      liquidationProtocolFeeBps: collateral.reserve.params.liquidationProtocolFee,
      scaled: scaledCollateral === undefined ? undefined : { balance: scaledCollateral, liquidityIndex: ctx.income(collateral.reserve) },
    },
    totalDebtBase: data.totalDebtBase,
    totalCollateralBase: data.totalCollateralBase,
    baseCurrencyUnit: sources.baseCurrencyUnit,
  };
}
