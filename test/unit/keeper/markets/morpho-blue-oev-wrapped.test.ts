/**
 * A Morpho Blue market whose oracle reads its collateral feed through a Moonwell OEV wrapper, as Moonwell's isolated
 * Morpho markets do (ChainlinkOEVMorphoWrapper in front of MorphoChainlinkOracleV2's BASE_FEED_1; docs/oev.md). Here the
 * wrapper is one the market cannot liquidate through (the Core wrapper double: no `morphoBlue()`, no `approvedMarkets`,
 * no Morpho entry point; keeper/markets/morpho-blue/oev-unlock.ts), so the keeper must never plan at a round it still
 * hides (Morpho would refuse: "position is healthy") and must see the round the block it goes public. Through a Morpho
 * wrapper it can use: test/unit/keeper/e2e/morpho-oev-keeper.test.ts.
 *
 * Chain: genuine Morpho Blue bytecode (the sandbox), a new WETH/USDC market whose oracle is the sandbox's
 * MorphoChainlinkOracleDouble over MoonwellOevWrapperDouble (TEST DOUBLES: contracts/test/, written from the documented
 * behaviour; the wrapper double has the Core wrapper's liquidation entry point, but the getters the keeper probes and
 * the delayed `latestRoundData` are the Morpho wrapper's too).
 */
import { expect } from "chai";
import hre from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import {
  MorphoChainlinkOracleDouble__factory,
  MoonwellOevWrapperDouble__factory,
  type MoonwellOevWrapperDouble,
} from "../../../../typechain-types";
import { sandboxFixture } from "../../../shared/sandbox-fixture";
import { marketTuple, setPrice, type Sandbox } from "../../../../sandbox";
import type { Address, MorphoMarketParams } from "../../../../keeper/config/address-book";
import { WAD } from "../../../../keeper/core/fixed-point";
import { createMarketDependencies } from "../../../../keeper/markets/factory";
import { MorphoBlueMarket } from "../../../../keeper/markets/morpho-blue/morpho-blue-market";
import { withoutHiddenRoundEmitters } from "../../../../keeper/oracles/oev-wrapped-feeds";

const ROUND_DELAY = 3_600;

interface WrappedMorphoWorld {
  readonly sandbox: Sandbox;
  readonly wrapper: MoonwellOevWrapperDouble;
  readonly params: MorphoMarketParams;
  readonly borrower: HardhatEthersSigner;
  readonly liquidator: HardhatEthersSigner;
}

/** The wrapped market, 1M USDC of liquidity, one borrower at 95% of the 86% LLTV (WETH -10% takes it under). */
async function wrappedMorphoFixture(): Promise<WrappedMorphoWorld> {
  const sandbox = await loadFixture(sandboxFixture);
  const { deployer, tokens, priceFeeds } = sandbox;
  const signers = await hre.ethers.getSigners();
  const [borrower, liquidator] = [signers[13]!, signers[14]!];
  const morpho = sandbox.morpho.morpho;
  // The wrapper's oracle argument is used only by its Core liquidation entry point, which this market never calls.
  const wrapper = await new MoonwellOevWrapperDouble__factory(deployer).deploy(
    priceFeeds.WETH!,
    deployer.address,
    deployer.address,
    4_000n,
    ROUND_DELAY,
    5n,
  );
  const oracle = await new MorphoChainlinkOracleDouble__factory(deployer).deploy(wrapper, 18, priceFeeds.USDC!, 6);
  const params: MorphoMarketParams = {
    label: "WETH/USDC 86% (OEV-wrapped WETH feed)",
    loanToken: (await tokens.USDC.getAddress()) as Address,
    collateralToken: (await tokens.WETH.getAddress()) as Address,
    oracle: (await oracle.getAddress()) as Address,
    irm: (await sandbox.morpho.irm.getAddress()) as Address,
    lltv: sandbox.book.morphoBlue!.markets[0]!.lltv,
  };
  const tuple = marketTuple(params);
  await (await morpho.connect(deployer).createMarket(tuple)).wait();
  const liquidity = 1_000_000n * 10n ** 6n;
  await (await tokens.USDC.connect(deployer)["mint(address,uint256)"](deployer.address, liquidity)).wait();
  await (await tokens.USDC.connect(deployer).approve(morpho, liquidity)).wait();
  await (await morpho.connect(deployer).supply(tuple, liquidity, 0n, deployer.address, "0x")).wait();

  const collateral = hre.ethers.parseEther("10");
  const [, answer] = await priceFeeds.WETH!.latestRoundData();
  const collateralUsd = (Number(answer) / 1e8) * 10;
  const debt = BigInt(Math.floor(collateralUsd * 0.86 * 0.95)) * 10n ** 6n;
  await (await tokens.WETH.connect(borrower).deposit({ value: collateral })).wait();
  await (await tokens.WETH.connect(borrower).approve(morpho, collateral)).wait();
  await (await morpho.connect(borrower).supplyCollateral(tuple, collateral, borrower.address, "0x")).wait();
  await (await morpho.connect(borrower).borrow(tuple, debt, 0n, borrower.address, borrower.address)).wait();
  await (await tokens.USDC.connect(liquidator)["mint(uint256)"](liquidity)).wait();
  await (await tokens.USDC.connect(liquidator).approve(morpho, hre.ethers.MaxUint256)).wait();
  return { sandbox, wrapper, params, borrower, liquidator };
}

