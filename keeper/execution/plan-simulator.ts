/**
 * Simulates a plan exactly as it will be sent, and sets its on-chain profit floor from the simulation
 * rather than from the strategy's estimate. Two methods, same guarantees:
 *
 * - "probe" (default): ONE eth_call. The ChimeraPlanProbe runtime (probe/ChimeraPlanProbe.sol) is
 *   placed at the operator's address by a state override, and calls `liquidate(plan)` on the executor,
 *   so the executor sees its operator and runs the plan as the transaction will. The probe returns
 *   whether it succeeded (with the revert data if not), the treasury's profit and the gas the plan used.
 *   A plan that fails does not make the node fail the call, so there is no error path to pay for.
 * - "revert": for nodes without eth_call state overrides. Two calls at once: `liquidate(plan)` with
 *   minProfit = 2^256-1, which reverts InsufficientProfit(profit, …) and so carries the exact profit;
 *   and the plan run within the gas limit it will be signed with (or eth_estimateGas), proving it fits.
 *   A node that refuses the override sends the simulator to this method for good.
 *
 * Either way the plan runs with a floor it meets (0, or 1 wei), since the floor is only compared with
 * the profit at the very end: same path, same gas as the signed calldata. Its floor is then
 * minProfit = (profit − known shortfall) × (1 − haircut). A failure of any kind (a revert, an RPC
 * error) means the plan is not sent.
 */
import { Interface, MaxUint256 } from "ethers";
import { ChimeraExecutor__factory } from "../../typechain-types";
import type { Address, LiquidationPlan } from "../core/types";
import { minProfitWithHaircut } from "../strategy/economics";
import {
  calldataWithDeadline,
  calldataWithMinProfit,
  encodeBatchPlanStruct,
  encodeLiquidateBatchCall,
  encodeLiquidateCall,
  encodePlanStruct,
  withMinProfit,
  type BatchPlanStruct,
  type PlanStruct,
} from "./plan-encoder";
import { PLAN_PROBE_ABI, PLAN_PROBE_RUNTIME_CODE } from "./probe/plan-probe-code";
import { decodeRevertData, decodeSimulationError } from "./revert-decoder";
import { fail, settled, type SimulationAdjustments, type SimulationOutcome, type SimulationRequest } from "./simulation-outcome";

export type { SimulationAdjustments, SimulationOutcome, SimulationRequest, SimulationStage } from "./simulation-outcome";

/** The reads a simulation needs; ethers' JSON-RPC providers (and Hardhat's) satisfy them. */
export interface SimulationProvider {
  call(request: { from: string; to: string; data: string; gasLimit?: bigint; blockTag?: string | number }): Promise<string>;
  estimateGas(request: { from: string; to: string; data: string; blockTag?: string | number }): Promise<bigint>;
  /** Raw JSON-RPC: eth_call with a state override (ethers' `call` has no parameter for it). */
  send(method: string, params: unknown[]): Promise<unknown>;
}

/**
 * Gas limit for the "revert" method:
 * - "fixed": the plan is run with exactly this limit; success proves it fits. Only gas used is paid.
 * - "estimate": eth_estimateGas (nodes binary-search the limit: several executions), plus a margin.
 */
export type GasLimitPolicy = { readonly mode: "fixed"; readonly limit: bigint } | { readonly mode: "estimate"; readonly marginBps: number };

export type SimulationMethod = "probe" | "revert";

