/**
 * The reaction's chunks (keeper/engine/reaction-chunks.ts): the first position alone, then chunks of six, except that
 * positions sharing a price unlock (an OEV wrapper's hidden round) go in one chunk, right after the first position. In the
 * quick-start race the largest Moonwell position went alone, its liquidation unlocked the round, and the rival took the
 * two others in the next block (docs/oev.md).
 */
import { expect } from "chai";
import { reactionChunks, reactionOrder } from "../../../../keeper/engine/reaction-chunks";

describe("engine: reaction chunks keep a price unlock's positions together", () => {
  const unlockOf = (unlocks: Record<string, string>) => (item: string) => unlocks[item];

  it("without shared unlocks: the first alone, then chunks of the given size", () => {
    expect(reactionChunks(["a", "b", "c", "d", "e"], unlockOf({}), 2)).to.deep.equal([["a"], ["b", "c"], ["d", "e"]]);
    expect(reactionChunks([], unlockOf({}), 2)).to.deep.equal([]);
  });

  it("the first position's unlock pulls every position sharing it into the first chunk, wherever they rank", () => {
    const unlocks = { big: "oev:weth", small: "oev:weth", smaller: "oev:weth" };
    expect(reactionChunks(["big", "aave1", "aave2", "small", "aave3", "smaller"], unlockOf(unlocks), 2)).to.deep.equal([
      ["big", "small", "smaller"],
      ["aave1", "aave2"],
      ["aave3"],
    ]);
  });

  it("a later position's unlock pulls its partners into its chunk, which may grow past the size; other unlocks stay apart", () => {
    const unlocks = { m1: "oev:weth", m2: "oev:weth", c1: "oev:cbbtc", c2: "oev:cbbtc" };
    expect(reactionChunks(["aave1", "m1", "c1", "aave2", "m2", "c2", "aave3"], unlockOf(unlocks), 2)).to.deep.equal([
      ["aave1"],
      ["m1", "m2"],
      ["c1", "c2"],
      ["aave2", "aave3"],
    ]);
  });

  it("an unlock's chunk goes right after the first position, ahead of open chunks that outrank it", () => {
    const unlocks = { m1: "oev:weth", m2: "oev:weth" };
    expect(reactionChunks(["aave1", "aave2", "aave3", "aave4", "m1", "m2"], unlockOf(unlocks), 2)).to.deep.equal([
      ["aave1"],
      ["m1", "m2"],
      ["aave2", "aave3"],
      ["aave4"],
    ]);
  });

  it("refuses a chunk size that is not a positive integer", () => {
    expect(() => reactionChunks(["a"], unlockOf({}), 0)).to.throw(RangeError, /chunkSize/);
  });
});

describe("engine: reaction chunks after a prepared plan already left", () => {
  it("does not single out the top position: the open positions are chunked from the top", () => {
    expect(reactionChunks(["a", "b", "c", "d", "e"], () => undefined, 2, { firstAlone: false })).to.deep.equal([
      ["a", "b"],
      ["c", "d"],
      ["e"],
    ]);
  });

  it("still puts a price unlock's positions first, together", () => {
    const unlocks: Record<string, string> = { m1: "oev:weth", m2: "oev:weth" };
    expect(reactionChunks(["aave1", "m1", "aave2", "m2"], (item) => unlocks[item], 2, { firstAlone: false })).to.deep.equal([
      ["m1", "m2"],
      ["aave1", "aave2"],
    ]);
  });
});

describe("engine: the order a reaction plans its positions in", () => {
  it("the positions the answer crossed first, then those already liquidatable before it, each by largest debt", () => {
    const debts: Record<string, number> = { leftBig: 20_000, leftSmall: 1_000, newBig: 15_000, newSmall: 2_000 };
    const before = new Set(["leftBig", "leftSmall"]);
    expect(
      reactionOrder(
        ["leftSmall", "newSmall", "leftBig", "newBig"],
        (item) => debts[item]!,
        (item) => before.has(item),
      ),
    ).to.deep.equal(["newBig", "newSmall", "leftBig", "leftSmall"]);
  });
});
