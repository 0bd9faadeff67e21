/**
 * MoonwellOevWrapperDouble (contracts/test/) is a TEST DOUBLE of Moonwell's OEV wrapper, written from its documented
 * behaviour because Moonwell ships no bytecode on npm. The executor's OEV tests, the keeper's OEV path and the docs all
 * lean on it, so this file holds it to the documentation (docs.moonwell.fi → developers → protocol → OEV, and the
 * deployed source's NatSpec): a new round is hidden for `maxRoundDelay` seconds; `updatePriceEarlyAndLiquidate` pulls
 * the repayment, unlocks the round for every reader, liquidates, and pays the caller collateral worth the repayment plus
 * `liquidatorFeeBps` of the rest, the remainder to `feeRecipient`; it refuses a collateral whose feed it is not; the
 * parameters are read on chain and change with the owner's setters. The fork suite checks the same against Base.
 */
import hre from "hardhat";
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { MintableERC20 } from "../../typechain-types";
import { LIQUIDATOR_FEE_BPS, TEST_ROUND_DELAY, oevFixture, type OevFixture } from "./contracts/helpers/oev";

const MAX_BPS = 10_000n;

describe("MoonwellOevWrapperDouble: Moonwell's documented OEV wrapper behaviour", function () {
  async function liquidator(f: OevFixture, amount: bigint) {
    const signer = (await hre.ethers.getSigners())[9];
    await (
      await (f.sandbox.tokens.USDC as MintableERC20).connect(f.sandbox.deployer)["mint(address,uint256)"](signer.address, amount)
    ).wait();
    await (await f.sandbox.tokens.USDC.connect(signer).approve(f.wrapper, amount)).wait();
    return signer;
  }

  it("answers the previous round while the newest is younger than maxRoundDelay, then the newest", async function () {
    const f = await loadFixture(oevFixture);
    const feed = f.sandbox.priceFeeds.WETH;
    const newest = await feed.latestRoundData();
    const previous = await feed.getRoundData(newest.roundId - 1n);
    const shown = await f.wrapper.latestRoundData();
    expect(shown.roundId).to.equal(previous.roundId);
    expect(shown.answer).to.equal(previous.answer);
    expect(shown.answer).to.not.equal(newest.answer);

    await time.increaseTo(newest.updatedAt + TEST_ROUND_DELAY);
    const later = await f.wrapper.latestRoundData();
    expect(later.roundId).to.equal(newest.roundId);
    expect(later.answer).to.equal(newest.answer);
  });

  it("the comptroller prices through it: the borrower is healthy at the shown round, liquidatable at the hidden one", async function () {
    const f = await loadFixture(oevFixture);
    const [, , shortfallShown] = await f.comptroller.getAccountLiquidity(f.oevBorrower.address);
    expect(shortfallShown).to.equal(0n);
    const newest = await f.sandbox.priceFeeds.WETH.latestRoundData();
    await time.increaseTo(newest.updatedAt + TEST_ROUND_DELAY);
    const [, , shortfallAfterDelay] = await f.comptroller.getAccountLiquidity(f.oevBorrower.address);
    expect(shortfallAfterDelay).to.be.greaterThan(0n);
  });

  it("updatePriceEarlyAndLiquidate unlocks the round for every reader and splits the seizure by liquidatorFeeBps", async function () {
    const f = await loadFixture(oevFixture);
    const repayAmount = f.oevDebt / 2n;
    const caller = await liquidator(f, repayAmount);
    const weth = f.sandbox.tokens.WETH;
    const newest = await f.sandbox.priceFeeds.WETH.latestRoundData();
    const recipientBefore = await weth.balanceOf(f.feeRecipient);

    const receipt = await (
      await f.wrapper.connect(caller).updatePriceEarlyAndLiquidate(f.oevBorrower.address, repayAmount, f.mWETH, f.mUSDC)
    ).wait();
    const event = receipt!.logs.map((log) => f.wrapper.interface.parseLog(log)).find((e) => e?.name === "PriceUpdatedEarlyAndLiquidated")!;
    const { liquidatorFee, protocolFee } = event.args;

    expect(await f.wrapper.cachedRoundId()).to.equal(newest.roundId);
    expect((await f.wrapper.latestRoundData()).answer).to.equal(newest.answer);
    expect(await weth.balanceOf(caller.address)).to.equal(liquidatorFee);
    expect((await weth.balanceOf(f.feeRecipient)) - recipientBefore).to.equal(protocolFee);
    expect(await f.sandbox.tokens.USDC.balanceOf(caller.address)).to.equal(0n);
    expect(await f.mUSDC.borrowBalanceStored(f.oevBorrower.address)).to.equal(f.oevDebt - repayAmount);

    // The documented split, in USD at the unlocked answer: repayment value + liquidatorFeeBps of the rest.
    const received = liquidatorFee + protocolFee;
    const collateralPrice = newest.answer * 10n ** 10n; // 8-decimal feed, 18-decimal token
    const loanPrice = await f.oracle.getUnderlyingPrice(f.mUSDC);
    const repayValue = repayAmount * loanPrice;
    const expected = (repayValue + ((received * collateralPrice - repayValue) * LIQUIDATOR_FEE_BPS) / MAX_BPS) / collateralPrice;
    expect(liquidatorFee).to.equal(expected);
    // 40% of the bonus to the liquidator leaves Moonwell most of it.
    expect(protocolFee).to.be.greaterThan(0n);
    expect(liquidatorFee * collateralPrice).to.be.greaterThan(repayValue);
  });

  it("reads its parameters on chain: a changed liquidatorFeeBps changes the split", async function () {
    const f = await loadFixture(oevFixture);
    await (await f.wrapper.setLiquidatorFeeBps(MAX_BPS)).wait();
    expect(await f.wrapper.liquidatorFeeBps()).to.equal(MAX_BPS);
    const repayAmount = f.oevDebt / 2n;
    const caller = await liquidator(f, repayAmount);
    const receipt = await (
      await f.wrapper.connect(caller).updatePriceEarlyAndLiquidate(f.oevBorrower.address, repayAmount, f.mWETH, f.mUSDC)
    ).wait();
    const event = receipt!.logs.map((log) => f.wrapper.interface.parseLog(log)).find((e) => e?.name === "PriceUpdatedEarlyAndLiquidated")!;
    // Everything but rounding goes to the liquidator at 100%.
    expect(event.args.protocolFee).to.be.lessThanOrEqual(1n);
    await expect(f.wrapper.setLiquidatorFeeBps(MAX_BPS + 1n)).to.be.revertedWith(
      "ChainlinkOEVWrapper: liquidator fee cannot be greater than MAX_BPS",
    );
    await expect(f.wrapper.setMaxRoundDelay(0)).to.be.revertedWith("ChainlinkOEVWrapper: max round delay cannot be zero");
  });

  it("refuses a collateral whose oracle feed is another contract, and a zero repayment", async function () {
    const f = await loadFixture(oevFixture);
    const repayAmount = f.oevDebt / 2n;
    const caller = await liquidator(f, repayAmount);
    // USDC's feed is the plain Chainlink feed, not this wrapper.
    await expect(
      f.wrapper.connect(caller).updatePriceEarlyAndLiquidate(f.oevBorrower.address, repayAmount, f.mUSDC, f.mUSDC),
    ).to.be.revertedWith("ChainlinkOEVWrapper: chainlink oracle feed does not match");
    await expect(f.wrapper.connect(caller).updatePriceEarlyAndLiquidate(f.oevBorrower.address, 0, f.mWETH, f.mUSDC)).to.be.revertedWith(
      "ChainlinkOEVWrapper: repay amount cannot be zero",
    );
  });
});