export interface PlanSimulatorOptions {
  readonly provider: SimulationProvider;
  /** The ChimeraExecutor plans are sent to. */
  readonly executor: Address;
  /** The operator key's address: the executor only accepts plans from operators. */
  readonly operator: Address;
  /** minProfit = simulated profit × (1 - haircut). */
  readonly minProfitHaircutBps: number;
  /** Default "probe" (falls back to "revert" for good when the node refuses state overrides). */
  readonly method?: SimulationMethod;
  /** "revert" method only. Default: a fixed 3,000,000. */
  readonly gas?: GasLimitPolicy;
  /** "probe" method: gas limit = (intrinsic + measured × 64/63) × (1 + margin). Default 2,500 bps. */
  readonly gasMarginBps?: number;
  /** Blocks after the simulated block the plan stays valid (deadlineBlock). Default 2. */
  readonly deadlineBlocks?: number;
  /** Block tag to simulate against. Default "latest" (never `pending`: since Denim it has no equivalent on Base, BASE.md). */
  readonly blockTag?: string;
  /** Told once if the node refuses state overrides and the simulator switches to "revert". */
  readonly onMethodFallback?: (reason: string) => void;
  /** The markets' custom errors (LendingMarket.revertErrors): a failure they declare is journalled by name. */
  readonly protocolErrors?: readonly Interface[];
}

interface Measured {
  readonly profit: bigint;
  readonly gasEstimate: bigint;
  readonly gasLimit: bigint;
}

const BPS = 10_000n;
const DEFAULT_GAS_POLICY: GasLimitPolicy = { mode: "fixed", limit: 3_000_000n };
/** Base applies EIP-7825's per-transaction cap (2^24). */
const TRANSACTION_GAS_CAP = 16_777_216n;
const TREASURY_REFRESH_BLOCKS = 256;
/**
 * The probe runs with a deadline this many blocks past the signed one, so it measures the plan on the node's latest
 * state even when this keeper's head is behind it; the signed deadline then counts from the block the node simulated
 * on (read beside the probe). A busy step on a loaded machine had the keeper's head 7-9 blocks behind the node, and
 * every chunk's probe failed PlanExpired(head + 2, latest) on state the plan was perfectly valid for. A keeper further
 * behind than this is refused by the probe, as before.
 */
const PROBE_DEADLINE_SLACK_BLOCKS = 32;
const executorInterface = ChimeraExecutor__factory.createInterface();
const probeInterface = new Interface(PLAN_PROBE_ABI);

export class PlanSimulator {
  readonly #provider: SimulationProvider;
  #executor: Address;
  readonly #operator: Address;
  readonly #haircutBps: number;
  #method: SimulationMethod;
  readonly #gas: GasLimitPolicy;
  readonly #gasMarginBps: bigint;
  readonly #deadlineBlocks: number;
  readonly #blockTag: string;
  readonly #onMethodFallback: (reason: string) => void;
  readonly #protocolErrors: readonly Interface[];
  #treasury: { address: Address; readAt: number } | null = null;

  constructor(options: PlanSimulatorOptions) {
    const gas = options.gas ?? DEFAULT_GAS_POLICY;
    if (gas.mode === "fixed" && gas.limit < 21_000n) throw new Error(`a fixed gas limit must be at least 21000, got ${gas.limit}`);
    if (gas.mode === "estimate" && (!Number.isInteger(gas.marginBps) || gas.marginBps < 0)) {
      throw new Error(`gas.marginBps must be a non-negative integer, got ${gas.marginBps}`);
    }
    const margin = options.gasMarginBps ?? 2_500;
    if (!Number.isInteger(margin) || margin < 0) throw new Error(`gasMarginBps must be a non-negative integer, got ${margin}`);
    const deadline = options.deadlineBlocks ?? 2;
    if (!Number.isInteger(deadline) || deadline < 1) throw new Error(`deadlineBlocks must be a positive integer, got ${deadline}`);
    // Validates the haircut once, up front, with the strategy's own rule.
    minProfitWithHaircut(1n, options.minProfitHaircutBps);
    this.#provider = options.provider;
    this.#executor = options.executor;
    this.#operator = options.operator;
    this.#haircutBps = options.minProfitHaircutBps;
    this.#method = options.method ?? "probe";
    this.#gas = gas;
    this.#gasMarginBps = BigInt(margin);
    this.#deadlineBlocks = deadline;
    this.#blockTag = options.blockTag ?? "latest";
    this.#protocolErrors = options.protocolErrors ?? [];
    this.#onMethodFallback = options.onMethodFallback ?? (() => undefined);
  }

