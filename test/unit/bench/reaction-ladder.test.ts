/**
 * The reaction benchmark's ladder (bench/reaction-ladder.ts): a rung liquidated in an earlier trial, even one the
 * trial did not target, is never a target again (it could not be liquidated twice, and the trial would be charged
 * to the keeper as "not liquidated").
 */
import { expect } from "chai";
import type { OpenedBorrower } from "../../../sandbox";
import { LadderRungs } from "../../../bench/reaction-ladder";

const rung = (address: string, targetHealthFactor: number) => ({ address, targetHealthFactor }) as unknown as OpenedBorrower;

describe("bench: the reaction ladder's rungs", () => {
  it("offers the lowest rung first and skips every rung spent, the target's and any other liquidated since", () => {
    const rungs = new LadderRungs([rung("0xC", 1.006), rung("0xA", 1.004), rung("0xB", 1.005), rung("0xD", 1.007)]);
    expect(rungs.next()?.address).to.equal("0xA");
    // The step for 0xA crossed 0xB too; its liquidation (lower-case on the chain) landed after the trial's.
    rungs.spend(["0xA", "0xb"]);
    expect(rungs.next()?.address).to.equal("0xC");
    rungs.spend(["0xC", "0xD"]);
    expect(rungs.next()).to.equal(undefined);
  });
});
