/**
 * The Compound-v2 (Moonwell) plug-in. Moonwell ships no bytecode on npm, so these tests run against
 * contracts/test/MoonwellMarketDoubles.sol — a TEST DOUBLE with Moonwell's ABI and Compound's Exp
 * arithmetic (the same doubles the executor's unit tests and the sandbox liquidation scenarios use).
 * Fork tests run the plug-in against real Moonwell. What is proven here: the plug-in's
 * in-memory liquidity equals the comptroller's getAccountLiquidity, a feed update reprices in memory,
 * "HF < 1" is exactly "liquidateBorrow is allowed", sized liquidations seize what was predicted, and
 * a borrow seen by the protocol-event collector adds and tracks the new borrower.
 */
import { expect } from "chai";
import hre from "hardhat";
import { Wallet } from "ethers";
import { loadFixture, setBalance, time } from "@nomicfoundation/hardhat-network-helpers";
import type { Address } from "../../../../keeper/config/address-book";
import { WAD } from "../../../../keeper/core/fixed-point";
import type { MoonwellMarket } from "../../../../keeper/markets/moonwell/moonwell-market";
import { ProtocolEventCollector } from "../../../../keeper/collectors/protocol-event-collector";
import { MoonwellMTokenDouble__factory } from "../../../../typechain-types";
import { SYMBOLS, fundAndApprove, moonwellWorldFixture, startMarket, type MoonwellWorld } from "./helpers/moonwell-world";

async function expectLiquidityMatches(world: MoonwellWorld, market: MoonwellMarket, blockTag: number): Promise<void> {
  for (const wallet of world.borrowers) {
    const mine = market.liquidityOf(wallet.address as Address)!;
    const [error, liquidity, shortfall] = await world.comptroller.getAccountLiquidity(wallet.address, { blockTag });
    expect(error).to.equal(0n);
    expect([mine.liquidity, mine.shortfall], `liquidity of ${wallet.address}`).to.deep.equal([liquidity, shortfall]);
    expect(mine.healthFactor < WAD, "HF < 1 exactly when there is a shortfall").to.equal(shortfall > 0n);
  }
}

