/**
 * What the sandbox node alone needs for a busy step (bench/reaction.ts), so a missed "100 positions by N+3" target says
 * whether the keeper or the node is the limit. The keeper's own transactions of the step are replayed by eth_call, one
 * after another, on the state of the price block N (the state the keeper sized them on), straight on the in-process
 * chain (no HTTP; after the step, once the keeper has nothing in flight and no reaction running; the clock keeps
 * mining its empty blocks): the wall time is what the node takes to EXECUTE the step's
 * liquidations once. A keeper that simulates before it sends makes the node execute them twice on the way to inclusion
 * (its simulation, then the block), on the one thread that also mines the clock's blocks, so a step cannot be fully
 * included sooner than about twice that, whatever the keeper does. A lower bound measured on this machine, reported
 * with its load; it is not a target.
 */
import type { Eip1193Provider } from "../sandbox/clock/eip1193";

export interface StepExecutionFloor {
  /** The keeper's transactions replayed (a liquidateBatch is one, with all its members). */
  readonly transactions: number;
  /** Replays that reverted on N's state (they are still timed: a revert part-way is less work, so the floor is lower). */
  readonly reverted: number;
  /** Wall ms for all the replays, one after another. */
  readonly ms: number;
}

/** Replays `txHashes` (mined transactions) by eth_call on block `stateBlock`'s state, one at a time, and times them. */
export async function stepExecutionFloor(
  chain: Eip1193Provider,
  txHashes: readonly string[],
  stateBlock: number,
  clock: () => number = () => performance.now(),
): Promise<StepExecutionFloor> {
  const calls: { from: string; to: string; data: string; gas: string }[] = [];
  for (const hash of new Set(txHashes.map((h) => h.toLowerCase()))) {
    const tx = (await chain.request({ method: "eth_getTransactionByHash", params: [hash] })) as {
      from?: string;
      to?: string | null;
      input?: string;
      gas?: string;
    } | null;
    if (
      tx === null ||
      typeof tx.from !== "string" ||
      typeof tx.to !== "string" ||
      typeof tx.input !== "string" ||
      typeof tx.gas !== "string"
    )
      throw new Error(`transaction ${hash}: the node has no mined call to replay (got ${JSON.stringify(tx)})`);
    calls.push({ from: tx.from, to: tx.to, data: tx.input, gas: tx.gas });
  }
  const tag = `0x${stateBlock.toString(16)}`;
  let reverted = 0;
  const started = clock();
  for (const call of calls) {
    await chain.request({ method: "eth_call", params: [call, tag] }).catch(() => {
      reverted += 1;
    });
  }
  return { transactions: calls.length, reverted, ms: Math.round((clock() - started) * 10) / 10 };
}

/**
 * The fewest blocks after N a step can be fully included in, from the node's execution time alone: executed twice
 * (simulation, block) at `blockTimeMs` a block, and the last liquidation mined at the earliest in the block after.
 */
export function floorBlocks(executionMs: number, blockTimeMs: number): number {
  if (!(blockTimeMs > 0)) throw new Error(`blockTimeMs must be positive, got ${blockTimeMs}`);
  if (!(executionMs >= 0)) throw new Error(`executionMs must be a non-negative number of ms, got ${executionMs}`);
  return Math.max(1, Math.ceil((2 * executionMs) / blockTimeMs));
}
