/**
 * Aave V3 on Base at the pinned block (POOL_REVISION BASE_AAVE_POOL_REVISION: v3.5; the suite skips, saying so, on any
 * other revision), liquidated through the executor deployed by the Ignition
 * module with ignition/parameters/base.json. Positions are made liquidatable by pointing the AaveOracle's source for
 * the collateral at a test aggregator, as Aave's pool or asset-listing admin (impersonated). The scenario code is the
 * same the sandbox suite runs offline (test/unit/liquidation-scenarios.test.ts); here it meets the real pools, the real
 * Aerodrome router and Aave's v3.3+ liquidation rules.
 */
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { Address } from "../../keeper/config/address-book";
import {
  bestRoute,
  liquidateAavePosition,
  liquidateAaveWithKeeperSizing,
  makeAaveLiquidatable,
  openAavePosition,
  runAaveLiquidationScenario,
  variableDebtOf,
  type FlashSourceName,
} from "../shared/liquidation-scenarios";
import { discoverAaveBorrowers, pickAaveBorrower } from "./lib/aave-borrowers";
import { skipUnlessAaveRevision } from "./lib/aave-revision-gate";
import { describeFork } from "./lib/fork-gate";
import { forkWorldFixture } from "./lib/fork-environment";
import { ROUTES_BY_VENUE, VENUE_NAMES, type VenueKind } from "./lib/routes";
import { BASE_AAVE_POOL_REVISION, BASE_FORK_BLOCK } from "./pinned-block";

const WHOLE_WETH = 10n ** 18n;
/**
 * Which real borrower to liquidate: enough WETH collateral and USDC debt that every v3.3 size stays clear of the
 * dust rule, and little enough debt (<= $100k) that flash liquidity and pool depth are never the question.
 */
const REAL_BORROWER = {
  minCollateralUsd: 10_000,
  minDebtUsd: 5_000,
  maxDebtUsd: 100_000,
  label: "WETH collateral and $5k-$100k of USDC debt",
};

