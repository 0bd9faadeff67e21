/**
 * The executor's MoonwellMorphoOev kind through Moonwell's deployed ChainlinkOEVMorphoWrapper on a Base fork: the keeper's
 * Morpho plug-in finds the wrapper behind the WELL/USDC market's oracle (BASE_FEED_1), reads its live liquidatorFeeBps
 * and maxRoundDelay, sees a new WELL round 10% lower that the wrapper hides, sizes the liquidation through it, and the
 * executor (Morpho Blue flash loan, Aerodrome sale xWELL → WETH → USDC) receives the liquidator's share it predicted.
 *
 * Which wrapper and market (sources: moonwell-fi/moonwell-contracts-v2, docs "OEV Liquidation Specification" and the
 * proposals that upgrade the wrapper): proxy CHAINLINK_WELL_USD_ORACLE_PROXY 0xAEeE6335f50e1f8aF924DF0742b1879C9761F5f5
 * on the Morpho market USDC / xWELL 0xA88594D404727625A9437C3f886C7643872296AE, oracle 0x71FBaD6c2200C8A5B89380f9B6bb8a35d411c852,
 * AdaptiveCurveIrm 0x46415998764C29aB2a25CbeA6254146D50D22687, LLTV 62.5%. The `approvedMarkets` gate the keeper needs
 * (`morpho-blue/oev-unlock.ts`) came with the proxy upgrade that closed Code4rena report #195 (MIP-X56 in the repository,
 * "setApprovedMarket(canonicalId, true)" for this market), later than the suites' BASE_FORK_BLOCK (36,000,000,
 * 2025-09-25), whose wrapper predates it.
 *
 * Why MORPHO_OEV_FORK_BLOCK = 64,464,000: about 2026-12-01 00:00 UTC, counted as Base blocks are (2 s from genesis
 * 2023-06-15 00:35:47 UTC to Denim, 2026-11-05 18:00 UTC, ≈ block 53,556,126; 200 ms since). It is meant to be after
 * that upgrade executed on Base; the date of its execution could not be read here (no RPC, no block in the sources), so
 * the suite checks the preconditions on chain first (wrapper code, `morphoBlue()`, `approvedMarkets(id)`, the oracle's
 * BASE_FEED_1) and skips with the one it found missing: then pin a later block. It has NOT been run on this machine (no
 * RPC endpoint). The suite forks that block for itself (hardhat_reset) and returns to BASE_FORK_BLOCK afterwards, so the
 * other fork suites keep theirs. The wrapper's delay is raised to an hour as its owner (impersonated; the live value is
 * printed first) so a slow fork RPC cannot outrun a 10 s window.
 */
import hre from "hardhat";
import { expect } from "chai";
import { Interface } from "ethers";
import type { HardhatNetworkConfig } from "hardhat/types";
import { reset } from "@nomicfoundation/hardhat-network-helpers";
import ChimeraExecutorModule from "../../ignition/modules/ChimeraExecutorModule";
import { ChimeraExecutor__factory, IERC20__factory, MockV3Aggregator__factory, Morpho__factory } from "../../typechain-types";
import type { Address, MorphoMarketParams } from "../../keeper/config/address-book";
import { BASE_ADDRESS_BOOK } from "../../keeper/config/networks";
import { createMarketDependencies } from "../../keeper/markets/factory";
import { MorphoBlueMarket, morphoMarketIdOf } from "../../keeper/markets/morpho-blue/morpho-blue-market";
import { FlashSource, ProtocolKind, aerodromeSwap, flashLoan, moonwellMorphoOevLiquidation } from "../unit/contracts/helpers/plans";
import { outcomeOf } from "../unit/contracts/helpers/outcomes";
import { describeFork } from "./lib/fork-gate";
import { impersonate, plainFundedAccounts } from "./lib/fork-accounts";
import { addTokenBalance } from "./lib/token-balances";
import { BASE_FORK_BLOCK } from "./pinned-block";

