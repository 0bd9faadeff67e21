/**
 * A full Moonwell OEV liquidation on a Base fork, through the deployed wrapper: the keeper's Moonwell plug-in finds
 * the WETH market's wrapper and reads its live liquidatorFeeBps and maxRoundDelay, a fresh mWETH/mUSDC borrower is
 * opened at HF 1.03, and a new WETH round 5% lower is put behind the wrapper (the Chainlink proxy the wrapper
 * delays is given MockV3Aggregator code holding the proxy's current round and a new one: no transmitter key exists
 * on a fork). The comptroller still shows the old price; the keeper evaluates at the new one, sizes the liquidation
 * through the wrapper and the executor's MoonwellOev kind receives the liquidator's share it predicted.
 *
 * The wrapper's delay is raised to an hour for the test (as its owner, impersonated; the live value is printed
 * first), so a slow fork RPC cannot outrun a 10 s window; the 10 s behaviour is covered by the double's tests.
 * Skips with one line without BASE_RPC_URL (describeFork), and with the reason when the pinned block has no WETH
 * wrapper with `liquidatorFeeBps`. Not run on this machine (no RPC endpoint).
 */
import hre from "hardhat";
import { expect } from "chai";
import { Interface } from "ethers";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { IMoonwellComptroller__factory, IMoonwellOevWrapper__factory, MockV3Aggregator__factory } from "../../typechain-types";
import type { Address } from "../../keeper/config/address-book";
import { createMarketDependencies } from "../../keeper/markets/factory";
import { MoonwellMarket } from "../../keeper/markets/moonwell/moonwell-market";
import { openCompoundPosition } from "../shared/liquidation-scenarios";
import { FlashSource, ProtocolKind, flashLoan, moonwellOevLiquidation, packedPath, uniswapSwap } from "../unit/contracts/helpers/plans";
import { outcomeOf } from "../unit/contracts/helpers/outcomes";
import { describeFork } from "./lib/fork-gate";
import { forkWorldFixture } from "./lib/fork-environment";
import { impersonate } from "./lib/fork-accounts";
import { moonwellScenarioMarket } from "./lib/moonwell-market";
import { BASE_FORK_BLOCK } from "./pinned-block";

const USDC_UNIT = 10n ** 6n;
const DEBT = 20_000n * USDC_UNIT;
const HEADROOM = { collateral: 10n * 10n ** 18n, debt: 2n * DEBT };
const TEST_ROUND_DELAY = 3_600n;
/** The wrapper's owner-only setter (moonwell-contracts-v2 ChainlinkOEVWrapper) and Ownable's getter. */
const WRAPPER_ADMIN = new Interface(["function owner() view returns (address)", "function setMaxRoundDelay(uint256)"]);
/** MockV3Aggregator's `decimals` slot (@chainlink/contracts src/v0.8/tests/MockV3Aggregator.sol: slot 0, after a constant). */
const MOCK_DECIMALS_SLOT = "0x0";

