/**
 * Moonwell (Compound v2 family) on Base at the pinned block: the executor's Compound-v2 path (liquidateBorrow on the
 * debt market, redeem of the seized mTokens, sale of the underlying) against Moonwell's real Comptroller, MErc20
 * markets and ChainlinkOracle, which no npm package ships. The price moves through the oracle admin's own override
 * (impersonated). The same scenario runs offline on the Moonwell test doubles (test/unit/liquidation-scenarios.test.ts).
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { Address } from "../../keeper/config/address-book";
import {
  bestRoute,
  liquidateCompoundPosition,
  makeCompoundLiquidatable,
  openCompoundPosition,
  type FlashSourceName,
} from "../shared/liquidation-scenarios";
import { describeFork } from "./lib/fork-gate";
import { forkWorldFixture } from "./lib/fork-environment";
import { moonwellScenarioMarket } from "./lib/moonwell-market";
import { ROUTES_BY_VENUE, VENUE_NAMES, type VenueKind } from "./lib/routes";
import { BASE_FORK_BLOCK } from "./pinned-block";

const USDC_UNIT = 10n ** 6n;
const DEBT = 20_000n * USDC_UNIT;
/** Cap headroom the scenario needs: ~$25k of WETH supplied (10 WETH covers it at any 2025 price) and the $20k borrow. */
const HEADROOM = { collateral: 10n * 10n ** 18n, debt: 2n * DEBT };

describeFork(`Moonwell on Base, forked at block ${BASE_FORK_BLOCK}`, function () {
  const cases: [FlashSourceName, VenueKind][] = [
    ["BalancerV2", "uniswapV3"],
    ["MorphoBlue", "aerodrome"],
  ];
  for (const [flash, venue] of cases) {
    it(`a fresh mWETH/mUSDC position at HF 0.97: ${flash} flash loan, liquidateBorrow, redeem, sold on ${VENUE_NAMES[venue]}`, async function () {
      const { env } = await loadFixture(forkWorldFixture);
      const moonwell = await moonwellScenarioMarket(env.book, { collateral: "WETH", debt: "USDC" }, HEADROOM);
      const position = await openCompoundPosition(env, moonwell, { debtAmount: DEBT, account: { label: `fork moonwell ${flash}` } });
      const borrower = position.borrower.address as Address;
      await makeCompoundLiquidatable(moonwell, borrower, 0.97);
      const { WETH, USDC } = env.book.tokens;
      const route = await bestRoute(env.book, ROUTES_BY_VENUE[venue], WETH.address, USDC.address, position.collateralSupplied / 2n);

      const result = await liquidateCompoundPosition(env, moonwell, borrower, { flash, route });
      console.log(
        `      repaid ${result.liquidated.debtRepaid} USDC units, redeemed ${result.liquidated.collateralSeized} WETH wei, profit ${result.profit}, gas ${result.gasUsed}`,
      );
    });
  }
});
