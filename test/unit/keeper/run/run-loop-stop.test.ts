/**
 * Stopping a keeper in the middle of a long reaction (a busy step on a loaded machine): the loop tells the engine at
 * once (requestStop), so the reaction ends at its next chunk and the iteration returns; before, the loop only noticed
 * the stop after the iteration, and the keeper was killed past its stop deadline without writing its run report
 * (the reaction bench's decision times came out null). The engine double's tick runs until asked to stop; the
 * journal is the real one (the loop's progress line reads it).
 */
import path from "node:path";
import { expect } from "chai";
import { Journal } from "../../../../keeper/journal/journal";
import { createLogger } from "../../../../keeper/telemetry/logger";
import { runKeeperLoop } from "../../../../keeper/run/run-loop";
import type { KeeperConsole } from "../../../../keeper/run/keeper-console";
import type { KeeperSession } from "../../../../keeper/run/keeper-session";
import type { RunRecorder } from "../../../../keeper/run/run-recorder";
import { makeTempDir, removeDir } from "../journal/journal-fixtures";

describe("keeper run loop: a stop request reaches a reaction in progress", () => {
  let dir: string;
  let journal: Journal;

  beforeEach(() => {
    dir = makeTempDir("run-loop-stop");
    journal = Journal.open(path.join(dir, "journal.sqlite"));
  });
  afterEach(() => {
    journal.close();
    removeDir(dir);
  });

  it("asks the engine to stop while its tick is still reacting, and returns once that tick ends", async () => {
    const events: string[] = [];
    // A tick that is a long reaction: it ends only when the engine is asked to stop (its next chunk checks).
    const engine = {
      head: 10,
      totals: { skipped: 0 },
      currentMode: "LIVE",
      reconciled: null,
      requestStop: () => void events.push("requestStop"),
      tick: async () => {
        events.push("tick started");
        // Many turns of the event loop, or until asked to stop (a loop that never asks ends it anyway, and fails).
        for (let turn = 0; turn < 2_000 && !events.includes("requestStop"); turn++) await new Promise((resolve) => setImmediate(resolve));
        events.push("tick ended");
        return null;
      },
    };
    const session = {
      engine,
      journal,
      assembled: { markets: [], execution: { inFlightCount: 0 } },
    } as unknown as KeeperSession;
    const out: KeeperConsole = {
      isTTY: false,
      logger: createLogger({ level: "silent" }),
      print: () => undefined,
      progress: () => undefined,
      finish: () => undefined,
      summary: () => undefined,
    };
    let signal!: (reason: string) => void;
    const stopSignal = new Promise<string>((resolve) => (signal = resolve));
    const loop = runKeeperLoop({
      session,
      console: out,
      recorder: {} as RunRecorder,
      stopSignal,
      idleAdvice: "",
    });
    while (!events.includes("tick started")) await new Promise((resolve) => setImmediate(resolve));
    signal("SIGINT");
    const result = await loop;
    expect(result.stopReason).to.equal("SIGINT");
    expect(events).to.deep.equal(["tick started", "requestStop", "tick ended"]);
  });
});