const MORPHO_OEV_FORK_BLOCK = 64_464_000;
const WRAPPER: Address = "0xAEeE6335f50e1f8aF924DF0742b1879C9761F5f5";
const MARKET: MorphoMarketParams = {
  label: "Moonwell xWELL/USDC (OEV-wrapped WELL)",
  loanToken: "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913",
  collateralToken: "0xA88594D404727625A9437C3f886C7643872296AE",
  oracle: "0x71FBaD6c2200C8A5B89380f9B6bb8a35d411c852",
  irm: "0x46415998764C29aB2a25CbeA6254146D50D22687",
  lltv: 625_000_000_000_000_000n,
};
const TEST_ROUND_DELAY = 3_600n;
const WRAPPER_GETTERS = new Interface([
  "function owner() view returns (address)",
  "function setMaxRoundDelay(uint256)",
  "function morphoBlue() view returns (address)",
  "function approvedMarkets(bytes32) view returns (bool)",
  "function priceFeed() view returns (address)",
  "function liquidatorFeeBps() view returns (uint16)",
  "function maxRoundDelay() view returns (uint256)",
  "function latestRoundData() view returns (uint80, int256, uint256, uint256, uint80)",
]);
const ORACLE_GETTERS = new Interface(["function BASE_FEED_1() view returns (address)", "function price() view returns (uint256)"]);
/** MockV3Aggregator's `decimals` slot (@chainlink/contracts MockV3Aggregator.sol: slot 0, after a constant). */
const MOCK_DECIMALS_SLOT = "0x0";
const USDC_UNIT = 10n ** 6n;

