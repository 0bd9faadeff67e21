/**
 * Every shared liquidation scenario (test/shared/liquidation-scenarios/) on the sandbox, offline: the same code the
 * Base fork suites run (test/fork/), here against genuine Aave V3 (v3.6, as Base runs it), Morpho Blue, Uniswap V3 and
 * Balancer V2 bytecode. Aerodrome and Moonwell have no bytecode on npm, so their scenarios run against the TEST
 * DOUBLES of contracts/test/ (AerodromeRouterDouble, CompoundV2 doubles) wired in sandbox-environment.ts; the fork
 * runs them against the real Aerodrome router and Moonwell markets.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import hre from "hardhat";
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { Address } from "../../keeper/config/address-book";
import { BASE_ADDRESS_BOOK } from "../../keeper/config/networks";
import { WAD } from "../../keeper/core/fixed-point";
import { morphoMarketId } from "../../sandbox/morpho-blue";
import {
  FLASH_SOURCES,
  UNISWAP_V3_FEE_ROUTES,
  balanceOf,
  bestRoute,
  freshAccount,
  describeRoute,
  liquidateAaveWithKeeperSizing,
  liquidateCompoundPosition,
  liquidateMorphoPosition,
  makeAaveLiquidatable,
  makeCompoundLiquidatable,
  makeMorphoLiquidatable,
  openAavePosition,
  openCompoundPosition,
  openMorphoPosition,
  runAaveLiquidationScenario,
  variableDebtOf,
  type SwapRouteSpec,
} from "../shared/liquidation-scenarios";
import {
  discoverAaveWithKeeper,
  expectEverySizingDecided,
  expectKeeperAgreesWithPool,
  pickAaveBorrower,
  pushBorrowerAndReact,
} from "../shared/liquidation-scenarios/keeper-dry-run";
import { openAaveBorrowers } from "../../sandbox";
import { sandboxScenarioFixture } from "../shared/liquidation-scenarios/sandbox-environment";
import { ensureAaveCapHeadroom } from "../fork/lib/aave-caps";
import { resolveAaveOracleAdmin } from "../fork/lib/aave-oracle-admin";
import { readBaseModuleParameters } from "../fork/lib/fork-environment";
import { forkStatus } from "../fork/lib/fork-gate";
import { discoverMorphoBorrowers } from "../fork/lib/morpho-borrowers";
import { addTokenBalance } from "../fork/lib/token-balances";

/** WETH -> USDC on every venue kind; the sandbox's Slipstream stand-in takes a Uniswap fee where Slipstream takes a tick spacing. */
const ROUTES: readonly SwapRouteSpec[] = [
  { venue: "uniswapV3", fee: 500 },
  { venue: "aerodrome", stable: false },
  { venue: "aerodromeSlipstream", tickSpacing: 500 },
];

