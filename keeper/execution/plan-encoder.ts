/**
 * LiquidationPlan (the strategy's output, in the keeper's vocabulary) → IChimeraExecutor.Plan (the
 * struct the contract takes) and its calldata. The encoder knows no protocol, lender or venue: the
 * market plug-in put the protocol call on the candidate (LiquidationCall), the flash-lender plug-in
 * its FlashSource member on the option, the venue plug-in its SwapVenue member and router on the
 * quote; the encoder maps enum names to their values (core/executor-enums.ts) and copies the rest.
 * The struct shape comes from TypeChain, so a change to the contract's ABI breaks this file at
 * compile time instead of at send time.
 */
import { MaxUint256, type BytesLike, type ParamType } from "ethers";
import { ChimeraExecutor__factory, type IChimeraExecutor } from "../../typechain-types";
import { EXECUTOR_FLASH_SOURCES, EXECUTOR_PROTOCOL_KINDS, EXECUTOR_SWAP_VENUES, executorEnumValue } from "../core/executor-enums";
import type { Address, LiquidationPlan } from "../core/types";

export type PlanStruct = IChimeraExecutor.PlanStruct;
export type BatchPlanStruct = IChimeraExecutor.BatchPlanStruct;

const ZERO: Address = "0x0000000000000000000000000000000000000000";
/** `Swap.amountIn = 0` sells the executor's whole balance of the seized collateral. */
const SELL_ALL_SEIZED = 0n;

const NO_MORPHO_TERMS: IChimeraExecutor.MorphoTermsStruct = { oracle: ZERO, irm: ZERO, lltv: 0n, seizedAssets: 0n, repaidShares: 0n };
const NO_SWAP: IChimeraExecutor.SwapStruct = {
  venue: executorEnumValue(EXECUTOR_SWAP_VENUES, "None"),
  router: ZERO,
  amountIn: 0n,
  minAmountOut: 0n,
  route: "0x",
};

/** What the execution stage decides on top of the strategy's plan. */
export interface PlanTerms {
  /** The executor reverts unless the treasury gains at least this much profit token. */
  readonly minProfit: bigint;
  /** The last block the plan may execute in; later it reverts cheaply with PlanExpired. */
  readonly deadlineBlock: number;
}

export class PlanEncodingError extends Error {
  override readonly name = "PlanEncodingError";
}

const executorInterface = ChimeraExecutor__factory.createInterface();

export function encodePlanStruct(plan: LiquidationPlan, terms: PlanTerms): PlanStruct {
  if (terms.minProfit < 0n) throw new PlanEncodingError(`plan ${plan.id}: minProfit must be >= 0, got ${terms.minProfit}`);
  if (!Number.isInteger(terms.deadlineBlock) || terms.deadlineBlock < 0) {
    throw new PlanEncodingError(`plan ${plan.id}: deadlineBlock must be a block number, got ${terms.deadlineBlock}`);
  }
  const { candidate, flash } = plan;
  const call = candidate.call;
  if (call === undefined) {
    throw new PlanEncodingError(`plan ${plan.id}: market ${candidate.key.market} sized no executor call (LiquidationCall) for it`);
  }
  if (call.morpho !== undefined && (call.morpho.seizedAssets === 0n) === (call.morpho.repaidShares === 0n)) {
    throw new PlanEncodingError(
      `plan ${plan.id}: exactly one of seizedAssets (${call.morpho.seizedAssets}) and repaidShares (${call.morpho.repaidShares}) must be non-zero`,
    );
  }
  const borrows = flash.executorSource !== "None";
  return {
    flash: {
      source: executorEnumValue(EXECUTOR_FLASH_SOURCES, flash.executorSource),
      lender: borrows ? flash.address : ZERO,
      token: borrows ? candidate.debtToken : ZERO,
      amount: !borrows ? 0n : call.poolDecidesSize ? withInterestBuffer(flash.amount) : flash.amount + FLASH_HEADROOM,
    },
    liquidation: {
      protocol: executorEnumValue(EXECUTOR_PROTOCOL_KINDS, call.shape),
      market: call.market,
      borrower: candidate.key.borrower,
      collateralToken: candidate.collateralToken,
      debtToken: candidate.debtToken,
      debtToCover: call.debtToCover,
      collateralMarket: call.collateralMarket ?? ZERO,
      oevWrapper: call.oevWrapper ?? ZERO,
      morpho: call.morpho ?? NO_MORPHO_TERMS,
      swap: swapStruct(plan),
    },
    profitToken: plan.profitToken,
    minProfit: terms.minProfit,
    deadlineBlock: BigInt(terms.deadlineBlock),
  };
}