describeFork(`Aave V3 on Base, forked at block ${BASE_FORK_BLOCK}, pool revision ${BASE_AAVE_POOL_REVISION}`, function () {
  before(async function () {
    const world = await loadFixture(forkWorldFixture);
    await skipUnlessAaveRevision(this, world.aave, BASE_AAVE_POOL_REVISION);
    console.log(`    Aave oracle admin: ${world.aaveAdminHow}`);
  });

  describe("a fresh $20k WETH/USDC position, oracle source moved to HF 0.97, half the debt liquidated", function () {
    const flashes: FlashSourceName[] = ["BalancerV2", "MorphoBlue", "AaveV3"];
    const venues: VenueKind[] = ["uniswapV3", "aerodrome"];
    for (const flash of flashes) {
      for (const venue of venues) {
        it(`${flash} flash loan, sold on ${VENUE_NAMES[venue]}`, async function () {
          const { env, aave } = await loadFixture(forkWorldFixture);
          const { WETH, USDC } = env.book.tokens;
          const route = await bestRoute(env.book, ROUTES_BY_VENUE[venue], WETH.address, USDC.address, 5n * WHOLE_WETH);
          const result = await runAaveLiquidationScenario(env, aave, {
            collateral: WETH.address,
            debt: USDC.address,
            debtUsd: 20_000,
            targetHealthFactor: 0.97,
            flash,
            route,
          });
          console.log(`      repaid ${result.liquidated.debtRepaid} USDC units, profit ${result.profit}, gas ${result.gasUsed}`);
        });
      }
    }

    it("a Uniswap V3 pool as flash lender (allowlisted by the owner), sold on Aerodrome Slipstream", async function () {
      const { env, aave } = await loadFixture(forkWorldFixture);
      const { WETH, USDC } = env.book.tokens;
      const route = await bestRoute(env.book, ROUTES_BY_VENUE.aerodromeSlipstream, WETH.address, USDC.address, 5n * WHOLE_WETH);
      await runAaveLiquidationScenario(env, aave, {
        collateral: WETH.address,
        debt: USDC.address,
        debtUsd: 20_000,
        targetHealthFactor: 0.97,
        flash: "UniswapV3",
        route,
      });
    });

    it("cbBTC collateral (8 decimals), Balancer flash loan, best of Uniswap V3 and Slipstream", async function () {
      const { env, aave } = await loadFixture(forkWorldFixture);
      const { cbBTC, USDC } = env.book.tokens;
      const route = await bestRoute(
        env.book,
        [...ROUTES_BY_VENUE.uniswapV3, ...ROUTES_BY_VENUE.aerodromeSlipstream],
        cbBTC.address,
        USDC.address,
        10n ** 7n,
      );
      await runAaveLiquidationScenario(env, aave, {
        collateral: cbBTC.address,
        debt: USDC.address,
        debtUsd: 20_000,
        targetHealthFactor: 0.97,
        flash: "BalancerV2",
        route,
      });
    });
  });

  describe("v3.3+ rules, sized by the keeper's market plug-in and checked to the wei", function () {
    it("below HF 0.95 the whole debt goes in one liquidation (v3.0 would allow half)", async function () {
      const { env, aave } = await loadFixture(forkWorldFixture);
      const { WETH, USDC } = env.book.tokens;
      const position = await openAavePosition(env, aave, { collateral: WETH.address, debt: USDC.address, debtUsd: 30_000 });
      const borrower = position.borrower.address as Address;
      await makeAaveLiquidatable(env, aave, borrower, WETH.address, 0.92);
      const route = await bestRoute(env.book, ROUTES_BY_VENUE.uniswapV3, WETH.address, USDC.address, 10n * WHOLE_WETH);

      const { candidate } = await liquidateAaveWithKeeperSizing(
        env,
        aave,
        { borrower, collateral: WETH.address, debt: USDC.address },
        { flash: "BalancerV2", route },
      );
      expect(candidate.sizingRule).to.match(/^aave-v3\.3-close-factor-100%/);
      expect(await variableDebtOf(aave, USDC.address, borrower), "no USDC debt left").to.equal(0n);
    });

    it("a position under $2,000 is closed in full even above HF 0.95 (v3.0 would allow half)", async function () {
      const { env, aave } = await loadFixture(forkWorldFixture);
      const { WETH, USDC } = env.book.tokens;
      // $1,500 of debt: below MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD ($2,000), so v3.3 lifts the close factor to 100%.
      const position = await openAavePosition(env, aave, { collateral: WETH.address, debt: USDC.address, debtUsd: 1_500 });
      const borrower = position.borrower.address as Address;
      await makeAaveLiquidatable(env, aave, borrower, WETH.address, 0.97);
      const route = await bestRoute(env.book, ROUTES_BY_VENUE.uniswapV3, WETH.address, USDC.address, WHOLE_WETH);

      const { candidate } = await liquidateAaveWithKeeperSizing(
        env,
        aave,
        { borrower, collateral: WETH.address, debt: USDC.address },
        { flash: "MorphoBlue", route },
      );
      expect(candidate.sizingRule).to.match(/^aave-v3\.3-close-factor-100%-small-position/);
      expect(await variableDebtOf(aave, USDC.address, borrower), "no USDC debt left").to.equal(0n);
    });
  });

  describe("a real borrower discovered from the pool's Borrow events", function () {
    it("is found by the keeper, pushed to HF 0.97 through the oracle source, and liquidated as the keeper sizes it", async function () {
      const { env, aave } = await loadFixture(forkWorldFixture);
      const { WETH, USDC } = env.book.tokens;
      const found = await discoverAaveBorrowers(env.book);
      const target = pickAaveBorrower(found, { collateral: WETH.address, debt: USDC.address, ...REAL_BORROWER });
      const borrower = target.key.borrower;
      console.log(
        `      borrower ${borrower}: HF ${Number(target.healthFactor) / 1e18}, ${found.borrowers.length} discovered in ${
          found.fromBlock
        }..${found.toBlock}`,
      );

      await makeAaveLiquidatable(env, aave, borrower, WETH.address, 0.97);
      const route = await bestRoute(env.book, ROUTES_BY_VENUE.uniswapV3, WETH.address, USDC.address, 5n * WHOLE_WETH);
      const { candidate } = await liquidateAaveWithKeeperSizing(
        env,
        aave,
        { borrower, collateral: WETH.address, debt: USDC.address },
        { flash: "MorphoBlue", route },
      );
      expect(candidate.sizingRule).to.match(/^aave-v3\.3-/);
    });

    it("the same borrower can also be liquidated for a fixed amount through Aave's own flash loan", async function () {
      const { env, aave } = await loadFixture(forkWorldFixture);
      const { WETH, USDC } = env.book.tokens;
      const found = await discoverAaveBorrowers(env.book);
      const target = pickAaveBorrower(found, { collateral: WETH.address, debt: USDC.address, ...REAL_BORROWER });
      const borrower = target.key.borrower;
      await makeAaveLiquidatable(env, aave, borrower, WETH.address, 0.97);
      const route = await bestRoute(env.book, ROUTES_BY_VENUE.aerodrome, WETH.address, USDC.address, WHOLE_WETH);
      // A quarter of at least $5,000 of USDC debt stays inside v3.3's 50% cap and leaves more than $1,000 (no dust).
      const debt = await variableDebtOf(aave, USDC.address, borrower);
      await liquidateAavePosition(
        env,
        aave,
        { borrower, collateral: WETH.address, debt: USDC.address },
        { flash: "AaveV3", route, debtToCover: debt / 4n },
      );
    });
  });
});