describe("shared liquidation scenarios on the sandbox", function () {
  describe("Aave V3: fresh WETH/USDC position, oracle source pointed at a test aggregator", function () {
    for (const flash of FLASH_SOURCES) {
      for (const route of ROUTES) {
        it(`liquidates half the debt with a ${flash} flash loan, selling on ${describeRoute(route)}`, async function () {
          const { env, aave } = await loadFixture(sandboxScenarioFixture);
          const { WETH, USDC } = env.book.tokens;
          const result = await runAaveLiquidationScenario(env, aave, {
            collateral: WETH.address,
            debt: USDC.address,
            debtUsd: 20_000,
            targetHealthFactor: 0.97,
            flash,
            route,
          });
          expect(Number(result.override.healthFactor) / 1e18).to.be.closeTo(0.97, 0.002);
          expect(result.override.price, "the test aggregator lowered the WETH price").to.be.lessThan(result.override.originalPrice);
        });
      }
    }

    it("liquidates cbBTC collateral (8 decimals) on Uniswap V3", async function () {
      const { env, aave } = await loadFixture(sandboxScenarioFixture);
      const { cbBTC, USDC } = env.book.tokens;
      await runAaveLiquidationScenario(env, aave, {
        collateral: cbBTC.address,
        debt: USDC.address,
        debtUsd: 50_000,
        targetHealthFactor: 0.98,
        flash: "BalancerV2",
        route: { venue: "uniswapV3", fee: 500 },
      });
    });
  });

  describe("Aave V3: the keeper's market plug-in sizes the liquidation, the pool must agree to the wei", function () {
    it("below HF 0.95 the pool lets the whole debt go: repaid and seized equal the keeper's prediction", async function () {
      const { env, aave, sandbox } = await loadFixture(sandboxScenarioFixture);
      const { WETH, USDC } = env.book.tokens;
      const position = await openAavePosition(env, aave, { collateral: WETH.address, debt: USDC.address, debtUsd: 30_000 });
      const borrower = position.borrower.address as Address;
      await makeAaveLiquidatable(env, aave, borrower, WETH.address, 0.92);

      const { candidate } = await liquidateAaveWithKeeperSizing(
        env,
        aave,
        { borrower, collateral: WETH.address, debt: USDC.address },
        { flash: "MorphoBlue", route: { venue: "uniswapV3", fee: 500 } },
      );
      expect(candidate.sizingRule).to.match(
        sandbox.aave.version === "v3.6" ? /^aave-v3\.3-close-factor-100%/ : /^aave-v3\.0-close-factor-100%/,
      );
      expect(await variableDebtOf(aave, USDC.address, borrower), "no USDC debt left").to.equal(0n);
    });

    it("above HF 0.95 the pool caps the liquidation at half the debt, as the keeper predicts", async function () {
      const { env, aave } = await loadFixture(sandboxScenarioFixture);
      const { WETH, USDC } = env.book.tokens;
      const position = await openAavePosition(env, aave, { collateral: WETH.address, debt: USDC.address, debtUsd: 30_000 });
      const borrower = position.borrower.address as Address;
      await makeAaveLiquidatable(env, aave, borrower, WETH.address, 0.97);
      const debtBefore = await variableDebtOf(aave, USDC.address, borrower);

      const { candidate } = await liquidateAaveWithKeeperSizing(
        env,
        aave,
        { borrower, collateral: WETH.address, debt: USDC.address },
        { flash: "AaveV3", route: { venue: "aerodrome", stable: false } },
      );
      expect(candidate.sizingRule).to.match(/50%/);
      expect(Number(candidate.debtToCover) / Number(debtBefore)).to.be.closeTo(0.5, 1e-6);
    });
  });

  describe("Morpho Blue: WETH/USDC 86% market, oracle replaced in place by a settable one", function () {
    it("liquidates through the onMorphoLiquidate callback alone (no flash loan), seizing half the collateral", async function () {
      const { env, morpho } = await loadFixture(sandboxScenarioFixture);
      const position = await openMorphoPosition(env, morpho, { loanAmount: 20_000n * 10n ** 6n });
      const borrower = position.borrower.address as Address;
      const health = await makeMorphoLiquidatable(morpho, borrower, 0.95);
      expect(health.healthFactor).to.be.lessThan(WAD);

      await liquidateMorphoPosition(env, morpho, borrower, {
        flash: "None",
        route: { venue: "uniswapV3", fee: 500 },
        seizedAssets: health.collateral / 2n,
      });
    });

    it("liquidates a third of the borrow shares under a Balancer flash loan, selling on Aerodrome", async function () {
      const { env, morpho } = await loadFixture(sandboxScenarioFixture);
      const position = await openMorphoPosition(env, morpho, { loanAmount: 20_000n * 10n ** 6n, account: { label: "morpho shares" } });
      const borrower = position.borrower.address as Address;
      const health = await makeMorphoLiquidatable(morpho, borrower, 0.95);

      await liquidateMorphoPosition(env, morpho, borrower, {
        flash: "BalancerV2",
        route: { venue: "aerodrome", stable: false },
        repaidShares: health.borrowShares / 3n,
      });
    });
  });

  describe("Compound v2 (Moonwell's ABI, on the Moonwell test doubles): mWETH collateral, mUSDC debt", function () {
    for (const flash of ["BalancerV2", "MorphoBlue"] as const) {
      it(`liquidates with a ${flash} flash loan, redeems the seized mWETH and sells the WETH on Uniswap V3`, async function () {
        const { env, compound } = await loadFixture(sandboxScenarioFixture);
        const position = await openCompoundPosition(env, compound, {
          debtAmount: 20_000n * 10n ** 6n,
          account: { label: `compound ${flash}` },
        });
        const borrower = position.borrower.address as Address;
        await makeCompoundLiquidatable(compound, borrower, 0.97);

        await liquidateCompoundPosition(env, compound, borrower, { flash, route: { venue: "uniswapV3", fee: 500 } });
      });
    }
  });
});

