/**
 * A small version of the default keeper scenario (keeper/scenarios/falling-prices.ts) for the e2e
 * tests: the same groups and expectations (liquidate what goes under, skip the dust and the
 * unroutable position with their reasons) with a tenth of the borrowers and two price steps, so a
 * run costs seconds. Steps are relative to the feeds' current prices, so the same definition plays
 * on any market a MarketHandle drives (the population is opened only where the market lets us: the
 * sandbox).
 */
import type { MarketHandle, Scenario } from "../../../keeper/scenarios/scenario";
import { relativeMoves } from "../../../keeper/scenarios/scenario";

export async function smallFallingPrices(handle: MarketHandle): Promise<Scenario> {
  return {
    name: "falling-prices-small",
    description: "two ~7% collateral price falls over ~60 borrowers, one dust and one unroutable position",
    seed: 4_242,
    population: [
      { protocol: "aaveV3", tag: "aave-weth", collateral: "WETH", debt: "USDC", count: 36, healthFactor: { min: 1.02, max: 1.3 }, debtUsd: { min: 2_000, max: 30_000 } },
      { protocol: "aaveV3", tag: "aave-cbbtc", collateral: "cbBTC", debt: "USDC", count: 8, healthFactor: { min: 1.02, max: 1.3 }, debtUsd: { min: 2_000, max: 30_000 } },
      { protocol: "morphoBlue", tag: "morpho-weth", market: 0, count: 10, healthFactor: { min: 1.02, max: 1.3 }, debtUsd: { min: 2_000, max: 20_000 } },
      { protocol: "aaveV3", tag: "dust", collateral: "WETH", debt: "USDC", count: 1, healthFactor: { min: 1.03, max: 1.03 }, debtUsd: { min: 0.9, max: 0.9 } },
      { protocol: "aaveV3", tag: "no-route", collateral: "cbETH", debt: "USDC", count: 1, healthFactor: { min: 1.03, max: 1.03 }, debtUsd: { min: 5_000, max: 5_000 } },
    ],
    steps: [
      { label: "collateral -7%", moves: await relativeMoves(handle, { WETH: -0.07, cbBTC: -0.07, cbETH: -0.07 }) },
      { label: "collateral -14%", moves: await relativeMoves(handle, { WETH: -0.14, cbBTC: -0.14, cbETH: -0.14 }) },
    ],
    expectations: [
      { tag: "aave-weth", expect: "liquidated" },
      { tag: "aave-cbbtc", expect: "liquidated" },
      { tag: "morpho-weth", expect: "liquidated" },
      { tag: "dust", expect: "skipped", reason: "dust" },
      { tag: "no-route", expect: "skipped", reason: "no-route" },
    ],
  };
}
