/**
 * The sandbox's borrowers: openAaveBorrowers and openMorphoBorrowers open positions at the health factors asked for,
 * reproducibly per seed, and refuse what they cannot open by name. Health factors are read back from the genuine
 * protocols (Aave's getUserAccountData; Morpho's position, market and oracle), never from the opener's own arithmetic.
 */
/// <reference types="chai-as-promised" />
import hre from "hardhat";
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { IOracle__factory } from "../../typechain-types";
import { morphoMarketId, openAaveBorrowers, openMorphoBorrowers, type Sandbox } from "../../sandbox";
import { sandboxFixture } from "../shared/sandbox-fixture";

const WAD = 10n ** 18n;
/**
 * Health factors drift from the opened target only by rounding (~1e-9) and by interest accrued over the few
 * seconds of chain time the test itself takes (~1e-8): one part per million is far above both and far below any
 * sizing mistake.
 */
const HF_TOLERANCE = 1e-6;

function relativeDifference(actual: number, expected: number): number {
  return Math.abs(actual - expected) / expected;
}

async function morphoHealthFactor(sandbox: Sandbox, marketIndex: number, borrower: string): Promise<number> {
  const params = sandbox.morpho.markets[marketIndex];
  const id = morphoMarketId(params);
  const [position, market, price] = await Promise.all([
    sandbox.morpho.morpho.position(id, borrower),
    sandbox.morpho.morpho.market(id),
    IOracle__factory.connect(params.oracle, hre.ethers.provider).price(),
  ]);
  // Morpho rounds borrowed assets up from shares (with its virtual shares/assets), and max borrow down.
  const borrowed =
    (position.borrowShares * (market.totalBorrowAssets + 1n) + market.totalBorrowShares + 1_000_000n - 1n) /
    (market.totalBorrowShares + 1_000_000n);
  const maxBorrow = (((position.collateral * price) / 10n ** 36n) * params.lltv) / WAD;
  return Number((maxBorrow * 10n ** 12n) / borrowed) / 1e12;
}

describe("sandbox borrowers", function () {
  describe("#openAaveBorrowers", function () {
    it("opens positions whose on-chain health factors are the requested ones, across several transactions", async function () {
      const sandbox = await loadFixture(sandboxFixture);
      const healthFactor = { min: 1.005, max: 1.25 };
      // 130 borrowers need at least two transactions; below 1.03125 (= 82.5% / 80%) positions go through the
      // over-supply-borrow-withdraw path, above it through a plain supply and borrow.
      const opened = await openAaveBorrowers(hre, sandbox, {
        count: 130,
        seed: 3,
        collateral: "WETH",
        debt: "USDC",
        healthFactor,
        debtUsd: { min: 500, max: 80_000 },
      });
      expect(new Set(opened.map((b) => b.address)).size).to.equal(130);
      expect(opened.some((b) => b.targetHealthFactor < 1.03125)).to.equal(true);
      expect(opened.some((b) => b.targetHealthFactor > 1.03125)).to.equal(true);
      for (const borrower of opened) {
        const account = await sandbox.aave.pool.getUserAccountData(borrower.address);
        const hf = Number((account.healthFactor * 10n ** 9n) / WAD) / 1e9;
        expect(hf, borrower.address).to.be.within(healthFactor.min * (1 - HF_TOLERANCE), healthFactor.max * (1 + HF_TOLERANCE));
        expect(relativeDifference(hf, borrower.targetHealthFactor), borrower.address).to.be.lessThan(HF_TOLERANCE);
      }
      // Automine puts each transaction in its own block: count borrows per block to see the batching.
      const borrowsPerBlock = new Map<number, number>();
      for (const event of await sandbox.aave.pool.queryFilter(sandbox.aave.pool.filters.Borrow())) {
        borrowsPerBlock.set(event.blockNumber, (borrowsPerBlock.get(event.blockNumber) ?? 0) + 1);
      }
      expect(borrowsPerBlock.size).to.be.greaterThan(1);
      expect(Math.max(...borrowsPerBlock.values())).to.be.at.least(50);
    });

    it("opens the same borrowers with the same amounts for the same seed, and different ones for another", async function () {
      const spec = {
        count: 5,
        seed: 42,
        collateral: "cbBTC",
        debt: "USDC",
        healthFactor: { min: 1.1, max: 1.5 },
        debtUsd: { min: 1_000, max: 10_000 },
      };
      const first = await openAaveBorrowers(hre, await loadFixture(sandboxFixture), spec);
      const again = await openAaveBorrowers(hre, await loadFixture(sandboxFixture), spec);
      const other = await openAaveBorrowers(hre, await loadFixture(sandboxFixture), { ...spec, seed: 43 });
      expect(again).to.deep.equal(first);
      expect(other.map((b) => b.address)).to.not.include.members(first.map((b) => b.address));
      expect(other.map((b) => b.debtAmount)).to.not.deep.equal(first.map((b) => b.debtAmount));
    });

    it("refuses to reopen a seed in the same sandbox, health factors below 1, and unknown or unborrowable tokens", async function () {
      const sandbox = await loadFixture(sandboxFixture);
      const spec = {
        count: 2,
        seed: 5,
        collateral: "WETH",
        debt: "USDC",
        healthFactor: { min: 1.2, max: 1.3 },
        debtUsd: { min: 1_000, max: 2_000 },
      };
      await openAaveBorrowers(hre, sandbox, spec);
      await expect(openAaveBorrowers(hre, sandbox, spec)).to.be.rejectedWith(/already opened with this seed/);
      await expect(openAaveBorrowers(hre, sandbox, { ...spec, seed: 6, healthFactor: { min: 0.9, max: 1.1 } })).to.be.rejectedWith(
        /healthFactor must satisfy 1 <= min <= max/,
      );
      await expect(openAaveBorrowers(hre, sandbox, { ...spec, seed: 6, debt: "DAI" })).to.be.rejectedWith(/unknown sandbox token "DAI"/);
      await expect(openAaveBorrowers(hre, sandbox, { ...spec, seed: 6, debt: "cbETH" })).to.be.rejectedWith(/not borrowable/);
    });
  });

  describe("#openMorphoBorrowers", function () {
    it("opens positions at the requested health factors", async function () {
      const sandbox = await loadFixture(sandboxFixture);
      const healthFactor = { min: 1.01, max: 1.2 };
      const opened = await openMorphoBorrowers(hre, sandbox, {
        market: 1,
        count: 40,
        seed: 8,
        healthFactor,
        debtUsd: { min: 500, max: 100_000 },
      });
      for (const borrower of opened) {
        const hf = await morphoHealthFactor(sandbox, 1, borrower.address);
        expect(hf, borrower.address).to.be.within(healthFactor.min * (1 - HF_TOLERANCE), healthFactor.max * (1 + HF_TOLERANCE));
        expect(relativeDifference(hf, borrower.targetHealthFactor), borrower.address).to.be.lessThan(HF_TOLERANCE);
      }
    });

    it("names the valid market indexes when given a wrong one", async function () {
      const sandbox = await loadFixture(sandboxFixture);
      await expect(
        openMorphoBorrowers(hre, sandbox, {
          market: 7,
          count: 1,
          seed: 1,
          healthFactor: { min: 1.1, max: 1.2 },
          debtUsd: { min: 1, max: 2 },
        }),
      ).to.be.rejectedWith(/index 0\.\.1 of sandbox\.morpho\.markets, got 7/);
    });
  });
});
