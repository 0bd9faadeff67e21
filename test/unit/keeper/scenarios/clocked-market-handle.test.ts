import { expect } from "chai";
import type { ChainClock, MinedBlock } from "../../../../sandbox/clock";
import { ClockedMarketHandle } from "../../../../keeper/scenarios/clocked-market-handle";
import type { PlannedMoves, SandboxMarketHandle } from "../../../../keeper/scenarios/sandbox-market-handle";

/**
 * The price step must not hold the chain's clock while it reads: every read runs before `exclusive`, only the sends
 * inside. (With the reads inside, a busy node held the step's block up to 1.3 s late and the clock's grid mined the
 * next block at once: no keeper could land in N+1.) Doubles of the clock and the step-locked handle record the order.
 */
describe("ClockedMarketHandle: a price step holds the clock only for its sends", () => {
  it("plans the step (all reads) before holding the clock, and submits it while holding it", async () => {
    const events: string[] = [];
    let held = false;
    const block: MinedBlock = {
      number: 7,
      hash: "0x07",
      timestamp: 1,
      timestampMs: 1_000,
      minedAtMs: 0,
      sealStartedAtMs: 0,
      baseFeePerGas: 1n,
    };
    const clock = {
      running: true,
      blockTimeMs: 200,
      lastBlock: block,
      nextBlock: () => Promise.resolve(block),
      exclusive: async <T>(work: () => Promise<T>): Promise<T> => {
        held = true;
        events.push("hold");
        try {
          return await work();
        } finally {
          held = false;
          events.push("release");
        }
      },
    } as unknown as ChainClock;
    const planned: PlannedMoves = { from: "0x00000000000000000000000000000000000000aa", transactions: [] };
    const sandbox = {
      book: {},
      planMoves: async () => {
        events.push(held ? "plan while held" : "plan");
        return planned;
      },
      submitMoves: async (moves: PlannedMoves) => {
        expect(moves).to.equal(planned);
        events.push(held ? "submit while held" : "submit");
        return ["0xfeed"];
      },
      isIncluded: async () => true,
    } as unknown as SandboxMarketHandle;
    const handle = new ClockedMarketHandle(sandbox, clock, () => 0);
    const report = await handle.movePricesReport([{ symbol: "WETH", usd: 2_000 }]);
    expect(events).to.deep.equal(["plan", "hold", "submit while held", "release"]);
    expect(report.block.number).to.equal(7);
  });
});
