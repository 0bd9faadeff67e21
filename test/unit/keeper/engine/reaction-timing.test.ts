/**
 * Two things about a reaction's timing. Its decision stages before the simulation are split where the pipeline marked
 * them (ReactionMarks): a busy step's first plan took 250-750 ms counted as one "plan" stage, which could not say
 * whether it waited behind other work, repriced, sized or gated. And the prepared plans are refreshed on every pushed
 * head, one refresh at a time, not only at the end of a tick a long reaction can hold (they went stale behind one).
 */
import { expect } from "chai";
import { beforeSimulation, type ExecutionContext } from "../../../../keeper/execution/execution-stage";
import { ReactionPipeline } from "../../../../keeper/engine/reaction-pipeline";
import { RetryScheduler } from "../../../../keeper/engine/retry-scheduler";
import type { KeeperEngineDeps } from "../../../../keeper/engine/engine-deps";

const context = (extra: Partial<ExecutionContext> = {}): ExecutionContext => ({
  mode: "LIVE",
  headBlock: 100,
  seenAtMs: 1_000,
  at: { timeMs: 0, block: 100 },
  ...extra,
});

/** A pipeline at head 10 whose prepared plans' refresh is `refresh` (nothing else of the engine is reached). */
function pipelineAtHead10(refresh: () => Promise<number>): ReactionPipeline {
  const deps = {
    markets: [],
    heads: { latest: { number: 10 } },
    execution: { inFlightPositions: () => new Set<string>() },
    prepared: { refresh },
  } as unknown as KeeperEngineDeps;
  const host = { mode: "LIVE" as const, head: 10, baseFeePerGas: 0n, mayReact: () => true, instant: () => ({ timeMs: 0, block: 10 }) };
  return new ReactionPipeline(deps, host, {} as never, new RetryScheduler(), {} as never);
}

describe("reaction timing: stages before the simulation, and prepared plans refreshed on heads", () => {
  it("splits price seen → simulation into wait, reprice, prepared, earlier chunks, size and gate when marked", () => {
    const marks = { reacting: 1_090, repriced: 1_092, preparedDone: 1_100, earlierDone: 1_400, sized: 1_450 };
    expect(beforeSimulation(context({ marks }), 1_460)).to.deep.equal({
      wait: 90,
      reprice: 2,
      prepared: 8,
      earlier: 300,
      size: 50,
      gate: 10,
    });
    // Unmarked (a caller outside the pipeline): one stage, as before.
    expect(beforeSimulation(context(), 1_460)).to.deep.equal({ plan: 460 });
  });

  it("refreshes the prepared plans once per head, one refresh at a time", async () => {
    let refreshes = 0;
    let finish: () => void = () => undefined;
    const reaction = pipelineAtHead10(() => {
      refreshes += 1;
      return new Promise<number>((resolve) => (finish = () => resolve(4)));
    });

    const first = reaction.prepareAheadFor(10);
    // A head pushed while it runs, and the tick's own call: both get the refresh in flight.
    expect(reaction.prepareAheadFor(11)).to.equal(first);
    expect(reaction.prepareAheadFor(10)).to.equal(first);
    finish();
    expect(await first).to.equal(4);
    // Done for head 10: the tick's call for 10 starts nothing; the next head does.
    expect(await reaction.prepareAheadFor(10)).to.equal(0);
    const next = reaction.prepareAheadFor(12);
    finish();
    expect(await next).to.equal(4);
    expect(refreshes).to.equal(2);
  });

  it("is busy from the moment a reaction is queued until the last one queued has ended (/status 'reacting')", async () => {
    const reaction = pipelineAtHead10(() => Promise.resolve(0));
    expect(reaction.busy).to.equal(false);
    let endFirst: () => void = () => undefined;
    const first = reaction.exclusively(() => new Promise<void>((resolve) => (endFirst = resolve)));
    const second = reaction.exclusively(() => Promise.reject(new Error("a failing reaction still ends")));
    expect(reaction.busy, "queued, not started yet").to.equal(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(reaction.busy, "the first running").to.equal(true);
    endFirst();
    await first;
    expect(reaction.busy, "the second is still queued or running").to.equal(true);
    await second.catch(() => undefined);
    await new Promise((resolve) => setImmediate(resolve));
    expect(reaction.busy).to.equal(false);
  });

  it("starts no refresh on a pushed head while a reaction runs; the first head after it, or the tick's call, does", async () => {
    let refreshes = 0;
    const reaction = pipelineAtHead10(() => {
      refreshes += 1;
      return Promise.resolve(3);
    });
    let endReaction: () => void = () => undefined;
    const running = reaction.exclusively(() => new Promise<void>((resolve) => (endReaction = resolve)));
    await Promise.resolve();
    await Promise.resolve();

    expect(await reaction.prepareAheadFor(11, true)).to.equal(0);
    expect(refreshes).to.equal(0);
    // The tick's own call is not a pushed head: it refreshes even beside a reaction (as before the pushed heads).
    expect(await reaction.prepareAheadFor(11)).to.equal(3);
    endReaction();
    await running;
    expect(await reaction.prepareAheadFor(12, true)).to.equal(3);
    expect(refreshes).to.equal(2);
  });
});
