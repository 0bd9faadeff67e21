/**
 * The reaction bench's arbitrageur (ClockedMarketHandle.arbitrage): on the sandbox's genuine Uniswap V3 pools, a pool
 * pushed off the oracles' price (as a burst of liquidation sales pushes it) is swapped back to it in the next block,
 * and a pool already at the price gets nothing. The clock is not needed for it (the swaps only enter the mempool), so
 * a stub stands in and this test mines.
 */
import hre from "hardhat";
import { expect } from "chai";
import { loadFixture, takeSnapshot } from "@nomicfoundation/hardhat-network-helpers";
import { UniswapV3Pool__factory } from "../../../../typechain-types";
import type { ChainClock } from "../../../../sandbox/clock/chain-clock";
import { ClockedMarketHandle } from "../../../../keeper/scenarios/clocked-market-handle";
import { SandboxMarketHandle } from "../../../../keeper/scenarios/sandbox-market-handle";
import { sqrtPriceX96FromUsd } from "../../../../sandbox/uniswap-math";
import { usdToFeedAnswer } from "../../../../sandbox/market-spec";
import { sandboxFixture } from "../../../shared/sandbox-fixture";

describe("ClockedMarketHandle.arbitrage: pools back to the oracles' price", function () {
  this.timeout(120_000);

  it("swaps every cbBTC pool pushed 10% below the feed back to it, and nothing once there", async () => {
    const sandbox = await loadFixture(sandboxFixture);
    const untouched = await takeSnapshot();
    const handle = new SandboxMarketHandle(hre, sandbox);
    await handle.prepare();
    try {
      const feedUsd = await handle.priceOf("cbBTC");
      const usdcUsd = await handle.priceOf("USDC");
      await handle.movePoolsOnly([{ symbol: "cbBTC", usd: Math.round(feedUsd * 0.9 * 100) / 100 }]);
      const pools = Object.entries(sandbox.uniswap.pools).filter(([key]) => key.split("/").includes("cbBTC"));
      expect(pools.length, "the sandbox has cbBTC pools").to.be.greaterThan(0);
      const priceOf = async (address: string) => (await UniswapV3Pool__factory.connect(address, hre.ethers.provider).slot0()).sqrtPriceX96;
      const pushed = await Promise.all(pools.map(([, address]) => priceOf(address)));

      const arbitrageur = new ClockedMarketHandle(handle, { running: true, blockTimeMs: 200 } as unknown as ChainClock, () => 0);
      expect(await arbitrageur.arbitrage(["cbBTC"])).to.equal(pools.length);
      await handle.mine();
      for (const [index, [key, address]] of pools.entries()) {
        // The pool's own token order (by address), not the key's: another deployment can sort them the other way.
        const pool = UniswapV3Pool__factory.connect(address, hre.ethers.provider);
        const symbolOf = (token: string) =>
          Object.values(sandbox.book.tokens).find((t) => t.address.toLowerCase() === token.toLowerCase())!.symbol;
        const [symbol0, symbol1] = [symbolOf(await pool.token0()), symbolOf(await pool.token1())];
        const usd = (symbol: string) => (symbol === "cbBTC" ? feedUsd : symbol === "USDC" ? usdcUsd : Number.NaN);
        const after = await priceOf(address);
        expect(after, `${key} moved back`).to.not.equal(pushed[index]);
        if (Number.isNaN(usd(symbol0)) || Number.isNaN(usd(symbol1))) continue;
        const target = sqrtPriceX96FromUsd(
          usdToFeedAnswer(usd(symbol0)),
          sandbox.book.tokens[symbol0]!.decimals,
          usdToFeedAnswer(usd(symbol1)),
          sandbox.book.tokens[symbol1]!.decimals,
        );
        expect(after, `${key} at the feeds' price`).to.equal(target);
      }
      expect(await arbitrageur.arbitrage(["cbBTC"]), "nothing to do at the price").to.equal(0);
    } finally {
      await handle.release();
      await untouched.restore();
    }
  });
});