describe("keeper/markets MoonwellMarket (against the Moonwell test double)", function () {
  it("discovers every borrower from Borrow events and matches getAccountLiquidity exactly", async function () {
    const world = await loadFixture(moonwellWorldFixture);
    const { market } = await startMarket(world);
    expect(new Set(market.borrowers())).to.deep.equal(new Set(world.borrowers.map((w) => w.address.toLowerCase())));
    expect(market.stats().tracked).to.equal(world.borrowers.length);
    await expectLiquidityMatches(world, market, await hre.ethers.provider.getBlockNumber());
  });

  it("follows accrual through onBlock and a price move in memory, then a re-read is exact again", async function () {
    const world = await loadFixture(moonwellWorldFixture);
    const { market, deps } = await startMarket(world);
    await time.increase(30 * 24 * 3600);
    for (const symbol of SYMBOLS) await (await world.mTokens[symbol].accrueInterest()).wait();
    const latest = (await hre.ethers.provider.getBlock("latest"))!;
    await market.onBlock({ number: latest.number, timestamp: latest.timestamp });
    // Borrow balances follow the stored index: principal·index/interestIndex vs balance·index/index_read, ≤ 1 wei apart per debt.
    for (const wallet of world.borrowers) {
      const mine = market.liquidityOf(wallet.address as Address)!;
      const [, liquidity, shortfall] = await world.comptroller.getAccountLiquidity(wallet.address);
      const net = (l: bigint, s: bigint) => l - s;
      const gap = net(mine.liquidity, mine.shortfall) - net(liquidity, shortfall);
      // 1 wei of a debt is worth at most price/1e18 of USD·1e18; the largest price here is cbBTC's (6e4·1e28).
      expect(gap < 0n ? -gap : gap).to.be.lessThanOrEqual(2n * 6n * 10n ** 14n);
    }

    const feed = world.sandbox.priceFeeds.WETH;
    const crashed = ((await feed.latestAnswer()) * 80n) / 100n;
    await (await feed.updateAnswer(crashed)).wait();
    const rpcBefore = deps.multicall.stats.rpcCalls;
    const reaction = market.onPriceUpdate({ feed: (await feed.getAddress()) as Address, answer: crashed, blockNumber: latest.number + 1 });
    expect(deps.multicall.stats.rpcCalls, "the WETH feed is modelled: no RPC").to.equal(rpcBefore);
    expect(reaction.needsChainRead).to.equal(false);
    expect(reaction.recomputed).to.be.greaterThan(0);

    // A tick that fell behind reads the block before the crash, after the crash's own log: the old price stays out, so
    // the in-memory view still agrees with the comptroller after the crash (within the stored-index wei, as above).
    await market.onBlock({ number: latest.number, timestamp: latest.timestamp });
    await market.refreshPrices(latest.number);
    for (const wallet of world.borrowers) {
      const mine = market.liquidityOf(wallet.address as Address)!;
      const [, liquidity, shortfall] = await world.comptroller.getAccountLiquidity(wallet.address);
      const gap = mine.liquidity - mine.shortfall - (liquidity - shortfall);
      expect(gap < 0n ? -gap : gap, `liquidity of ${wallet.address} after a late read`).to.be.lessThanOrEqual(2n * 6n * 10n ** 14n);
    }

    await market.refreshPositions(undefined, await hre.ethers.provider.getBlockNumber());
    await expectLiquidityMatches(world, market, await hre.ethers.provider.getBlockNumber());
  });

  it("says liquidatable exactly when the comptroller allows liquidateBorrow, and sized liquidations seize as predicted", async function () {
    const world = await loadFixture(moonwellWorldFixture);
    const { market } = await startMarket(world);
    for (const symbol of ["WETH", "cbBTC"] as const) {
      const feed = world.sandbox.priceFeeds[symbol];
      const crashed = ((await feed.latestAnswer()) * 78n) / 100n;
      await (await feed.updateAnswer(crashed)).wait();
      market.onPriceUpdate({
        feed: (await feed.getAddress()) as Address,
        answer: crashed,
        blockNumber: await hre.ethers.provider.getBlockNumber(),
      });
    }
    const liquidatable = new Set(market.liquidatable().map((p) => p.key.borrower));
    expect(liquidatable.size).to.be.greaterThan(0).and.lessThan(world.borrowers.length);

    const byAddress = new Map(SYMBOLS.map((s) => [world.deployment.markets[s].toLowerCase(), world.mTokens[s]]));
    for (const wallet of world.borrowers) {
      const position = market.position(wallet.address as Address)!;
      const [pair] = market.liquidationPairs(position);
      const debtMarket = byAddress.get(market.marketOf(pair.debtToken)!)!;
      const collateralMarket = market.marketOf(pair.collateralToken)!;
      // The comptroller's verdict at the current state (the call accrues interest first, a few seconds' worth).
      const code = await debtMarket.connect(world.liquidator).liquidateBorrow.staticCall(wallet.address, 1n, collateralMarket);
      expect(code === 0n, `liquidateBorrow allowed for ${wallet.address}`).to.equal(
        liquidatable.has(wallet.address.toLowerCase() as Address),
      );
    }

    // Size for the block the liquidation lands in: the call accrues interest up to that timestamp first.
    const latest = (await hre.ethers.provider.getBlock("latest"))!;
    const landing = { number: latest.number + 1, timestamp: latest.timestamp + 12 };
    market.evaluateAt(landing);
    await time.setNextBlockTimestamp(landing.timestamp);
    const victim = market.liquidatable()[0];
    const sized = market.sizeLiquidationWithReason(victim);
    if (!sized.ok) throw new Error(`the market refuses to size ${victim.key.borrower}: ${sized.detail}`);
    // The executor's Compound-v2 call, exactly as the plan encoder would pass it.
    const call = sized.candidate.call!;
    expect(call.shape).to.equal("CompoundV2");
    const borrowed = MoonwellMTokenDouble__factory.connect(call.market, world.liquidator);
    const collateral = MoonwellMTokenDouble__factory.connect(call.collateralMarket!, world.liquidator);
    const before = await collateral.balanceOf(world.liquidator.address);
    await (await borrowed.liquidateBorrow(victim.key.borrower, call.debtToCover, call.collateralMarket!)).wait();
    expect((await collateral.balanceOf(world.liquidator.address)) - before).to.equal(sized.liquidatorSeizeTokens);
  });

  it("adds a new borrower seen by the protocol-event collector and tracks its position", async function () {
    const world = await loadFixture(moonwellWorldFixture);
    const { market } = await startMarket(world);
    const collector = new ProtocolEventCollector(hre.ethers.provider, market.protocolEventSubscriptions());
    const from = (await hre.ethers.provider.getBlockNumber()) + 1;

    const newcomer = new Wallet(Wallet.createRandom().privateKey, hre.ethers.provider);
    await setBalance(newcomer.address, 10n ** 20n);
    const mWeth = world.mTokens.WETH;
    await fundAndApprove(world.sandbox, newcomer, "WETH", 10n ** 18n * 2n, await mWeth.getAddress());
    await (await mWeth.connect(newcomer).mint(10n ** 18n * 2n)).wait();
    await (await world.comptroller.connect(newcomer).enterMarkets([await mWeth.getAddress()])).wait();
    await (await world.mTokens.USDC.connect(newcomer).borrow(10n ** 6n * 3_000n)).wait();
    const to = await hre.ethers.provider.getBlockNumber();

    const events = await collector.collect({ fromBlock: from, toBlock: to });
    const actions = events
      .filter((e) => e.type === "position-changed" && e.borrower === newcomer.address.toLowerCase())
      .map((e) => e.type === "position-changed" && e.action);
    expect(actions).to.include.members(["Mint", "MarketEntered", "Borrow"]);
    const update = await market.onProtocolEvents(events, { fromBlock: from, toBlock: to });
    expect(update.recomputed).to.be.greaterThan(0);
    expect(market.borrowers()).to.include(newcomer.address.toLowerCase());
    const mine = market.liquidityOf(newcomer.address as Address)!;
    const [, liquidity, shortfall] = await world.comptroller.getAccountLiquidity(newcomer.address);
    expect([mine.liquidity, mine.shortfall]).to.deep.equal([liquidity, shortfall]);
  });
});
