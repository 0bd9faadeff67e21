/**
 * The Aave V3 plug-in's in-memory account data must EQUAL the pool's getUserAccountData for every
 * borrower, on both genuine markets the sandbox can stand up: Aave v3.6 (POOL_REVISION 10, compiled
 * from @aave-dao/aave-v3-origin 3.6.0, as Base runs it) and v3.0.2 (@aave/core-v3): after a full read,
 * after reading straight from the calibrated storage slots, after price moves applied in memory from
 * feed updates (no RPC), and after time passes (interest accrued in memory from the last indexes).
 * Borrowers cover every sandbox collateral/debt pair, multi-reserve positions and e-mode: v3.0's
 * per-asset categories with and without an e-mode price source; v3.6's bitmaps, including an asset
 * whose LTV is zero inside its category (v3.6's ltvzero bitmap).
 */
import { expect } from "chai";
import hre from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { sandboxFixtureFor } from "../../../shared/sandbox-fixture";
import { openAaveBorrowers } from "../../../../sandbox/borrowers";
import { SANDBOX_AAVE_VERSIONS, type Sandbox, type SandboxAaveVersion } from "../../../../sandbox";
import type { Address } from "../../../../keeper/config/address-book";
import { WAD } from "../../../../keeper/core/fixed-point";
import { AaveV3Market } from "../../../../keeper/markets/aave-v3/aave-v3-market";
import { createMarketDependencies } from "../../../../keeper/markets/factory";
import type { MarketDependencies } from "../../../../keeper/markets/market-dependencies";
import { OracleUpdateCollector } from "../../../../keeper/collectors/oracle-update-collector";
import { trackAllAtHead } from "./helpers/start-at-head";

/** The sandbox's own "ETH correlated" category (WETH + cbETH collateral, WETH borrowable). */
const E_MODE_PLAIN = 1;
/** v3.0: cbETH priced as WETH. v3.6: the same assets, cbETH's LTV zero inside the category. */
const E_MODE_SECOND = 2;

interface AaveWorld {
  sandbox: Sandbox;
  borrowers: Address[];
  eModeBorrowers: Address[];
}

/** Mints or wraps `amount` of `symbol` to `who` and approves the pool. */
async function fund(sandbox: Sandbox, who: HardhatEthersSigner, symbol: string, amount: bigint): Promise<void> {
  const pool = await sandbox.aave.pool.getAddress();
  if (symbol === "WETH") {
    await (await sandbox.tokens.WETH.connect(who).deposit({ value: amount })).wait();
    await (await sandbox.tokens.WETH.connect(who).approve(pool, amount)).wait();
    return;
  }
  const token = sandbox.tokens[symbol] as Sandbox["tokens"]["USDC"];
  await (await token.connect(who)["mint(uint256)"](amount)).wait();
  await (await token.connect(who).approve(pool, amount)).wait();
}

async function supply(sandbox: Sandbox, who: HardhatEthersSigner, symbol: string, amount: bigint): Promise<void> {
  await fund(sandbox, who, symbol, amount);
  const asset = await sandbox.tokens[symbol].getAddress();
  await (await sandbox.aave.pool.connect(who).supply(asset, amount, who.address, 0)).wait();
}

async function borrow(sandbox: Sandbox, who: HardhatEthersSigner, symbol: string, amount: bigint): Promise<void> {
  const asset = await sandbox.tokens[symbol].getAddress();
  await (await sandbox.aave.pool.connect(who).borrow(asset, amount, 2, 0, who.address)).wait();
}

