/**
 * A reaction's decision stages before the simulation are split where the pipeline marked
 * them (ReactionMarks): a busy step's first plan took 250-750 ms counted as one "plan" stage, which could not say
 * whether it waited behind other work, repriced, sized or gated.
 */
import { expect } from "chai";
import { beforeSimulation, type ExecutionContext } from "../../../../keeper/execution/execution-stage";

const context = (extra: Partial<ExecutionContext> = {}): ExecutionContext => ({
  mode: "LIVE",
  headBlock: 100,
  seenAtMs: 1_000,
  at: { timeMs: 0, block: 100 },
  ...extra,
});

describe("reaction timing: stages before the simulation", () => {
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
});
