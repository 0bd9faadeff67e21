/**
 * The Aave plug-in reads each reserve's price-source chain (AaveOracle.getSourceOfAsset → the proxy → its
 * aggregator) and marks the reserves fed by a Chainlink SVR aggregator, so liquidations on them carry path "svr"
 * (a race for what the auction's winner left) and /status lists them. The chain here is the sandbox's genuine
 * Aave v3.6 with the WETH source replaced by ChainlinkProxyDouble over SvrDualAggregatorDouble
 * (contracts/test/ChainlinkSvrFeedDoubles.sol: TEST DOUBLES written from Chainlink's SVR documentation and the
 * aggregator's published type string); the documented-address branch is checked with plain values.
 */
import hre from "hardhat";
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ChainlinkProxyDouble__factory, SvrDualAggregatorDouble__factory } from "../../../../typechain-types";
import type { Address } from "../../../../keeper/config/address-book";
import { AaveV3Market } from "../../../../keeper/markets/aave-v3/aave-v3-market";
import { labelAuctionedPrices } from "../../../../keeper/markets/aave-v3/oracle-auctions";
import { createMarketDependencies } from "../../../../keeper/markets/factory";
import type { SizingResult } from "../../../../keeper/markets/sizing-result";
import { liquidationPathOf, liquidationPathOfRule } from "../../../../keeper/oracles/liquidation-path";
import { BASE_SVR_AGGREGATORS, classifySvrAggregators } from "../../../../keeper/oracles/svr-feeds";
import { sandboxFixture } from "../../../shared/sandbox-fixture";
import { openWethUsdcBorrower } from "../../../shared/one-aave-borrower";
import { startAtHead } from "./helpers/start-at-head";

const WAD = 10n ** 18n;

describe("keeper/markets Aave: reserves priced through Chainlink SVR", function () {
  it("classifies by Chainlink's documented Base aggregators and by the DualAggregator type string, nothing else", function () {
    const ethUsdAaveSvr = "0xD772F6D9b7A35cb96fDdFE569964ab1C05017BF9" as Address; // documented, checksummed as published
    const found = classifySvrAggregators([
      { aggregator: ethUsdAaveSvr, typeAndVersion: undefined },
      { aggregator: "0x00000000000000000000000000000000000000a1", typeAndVersion: "DualAggregator 1.0.0" },
      { aggregator: "0x00000000000000000000000000000000000000a2", typeAndVersion: "AccessControlledOCR2Aggregator 1.0.0" },
      { aggregator: "0x00000000000000000000000000000000000000a3", typeAndVersion: "DualAggregatorish 1.0.0" },
      { aggregator: "0x00000000000000000000000000000000000000a4", typeAndVersion: undefined },
    ]);
    expect([...found.keys()]).to.deep.equal([ethUsdAaveSvr.toLowerCase(), "0x00000000000000000000000000000000000000a1"]);
    expect(found.get(ethUsdAaveSvr.toLowerCase())).to.deep.include({ evidence: "documented-aggregator", detail: "ETH-USD (Aave-SVR)" });
    expect(found.get("0x00000000000000000000000000000000000000a1")).to.deep.include({ evidence: "dual-aggregator" });
    expect(Object.keys(BASE_SVR_AGGREGATORS).every((a) => /^0x[0-9a-f]{40}$/.test(a))).to.equal(true);
  });

  it("labels a sized liquidation svr when its collateral or its debt is auction-priced, and leaves others open", function () {
    const sized = (collateralToken: string, debtToken: string): SizingResult =>
      ({
        ok: true,
        candidate: { collateralToken, debtToken, sizingRule: "aave-v3.3-close-factor-50%", call: { shape: "AaveV3" } },
      }) as unknown as SizingResult;
    const auctioned = new Map([["0xweth", { asset: "0xweth", aggregator: "0xagg", evidence: "dual-aggregator", detail: "" }]]) as never;
    const label = (result: SizingResult) => (result.ok ? result.candidate.sizingRule : "refused");
    expect(label(labelAuctionedPrices(sized("0xWETH", "0xusdc"), auctioned))).to.equal("svr-auctioned(0xWETH)+aave-v3.3-close-factor-50%");
    expect(label(labelAuctionedPrices(sized("0xcbbtc", "0xweth"), auctioned))).to.match(/^svr-auctioned\(0xweth\)\+/);
    expect(label(labelAuctionedPrices(sized("0xcbbtc", "0xusdc"), auctioned))).to.equal("aave-v3.3-close-factor-50%");
    expect(liquidationPathOfRule("svr-auctioned(0xweth)+aave-v3.3-close-factor-50%")).to.equal("svr");
    expect(liquidationPathOfRule("aave-v3.3-close-factor-50%")).to.equal("open");
  });

  it("finds the SVR aggregator behind the WETH reserve's proxy, lists it in stats, and labels WETH liquidations svr", async function () {
    const sandbox = await loadFixture(sandboxFixture);
    const { deployer } = sandbox;
    const weth = sandbox.book.weth;
    const borrower = await openWethUsdcBorrower(hre, sandbox, { seed: 1501, healthFactor: 1.02, debtUsd: 10_000 });
    const answer = (await sandbox.priceFeeds.WETH.latestRoundData()).answer;
    const aggregator = await new SvrDualAggregatorDouble__factory(deployer).deploy(8, "ETH / USD", answer);
    const proxy = await new ChainlinkProxyDouble__factory(deployer).deploy(aggregator);
    await (await sandbox.aave.oracle.connect(deployer).setAssetSources([weth], [proxy])).wait();

    const market = await startAtHead(new AaveV3Market(sandbox.book.aaveV3!, createMarketDependencies(hre.ethers.provider, sandbox.book)));
    const aggregatorAddress = (await aggregator.getAddress()).toLowerCase();
    expect(market.stats().auctionedPrices).to.deep.equal([
      { asset: weth.toLowerCase(), aggregator: aggregatorAddress, evidence: "dual-aggregator", detail: "DualAggregator 1.0.0" },
    ]);
    expect(market.priceFeeds().map((f) => f.feed.toLowerCase())).to.include(aggregatorAddress);

    // The auctioned update lands (WETH -5%): the position is liquidatable and its plan is labelled svr.
    await (await aggregator.transmitSecondary((answer * 95n) / 100n)).wait();
    await market.refreshPrices();
    const position = market.position(borrower.address as Address)!;
    expect(position.healthFactor).to.be.lessThan(WAD);
    const sized = market.sizeLiquidationWithReason(position);
    if (!sized.ok) throw new Error(`refused: ${sized.detail}`);
    expect(sized.candidate.sizingRule).to.match(/^svr-auctioned\(/);
    expect(liquidationPathOf(sized.candidate)).to.equal("svr");
  });
});