  /**
   * The outcome of a plan prepared ahead of the price (engine/prepared-plans.ts) and found still valid at the new
   * answer, WITHOUT an eth_call: its floor is the strategy's expected profit at the prepared answer less the haircut
   * (the new answer is at or below it, so the protocol seizes at least as much for the same repayment), its gas
   * limit the strategy's gas units with the probe's margin doubled (no measurement to lean on), within Base's cap.
   * The executor still reverts the plan if the chain disagrees; nothing but that floor protects it.
   */
  prepared(plan: LiquidationPlan, headBlock: number): SimulationOutcome {
    if (plan.expectedProfit <= 0n) {
      const summary = `the prepared plan expects no profit (${plan.expectedProfit})`;
      return fail("profit-probe", { kind: "revert", name: "InsufficientProfit", args: [plan.expectedProfit], summary, data: "0x" });
    }
    const deadlineBlock = headBlock + this.#deadlineBlocks;
    const minProfit = minProfitWithHaircut(plan.expectedProfit, this.#haircutBps);
    const planStruct = encodePlanStruct(plan, { minProfit, deadlineBlock });
    const limit = (plan.gasUnits * (BPS + 2n * this.#gasMarginBps)) / BPS;
    return {
      ok: true,
      simulatedProfit: plan.expectedProfit,
      expectedProfit: plan.expectedProfit,
      minProfit,
      gasEstimate: plan.gasUnits,
      gasLimit: limit < TRANSACTION_GAS_CAP ? limit : TRANSACTION_GAS_CAP,
      deadlineBlock,
      planStruct,
      calldata: encodeLiquidateCall(planStruct),
    };
  }

  /**
   * Simulates a chunk of plans at once: one eth_call per plan, all in flight together, each on the same state and
   * with cold storage as its own transaction will have. (One Multicall3 call for the chunk ran later plans with the
   * slots earlier ones had warmed, EIP-2929: their gas came out too low and Morpho liquidations reverted on chain.)
   */
  async simulateMany(requests: readonly SimulationRequest[]): Promise<SimulationOutcome[]> {
    const chainHead = this.#chainHead();
    return Promise.all(requests.map((r) => this.simulate(r.plan, r.headBlock, r, chainHead)));
  }

  /** The node's latest block, read beside the probes (null if it does not answer: the keeper's head stands). */
  #chainHead(): Promise<number | null> {
    return Promise.resolve()
      .then(() => this.#provider.send("eth_blockNumber", []))
      .then((answer) => {
        const block = Number(BigInt(String(answer)));
        return Number.isSafeInteger(block) && block >= 0 ? block : null;
      })
      .catch(() => null);
  }

  /** The signed deadline: counted from the block the node simulated on, or this keeper's head if that is newer. */
  async #deadlineFrom(headBlock: number, chainHead: Promise<number | null>): Promise<number> {
    return Math.max(headBlock, (await chainHead) ?? headBlock) + this.#deadlineBlocks;
  }

  /**
   * Simulates ONE `liquidateBatch` transaction of already simulated plans (same flash lender and token, same profit
   * token): one flash loan of their summed amounts, their liquidations in order. Its outcome has the batch's
   * calldata, profit and gas, so the caller can compare it with sending the plans one by one.
   * `profitShortfall`: as for `simulate`, what this keeper's own earlier sales in this block will take off the
   * batch (the caller passes its members' summed shortfalls); the floor is set from what remains.
   */
  async simulateBatchPlan(
    plans: readonly LiquidationPlan[],
    headBlock: number,
    adjustments: SimulationAdjustments = {},
  ): Promise<SimulationOutcome> {
    if (plans.length < 2) throw new Error("a batch needs at least two plans");
    const known = settled(adjustments.profitShortfall);
    const chainHead = this.#chainHead();
    let batch: BatchPlanStruct;
    try {
      batch = encodeBatchPlanStruct(plans, {
        minProfit: 0n,
        deadlineBlock: headBlock + this.#deadlineBlocks + PROBE_DEADLINE_SLACK_BLOCKS,
      });
    } catch (error) {
      return fail("profit-probe", { kind: "transport", summary: `the batch cannot be encoded: ${(error as Error).message}` });
    }
    // Encoded once at floor 0: probed as it is, signed with its floor word rewritten.
    const batchCall = encodeLiquidateBatchCall(batch);
    let raw: unknown;
    try {
      const treasury = await this.#treasuryAt(this.#executor, headBlock);
      raw = await this.#provider.send("eth_call", [
        { to: this.#operator, data: this.#probeCallData(batch.profitToken as Address, treasury, batchCall) },
        this.#tagFor(adjustments.stateBlock),
        { [this.#operator]: { code: PLAN_PROBE_RUNTIME_CODE } },
      ]);
    } catch (error) {
      return fail("profit-probe", decodeSimulationError(error, this.#protocolErrors));
    }
    const measured = this.#decodeProbe(String(raw), batchCall);
    if ("ok" in measured) return measured;
    if (measured.gasLimit >= TRANSACTION_GAS_CAP) {
      // Signed at the cap it would run out of gas on chain: too many members for one transaction.
      const summary = `the batch of ${plans.length} needs more gas than one transaction may use (${TRANSACTION_GAS_CAP})`;
      return fail("gas-check", { kind: "revert", name: "unknown", args: [], summary, data: "0x" });
    }
    if (measured.profit <= 0n) {
      return fail("profit-probe", {
        kind: "revert",
        name: "InsufficientProfit",
        args: [measured.profit],
        summary: "the batch earns nothing",
        data: "0x",
      });
    }
    // The batch was simulated alone on the head's state too: a floor from its lone profit reverts it on chain
    // when an earlier transaction of this keeper in the block already sold into the same pool.
    const shortfallOutcome = await known;
    if (!shortfallOutcome.ok) return shortfallOutcome.failure;
    const shortfall = shortfallOutcome.value;
    if (measured.profit <= shortfall) {
      return fail("profit-probe", {
        kind: "revert",
        name: "InsufficientProfit",
        args: [measured.profit],
        summary: `the batch's simulated profit ${measured.profit} does not cover the ${shortfall} this keeper's own earlier sales in this block will cost it`,
        data: "0x",
      });
    }
    const minProfit = minProfitWithHaircut(measured.profit - shortfall, this.#haircutBps);
    const deadlineBlock = await this.#deadlineFrom(headBlock, chainHead);
    return {
      ok: true,
      simulatedProfit: measured.profit,
      expectedProfit: measured.profit - shortfall,
      minProfit,
      gasEstimate: measured.gasEstimate,
      gasLimit: measured.gasLimit,
      deadlineBlock,
      planStruct: { ...encodePlanStruct(plans[0]!, { minProfit, deadlineBlock }) },
      calldata: calldataWithMinProfit(calldataWithDeadline(batchCall, deadlineBlock), minProfit),
    };
  }

  get method(): SimulationMethod {
    return this.#method;
  }

  /**
   * `headBlock`: the block the plan is simulated on; the deadline counts from it. `profitShortfall`:
   * profit-token units the plan will earn less than simulated, known before sending (this keeper's own
   * earlier sales into the same pool in this block); the floor is set from what remains.
   */
  async simulate(
    plan: LiquidationPlan,
    headBlock: number,
    adjustments: SimulationAdjustments = {},
    chainHead: Promise<number | null> = this.#chainHead(),
  ): Promise<SimulationOutcome> {
    const known = settled(adjustments.profitShortfall);
    const base = encodePlanStruct(plan, { minProfit: 0n, deadlineBlock: headBlock + this.#deadlineBlocks + PROBE_DEADLINE_SLACK_BLOCKS });
    // The plan's calldata is encoded once, at floor 0; every probe and the signed call rewrite only its floor word.
    const baseCall = encodeLiquidateCall(base);

    const tag = this.#tagFor(adjustments.stateBlock);
    let measured: Measured | Extract<SimulationOutcome, { ok: false }>;
    if (this.#method === "probe") {
      measured = await this.#probe(plan, baseCall, headBlock, tag);
      if (
        "ok" in measured &&
        measured.failure.kind === "transport" &&
        /override|invalid (params|argument)|unsupported|-32602/i.test(measured.failure.summary)
      ) {
        this.#method = "revert";
        this.#onMethodFallback(measured.failure.summary);
        measured = await this.#revertProbe(plan, baseCall, tag);
      }
    } else {
      measured = await this.#revertProbe(plan, baseCall, tag);
    }
    if ("ok" in measured) return measured;
    const deadlineBlock = await this.#deadlineFrom(headBlock, chainHead);
    const signed = { ...base, deadlineBlock: BigInt(deadlineBlock) };
    const shortfall = await known;
    if (!shortfall.ok) return shortfall.failure;
    return this.#outcome(signed, calldataWithDeadline(baseCall, deadlineBlock), measured, deadlineBlock, shortfall.value);
  }

  /** From a measured profit to the outcome: the floor set from it (less what is known to be lost), the calldata. */
  #outcome(base: PlanStruct, baseCall: string, measured: Measured, deadlineBlock: number, shortfall: bigint): SimulationOutcome {
    const { profit: simulatedProfit } = measured;
    if (simulatedProfit <= 0n) {
      return fail("profit-probe", {
        kind: "revert",
        name: "InsufficientProfit",
        args: [simulatedProfit],
        summary: "the plan runs but earns nothing (profit 0 after repaying the flash loan)",
        data: "0x",
      });
    }
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
    return {
      ok: true,
      simulatedProfit,
      expectedProfit: simulatedProfit - shortfall,
      minProfit,
      gasEstimate: measured.gasEstimate,
      gasLimit: measured.gasLimit,
      deadlineBlock,
      planStruct,
      calldata: calldataWithMinProfit(baseCall, minProfit),
    };
  }

  /** The state-override probe: one call, no revert path. */
  async #probe(
    plan: LiquidationPlan,
    planCall: string,
    headBlock: number,
    blockTag: string | number,
  ): Promise<Measured | Extract<SimulationOutcome, { ok: false }>> {
    let raw: unknown;
    try {
      const treasury = await this.#treasuryAt(this.#executor, headBlock);
      raw = await this.#provider.send("eth_call", [
        { to: this.#operator, data: this.#probeCallData(plan.profitToken, treasury, planCall) },
        blockTag,
        { [this.#operator]: { code: PLAN_PROBE_RUNTIME_CODE } },
      ]);
    } catch (error) {
      return fail("profit-probe", decodeSimulationError(error, this.#protocolErrors));
    }
    return this.#decodeProbe(String(raw), planCall);
  }

  #probeCallData(profitToken: Address, treasury: Address, planCall: string): string {
    return probeInterface.encodeFunctionData("probe", [this.#executor, profitToken, treasury, planCall]);
  }

  /** The probe's answer as a measurement, or the failure it reports. `signedCall` sizes the intrinsic gas. */
  #decodeProbe(raw: string, signedCall: string): Measured | Extract<SimulationOutcome, { ok: false }> {
    let result: { success: boolean; profit: bigint; gasUsed: bigint; revertData: string };
    try {
      const [success, profit, gasUsed, revertData] = probeInterface.decodeFunctionResult("probe", raw);
      result = { success, profit, gasUsed, revertData };
    } catch (error) {
      return fail("profit-probe", {
        kind: "transport",
        summary: `the probe's answer does not decode: ${(error as Error).message.split("\n")[0]}`,
      });
    }
    if (!result.success) {
      const failure =
        result.revertData.length >= 10
          ? decodeRevertData(result.revertData, this.#protocolErrors)
          : ({
              kind: "revert",
              name: "unknown",
              args: [],
              summary: "reverted without data (out of gas, or a bare revert)",
              data: result.revertData,
            } as const);
      return fail("profit-probe", failure);
    }
    // The transaction pays intrinsic and calldata gas on top of the call, and the executor's callers
    // keep 1/64 of the gas at each call depth: measured × 64/63, then the margin, within the cap.
    const wanted = ((intrinsicGas(signedCall) + (result.gasUsed * 64n) / 63n) * (BPS + this.#gasMarginBps)) / BPS;
    return { profit: result.profit, gasEstimate: result.gasUsed, gasLimit: wanted < TRANSACTION_GAS_CAP ? wanted : TRANSACTION_GAS_CAP };
  }

  /** The revert probe (nodes without state overrides): profit from InsufficientProfit, gas from the policy. */
  async #revertProbe(
    plan: LiquidationPlan,
    baseCall: string,
    blockTag: string | number,
  ): Promise<Measured | Extract<SimulationOutcome, { ok: false }>> {
    const to = this.#executor;
    const check = calldataWithMinProfit(baseCall, 1n);
    const gas = this.#gas;
    const [probe, fits] = await Promise.allSettled([
      this.#provider.call({
        from: this.#operator,
        to,
        data: calldataWithMinProfit(baseCall, MaxUint256),
        blockTag,
      }),
      gas.mode === "fixed"
        ? this.#provider.call({ from: this.#operator, to, data: check, gasLimit: gas.limit, blockTag }).then(() => gas.limit)
        : this.#provider.estimateGas({ from: this.#operator, to, data: check, blockTag }),
    ]);
    if (probe.status === "fulfilled") {
      // An unreachable minProfit that does not revert means the executor is not checking profit at all.
      return fail("profit-probe", {
        kind: "revert",
        name: "unknown",
        args: [],
        summary: "did not revert with minProfit = 2^256-1",
        data: "0x",
      });
    }
    const failure = decodeSimulationError(probe.reason, this.#protocolErrors);
    if (failure.kind !== "revert" || failure.name !== "InsufficientProfit") return fail("profit-probe", failure);
    if (fits.status === "rejected") return fail("gas-check", decodeSimulationError(fits.reason, this.#protocolErrors));
    return {
      profit: failure.args[0] as bigint,
      // With a fixed limit there is no measurement: the strategy's own estimate stands for the journal.
      gasEstimate: gas.mode === "fixed" ? plan.gasUnits : fits.value,
      gasLimit: gas.mode === "fixed" ? gas.limit : (fits.value * (BPS + BigInt(gas.marginBps)) + BPS - 1n) / BPS,
    };
  }

  /** The state a probe reads: the caller's block (as a quantity), else the simulator's tag. */
  #tagFor(stateBlock: number | undefined): string {
    return stateBlock === undefined ? this.#blockTag : `0x${stateBlock.toString(16)}`;
  }

  /** The executor's treasury (where profit is measured), re-read every 256 blocks in case the owner moves it. */
  async #treasuryAt(executor: Address, headBlock: number): Promise<Address> {
    if (this.#treasury === null || headBlock - this.#treasury.readAt >= TREASURY_REFRESH_BLOCKS || headBlock < this.#treasury.readAt) {
      const raw = await this.#provider.call({
        from: this.#operator,
        to: executor,
        data: executorInterface.encodeFunctionData("treasury"),
        blockTag: this.#blockTag,
      });
      const [treasury] = executorInterface.decodeFunctionResult("treasury", raw);
      this.#treasury = { address: treasury as Address, readAt: headBlock };
    }
    return this.#treasury.address;
  }
}

/** 21,000 plus EIP-2028 calldata gas (16 per non-zero byte, 4 per zero byte). */
function intrinsicGas(calldata: string): bigint {
  let gas = 21_000n;
  for (let i = 2; i < calldata.length; i += 2) gas += calldata.slice(i, i + 2) === "00" ? 4n : 16n;
  return gas;
}
