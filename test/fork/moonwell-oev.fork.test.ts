/**
 * Moonwell's OEV wrappers on Base at the pinned block, read by the keeper's Moonwell plug-in: which of the oracle's
 * feeds are wrappers, and their live `liquidatorFeeBps` and `maxRoundDelay` (never hard-coded; docs/oev.md). Skips
 * without BASE_RPC_URL, and skips with the reason when the pinned block (2025-09-25) predates the wrappers that have
 * `updatePriceEarlyAndLiquidate`. The full liquidation through a deployed wrapper is moonwell-oev-liquidation.fork.test.ts.
 */
import hre from "hardhat";
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { createMarketDependencies } from "../../keeper/markets/factory";
import { MoonwellMarket } from "../../keeper/markets/moonwell/moonwell-market";
import { describeFork } from "./lib/fork-gate";
import { forkWorldFixture } from "./lib/fork-environment";
import { BASE_FORK_BLOCK } from "./pinned-block";

describeFork(`Moonwell OEV wrappers on Base, forked at block ${BASE_FORK_BLOCK}`, function () {
  it("finds the wrapped feeds and reads each wrapper's liquidatorFeeBps and maxRoundDelay on chain", async function () {
    const { env } = await loadFixture(forkWorldFixture);
    const deployment = env.book.moonwell;
    if (deployment === undefined) throw new Error("the base address book has no moonwell entry");
    const market = new MoonwellMarket(deployment, createMarketDependencies(hre.ethers.provider, env.book));
    await market.init();
    const wrappers = market.oevWrappers();
    if (wrappers.size === 0) {
      console.log(
        `      no Moonwell feed is an OEV wrapper with liquidatorFeeBps at block ${BASE_FORK_BLOCK}; pin a later block to test them`,
      );
      this.skip();
    }
    for (const [mToken, wrapper] of wrappers) {
      console.log(
        `      ${mToken}: wrapper ${wrapper.wrapper} over ${wrapper.priceFeed}, liquidatorFeeBps ${wrapper.liquidatorFeeBps}, maxRoundDelay ${wrapper.maxRoundDelay}s`,
      );
      expect(wrapper.liquidatorFeeBps).to.be.lessThanOrEqual(10_000n);
      expect(wrapper.maxRoundDelay).to.be.greaterThan(0);
      expect(await hre.ethers.provider.getCode(wrapper.priceFeed)).to.not.equal("0x");
    }
  });
});