describe("keeper (DRY) scenario on the sandbox's Aave V3: discovery, agreement with the pool, reaction to a price move", function () {
  it("discovers every opened borrower in chunks, agrees with getUserAccountData, flags and sizes what a WETH drop makes liquidatable", async function () {
    const { env, aave, sandbox } = await loadFixture(sandboxScenarioFixture);
    const opened = [
      ...(await openAaveBorrowers(hre, sandbox, {
        count: 12,
        seed: 71,
        collateral: "WETH",
        debt: "USDC",
        healthFactor: { min: 1.05, max: 1.6 },
        debtUsd: { min: 2_000, max: 60_000 },
      })),
      ...(await openAaveBorrowers(hre, sandbox, {
        count: 6,
        seed: 72,
        collateral: "cbBTC",
        debt: "USDC",
        healthFactor: { min: 1.05, max: 1.6 },
        debtUsd: { min: 2_000, max: 60_000 },
      })),
    ];
    const head = await hre.ethers.provider.getBlockNumber();
    // A 50-block request cap makes the discovery walk the range in several chunks, as it must on a real RPC.
    const found = await discoverAaveWithKeeper(env.book, { fromBlock: env.book.aaveV3!.deployBlock, toBlock: head, maxLogBlockSpan: 50 });
    expect(found.borrowers.map((b) => b.toLowerCase())).to.include.members(opened.map((b) => b.address.toLowerCase()));
    expect(await expectKeeperAgreesWithPool(aave, found.market, found.readBlock)).to.equal(found.market.positions().length);

    const { WETH, USDC } = env.book.tokens;
    const target = pickAaveBorrower(found, {
      collateral: WETH.address,
      debt: USDC.address,
      minCollateralUsd: 1_000,
      minDebtUsd: 0,
      maxDebtUsd: Number.MAX_SAFE_INTEGER,
      label: "WETH collateral and USDC debt",
    });
    const { update, readBlock } = await pushBorrowerAndReact(env, aave, found.market, target.key.borrower, WETH.address, 0.97);
    await expectKeeperAgreesWithPool(aave, found.market, readBlock);
    expect(update.newlyLiquidatable.every((p) => p.collaterals.some((c) => c.token.toLowerCase() === WETH.address.toLowerCase()))).to.equal(
      true,
    );
    const rules = sandbox.aave.version === "v3.6" ? /^aave-v3\.3-/ : /^aave-v3\.0-/;
    expect(expectEverySizingDecided(found.market, update.newlyLiquidatable, rules), "liquidations sized").to.be.greaterThan(0);
  });
});

/**
 * The fork suites' own glue (test/fork/lib/), run here wherever it does not need Base: funding by balance-slot writes,
 * finding Aave's oracle admin through the ACLManager, picking routes, discovering Morpho borrowers from events,
 * reading base.json, and the skip decision itself.
 */