/** The sandbox (with `version`'s Aave) plus ~70 borrowers of every shape the plug-in must get right. */
async function aaveWorld(version: SandboxAaveVersion): Promise<AaveWorld> {
  const sandbox = await loadFixture(sandboxFixtureFor(version));
  const pairs: [string, string, number][] = [
    ["WETH", "USDC", 11],
    ["cbBTC", "USDC", 12],
    ["USDC", "WETH", 13],
    ["cbETH", "USDC", 14],
    ["cbBTC", "WETH", 15],
  ];
  const borrowers: Address[] = [];
  for (const [collateral, debt, seed] of pairs) {
    const opened = await openAaveBorrowers(hre, sandbox, {
      count: 12,
      seed,
      collateral,
      debt,
      healthFactor: { min: 1.02, max: 1.6 },
      debtUsd: { min: 50, max: 250_000 },
    });
    borrowers.push(...opened.map((b) => b.address.toLowerCase() as Address));
  }

  // Multi-reserve borrowers: several collaterals (one of them NOT enabled as collateral) and two debts.
  const signers = await hre.ethers.getSigners();
  const multi = signers.slice(5, 8);
  for (const [i, who] of multi.entries()) {
    await supply(sandbox, who, "WETH", 10n ** 18n * BigInt(3 + i));
    await supply(sandbox, who, "cbBTC", 10n ** 7n * BigInt(2 + i));
    await supply(sandbox, who, "cbETH", 10n ** 18n * BigInt(1 + i));
    await supply(sandbox, who, "USDC", 10n ** 6n * 5_000n);
    if (i === 1) {
      const usdc = await sandbox.tokens.USDC.getAddress();
      await (await sandbox.aave.pool.connect(who).setUserUseReserveAsCollateral(usdc, false)).wait();
    }
    await borrow(sandbox, who, "USDC", 10n ** 6n * BigInt(6_000 + 1_000 * i));
    await borrow(sandbox, who, "WETH", 10n ** 17n * BigInt(5 + i));
    borrowers.push(who.address.toLowerCase() as Address);
  }

  const eModeBorrowers = await openEModeBorrowers(sandbox, signers);
  borrowers.push(...eModeBorrowers);

  // Let interest accrue so indexes, rates and timestamps are all non-trivial.
  await time.increase(7 * 24 * 3600);
  await hre.network.provider.send("evm_mine");
  return { sandbox, borrowers, eModeBorrowers };
}

/** loadFixture needs one stable function per world. */
const WORLD_FIXTURES: Record<SandboxAaveVersion, () => Promise<AaveWorld>> = {
  "v3.6": () => aaveWorld("v3.6"),
  "v3.0.2": () => aaveWorld("v3.0.2"),
};

/**
 * Borrowers in e-mode. Both versions: two in the sandbox's category 1, with USDC supplied outside it (priced and
 * weighted normally). A second category then gets one more borrower: on v3.0 it prices cbETH as WETH (a price
 * source); on v3.6 cbETH's LTV is zero inside it (ltvzero bitmap: counted for the threshold, not for borrowing).
 */
async function openEModeBorrowers(sandbox: Sandbox, signers: HardhatEthersSigner[]): Promise<Address[]> {
  const weth = await sandbox.tokens.WETH.getAddress();
  const cbeth = await sandbox.tokens.cbETH.getAddress();
  const { aave } = sandbox;
  if (aave.version === "v3.0.2") {
    // The sandbox already assigns WETH and cbETH to category 1 (no price source).
    await (await aave.configurator.setEModeCategory(E_MODE_PLAIN, 9_000, 9_300, 10_100, hre.ethers.ZeroAddress, "ETH correlated")).wait();
  }
  const eModeBorrowers: Address[] = [];
  for (const [i, who] of signers.slice(8, 10).entries()) {
    await supply(sandbox, who, "cbETH", 10n ** 18n * BigInt(4 + i));
    await supply(sandbox, who, "USDC", 10n ** 6n * 1_000n); // outside the category: priced and weighted normally
    await (await sandbox.aave.pool.connect(who).setUserEMode(E_MODE_PLAIN)).wait();
    await borrow(sandbox, who, "WETH", 10n ** 18n * BigInt(3 + i));
    eModeBorrowers.push(who.address.toLowerCase() as Address);
  }
  const second = signers[10];
  await supply(sandbox, second, "cbETH", 10n ** 18n * 5n);
  if (aave.version === "v3.0.2") {
    // Category 2 with a price source: switch the assets over, then one more borrower uses it.
    await (await aave.configurator.setEModeCategory(E_MODE_SECOND, 9_000, 9_400, 10_100, weth, "ETH priced as WETH")).wait();
    await (await aave.configurator.setAssetEModeCategory(weth, E_MODE_SECOND)).wait();
    await (await aave.configurator.setAssetEModeCategory(cbeth, E_MODE_SECOND)).wait();
    await (await sandbox.aave.pool.connect(second).setUserEMode(E_MODE_SECOND)).wait();
    await borrow(sandbox, second, "WETH", 10n ** 18n * 4n);
  } else {
    // Category 2 holds WETH and cbETH as collateral at a 94% threshold, WETH borrowable; the borrower supplies WETH
    // too and borrows against both, then cbETH's LTV inside the category goes to zero.
    await (await aave.configurator.setEModeCategory(E_MODE_SECOND, 9_000, 9_400, 10_100, "ETH, cbETH LTV zero")).wait();
    for (const asset of [weth, cbeth]) await (await aave.configurator.setAssetCollateralInEMode(asset, E_MODE_SECOND, true)).wait();
    await (await aave.configurator.setAssetBorrowableInEMode(weth, E_MODE_SECOND, true)).wait();
    await supply(sandbox, second, "WETH", 10n ** 18n * 2n);
    await (await sandbox.aave.pool.connect(second).setUserEMode(E_MODE_SECOND)).wait();
    await borrow(sandbox, second, "WETH", 10n ** 18n * 4n);
    await (await aave.configurator.setAssetLtvzeroInEMode(cbeth, E_MODE_SECOND, true)).wait();
  }
  eModeBorrowers.push(second.address.toLowerCase() as Address);
  return eModeBorrowers;
}

