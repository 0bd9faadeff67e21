/**
 * Morpho Blue's real markets on Base at the pinned block, liquidated through the executor (Ignition module,
 * base.json parameters). The markets are the address book's (keeper/config/networks.ts); their oracle is replaced in
 * place by Morpho's OracleMock to move the price, which keeps the market id and every real position. Same scenario
 * code as the sandbox suite; here the liquidations run through the onMorphoLiquidate callback on Morpho's real
 * deployment and sell on Base's real pools.
 */
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { Morpho__factory } from "../../typechain-types";
import hre from "hardhat";
import type { Address, MorphoMarketParams } from "../../keeper/config/address-book";
import { morphoMarketId } from "../../sandbox/morpho-blue";
import {
  bestRoute,
  liquidateMorphoPosition,
  makeMorphoLiquidatable,
  openMorphoPosition,
  type MorphoScenarioMarket,
  type ScenarioEnvironment,
} from "../shared/liquidation-scenarios";
import { DISCOVERY_SPAN } from "./lib/aave-borrowers";
import { describeFork } from "./lib/fork-gate";
import { forkWorldFixture } from "./lib/fork-environment";
import { discoverMorphoBorrowers } from "./lib/morpho-borrowers";
import { ROUTES_BY_VENUE } from "./lib/routes";
import { BASE_FORK_BLOCK } from "./pinned-block";

const USDC_UNIT = 10n ** 6n;

/** The address book's market with `label`, checked against Morpho's own idToMarketParams at this block. */
async function bookMarket(env: ScenarioEnvironment, label: string): Promise<MorphoScenarioMarket> {
  const morpho = env.book.morphoBlue;
  const params = morpho?.markets.find((m) => m.label === label);
  if (morpho === undefined || params === undefined) throw new Error(`BASE_ADDRESS_BOOK.morphoBlue has no market labelled "${label}"`);
  const onChain = await Morpho__factory.connect(morpho.morpho, hre.ethers.provider).idToMarketParams(morphoMarketId(params));
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  if (
    !same(onChain.loanToken, params.loanToken) ||
    !same(onChain.collateralToken, params.collateralToken) ||
    !same(onChain.oracle, params.oracle) ||
    !same(onChain.irm, params.irm) ||
    onChain.lltv !== params.lltv
  ) {
    throw new Error(
      `Morpho's idToMarketParams(${morphoMarketId(params)}) at block ${BASE_FORK_BLOCK} is ${onChain.toString()}, not the book's ${label}`,
    );
  }
  return { morpho: morpho.morpho, params: params as MorphoMarketParams };
}

describeFork(`Morpho Blue on Base, forked at block ${BASE_FORK_BLOCK}`, function () {
  it("the address book's markets are Morpho's: each id resolves to exactly the book's params", async function () {
    const { env } = await loadFixture(forkWorldFixture);
    const labels = env.book.morphoBlue?.markets.map((m) => m.label) ?? [];
    expect(labels, "markets in BASE_ADDRESS_BOOK").to.have.length.greaterThan(0);
    for (const label of labels) await bookMarket(env, label);
  });

  describe("WETH/USDC 86%: a fresh $20k position moved to HF 0.95 by the oracle", function () {
    it("liquidates through the onMorphoLiquidate callback alone, seizing half the collateral, sold on Uniswap V3", async function () {
      const { env } = await loadFixture(forkWorldFixture);
      const market = await bookMarket(env, "WETH/USDC 86%");
      const position = await openMorphoPosition(env, market, { loanAmount: 20_000n * USDC_UNIT });
      const borrower = position.borrower.address as Address;
      const health = await makeMorphoLiquidatable(market, borrower, 0.95);
      const route = await bestRoute(
        env.book,
        ROUTES_BY_VENUE.uniswapV3,
        market.params.collateralToken,
        market.params.loanToken,
        health.collateral / 2n,
      );

      const result = await liquidateMorphoPosition(env, market, borrower, { flash: "None", route, seizedAssets: health.collateral / 2n });
      console.log(`      repaid ${result.liquidated.debtRepaid} USDC units, profit ${result.profit}, gas ${result.gasUsed}`);
    });

    it("liquidates a third of the borrow shares under a Balancer flash loan, sold on Aerodrome", async function () {
      const { env } = await loadFixture(forkWorldFixture);
      const market = await bookMarket(env, "WETH/USDC 86%");
      const position = await openMorphoPosition(env, market, { loanAmount: 20_000n * USDC_UNIT, account: { label: "fork morpho shares" } });
      const borrower = position.borrower.address as Address;
      const health = await makeMorphoLiquidatable(market, borrower, 0.95);
      const route = await bestRoute(
        env.book,
        ROUTES_BY_VENUE.aerodrome,
        market.params.collateralToken,
        market.params.loanToken,
        health.collateral / 3n,
      );

      await liquidateMorphoPosition(env, market, borrower, { flash: "BalancerV2", route, repaidShares: health.borrowShares / 3n });
    });
  });

  it("cbBTC/USDC 86%: a fresh position liquidated through the callback, sold on the best of Uniswap V3 and Slipstream", async function () {
    const { env } = await loadFixture(forkWorldFixture);
    const market = await bookMarket(env, "cbBTC/USDC 86%");
    const position = await openMorphoPosition(env, market, { loanAmount: 20_000n * USDC_UNIT });
    const borrower = position.borrower.address as Address;
    const health = await makeMorphoLiquidatable(market, borrower, 0.95);
    const route = await bestRoute(
      env.book,
      [...ROUTES_BY_VENUE.uniswapV3, ...ROUTES_BY_VENUE.aerodromeSlipstream],
      market.params.collateralToken,
      market.params.loanToken,
      health.collateral / 2n,
    );
    await liquidateMorphoPosition(env, market, borrower, { flash: "None", route, seizedAssets: health.collateral / 2n });
  });

  it("WETH/USDC 86%: a real borrower discovered from Borrow events, moved to HF 0.95 and partly liquidated", async function () {
    const { env } = await loadFixture(forkWorldFixture);
    const market = await bookMarket(env, "WETH/USDC 86%");
    const range = { fromBlock: BASE_FORK_BLOCK - DISCOVERY_SPAN + 1, toBlock: BASE_FORK_BLOCK };
    const found = await discoverMorphoBorrowers(market, range, { minLoan: 5_000n * USDC_UNIT, maxLoan: 200_000n * USDC_UNIT });
    if (found.length === 0) {
      throw new Error(
        `no Morpho WETH/USDC borrower owing $5,000-$200,000 found in blocks ${range.fromBlock}..${range.toBlock}: widen DISCOVERY_SPAN`,
      );
    }
    const [target] = found;
    console.log(`      borrower ${target.borrower}: ${target.borrowedAssets} USDC units borrowed, ${found.length} candidates`);
    const health = await makeMorphoLiquidatable(market, target.borrower, 0.95);
    // A third of the collateral repays well under the whole debt at HF 0.95 (see the sizing note in morpho-blue.ts).
    const seizedAssets = health.collateral / 3n;
    const route = await bestRoute(
      env.book,
      ROUTES_BY_VENUE.uniswapV3,
      market.params.collateralToken,
      market.params.loanToken,
      seizedAssets,
    );
    await liquidateMorphoPosition(env, market, target.borrower, { flash: "None", route, seizedAssets });
  });
});