/**
 * What plans must share to go in one `liquidateBatch`: one flash loan (same source, lender and token) and one profit
 * token. Null: the plan cannot be batched (a plan funded without a flash loan).
 */
export function batchKey(plan: LiquidationPlan): string | null {
  if (plan.flash.kind === "none") return null;
  return `${plan.flash.kind}:${plan.flash.address.toLowerCase()}:${plan.candidate.debtToken.toLowerCase()}:${plan.profitToken.toLowerCase()}`;
}

/**
 * Several plans as ONE `liquidateBatch`: one flash loan of their summed amounts, their liquidations in order, one
 * profit floor. Every plan must have the same `batchKey`.
 */
export function encodeBatchPlanStruct(plans: readonly LiquidationPlan[], terms: PlanTerms): BatchPlanStruct {
  if (plans.length === 0) throw new PlanEncodingError("a batch needs at least one plan");
  const key = batchKey(plans[0]!);
  if (key === null || plans.some((plan) => batchKey(plan) !== key)) {
    throw new PlanEncodingError(`plans ${plans.map((plan) => plan.id).join(", ")} do not share one flash loan and profit token`);
  }
  const singles = plans.map((plan) => encodePlanStruct(plan, terms));
  const flash = singles[0]!.flash;
  return {
    flash: { ...flash, amount: singles.reduce((sum, single) => sum + BigInt(single.flash.amount), 0n) },
    liquidations: singles.map((single) => single.liquidation),
    profitToken: singles[0]!.profitToken,
    minProfit: terms.minProfit,
    deadlineBlock: BigInt(terms.deadlineBlock),
  };
}

/** `liquidateBatch(plan)` calldata. */
export function encodeLiquidateBatchCall(plan: BatchPlanStruct): string {
  return executorInterface.encodeFunctionData("liquidateBatch", [plan]);
}

/** `liquidate(plan)` calldata. */
export function encodeLiquidateCall(plan: PlanStruct): string {
  return executorInterface.encodeFunctionData("liquidate", [plan]);
}

/**
 * `liquidate` / `liquidateBatch` calldata with another minProfit, by rewriting its one word: the simulation probes
 * a plan at floor 0 and signs it at the floor the probe set, and ABI-encoding a plan (a dozen checksummed addresses,
 * nested tuples) is the keeper's costliest CPU work in a busy step. Byte for byte what encoding the struct with
 * that minProfit gives (plan-encoder.test.ts).
 */
export function calldataWithMinProfit(calldata: string, minProfit: bigint): string {
  return calldataWithPlanWord(calldata, "minProfit", minProfit);
}

/** The same calldata with another deadlineBlock (the simulator sets it from the block the simulation ran on). */
export function calldataWithDeadline(calldata: string, deadlineBlock: number): string {
  if (!Number.isInteger(deadlineBlock) || deadlineBlock < 0)
    throw new PlanEncodingError(`deadlineBlock must be a block number, got ${deadlineBlock}`);
  return calldataWithPlanWord(calldata, "deadlineBlock", BigInt(deadlineBlock));
}

function calldataWithPlanWord(calldata: string, field: "minProfit" | "deadlineBlock", value: bigint): string {
  if (value < 0n || value > MaxUint256) throw new PlanEncodingError(`${field} must be a uint256, got ${value}`);
  const word = PLAN_WORDS.get(`${calldata.slice(0, 10).toLowerCase()}:${field}`);
  if (word === undefined) throw new PlanEncodingError(`calldata ${calldata.slice(0, 10)}… is neither liquidate nor liquidateBatch`);
  // The plan is the function's only argument: a dynamic tuple, so the head holds the offset of its encoding.
  const tupleStart = 10 + Number(BigInt(`0x${calldata.slice(10, 74)}`)) * 2;
  const at = tupleStart + word * 64;
  if (calldata.length < at + 64) throw new PlanEncodingError(`calldata of ${calldata.length} hex chars is too short for a plan`);
  return calldata.slice(0, at) + value.toString(16).padStart(64, "0") + calldata.slice(at + 64);
}