async function newMarket(sandbox: Sandbox): Promise<{ market: AaveV3Market; deps: MarketDependencies }> {
  const deps = createMarketDependencies(hre.ethers.provider, sandbox.book, { batchSize: 200 });
  const market = new AaveV3Market(sandbox.book.aaveV3!, deps);
  await market.init();
  return { market, deps };
}

/** Every field of getUserAccountData, for every borrower, at `blockTag`, equals the in-memory value. */
async function expectAccountDataMatches(
  market: AaveV3Market,
  sandbox: Sandbox,
  borrowers: readonly Address[],
  blockTag: number,
): Promise<void> {
  for (const borrower of borrowers) {
    const mine = market.accountData(borrower);
    expect(mine, `borrower ${borrower} tracked`).to.not.equal(undefined);
    const pool = await sandbox.aave.pool.getUserAccountData(borrower, { blockTag });
    expect(
      [
        mine!.totalCollateralBase,
        mine!.totalDebtBase,
        mine!.availableBorrowsBase,
        mine!.currentLiquidationThreshold,
        mine!.ltv,
        mine!.healthFactor,
      ],
      `account data of ${borrower} at block ${blockTag}`,
    ).to.deep.equal([
      pool.totalCollateralBase,
      pool.totalDebtBase,
      pool.availableBorrowsBase,
      pool.currentLiquidationThreshold,
      pool.ltv,
      pool.healthFactor,
    ]);
  }
}

async function latestBlock(): Promise<{ number: number; timestamp: number }> {
  const block = await hre.ethers.provider.getBlock("latest");
  return { number: block!.number, timestamp: block!.timestamp };
}

const EXPECTED = {
  "v3.6": { revision: 10, profile: "v3.6", rules: "v3.5" },
  "v3.0.2": { revision: 1, profile: "v3.0", rules: "v3.0" },
} as const;

