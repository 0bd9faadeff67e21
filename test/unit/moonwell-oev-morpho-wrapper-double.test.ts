/**
 * MoonwellOevMorphoWrapperDouble (contracts/test/) is a TEST DOUBLE of Moonwell's Morpho-market OEV wrapper
 * (`ChainlinkOEVMorphoWrapper`), written from its documented behaviour because Moonwell ships no bytecode on npm. The
 * executor's MoonwellMorphoOev tests and the keeper's Morpho OEV path lean on it, so this file holds it to the
 * documentation (docs/oev.md, "Morpho markets"): a new round is hidden for `maxRoundDelay` seconds; the unlock refuses a
 * market it has not approved and a market whose oracle's BASE_FEED_1 is not the wrapper; it pulls `maxRepayAmount`,
 * unlocks the round, liquidates on genuine Morpho Blue, refunds what Morpho did not take, and pays the caller collateral
 * worth the repayment plus `liquidatorFeeBps` of the rest, the remainder to `feeRecipient`.
 */
import hre from "hardhat";
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { MorphoChainlinkOracleDouble__factory, type MintableERC20 } from "../../typechain-types";
import { marketTuple } from "../../sandbox";
import { MORPHO_OEV_TEST_ROUND_DELAY, morphoOevFixture, type MorphoOevFixture } from "./contracts/helpers/morpho-oev";

const MAX_BPS = 10_000n;
const WETH = 10n ** 18n;

describe("MoonwellOevMorphoWrapperDouble: Moonwell's documented Morpho OEV wrapper behaviour", function () {
  async function liquidator(f: MorphoOevFixture, amount: bigint) {
    const signer = (await hre.ethers.getSigners())[10]!;
    await (
      await (f.sandbox.tokens.USDC as MintableERC20).connect(f.sandbox.deployer)["mint(address,uint256)"](signer.address, amount)
    ).wait();
    await (await f.sandbox.tokens.USDC.connect(signer).approve(f.oev.wrapper, amount)).wait();
    return signer;
  }

  it("hides the newest round for maxRoundDelay seconds: the market's oracle shows the previous one, then the newest", async function () {
    const f = await loadFixture(morphoOevFixture);
    const newest = await f.sandbox.priceFeeds.WETH!.latestRoundData();
    expect((await f.oev.wrapper.latestRoundData()).roundId).to.equal(newest.roundId - 1n);
    await time.increaseTo(newest.updatedAt + MORPHO_OEV_TEST_ROUND_DELAY);
    expect((await f.oev.wrapper.latestRoundData()).roundId).to.equal(newest.roundId);
  });

  it("unlocks, liquidates, refunds the unused repayment and splits the seizure by liquidatorFeeBps", async function () {
    const f = await loadFixture(morphoOevFixture);
    const maxRepay = 20_000n * 10n ** 6n;
    const signer = await liquidator(f, maxRepay);
    const usdcBefore = await f.sandbox.tokens.USDC.balanceOf(signer.address);
    const seized = 2n * WETH;
    const tx = await f.oev.wrapper
      .connect(signer)
      .updatePriceEarlyAndLiquidate(marketTuple(f.oev.params), f.borrower.address, seized, maxRepay);
    const receipt = (await tx.wait())!;
    const event = receipt.logs.map((l) => f.oev.wrapper.interface.parseLog(l)).find((e) => e?.name === "PriceUpdatedEarlyAndLiquidated")!;
    const { repaidAssets, liquidatorFee, protocolFee } = event.args;
    expect(event.args.seizedAssets).to.equal(seized);
    expect(usdcBefore - (await f.sandbox.tokens.USDC.balanceOf(signer.address)), "only what Morpho took").to.equal(repaidAssets);
    expect(await f.sandbox.tokens.WETH.balanceOf(signer.address)).to.equal(liquidatorFee);
    expect(await f.sandbox.tokens.WETH.balanceOf(f.oev.feeRecipient)).to.equal(protocolFee);
    expect(liquidatorFee + protocolFee).to.equal(seized);
    // Liquidator: the repayment's worth plus 40% of the rest, at the fresh price (oracle units: 1e36 · loan per collateral).
    const price = await f.oev.oracle.price();
    const repaidInCollateral = (repaidAssets * 10n ** 36n) / price;
    const expected = repaidInCollateral + ((seized - repaidInCollateral) * (await f.oev.wrapper.liquidatorFeeBps())) / MAX_BPS;
    expect(liquidatorFee).to.be.closeTo(expected, expected / 100_000n + 1n);
    expect(await f.oev.wrapper.cachedRoundId()).to.equal((await f.sandbox.priceFeeds.WETH!.latestRoundData()).roundId);
    expect(await f.sandbox.tokens.USDC.allowance(f.oev.wrapper, f.sandbox.morpho.morpho)).to.equal(0n);
  });

  it("refuses a market it has not approved, and an approved id whose oracle's BASE_FEED_1 is another feed", async function () {
    const f = await loadFixture(morphoOevFixture);
    const signer = await liquidator(f, 10_000n * 10n ** 6n);
    await (await f.oev.wrapper.setApprovedMarket(f.oev.marketId, false)).wait();
    await expect(
      f.oev.wrapper.connect(signer).updatePriceEarlyAndLiquidate(marketTuple(f.oev.params), f.borrower.address, WETH, 10_000n * 10n ** 6n),
    ).to.be.revertedWith("ChainlinkOEVMorphoWrapper: market not approved");

    const plainOracle = await new MorphoChainlinkOracleDouble__factory(f.sandbox.deployer).deploy(
      f.sandbox.priceFeeds.WETH!,
      18,
      f.sandbox.priceFeeds.USDC!,
      6,
    );
    const other = { ...marketTuple(f.oev.params), oracle: await plainOracle.getAddress() };
    const otherId = hre.ethers.keccak256(
      hre.ethers.AbiCoder.defaultAbiCoder().encode(["address", "address", "address", "address", "uint256"], Object.values(other)),
    );
    await (await f.oev.wrapper.setApprovedMarket(otherId, true)).wait();
    await expect(
      f.oev.wrapper.connect(signer).updatePriceEarlyAndLiquidate(other, f.borrower.address, WETH, 10_000n * 10n ** 6n),
    ).to.be.revertedWith("ChainlinkOEVMorphoWrapper: oracle must be the same as the base feed 1");
  });
});