describeFork(
  `a Morpho liquidation through Moonwell's deployed Morpho OEV wrapper, Base forked at block ${MORPHO_OEV_FORK_BLOCK}`,
  function () {
    const url = () => (hre.network.config as HardhatNetworkConfig).forking!.url;
    before(async function () {
      this.timeout(600_000);
      await reset(url(), MORPHO_OEV_FORK_BLOCK);
    });
    after(async function () {
      this.timeout(600_000);
      await reset(url(), BASE_FORK_BLOCK);
    });

    it("sizes through the wrapper at the round it hides and the executor receives the predicted liquidator share", async function () {
      this.timeout(600_000);
      const provider = hre.ethers.provider;
      const morpho = BASE_ADDRESS_BOOK.morphoBlue!.morpho;
      const marketId = morphoMarketIdOf(MARKET);
      const wrapper = new hre.ethers.Contract(WRAPPER, WRAPPER_GETTERS, provider);
      const missing =
        (await provider.getCode(WRAPPER)) === "0x"
          ? "the wrapper has no code"
          : (await wrapper.morphoBlue().catch(() => null)) === null
            ? "the wrapper has no morphoBlue() (an older version)"
            : !(await wrapper.approvedMarkets(marketId).catch(() => false))
              ? `the wrapper has not approved market ${marketId}`
              : ((await new hre.ethers.Contract(MARKET.oracle, ORACLE_GETTERS, provider).BASE_FEED_1()) as string).toLowerCase() !==
                  WRAPPER.toLowerCase()
                ? "the market's oracle does not read the wrapper as BASE_FEED_1"
                : null;
      if (missing !== null) {
        console.log(`      ${missing} at block ${MORPHO_OEV_FORK_BLOCK}; pin a later block`);
        this.skip();
      }
      console.log(
        `      wrapper ${WRAPPER}: live liquidatorFeeBps ${await wrapper.liquidatorFeeBps()}, maxRoundDelay ${await wrapper.maxRoundDelay()}s`,
      );

      // The executor, as it ships, with the wrapper allowlisted and the market allowed on Morpho Blue.
      const [deployer, owner, operator, treasury, borrower, lender] = await hre.ethers.getSigners();
      await plainFundedAccounts([deployer, owner, operator, treasury, borrower, lender]);
      const { executor: deployed } = await hre.ignition.deploy(ChimeraExecutorModule, {
        parameters: {
          ChimeraExecutorModule: {
            owner: owner.address,
            treasury: treasury.address,
            operators: [operator.address],
            allowlist: [WRAPPER, morpho, BASE_ADDRESS_BOOK.aerodrome!.router],
            markets: [{ host: morpho, marketId }],
          },
        },
      });
      const executor = ChimeraExecutor__factory.connect(await deployed.getAddress(), operator);

      // A lender and a borrower at 95% of the LLTV at the price the market shows.
      const morphoBlue = Morpho__factory.connect(morpho, borrower);
      const usdc = IERC20__factory.connect(MARKET.loanToken, provider);
      const xwell = IERC20__factory.connect(MARKET.collateralToken, provider);
      await addTokenBalance(MARKET.loanToken, lender.address as Address, 50_000n * USDC_UNIT);
      await (await usdc.connect(lender).approve(morpho, 50_000n * USDC_UNIT)).wait();
      const { loanToken, collateralToken, oracle, irm, lltv } = MARKET;
      const params = { loanToken, collateralToken, oracle, irm, lltv };
      await (await Morpho__factory.connect(morpho, lender).supply(params, 50_000n * USDC_UNIT, 0n, lender.address, "0x")).wait();
      const shownPrice = (await new hre.ethers.Contract(MARKET.oracle, ORACLE_GETTERS, provider).price()) as bigint;
      const collateral = 2_000_000n * 10n ** 18n;
      await addTokenBalance(MARKET.collateralToken, borrower.address as Address, collateral);
      await (await xwell.connect(borrower).approve(morpho, collateral)).wait();
      await (await morphoBlue.supplyCollateral(params, collateral, borrower.address, "0x")).wait();
      const borrow = (((collateral * shownPrice) / 10n ** 36n) * MARKET.lltv * 95n) / (100n * 10n ** 18n);
      await (await morphoBlue.borrow(params, borrow, 0n, borrower.address, borrower.address)).wait();

      // The owner raises the delay; a new round 10% lower is put behind the wrapper (a mock holding the feed's rounds).
      const admin = await impersonate((await wrapper.owner()) as Address);
      await (await (wrapper.connect(admin) as typeof wrapper).setMaxRoundDelay(TEST_ROUND_DELAY)).wait();
      const feedAddress = (await wrapper.priceFeed()) as Address;
      const feed = MockV3Aggregator__factory.connect(feedAddress, owner);
      const current = await feed.latestRoundData();
      const decimals = await feed.decimals();
      await hre.network.provider.send("hardhat_setCode", [
        feedAddress,
        (await hre.artifacts.readArtifact("MockV3Aggregator")).deployedBytecode,
      ]);
      await hre.network.provider.send("hardhat_setStorageAt", [feedAddress, MOCK_DECIMALS_SLOT, hre.ethers.toBeHex(decimals, 32)]);
      await (await feed.updateRoundData(current.roundId, current.answer, current.updatedAt, current.startedAt)).wait();
      const now = BigInt((await provider.getBlock("latest"))!.timestamp);
      await (await feed.updateRoundData(current.roundId + 1n, (current.answer * 90n) / 100n, now, now)).wait();
      expect((await wrapper.latestRoundData())[1], "the wrapper still shows the previous round").to.equal(current.answer);

      // The keeper, started now: its first read finds the hidden round (wrapper's round ≠ the feed's) and sizes through it.
      const market = new MorphoBlueMarket(morpho, MARKET, createMarketDependencies(provider, BASE_ADDRESS_BOOK), MORPHO_OEV_FORK_BLOCK);
      await market.init();
      await market.refreshPositions([borrower.address as Address], await provider.getBlockNumber());
      const tracked = market.position(borrower.address.toLowerCase() as Address)!;
      expect(tracked.healthFactor, "liquidatable at the hidden round").to.be.lessThan(10n ** 18n);
      const sized = market.sizeLiquidationWithReason(tracked);
      if (!sized.ok) throw new Error(`refused: ${sized.detail}`);
      const { candidate } = sized;
      expect(candidate.call!.shape).to.equal("MoonwellMorphoOev");
      expect(candidate.call!.oevWrapper).to.equal(WRAPPER.toLowerCase());

      const { WETH, USDC } = BASE_ADDRESS_BOOK.tokens;
      const factory = BASE_ADDRESS_BOOK.aerodrome!.poolFactory;
      const outcome = await outcomeOf(
        executor,
        executor.liquidate({
          flash: flashLoan(FlashSource.MorphoBlue, morpho, USDC.address, candidate.debtToCover),
          liquidation: moonwellMorphoOevLiquidation({
            morpho,
            market: MARKET,
            borrower: borrower.address,
            wrapper: WRAPPER,
            seizedAssets: candidate.call!.morpho!.seizedAssets,
            maxRepayAmount: candidate.debtToCover,
            swap: aerodromeSwap(
              BASE_ADDRESS_BOOK.aerodrome!.router,
              [
                { from: MARKET.collateralToken, to: WETH.address, stable: false, factory },
                { from: WETH.address, to: USDC.address, stable: false, factory },
              ],
              candidate.debtToCover,
            ),
          }),
          profitToken: USDC.address,
          minProfit: 0n,
          deadlineBlock: (await provider.getBlockNumber()) + 10,
        }),
      );
      const [liquidated] = outcome.liquidations;
      console.log(`      predicted share ${candidate.expectedCollateral} xWELL wei, received ${liquidated.collateralSeized}`);
      expect(liquidated.protocol).to.equal(BigInt(ProtocolKind.MoonwellMorphoOev));
      // The wrapper prices its split with the feeds' answers, the keeper with the oracle's formula; interest accrues
      // between sizing and the call: within 0.01%.
      const drift = liquidated.collateralSeized - candidate.expectedCollateral;
      expect(drift < 0n ? -drift : drift).to.be.at.most(candidate.expectedCollateral / 10_000n + 1n);
    });
  },
);