async function head(): Promise<{ number: number; timestamp: number }> {
  const block = (await hre.ethers.provider.getBlock("latest"))!;
  return { number: block.number, timestamp: block.timestamp };
}

describe("Morpho Blue market behind a Moonwell OEV wrapper: no plan at a hidden round", function () {
  this.timeout(120_000);

  it("finds the wrapped feed, ignores the delayed feed's rounds, and sees the round in the block it goes public", async () => {
    const world = await loadFixture(wrappedMorphoFixture);
    const { sandbox, params } = world;
    const morpho = sandbox.morpho.morpho;
    const wethFeed = (await sandbox.priceFeeds.WETH!.getAddress()).toLowerCase();
    const wrapperAddress = (await world.wrapper.getAddress()).toLowerCase();
    const borrower = world.borrower.address.toLowerCase() as Address;
    const deps = createMarketDependencies(hre.ethers.provider, sandbox.book);
    const market = new MorphoBlueMarket(sandbox.book.morphoBlue!.morpho, params, deps, 0);
    await market.init();
    await market.discoverBorrowers(0, (await head()).number);
    await market.refreshPositions(undefined, (await head()).number);

    expect(market.stats().oevWrappedFeeds).to.deep.equal([
      { feed: wrapperAddress, priceFeed: wethFeed, liquidatorFeeBps: 4_000, maxRoundDelay: ROUND_DELAY },
    ]);
    const subscribed = market.priceFeeds().map((s) => s.feed.toLowerCase());
    expect(subscribed, "the delayed Chainlink feed's AnswerUpdated is not a price of this market").to.not.include(wethFeed);
    expect(subscribed).to.include(wrapperAddress);

    // WETH -10% on the Chainlink feed: the wrapper hides the round.
    const [, before] = await sandbox.priceFeeds.WETH!.latestRoundData();
    await setPrice(hre, sandbox, "WETH", (Number(before) / 1e8) * 0.9);
    const [, fresh] = await sandbox.priceFeeds.WETH!.latestRoundData();
    const hidden = await head();
    // The feed's round reaching the market as a price update (as the log collector would pass it) changes nothing...
    expect(market.onPriceUpdate({ feed: wethFeed as Address, answer: fresh, blockNumber: hidden.number }).newlyLiquidatable).to.deep.equal(
      [],
    );
    // ...and the block's own read (Morpho's oracle, through the wrapper) still shows the old price.
    const during = await market.onBlock(hidden);
    expect(during.newlyLiquidatable).to.deep.equal([]);
    expect(market.position(borrower)!.healthFactor).to.be.greaterThanOrEqual(WAD);
    expect(market.stats().liquidatable).to.equal(0);
    // Morpho agrees: nothing to liquidate while the round is hidden.
    const tuple = marketTuple(params);
    await expect(morpho.connect(world.liquidator).liquidate.staticCall(tuple, borrower, 10n ** 15n, 0n, "0x")).to.be.revertedWith(
      "position is healthy",
    );

    // The delay passes: the first block at or after it shows the round, the market finds the borrower at once.
    await time.increase(ROUND_DELAY);
    await hre.network.provider.send("evm_mine");
    const published = await market.onBlock(await head());
    expect(published.newlyLiquidatable.map((p) => p.key.borrower)).to.include(borrower);
    expect(market.position(borrower)!.healthFactor).to.be.lessThan(WAD);
    await morpho.connect(world.liquidator).liquidate.staticCall(tuple, borrower, 10n ** 15n, 0n, "0x");
  });

  it("drops every emitter that would carry the delayed feed's rounds, and keeps the wrapper and the other feeds", () => {
    const [wrapper, delayed, aggregator, usdc] = ["0x01", "0x02", "0x03", "0x04"].map((a) => a.padEnd(42, "0") as Address);
    const emitters = new Map<string, Address>([
      [wrapper, wrapper],
      [delayed, wrapper], // the delayed feed itself, as if it were taken for the wrapper's source
      [aggregator, wrapper], // an aggregator found behind the wrapper
      [usdc, usdc],
    ]);
    const kept = withoutHiddenRoundEmitters(emitters, [{ feed: wrapper, priceFeed: delayed, liquidatorFeeBps: 4_000, maxRoundDelay: 10 }]);
    expect([...kept]).to.deep.equal([
      [wrapper, wrapper],
      [usdc, usdc],
    ]);
    expect([...withoutHiddenRoundEmitters(emitters, [])]).to.deep.equal([...emitters]);
  });
});