describeFork(`a Moonwell OEV liquidation through the deployed wrapper on Base, forked at block ${BASE_FORK_BLOCK}`, function () {
  it("liquidates at the round the wrapper hides and the executor receives the predicted liquidator share", async function () {
    const { env } = await loadFixture(forkWorldFixture);
    const book = env.book;
    const moonwellBook = book.moonwell!;
    const scout = new MoonwellMarket(moonwellBook, createMarketDependencies(hre.ethers.provider, book));
    await scout.init();
    const mWETH = moonwellBook.markets.WETH!.toLowerCase();
    const wrapper = scout.oevWrappers().get(mWETH);
    if (wrapper === undefined) {
      console.log(`      mWETH's feed is not an OEV wrapper with liquidatorFeeBps at block ${BASE_FORK_BLOCK}; pin a later block`);
      this.skip();
    }
    console.log(
      `      mWETH wrapper ${wrapper.wrapper} over ${wrapper.priceFeed}: live liquidatorFeeBps ${wrapper.liquidatorFeeBps}, maxRoundDelay ${wrapper.maxRoundDelay}s`,
    );

    const moonwell = await moonwellScenarioMarket(book, { collateral: "WETH", debt: "USDC" }, HEADROOM);
    const position = await openCompoundPosition(env, moonwell, { debtAmount: DEBT, healthFactor: 1.03 });
    const borrower = position.borrower.address as Address;

    // Room to work on a slow fork: the owner raises the delay (what the keeper then reads on chain).
    const owner = await impersonate(
      (await new hre.ethers.Contract(wrapper.wrapper, WRAPPER_ADMIN, hre.ethers.provider).owner()) as Address,
    );
    await (await new hre.ethers.Contract(wrapper.wrapper, WRAPPER_ADMIN, owner).setMaxRoundDelay(TEST_ROUND_DELAY)).wait();

    // A new round behind the wrapper: the proxy's current round, then one 5% lower written now.
    const feed = MockV3Aggregator__factory.connect(wrapper.priceFeed, env.owner);
    const current = await feed.latestRoundData();
    const decimals = await feed.decimals();
    const code = (await hre.artifacts.readArtifact("MockV3Aggregator")).deployedBytecode;
    await hre.network.provider.send("hardhat_setCode", [wrapper.priceFeed, code]);
    await hre.network.provider.send("hardhat_setStorageAt", [wrapper.priceFeed, MOCK_DECIMALS_SLOT, hre.ethers.toBeHex(decimals, 32)]);
    await (await feed.updateRoundData(current.roundId, current.answer, current.updatedAt, current.startedAt)).wait();
    const now = BigInt((await hre.ethers.provider.getBlock("latest"))!.timestamp);
    await (await feed.updateRoundData(current.roundId + 1n, (current.answer * 95n) / 100n, now, now)).wait();
    expect(await feed.decimals(), "the mock reads the proxy's decimals").to.equal(decimals);
    const oevWrapper = IMoonwellOevWrapper__factory.connect(wrapper.wrapper, hre.ethers.provider);
    expect((await oevWrapper.latestRoundData()).answer, "the wrapper still shows the previous round").to.equal(current.answer);

    const comptroller = IMoonwellComptroller__factory.connect(moonwellBook.comptroller, hre.ethers.provider);
    const [, , shortfall] = await comptroller.getAccountLiquidity(borrower);
    expect(shortfall, "the protocol sees no shortfall at the shown price").to.equal(0n);

    // The keeper, started now, finds the hidden round, evaluates at it and sizes through the wrapper.
    const market = new MoonwellMarket(moonwellBook, createMarketDependencies(hre.ethers.provider, book));
    await market.init();
    expect(market.oevWrappers().get(mWETH)!.maxRoundDelay).to.equal(Number(TEST_ROUND_DELAY));
    await market.refreshPositions([borrower], await hre.ethers.provider.getBlockNumber());
    const tracked = market.position(borrower)!;
    expect(tracked.healthFactor).to.be.lessThan(10n ** 18n);
    const sized = market.sizeLiquidationWithReason(tracked);
    if (!sized.ok) throw new Error(`refused: ${sized.detail}`);
    const { candidate } = sized;
    expect(candidate.call!.shape).to.equal("MoonwellOev");
    expect(candidate.call!.oevWrapper).to.equal(wrapper.wrapper);

    await (
      await env.executor.connect(env.owner).setAllowedTargets([wrapper.wrapper, moonwell.collateralMarket, moonwell.debtMarket], true)
    ).wait();
    const { WETH, USDC } = book.tokens;
    const outcome = await outcomeOf(
      env.executor,
      env.executor.liquidate({
        flash: flashLoan(FlashSource.BalancerV2, book.flash.balancerVault!, USDC.address, candidate.debtToCover),
        liquidation: moonwellOevLiquidation({
          wrapper: wrapper.wrapper,
          debtMarket: candidate.call!.market,
          collateralMarket: candidate.call!.collateralMarket!,
          borrower,
          collateralToken: candidate.collateralToken,
          debtToken: candidate.debtToken,
          repayAmount: candidate.debtToCover,
          swap: uniswapSwap(book.uniswapV3!.swapRouter02, packedPath([WETH.address, USDC.address], [500]), candidate.debtToCover),
        }),
        profitToken: USDC.address,
        minProfit: 1n,
        deadlineBlock: (await hre.ethers.provider.getBlockNumber()) + 10,
      }),
    );
    const liquidated = outcome.liquidations[0];
    console.log(`      predicted share ${candidate.expectedCollateral} WETH wei, received ${liquidated.collateralSeized}`);
    expect(liquidated.protocol).to.equal(BigInt(ProtocolKind.MoonwellOev));
    // Interest accrues between sizing and the call (real markets): the share may differ by that drift only.
    const drift = liquidated.collateralSeized - candidate.expectedCollateral;
    expect(drift < 0n ? -drift : drift).to.be.at.most(candidate.expectedCollateral / 10_000n);
  });
});