describe("fork-only glue, exercised on the sandbox", function () {
  it("funds accounts by writing token balance slots (MintableERC20, 8-decimal cbBTC, WETH9), as the fork does", async function () {
    const { env } = await loadFixture(sandboxScenarioFixture);
    const holder = (await freshAccount("balance slot probe")).address as Address;
    for (const token of [env.book.tokens.USDC, env.book.tokens.cbBTC, env.book.tokens.WETH]) {
      const before = await balanceOf(token.address, holder);
      await addTokenBalance(token.address, holder, 12_345n);
      expect(await balanceOf(token.address, holder), `${token.symbol} balance`).to.equal(before + 12_345n);
    }
  });

  it("runs an Aave scenario with the fork's funding and an oracle admin found through the ACLManager", async function () {
    const { env, aave } = await loadFixture(sandboxScenarioFixture);
    const admin = await resolveAaveOracleAdmin(aave.config);
    expect(admin.how).to.match(/POOL_ADMIN or ASSET_LISTING_ADMIN/);
    const forkLike = { ...env, fund: (token: Address, to: Address, amount: bigint) => addTokenBalance(token, to, amount) };
    const { WETH, USDC } = env.book.tokens;
    await runAaveLiquidationScenario(
      forkLike,
      { config: aave.config, oracleAdmin: admin.signer },
      {
        collateral: WETH.address,
        debt: USDC.address,
        debtUsd: 20_000,
        targetHealthFactor: 0.97,
        flash: "BalancerV2",
        route: await bestRoute(env.book, UNISWAP_V3_FEE_ROUTES, WETH.address, USDC.address, 10n ** 19n),
      },
    );
  });

  it("lifts an Aave supply cap that would refuse the scenario's position, as the pool admin", async function () {
    const { env, aave, sandbox } = await loadFixture(sandboxScenarioFixture);
    const { WETH, USDC } = env.book.tokens;
    const dataProvider = sandbox.aave.dataProvider;
    const supplied = (await sandbox.aave.pool.getReserveData(WETH.address)).aTokenAddress;
    const suppliedWhole = (await balanceOf(WETH.address, supplied as Address)) / 10n ** 18n;
    await (await sandbox.aave.configurator.connect(sandbox.deployer).setSupplyCap(WETH.address, suppliedWhole + 2n)).wait();
    // SUPPLY_CAP_EXCEEDED: the custom error SupplyCapExceeded() on v3.2+, the reason string '51' on v3.0.
    await expect(openAavePosition(env, aave, { collateral: WETH.address, debt: USDC.address, debtUsd: 20_000 })).to.be.rejectedWith(
      /supplying .* WETH to Aave failed .*reverted with (custom error 'SupplyCapExceeded\(\)'|reason string '51')/s,
    );

    await ensureAaveCapHeadroom(aave.config, sandbox.deployer, [{ asset: WETH.address, symbol: "WETH", supply: 100n }]);
    expect((await dataProvider.getReserveCaps(WETH.address)).supplyCap, "cap lifted").to.equal(0n);
    await openAavePosition(env, aave, { collateral: WETH.address, debt: USDC.address, debtUsd: 20_000 });
  });

  it("bestRoute picks the pool that pays most: the deep 0.05% WETH/USDC pool over the shallow 0.3% one", async function () {
    const { env } = await loadFixture(sandboxScenarioFixture);
    const { WETH, USDC } = env.book.tokens;
    const route = await bestRoute(env.book, UNISWAP_V3_FEE_ROUTES, WETH.address, USDC.address, 100n * 10n ** 18n);
    expect(route).to.deep.equal({ venue: "uniswapV3", fee: 500 });
    await expect(bestRoute(env.book, [{ venue: "uniswapV3", fee: 100 }], WETH.address, USDC.address, 10n ** 18n)).to.be.rejectedWith(
      /no route sells/,
    );
  });

  it("discovers a market's borrowers from Morpho's Borrow events and filters them by size", async function () {
    const { env, morpho } = await loadFixture(sandboxScenarioFixture);
    const small = await openMorphoPosition(env, morpho, { loanAmount: 1_000n * 10n ** 6n, account: { label: "discovery small" } });
    const large = await openMorphoPosition(env, morpho, { loanAmount: 50_000n * 10n ** 6n, account: { label: "discovery large" } });
    const head = await hre.ethers.provider.getBlockNumber();
    const found = await discoverMorphoBorrowers(
      morpho,
      { fromBlock: head - 20, toBlock: head },
      { minLoan: 10_000n * 10n ** 6n, maxLoan: 10n ** 12n },
    );
    const addresses = found.map((b) => b.borrower.toLowerCase());
    expect(addresses).to.include(large.borrower.address.toLowerCase());
    expect(addresses).to.not.include(small.borrower.address.toLowerCase());
  });

  it("reads base.json's allowlist and markets for the fork deployment and rejects a malformed one", async function () {
    const parameters = readBaseModuleParameters();
    expect(parameters.allowlist.length).to.be.greaterThan(0);
    expect(parameters.allowlist.map((a) => a.toLowerCase())).to.include(BASE_ADDRESS_BOOK.flash.balancerVault!.toLowerCase());
    // The executor may liquidate in exactly the Morpho markets the keeper tracks on Base.
    const morpho = BASE_ADDRESS_BOOK.morphoBlue!;
    expect(parameters.markets.map((m) => [m.host.toLowerCase(), m.marketId.toLowerCase()])).to.have.deep.members(
      morpho.markets.map((params) => [morpho.morpho.toLowerCase(), morphoMarketId(params).toLowerCase()]),
    );
    const malformed = path.join(os.tmpdir(), `chimera-base-params-${process.pid}.json`);
    try {
      fs.writeFileSync(malformed, JSON.stringify({ ChimeraExecutorModule: { allowlist: ["0x1234"] } }));
      expect(() => readBaseModuleParameters(malformed)).to.throw(/ChimeraExecutorModule\.allowlist must be an array of addresses/);
      const vault = BASE_ADDRESS_BOOK.flash.balancerVault!;
      fs.writeFileSync(
        malformed,
        JSON.stringify({ ChimeraExecutorModule: { allowlist: [vault], markets: [{ host: vault, marketId: "0x12" }] } }),
      );
      expect(() => readBaseModuleParameters(malformed)).to.throw(/ChimeraExecutorModule\.markets must be an array of \{ host, marketId \}/);
    } finally {
      fs.rmSync(malformed, { force: true });
    }
  });

  it("BASE_ADDRESS_BOOK's Morpho markets hash to the market ids Morpho publishes for them", function () {
    const published: Record<string, string> = {
      "WETH/USDC 86%": "0x8793cf302b8ffd655ab97bd1c695dbd967807e8367a65cb2f4edaf1380ba1bda",
      "cbBTC/USDC 86%": "0x9103c3b4e834476c9a62ea009ba2c884ee42e94e6e314a26f04d312434191836",
    };
    const markets = BASE_ADDRESS_BOOK.morphoBlue?.markets ?? [];
    expect(markets.map((m) => m.label)).to.have.members(Object.keys(published));
    for (const market of markets) expect(morphoMarketId(market), market.label).to.equal(published[market.label]);
  });

  it("skips the fork suites offline with a reason naming BASE_RPC_URL", function () {
    const status = forkStatus();
    // Only someone forcing the whole suite onto a fork (CHIMERA_FORK=1 npm test) gets an active fork here.
    if (status.active) this.skip();
    else expect(status.reason).to.include("BASE_RPC_URL");
  });
});