/** Words a component takes in its tuple's head: one for a dynamic value (its offset) or a word; a static tuple inline. */
function headWords(type: ParamType): number {
  if (isDynamic(type)) return 1;
  if (type.isTuple()) return type.components.reduce((sum, component) => sum + headWords(component), 0);
  if (type.isArray()) return type.arrayLength * headWords(type.arrayChildren);
  return 1;
}

/** ABI rule: bytes, string, T[] and any tuple or T[k] holding one of them are encoded out of the head. */
function isDynamic(type: ParamType): boolean {
  if (type.baseType === "bytes" || type.baseType === "string") return true;
  if (type.isArray()) return type.arrayLength < 0 || isDynamic(type.arrayChildren);
  if (type.isTuple()) return type.components.some(isDynamic);
  return false;
}

/** The head word of a static field in a plan tuple (computed from the ABI, not assumed), keyed "selector:field". */
function planWord(fn: "liquidate" | "liquidateBatch", field: "minProfit" | "deadlineBlock"): [string, number] {
  const fragment = executorInterface.getFunction(fn)!;
  const plan = fragment.inputs[0]!;
  if (fragment.inputs.length !== 1 || !plan.isTuple() || !isDynamic(plan))
    throw new PlanEncodingError(`${fn}'s ABI no longer takes one dynamic plan tuple`);
  const index = plan.components.findIndex((component) => component.name === field);
  if (index < 0 || isDynamic(plan.components[index]!)) throw new PlanEncodingError(`${fn}'s plan has no word ${field}`);
  return [`${fragment.selector}:${field}`, plan.components.slice(0, index).reduce((sum, component) => sum + headWords(component), 0)];
}

const PLAN_WORDS = new Map(
  (["liquidate", "liquidateBatch"] as const).flatMap((fn) => [planWord(fn, "minProfit"), planWord(fn, "deadlineBlock")]),
);

/** The same plan with another minProfit (simulation probes the profit with an unreachable one). */
export function withMinProfit(plan: PlanStruct, minProfit: bigint): PlanStruct {
  return { ...plan, minProfit };
}

/**
 * One base unit borrowed above what the liquidation repays, so the executor's balance of the flash token never returns
 * to zero between the liquidation's pull and the sale's proceeds. An empty executor's balance would otherwise go
 * loan → 0 → proceeds: a refunded zero write followed by a fresh 20,000-gas zero-to-non-zero write, whose refund
 * EIP-3529's cap (a fifth of the transaction's gas) forfeits on lenders repaid through an approval (Morpho, Aave):
 * about 10,000 gas a Morpho-funded plan, 2,900 an Aave-funded one (bench/gas.ts `overheadVsFloorPlain`). The unit is
 * repaid with the loan in the same transaction; nothing stays behind. Where the pool decides the size, the interest
 * buffer already keeps the balance above zero.
 */
export const FLASH_HEADROOM = 1n;

/**
 * 10 bps + 1 unit: hours of interest at any sane borrow rate, for a pool that sizes the liquidation on
 * its state at execution (LiquidationCall.poolDecidesSize). Unused principal is repaid in the same transaction.
 */
export function withInterestBuffer(amount: bigint): bigint {
  return amount + amount / 1_000n + 1n;
}

/**
 * The fee the sale must cover for the loan the plan sends: the strategy priced the fee on the principal alone, and
 * one unit of headroom adds at most one unit of fee (any rate up to 100%, rounded either way); a lender that charged
 * nothing on the principal (Balancer, Morpho) is counted as charging nothing on the unit. This is the sale's floor
 * only: a sale that cannot repay the loan still reverts at the lender's pull and the executor's balance guard.
 */
function flashFeeBound(plan: LiquidationPlan): bigint {
  const headroomed = plan.flash.executorSource !== "None" && plan.candidate.call?.poolDecidesSize === false;
  return plan.flash.fee + (headroomed && plan.flash.fee > 0n ? FLASH_HEADROOM : 0n);
}

function swapStruct(plan: LiquidationPlan): IChimeraExecutor.SwapStruct {
  const swap = plan.swap;
  if (swap === null || swap.executorVenue === "None") return NO_SWAP;
  return {
    venue: executorEnumValue(EXECUTOR_SWAP_VENUES, swap.executorVenue),
    router: swap.router,
    amountIn: SELL_ALL_SEIZED,
    // The sale must at least repay what the liquidation spent of the loan plus the loan's fee; the profit
    // floor itself is `minProfit`, checked by the executor after repayment.
    minAmountOut: plan.candidate.debtToCover + flashFeeBound(plan),
    route: swap.route as BytesLike,
  };
}
