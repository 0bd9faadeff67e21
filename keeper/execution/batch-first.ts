/**
 * How a chunk that may batch is simulated: batches first. The plans that may share one liquidateBatch (batchableRuns)
 * are simulated AS the batch, in pieces of at most MAX_BATCH_MEMBERS, beside the single simulations of the plans that
 * share none; only the members of a piece whose batch fails are simulated one by one, in a second round, and batched
 * again among themselves where that pays (chooseBatches, which compares with their single simulations).
 *
 * Why not singles first, as chooseBatches alone does: a single simulation costs the node one eth_call, and the node
 * serves them one at a time. In the reaction bench's busy steps (100 cbBTC/USDC positions, one route, one flash loan) a
 * chunk of six spent ~140 ms in its single simulations and ~70 ms more in its batch's; at 17 chunks a step that was
 * most of the 6-8 s its last plan took. A piece whose batch stands is sent as that batch: its members sent one by one
 * would make the same sales in the same order (the batch's simulation prices them one after another, and its floor
 * counts the sales sent before it), and pay a transaction's overhead and a flash loan each. What the singles round
 * would still catch — a member that loses money inside a batch that, as a whole, pays — is not looked for here: each
 * member was planned profitable on its own quote, and the whole batch must clear its floor.
 */
import type { LiquidationPlan } from "../core/types";
import type { ExecutionContext } from "./execution-context";
import {
  batchableRuns,
  batchProfitShortfall,
  chooseBatches,
  singleRequest,
  stateBlockOf,
  type BatchChoice,
  type BatchChoiceDeps,
} from "./batch-choice";
import type { PlanSimulator, SimulationOutcome } from "./plan-simulator";

/**
 * Members of one liquidateBatch at most. An Aave liquidation with its swap costs ~238k gas inside a batch (reaction
 * bench), so 32 use ~7.6M, signed with ~9.9M after the probe's margin: under Base's per-transaction cap (2^24, which the
 * simulator refuses a batch past) with room for costlier protocols. A batch lives or dies together, so a rival that
 * takes one member first reverts the whole piece: pieces keep that at a third of a 100-position step.
 */
export const MAX_BATCH_MEMBERS = 32;

export interface BatchFirstDeps extends BatchChoiceDeps {
  readonly simulator: Pick<PlanSimulator, "simulateMany" | "simulateBatchPlan" | "prepared">;
}

type Runnable = { readonly plan: LiquidationPlan; readonly context: ExecutionContext };

/** Every runnable's simulation (a batch member's is its batch's) and the batches chosen, keyed by their first member. */
export async function simulateBatchesFirst(
  runnable: readonly Runnable[],
  deps: BatchFirstDeps,
): Promise<{ simulations: SimulationOutcome[]; batches: Map<number, BatchChoice> }> {
  const fresh = (position: number) => runnable[position]!.context.prepared !== true;
  // Every fresh plan is assumed to be sent when runs are split around outsiders: the safe side before simulating.
  const pieces = batchableRuns(runnable, fresh, fresh)
    .flatMap((run) => splitEvenly(run, MAX_BATCH_MEMBERS))
    .filter((piece) => piece.length > 1);
  const inPiece = new Set(pieces.flat());
  const singles = runnable.map((_, position) => position).filter((position) => fresh(position) && !inPiece.has(position));
  const simulateSingles = (positions: readonly number[]) =>
    deps.simulator.simulateMany(positions.map((position) => singleRequest(runnable[position]!)));
  const [singleOutcomes, pieceOutcomes] = await Promise.all([
    simulateSingles(singles),
    Promise.all(
      pieces.map((piece) =>
        deps.simulator.simulateBatchPlan(
          piece.map((position) => runnable[position]!.plan),
          Math.max(...piece.map((position) => runnable[position]!.context.headBlock)),
          {
            profitShortfall: batchProfitShortfall(piece.map((position) => runnable[position]!)),
            stateBlock: stateBlockOf(piece.map((position) => runnable[position]!)),
          },
        ),
      ),
    ),
  ]);
  const simulations: (SimulationOutcome | undefined)[] = runnable.map((run) =>
    run.context.prepared === true ? deps.simulator.prepared(run.plan, run.context.headBlock) : undefined,
  );
  singles.forEach((position, index) => (simulations[position] = singleOutcomes[index]));
  const batches = new Map<number, BatchChoice>();
  const retry: number[] = [];
  pieces.forEach((piece, index) => {
    const simulation = pieceOutcomes[index]!;
    if (!simulation.ok) {
      deps.logger.debug({ members: piece.length, detail: simulation.detail }, "a batch failed its simulation; its members go one by one");
      retry.push(...piece);
      return;
    }
    for (const position of piece) simulations[position] = simulation;
    batches.set(piece[0]!, { members: piece.map((position) => ({ position })), simulation });
  });
  if (retry.length > 0) {
    retry.sort((a, b) => a - b);
    const outcomes = await simulateSingles(retry);
    retry.forEach((position, index) => (simulations[position] = outcomes[index]));
    // Among the members that stand alone, a smaller batch may still pay (judged against their single simulations).
    const retried = new Set(retry);
    const known = simulations.map((simulation) => simulation!);
    for (const [first, choice] of await chooseBatches(runnable, known, deps, (position) => retried.has(position)))
      batches.set(first, choice);
  }
  return { simulations: simulations.map((simulation) => simulation!), batches };
}

/** `run` cut into the fewest pieces of at most `max`, as even as they come (rank order kept). */
export function splitEvenly<T>(run: readonly T[], max: number): T[][] {
  const count = Math.ceil(run.length / max);
  const pieces: T[][] = [];
  for (let index = 0, at = 0; index < count; index++) {
    const size = Math.ceil((run.length - at) / (count - index));
    pieces.push(run.slice(at, at + size));
    at += size;
  }
  return pieces;
}
