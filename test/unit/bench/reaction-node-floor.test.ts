/**
 * The reaction bench's node floor (bench/reaction-node-floor.ts): a busy step's mined transactions replayed by eth_call
 * on the state of the price block, each once, timed; and the fewest blocks that execution time allows. On the in-process
 * Hardhat chain with real transactions; the clock is a counter so the figure is exact.
 */
import { expect } from "chai";
import hre from "hardhat";
import { floorBlocks, stepExecutionFloor } from "../../../bench/reaction-node-floor";
import { WETH9__factory } from "../../../typechain-types";

describe("bench: the node's own time for a busy step", () => {
  it("replays each mined transaction once on the given block's state, and times them together", async () => {
    const [holder] = await hre.ethers.getSigners();
    const weth = await new WETH9__factory(holder).deploy();
    const beforeDeposit = await hre.ethers.provider.getBlockNumber();
    await (await weth.deposit({ value: 1_000n })).wait();
    const deposited = await hre.ethers.provider.getBlockNumber();
    const withdrawal = await (await weth.withdraw(600n)).wait();
    let tick = 0;
    const clock = () => (tick += 7);

    // On the state after the deposit, the withdrawal runs again; the same hash twice is one replay.
    const onDeposit = await stepExecutionFloor(hre.network.provider, [withdrawal!.hash, withdrawal!.hash.toUpperCase()], deposited, clock);
    expect(onDeposit).to.deep.equal({ transactions: 1, reverted: 0, ms: 7 });
    // Before the deposit WETH9 holds nothing of the holder's: the replay reverts, and is counted as such (still timed).
    const onEmpty = await stepExecutionFloor(hre.network.provider, [withdrawal!.hash], beforeDeposit, clock);
    expect(onEmpty).to.deep.equal({ transactions: 1, reverted: 1, ms: 7 });
  });

  it("refuses a hash the node has no transaction for, naming it", async () => {
    const unknown = `0x${"ab".repeat(32)}`;
    let error: unknown = null;
    await stepExecutionFloor(hre.network.provider, [unknown], 0).catch((e: unknown) => (error = e));
    expect(String(error)).to.contain(unknown).and.to.contain("no mined call");
  });

  it("allows no fewer blocks than twice the execution time fills (simulation, then the block), at least one", () => {
    expect(floorBlocks(0, 200)).to.equal(1);
    expect(floorBlocks(100, 200)).to.equal(1);
    expect(floorBlocks(101, 200)).to.equal(2);
    expect(floorBlocks(900, 200)).to.equal(9);
    expect(() => floorBlocks(-1, 200)).to.throw("executionMs");
    expect(() => floorBlocks(100, 0)).to.throw("blockTimeMs");
  });
});