for (const version of SANDBOX_AAVE_VERSIONS) {
  const aaveWorldFixture = WORLD_FIXTURES[version];
  describe(`keeper/markets AaveV3Market on Aave ${version}: in-memory health factors equal the pool's`, function () {
    it("matches getUserAccountData exactly for every discovered borrower after a full read", async function () {
      const { sandbox, borrowers } = await loadFixture(aaveWorldFixture);
      const { market } = await newMarket(sandbox);
      expect(market.describe()).to.include({ revision: EXPECTED[version].revision, profile: EXPECTED[version].profile });
      const head = await hre.ethers.provider.getBlockNumber();
      const discovered = await market.discoverBorrowers(0, head);
      expect(new Set(discovered.borrowers)).to.deep.equal(new Set(borrowers));

      const refresh = await market.refreshPositions(undefined, head);
      expect(refresh.tracked).to.equal(borrowers.length);
      await expectAccountDataMatches(market, sandbox, borrowers, head);
    });

    it("sizes by the rules of the pool's POOL_REVISION: an address book declaring the other rule set only earns a warning", async function () {
      const { sandbox } = await loadFixture(aaveWorldFixture);
      const warnings: string[] = [];
      const logger = {
        debug: () => undefined,
        info: () => undefined,
        warn: (_details: object, message?: string) => warnings.push(message ?? ""),
      };
      const deps = createMarketDependencies(hre.ethers.provider, sandbox.book, { batchSize: 200, logger });
      const book = sandbox.book.aaveV3!;
      const declaredAsBuilt = new AaveV3Market(book, deps);
      await declaredAsBuilt.init();
      expect([declaredAsBuilt.describe().rules, warnings]).to.deep.equal([EXPECTED[version].rules, []]);

      const misdeclared = new AaveV3Market({ ...book, liquidationRules: book.liquidationRules === "v3.3" ? "v3.0" : "v3.3" }, deps);
      await misdeclared.init();
      expect(misdeclared.describe().rules).to.equal(EXPECTED[version].rules);
      expect(warnings).to.deep.equal(["address book liquidationRules disagree with the pool's revision; sizing follows the revision"]);
    });

    it("after calibrating, rescans from storage slots in a few eth_calls and gets identical numbers", async function () {
      const { sandbox, borrowers } = await loadFixture(aaveWorldFixture);
      const { market } = await newMarket(sandbox);
      const head = await hre.ethers.provider.getBlockNumber();
      await market.discoverBorrowers(0, head);
      expect(market.readMode).to.equal("multicall");
      const first = await market.refreshPositions(undefined, head);
      expect(market.readMode, "the first (getter) read calibrates the slot layout").to.equal("storage");

      await time.increase(3600);
      await hre.network.provider.send("evm_mine");
      const later = await hre.ethers.provider.getBlockNumber();
      const second = await market.refreshPositions(undefined, later);
      expect(market.readMode, "the spot checks against the getters passed").to.equal("storage");
      expect(second.tracked).to.equal(first.tracked);
      expect(second.rpcCalls).to.be.lessThan(first.rpcCalls);
      await expectAccountDataMatches(market, sandbox, borrowers, later);

      // With storage reads off, the same market reads through getters only.
      const deps = createMarketDependencies(hre.ethers.provider, sandbox.book, { batchSize: 200 });
      const gettersOnly = new AaveV3Market(sandbox.book.aaveV3!, deps, { storageReads: false });
      await gettersOnly.init();
      await gettersOnly.discoverBorrowers(0, later);
      await gettersOnly.refreshPositions(undefined, later);
      await gettersOnly.refreshPositions(undefined, later);
      expect(gettersOnly.readMode).to.equal("multicall");
      for (const borrower of borrowers) expect(gettersOnly.accountData(borrower)).to.deep.equal(market.accountData(borrower));
    });

    it("uses e-mode thresholds (and v3.0's price source, v3.6's LTV-zero bitmap) exactly as the pool does", async function () {
      const { sandbox, eModeBorrowers } = await loadFixture(aaveWorldFixture);
      const { market } = await newMarket(sandbox);
      const head = await hre.ethers.provider.getBlockNumber();
      await market.refreshPositions(eModeBorrowers, head);
      await expectAccountDataMatches(market, sandbox, eModeBorrowers, head);
      // The second category's borrower has its cbETH counted at that category's 94% threshold.
      const second = eModeBorrowers[eModeBorrowers.length - 1];
      const cbeth = (await sandbox.tokens.cbETH.getAddress()).toLowerCase();
      const cbethCollateral = market.position(second)!.collaterals.find((c) => c.token === cbeth);
      expect(cbethCollateral?.liquidationThresholdBps, "cbETH counted at the category's 94% threshold").to.equal(9_400);
      if (version === "v3.6") {
        // LTV zero inside the category: nothing more can be borrowed against it, and the pool agrees.
        const pool = await sandbox.aave.pool.getUserAccountData(second, { blockTag: head });
        expect(market.accountData(second)!.ltv).to.equal(pool.ltv).and.to.be.lessThan(9_000n);
      }
    });

    it("applies feed updates in memory (no RPC) and still matches after prices move both ways", async function () {
      const { sandbox, borrowers } = await loadFixture(aaveWorldFixture);
      const { market, deps } = await newMarket(sandbox);
      let head = await trackAllAtHead(market);
      // MockV3Aggregator emits no AnswerUpdated: the sandbox's feeds are watched by polling their rounds.
      const collector = new OracleUpdateCollector(hre.ethers.provider, market.priceFeeds(), { mode: "poll", multicall: deps.multicall });

      const moves: [string, number][] = [
        ["WETH", 0.83],
        ["cbBTC", 0.9],
        ["USDC", 1.04],
        ["cbETH", 0.7],
        ["WETH", 1.3],
      ];
      for (const [symbol, factor] of moves) {
        const feed = sandbox.priceFeeds[symbol];
        const current = await feed.latestAnswer();
        const next = (current * BigInt(Math.round(factor * 1000))) / 1000n;
        await (await feed.updateAnswer(next)).wait();
        const block = await latestBlock();
        const answers = await collector.collect({ fromBlock: head + 1, toBlock: block.number });
        expect(answers.map((a) => a.answer)).to.deep.equal([next]);
        head = block.number;

        const rpcBefore = deps.multicall.stats.rpcCalls;
        market.evaluateAt(block);
        const reaction = market.onPriceUpdate(answers[0]);
        expect(deps.multicall.stats.rpcCalls, "a price update costs no RPC").to.equal(rpcBefore);
        expect(reaction.needsChainRead).to.equal(false);
        await expectAccountDataMatches(market, sandbox, borrowers, block.number);
      }
    });

    it("accrues interest in memory: after 90 days, evaluateAt matches the pool without re-reading", async function () {
      const { sandbox, borrowers } = await loadFixture(aaveWorldFixture);
      const { market, deps } = await newMarket(sandbox);
      await trackAllAtHead(market);
      const debtBefore = market.accountData(borrowers[0])!.totalDebtBase;

      await time.increase(90 * 24 * 3600);
      await hre.network.provider.send("evm_mine");
      const block = await latestBlock();
      const rpcBefore = deps.multicall.stats.rpcCalls;
      market.evaluateAt(block);
      expect(deps.multicall.stats.rpcCalls).to.equal(rpcBefore);
      expect(market.accountData(borrowers[0])!.totalDebtBase).to.be.greaterThan(debtBefore);
      await expectAccountDataMatches(market, sandbox, borrowers, block.number);

      // onBlock re-reads indexes (one batch) and lands on the same numbers.
      await market.onBlock(block);
      expect(deps.multicall.stats.rpcCalls).to.equal(rpcBefore + 1);
      await expectAccountDataMatches(market, sandbox, borrowers, block.number);
    });

    it("recomputes only the borrowers exposed to a moved asset and reports exactly the newly liquidatable", async function () {
      const { sandbox, borrowers } = await loadFixture(aaveWorldFixture);
      const { market } = await newMarket(sandbox);
      await trackAllAtHead(market);
      const cbbtc = (await sandbox.tokens.cbBTC.getAddress()).toLowerCase();
      const exposed = market
        .positions()
        .filter((p) => p.collaterals.some((c) => c.token === cbbtc) || p.debts.some((d) => d.token === cbbtc))
        .map((p) => p.key.borrower);
      // cbBTC is also held (not as collateral) by nobody else; the multi-reserve borrowers hold it as collateral.
      expect(exposed.length).to.be.greaterThan(0).and.lessThan(borrowers.length);
      const liquidatableBefore = new Set(market.liquidatable().map((p) => p.key.borrower));
      expect(liquidatableBefore.size).to.equal(0);

      const feed = sandbox.priceFeeds.cbBTC;
      const crashed = ((await feed.latestAnswer()) * 70n) / 100n;
      await (await feed.updateAnswer(crashed)).wait();
      const block = await latestBlock();
      market.evaluateAt(block);
      const reaction = market.onPriceUpdate({ feed: (await feed.getAddress()) as Address, answer: crashed, blockNumber: block.number });
      // The crossing index narrows the holders further (aave-v3-crossing-index.test.ts); never beyond them.
      expect(reaction.recomputed).to.be.greaterThan(0).and.at.most(exposed.length);

      const expected: string[] = [];
      for (const borrower of borrowers) {
        const data = await sandbox.aave.pool.getUserAccountData(borrower, { blockTag: block.number });
        if (data.healthFactor < WAD) expected.push(borrower);
      }
      expect(expected.length, "the crash makes some cbBTC borrowers liquidatable").to.be.greaterThan(0);
      expect(reaction.newlyLiquidatable.map((p) => p.key.borrower).sort()).to.deep.equal(expected.sort());
      const liquidatableNow = () =>
        market
          .liquidatable()
          .map((p) => p.key.borrower)
          .sort();
      expect(liquidatableNow()).to.deep.equal(expected.sort());

      // A tick that fell behind reads the market at the block before the crash, after the crash's own log was applied:
      // the older read must not put the old price back (in the reaction bench it made 67 crossed positions look
      // healthy for six blocks). A read of the crash's block or later still applies.
      const late = await market.onBlock({ number: block.number - 1, timestamp: block.timestamp });
      expect(late.newlyLiquidatable).to.deep.equal([]);
      expect(liquidatableNow()).to.deep.equal(expected.sort());
      const restored = (crashed * 100n) / 70n;
      await (await feed.updateAnswer(restored)).wait();
      await market.onBlock(await latestBlock());
      expect(market.liquidatable()).to.deep.equal([]);
    });
  });
}
