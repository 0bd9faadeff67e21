/**
 * Which sandbox `npx hardhat keeper` plays: the race (Base since Denim) unless --step-locked asks for the chain that
 * waits. The flags are refused off the in-process network and together, before anything compiles or opens a journal.
 * The race itself is exercised end to end by quick-start-race.test.ts and operator-outputs.test.ts (the bare command).
 */
import { expect } from "chai";
import hre from "hardhat";
import { runKeeperTask, sandboxDriver } from "../../../tasks/keeper";

describe("tasks: keeper's sandbox driver", () => {
  it("the bare command races; --step-locked chooses the chain that waits for the keeper", () => {
    expect(sandboxDriver({})).to.equal("race");
    expect(sandboxDriver({ race: true })).to.equal("race");
    expect(sandboxDriver({ stepLocked: true })).to.equal("step-locked");
  });

  it("refuses --step-locked on another network and --race with --step-locked, naming the flags", async () => {
    // Only the network's name is read before the refusal: nothing compiles, loads a config or opens a journal.
    const localhost = { network: { name: "localhost" } } as unknown as typeof hre;
    const offSandbox = await runKeeperTask({ stepLocked: true, once: true, dryRun: true }, localhost).catch((e: unknown) => e);
    expect(String((offSandbox as Error)?.message ?? offSandbox)).to.match(/--step-locked is for the in-process sandbox/);
    const both = await runKeeperTask({ race: true, stepLocked: true, once: true, dryRun: true }, hre).catch((e: unknown) => e);
    expect(String((both as Error)?.message ?? both)).to.match(/--race and --step-locked .* choose one/);
  });
});
