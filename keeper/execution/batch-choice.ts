/**
 * When several plans of one reaction chunk go as one `liquidateBatch` instead of one transaction each: plans
 * that share a flash loan and a profit token, at least two, whose batch simulation nets more (USD, gas at the
 * plans' own price per gas) than the members sent one by one. A batch saves a transaction's overhead per plan,
 * but lives or dies together, so it must pay for itself in the simulation, not by assumption.
 */
import type { LiquidationPlan } from "../core/types";
import type { Logger } from "../telemetry/logger";
import type { ExecutionContext, ExecutionPrices, ExecutionReport } from "./execution-stage";
import { batchKey } from "./plan-encoder";
import type { PlanSimulator, SimulationOutcome, SimulationRequest } from "./plan-simulator";
import { tokenUsd } from "./settlement";

/** A liquidateBatch chosen over its members' single transactions (positions in the executeMany call). */
export interface BatchChoice {
  readonly members: readonly { readonly position: number }[];
  readonly simulation: SimulationOutcome;
}

export interface BatchChoiceDeps {
  readonly simulator: Pick<PlanSimulator, "simulateBatchPlan">;
  readonly prices: ExecutionPrices;
  readonly logger: Pick<Logger, "debug">;
}

/** A batch member's report: the batch's transaction, under the member's own plan. */
export function memberReport(batch: ExecutionReport, member: LiquidationPlan): ExecutionReport {
  if (batch.status === "sent") return { ...batch, batchOf: batch.planId, planId: member.id };
  if (batch.status === "dry-run") return { ...batch, batchOf: batch.planId, planId: member.id };
  return { ...batch, planId: member.id };
}

/** The pool route a plan sells its collateral into ("venue:route"), or null when it sells nothing. */
export function saleRouteOf(plan: LiquidationPlan): string | null {
  const swap = plan.swap;
  if (swap === null || swap.venue === "none") return null;
  return `${swap.venue}:${swap.route.toLowerCase()}`;
}

/**
 * Splits a group of batchable positions (rank order) where a plan outside the group, ranked between two members
 * and about to be sent, sells into the route of a member after it. A batch goes out at its first member's place,
 * so its later members' sales would land BEFORE that outsider's, while the own-sales ledger booked the outsider's
 * floor with only the sales ranked before it (reaction-pipeline.ts): its floor would miss the later members'
 * sales and it could revert. After the split, every route sees our sales in the order the ledger booked them.
 */
