/**
 * What a simulation concludes (plan-simulator.ts), and the two helpers every path of it ends with: a failure with its
 * one journal line, and a profit shortfall that may still be on the wire settled without ever rejecting.
 */
import type { LiquidationPlan } from "../core/types";
import type { PlanStruct } from "./plan-encoder";
import type { DecodedFailure } from "./revert-decoder";

export type SimulationStage = "profit-probe" | "gas-check";

/** What the caller knows about a simulation beyond the plan: its shortfall and the block whose state it must read. */
export interface SimulationAdjustments {
  /** May still be on the wire (own-sales quotes run beside the probe); a failed one fails the plan. */
  readonly profitShortfall?: bigint | Promise<bigint>;
  /**
   * Simulate on this block's state instead of the simulator's tag (latest): the block the own-sales ledger read the
   * key's landed count at and priced the shortfall on. At latest, a sale of ours mined between that count and the
   * probe was both in the simulated pool and in the shortfall: in the reaction bench a busy step's third chunk was
   * refused whole ("does not cover") by the batch sent just before it, mined meanwhile, and retried blocks later.
   */
  readonly stateBlock?: number;
}

/** One plan of a `simulateMany` batch, with its adjustments. */
export interface SimulationRequest extends SimulationAdjustments {
  readonly plan: LiquidationPlan;
  readonly headBlock: number;
}

export type SimulationOutcome =
  | {
      readonly ok: true;
      /** Profit-token units the plan earned in the simulation. */
      readonly simulatedProfit: bigint;
      /** What the plan should realise: the simulated profit less the known shortfall (own earlier sales). */
      readonly expectedProfit: bigint;
      readonly minProfit: bigint;
      /** Gas the plan used ("probe"), eth_estimateGas, or the strategy's figure under a fixed limit. */
      readonly gasEstimate: bigint;
      readonly gasLimit: bigint;
      readonly deadlineBlock: number;
      readonly planStruct: PlanStruct;
      /** The calldata to sign. */
      readonly calldata: string;
    }
  | {
      readonly ok: false;
      readonly stage: SimulationStage;
      readonly failure: DecodedFailure;
      /** One line for the journal: what failed and why. */
      readonly detail: string;
    };

/**
 * A shortfall that may still be on the wire, settled without ever rejecting (a probe that fails first must not leave a
 * rejected promise unhandled); a failed quote fails the plan: its floor cannot be set.
 */
export function settled(
  shortfall: bigint | Promise<bigint> | undefined,
): Promise<
  { readonly ok: true; readonly value: bigint } | { readonly ok: false; readonly failure: Extract<SimulationOutcome, { ok: false }> }
> {
  return Promise.resolve(shortfall ?? 0n).then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({
      ok: false as const,
      failure: fail("profit-probe", { kind: "transport", summary: `own-sales quote failed: ${(error as Error).message ?? String(error)}` }),
    }),
  );
}

export function fail(stage: SimulationStage, failure: DecodedFailure): Extract<SimulationOutcome, { ok: false }> {
  const what = stage === "profit-probe" ? "profit probe (eth_call)" : "gas check";
  return { ok: false, stage, failure, detail: `${what} ${failure.kind === "revert" ? "reverted" : "failed"}: ${failure.summary}` };
}
