/**
 * Simulates a plan exactly as it would be sent, and derives its on-chain profit floor from the
 * simulation rather than from the strategy's estimate:
 *
 *   1. profit probe: eth_call `liquidate(plan)` with minProfit = 2^256-1. A plan that works reverts
 *      with InsufficientProfit(profit, minProfit), which carries the exact profit the executor
 *      measured; any other revert is the reason the plan fails.
 *   2. minProfit = profit less the configured haircut (drift between simulation and inclusion).
 *   3. the gas check, sent together with the probe: the plan run with the gas limit it will be signed
 *      with (or eth_estimateGas, by policy), proving the path does not revert within it. It runs with
 *      minProfit = 1 wei, since the floor is only a comparison at the very end: same path, same gas
 *      as the final calldata, whose floor step 1 shows is met.
 *
 * A failure at any step, a revert or an RPC error alike, means the plan is not sent.
 */
import { MaxUint256 } from "ethers";
import type { Address, LiquidationPlan } from "../core/types";
import { minProfitWithHaircut } from "../strategy/economics";
import type { ExecutorTargets } from "./executor-targets";
import { encodeLiquidateCall, encodePlanStruct, withMinProfit, type PlanStruct } from "./plan-encoder";
import { decodeSimulationError, type DecodedFailure } from "./revert-decoder";

/** The two reads a simulation needs; an ethers Provider (and Hardhat's) satisfies them. */
export interface SimulationProvider {
  call(request: { from: string; to: string; data: string; gasLimit?: bigint; blockTag?: string | number }): Promise<string>;
  estimateGas(request: { from: string; to: string; data: string; blockTag?: string | number }): Promise<bigint>;
}

/**
 * How the gas limit is found.
 * - "fixed": the plan is run (eth_call) with exactly this limit; success proves it fits, and the
 *   transaction is signed with it. One execution, no search: the fast path a reacting keeper wants.
 *   Only gas used is paid for, so a generous limit costs nothing but headroom in the balance check.
 * - "estimate": eth_estimateGas (nodes binary-search the limit: several executions), plus a margin.
 */
export type GasLimitPolicy = { readonly mode: "fixed"; readonly limit: bigint } | { readonly mode: "estimate"; readonly marginBps: number };

export interface PlanSimulatorOptions {
  readonly provider: SimulationProvider;
  /**
   * Where plans go. A function is resolved at the first simulation: the targets are only known once
   * the markets are initialised (Aave's pool is read from its PoolAddressesProvider), after start-up.
   */
  readonly targets: ExecutorTargets | (() => ExecutorTargets);
  /** The operator key's address: the executor only accepts plans from operators. */
  readonly operator: Address;
  /** minProfit = simulated profit × (1 - haircut). */
  readonly minProfitHaircutBps: number;
  /** Default: a fixed 3,000,000 (about three liquidations' worth; Base's per-transaction cap is ~16.7M). */
  readonly gas?: GasLimitPolicy;
  /** Blocks after the simulated block the plan stays valid (deadlineBlock). Default 2. */
  readonly deadlineBlocks?: number;
  /** Block tag to simulate against. Default "latest" (Flashblocks nodes can serve a stale `pending`, BASE.md). */
  readonly blockTag?: string;
}

export type SimulationStage = "profit-probe" | "gas-check";

export type SimulationOutcome =
  | {
      readonly ok: true;
      /** Profit-token units the executor measured in the probe. */
      readonly simulatedProfit: bigint;
      /** What the plan should realise: the simulated profit less the known shortfall (own earlier sales). */
      readonly expectedProfit: bigint;
      readonly minProfit: bigint;
      /** eth_estimateGas ("estimate" policy), or the strategy's gas figure under a fixed limit. */
      readonly gasEstimate: bigint;
      readonly gasLimit: bigint;
      readonly deadlineBlock: number;
      readonly planStruct: PlanStruct;
      /** The calldata to sign: exactly what eth_estimateGas ran. */
      readonly calldata: string;
    }
  | {
      readonly ok: false;
      readonly stage: SimulationStage;
      readonly failure: DecodedFailure;
      /** One line for the journal: what failed and why. */
      readonly detail: string;
    };

const BPS = 10_000n;
const DEFAULT_GAS_POLICY: GasLimitPolicy = { mode: "fixed", limit: 3_000_000n };

export class PlanSimulator {
  readonly #provider: SimulationProvider;
  #targets: ExecutorTargets | (() => ExecutorTargets);
  readonly #operator: Address;
  readonly #haircutBps: number;
  readonly #gas: GasLimitPolicy;
  readonly #deadlineBlocks: number;
  readonly #blockTag: string;