export function routeSafeRuns(
  positions: readonly number[],
  runnable: readonly { readonly plan: LiquidationPlan }[],
  willSend: (position: number) => boolean,
): number[][] {
  const members = new Set(positions);
  const runs: number[][] = [];
  let run: number[] = [];
  for (const [i, position] of positions.entries()) {
    if (run.length > 0) {
      const laterRoutes = new Set(positions.slice(i).map((later) => saleRouteOf(runnable[later]!.plan)));
      let crossed = false;
      for (let between = positions[i - 1]! + 1; between < position && !crossed; between++) {
        if (members.has(between) || !willSend(between)) continue;
        const route = saleRouteOf(runnable[between]!.plan);
        crossed = route !== null && laterRoutes.has(route);
      }
      if (crossed) {
        runs.push(run);
        run = [];
      }
    }
    run.push(position);
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/**
 * Groups of simulated plans worth one liquidateBatch, keyed by the position (in `runnable`) of the batch's
 * first member, where it is sent. `among`: only these positions may be members (the others still count as sends
 * a batch must not jump on a shared route).
 */
export async function chooseBatches(
  runnable: readonly { readonly plan: LiquidationPlan; readonly context: ExecutionContext }[],
  simulations: readonly SimulationOutcome[],
  deps: BatchChoiceDeps,
  among: (position: number) => boolean = () => true,
): Promise<Map<number, BatchChoice>> {
  const chosen = new Map<number, BatchChoice>();
  const ok = (position: number) => simulations[position]!.ok;
  for (const positions of batchableRuns(runnable, (position) => ok(position) && among(position), ok)) {
    if (positions.length < 2) continue;
    const plans = positions.map((position) => runnable[position]!.plan);
    const headBlock = Math.max(...positions.map((position) => runnable[position]!.context.headBlock));
    // The batch is simulated alone on the head's state, like its members: its floor must count this keeper's own
    // sales sent before it in the block, or a batch behind a transaction that already sold into its pool reverts.
    const profitShortfall = batchProfitShortfall(positions.map((position) => runnable[position]!));
    const stateBlock = stateBlockOf(positions.map((position) => runnable[position]!));
    const simulation = await deps.simulator.simulateBatchPlan(plans, headBlock, { profitShortfall, stateBlock });
    if (!simulation.ok) continue;
    const singlesNet = positions.reduce((sum, position) => {
      const single = simulations[position] as Extract<SimulationOutcome, { ok: true }>;
      return sum + netUsd(deps.prices, runnable[position]!.plan, single.expectedProfit, single.gasEstimate);
    }, 0);
    const batchNet = netUsd(deps.prices, plans[0]!, simulation.expectedProfit, simulation.gasEstimate);
    // Liquidations through one OEV wrapper go together whenever their batch stands: the first one sent alone makes the
    // round public, and every later single races whoever acts on public prices (docs/oev.md).
    const oneUnlock = sameOevWrapper(plans);
    if (batchNet > singlesNet || oneUnlock) {
      chosen.set(positions[0]!, { members: positions.map((position) => ({ position })), simulation });
      deps.logger.debug({ members: positions.length, batchNet, singlesNet, oneUnlock }, "a batch beats sending one by one");
    }
  }
  return chosen;
}

/**
 * The plans that may share one liquidateBatch, as runs of positions in `runnable` (rank order): same flash loan and
 * profit token (batchKey), OEV liquidations only with those through the same wrapper (tied to an open-race liquidation
 * it would revert with it when a rival takes that one first, inside a window no rival can use), split where a plan
 * outside the run that will be sent sells into a later member's route (routeSafeRuns). `eligible` picks the plans
 * considered; `willSend` the outsiders that count.
 */
export function batchableRuns(
  runnable: readonly { readonly plan: LiquidationPlan }[],
  eligible: (position: number) => boolean,
  willSend: (position: number) => boolean,
): number[][] {
  const groups = new Map<string, number[]>();
  runnable.forEach((run, position) => {
    const key = batchKey(run.plan);
    if (key === null || !eligible(position)) return;
    const group = `${key}:${run.plan.candidate.call?.oevWrapper?.toLowerCase() ?? "open"}`;
    groups.set(group, [...(groups.get(group) ?? []), position]);
  });
  return [...groups.values()].flatMap((group) => routeSafeRuns(group, runnable, willSend));
}

/**
 * A single plan's shortfall: the one given, else priced on its route after the sales booked before it, else 0. Its
 * sale alone is quoted live with the rest, not taken from the plan: the plan's quote may be read off sampled routes
 * (engine/quote-curves.ts), a lower bound, which would understate the shortfall and set the floor too high.
 */
export function singleShortfall(run: { readonly plan: LiquidationPlan; readonly context: ExecutionContext }): bigint | Promise<bigint> {
  const { plan, context } = run;
  if (context.profitShortfall !== undefined) return context.profitShortfall;
  const before = context.routeSoldBefore ?? 0n;
  if (plan.swap === null || before === 0n || context.saleShortfall === undefined) return 0n;
  return context.saleShortfall(before, plan.swap.amountIn);
}

/** A plan simulated alone: its shortfall (singleShortfall), on the block that shortfall was priced on. */
export function singleRequest(run: { readonly plan: LiquidationPlan; readonly context: ExecutionContext }): SimulationRequest {
  return { plan: run.plan, headBlock: run.context.headBlock, profitShortfall: singleShortfall(run), stateBlock: run.context.stateBlock };
}

/**
 * A batch's shortfall. When its members carry their route's pricer (saleShortfall), exact per route: its members'
 * summed sale on the route priced after what was booked before its first member there — the batch's own simulation
 * already sells them one after another. Otherwise from the members' own figures (batchShortfall).
 */
export function batchProfitShortfall(
  members: readonly { readonly plan: LiquidationPlan; readonly context: ExecutionContext }[],
): bigint | Promise<bigint> {
  if (members.some((member) => member.context.saleShortfall === undefined || member.context.profitShortfall !== undefined))
    return batchShortfall(members);
  const routes = new Map<string, { first: ExecutionContext; sold: bigint }>();
  for (const { plan, context } of members) {
    const route = saleRouteOf(plan);
    if (route === null || plan.swap === null) continue;
    const entry = routes.get(route);
    if (entry === undefined) routes.set(route, { first: context, sold: plan.swap.amountIn });
    else entry.sold += plan.swap.amountIn;
  }
  const parts = [...routes.values()]
    .filter(({ first }) => (first.routeSoldBefore ?? 0n) > 0n)
    .map(({ first, sold }) => first.saleShortfall!(first.routeSoldBefore!, sold));
  if (parts.length === 0) return 0n;
  return Promise.all(parts).then((values) => values.reduce((sum, value) => sum + value, 0n));
}

/**
 * What this keeper's sales sent before the batch take off it. Each member's ledger figure (reaction-pipeline.ts)
 * counts every sale booked before it, including the earlier members' — which the batch's own simulation already
 * prices, since it sells them in order. So on a route where the batch's first seller found nothing booked before
 * it, the members' figures count only each other and add nothing; where something was (or it is not known), they
 * are summed: an over-count, which lowers the floor (never a revert) but could refuse a batch that pays.
 * Summing them always refused the quick start's Moonwell OEV batches (a thin 40% share), whose singles then lost
 * the wrapper's window.
 */
export function batchShortfall(members: readonly { readonly plan: LiquidationPlan; readonly context: ExecutionContext }[]): bigint {
  const firstSoldBefore = new Map<string, bigint | undefined>();
  let shortfall = 0n;
  for (const { plan, context } of members) {
    const route = saleRouteOf(plan);
    if (route !== null && !firstSoldBefore.has(route)) firstSoldBefore.set(route, context.routeSoldBefore);
    else if (route !== null && firstSoldBefore.get(route) === 0n) continue;
    shortfall += context.profitShortfall ?? 0n;
  }
  return shortfall;
}

/**
 * The state a batch is simulated on: its members' (one chunk's plans share it). Members that disagree (or name none)
 * leave it to the simulator's tag.
 */
export function stateBlockOf(members: readonly { readonly context: ExecutionContext }[]): number | undefined {
  const first = members[0]?.context.stateBlock;
  return members.every((member) => member.context.stateBlock === first) ? first : undefined;
}

/** Every plan unlocks the same OEV wrapper's round (LiquidationCall.oevWrapper). */
function sameOevWrapper(plans: readonly LiquidationPlan[]): boolean {
  const wrapper = plans[0]!.candidate.call?.oevWrapper?.toLowerCase();
  return wrapper !== undefined && plans.every((plan) => plan.candidate.call?.oevWrapper?.toLowerCase() === wrapper);
}

/** Profit in USD less the gas at the plan's own price per gas (base fee and bid), for comparing batch and singles. */
function netUsd(prices: ExecutionPrices, plan: LiquidationPlan, profit: bigint, gas: bigint): number {
  const profitUsd = tokenUsd(prices, plan.profitToken, profit) ?? 0;
  const perGasUsd = plan.gasUnits > 0n ? (plan.gasCostUsd + (plan.bidUsd ?? 0)) / Number(plan.gasUnits) : 0;
  return profitUsd - Number(gas) * perGasUsd;
}