  constructor(options: PlanSimulatorOptions) {
    const gas = options.gas ?? DEFAULT_GAS_POLICY;
    if (gas.mode === "fixed" && gas.limit < 21_000n) throw new Error(`a fixed gas limit must be at least 21000, got ${gas.limit}`);
    if (gas.mode === "estimate" && (!Number.isInteger(gas.marginBps) || gas.marginBps < 0)) {
      throw new Error(`gas.marginBps must be a non-negative integer, got ${gas.marginBps}`);
    }
    const deadline = options.deadlineBlocks ?? 2;
    if (!Number.isInteger(deadline) || deadline < 1) throw new Error(`deadlineBlocks must be a positive integer, got ${deadline}`);
    // Validates the haircut once, up front, with the strategy's own rule.
    minProfitWithHaircut(1n, options.minProfitHaircutBps);
    this.#provider = options.provider;
    this.#targets = options.targets;
    this.#operator = options.operator;
    this.#haircutBps = options.minProfitHaircutBps;
    this.#gas = gas;
    this.#deadlineBlocks = deadline;
    this.#blockTag = options.blockTag ?? "latest";
  }

  /**
   * `headBlock`: the block the plan is simulated on; the deadline counts from it. `profitShortfall`:
   * profit-token units the plan will earn less than simulated, known before sending (this keeper's own
   * earlier sales into the same pool in this block); the floor is set from what remains.
   */
  async simulate(plan: LiquidationPlan, headBlock: number, adjustments: { readonly profitShortfall?: bigint } = {}): Promise<SimulationOutcome> {
    const deadlineBlock = headBlock + this.#deadlineBlocks;
    if (typeof this.#targets === "function") this.#targets = this.#targets();
    const base = encodePlanStruct(plan, this.#targets, { minProfit: 0n, deadlineBlock });
    const to = this.#targets.executor;

    // Both reads at once (one round trip on a remote RPC). The second runs the plan with a minProfit
    // of 1 wei: the floor is only compared with the profit at the very end, so the path and its gas
    // are those of the final calldata, whose floor the probe proves is met.
    const check = encodeLiquidateCall(withMinProfit(base, 1n));
    const [probe, fits] = await Promise.allSettled([
      this.#provider.call({ from: this.#operator, to, data: encodeLiquidateCall(withMinProfit(base, MaxUint256)), blockTag: this.#blockTag }),
      this.#gas.mode === "fixed"
        ? this.#provider.call({ from: this.#operator, to, data: check, gasLimit: this.#gas.limit, blockTag: this.#blockTag }).then(() => (this.#gas as { limit: bigint }).limit)
        : this.#provider.estimateGas({ from: this.#operator, to, data: check, blockTag: this.#blockTag }),
    ]);
    if (probe.status === "fulfilled") {
      // An unreachable minProfit that does not revert means the executor is not checking profit at all.
      return fail("profit-probe", { kind: "revert", name: "unknown", args: [], summary: "did not revert with minProfit = 2^256-1", data: "0x" });
    }
    const failure = decodeSimulationError(probe.reason);
    if (failure.kind !== "revert" || failure.name !== "InsufficientProfit") return fail("profit-probe", failure);
    const simulatedProfit = failure.args[0] as bigint;
    if (simulatedProfit <= 0n) {
      return fail("profit-probe", {
        kind: "revert",
        name: "InsufficientProfit",
        args: [simulatedProfit],
        summary: "the plan runs but earns nothing (profit 0 after repaying the flash loan)",
        data: "0x",
      });
    }
    if (fits.status === "rejected") return fail("gas-check", decodeSimulationError(fits.reason));
    // With a fixed limit there is no measurement: the strategy's own estimate stands for the journal.
    const gasEstimate = this.#gas.mode === "fixed" ? plan.gasUnits : fits.value;

    const shortfall = adjustments.profitShortfall ?? 0n;
    if (simulatedProfit <= shortfall) {
      return fail("profit-probe", {
        kind: "revert",
        name: "InsufficientProfit",
        args: [simulatedProfit],
        summary: `the simulated profit ${simulatedProfit} does not cover the ${shortfall} this keeper's own earlier sales in this block will cost it`,
        data: "0x",
      });
    }
    const minProfit = minProfitWithHaircut(simulatedProfit - shortfall, this.#haircutBps);
    const planStruct = withMinProfit(base, minProfit);
    const calldata = encodeLiquidateCall(planStruct);
    const gasLimit = this.#gas.mode === "fixed" ? this.#gas.limit : (gasEstimate * (BPS + BigInt(this.#gas.marginBps)) + BPS - 1n) / BPS;
    return { ok: true, simulatedProfit, expectedProfit: simulatedProfit - shortfall, minProfit, gasEstimate, gasLimit, deadlineBlock, planStruct, calldata };
  }
}

function fail(stage: SimulationStage, failure: DecodedFailure): SimulationOutcome {
  const what = stage === "profit-probe" ? "profit probe (eth_call)" : "gas check";
  return { ok: false, stage, failure, detail: `${what} ${failure.kind === "revert" ? "reverted" : "failed"}: ${failure.summary}` };
}
