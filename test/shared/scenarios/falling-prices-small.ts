/**
 * A small version of the default keeper scenario (keeper/scenarios/falling-prices.ts) for the e2e
 * tests: the same groups and expectations (liquidate what goes under, skip the dust and the
 * unroutable position with their reasons) with a tenth of the borrowers and two price steps, so a
 * run costs seconds. Steps are relative to the feeds' current prices, so the same definition plays
 * on any market a MarketHandle drives (the population is opened only where the market lets us: the
 * sandbox).
 */
import { FALLING_PRICES_SCENARIO } from "../../../keeper/scenarios/falling-prices";
import type { BorrowerGroup, MarketHandle, Scenario } from "../../../keeper/scenarios/scenario";
import { relativeMoves } from "../../../keeper/scenarios/scenario";

type GroupSize = Pick<BorrowerGroup, "count" | "healthFactor" | "debtUsd">;

/**
 * The bulk groups, scaled down (and kept closer to HF 1 so two steps reach them); the "dust" and
 * "no-route" borrowers are taken from the default scenario as they are, since they are single
 * positions already.
 */
const SMALL_GROUP_SIZES: Readonly<Record<string, GroupSize>> = {
  "aave-weth": { count: 36, healthFactor: { min: 1.02, max: 1.3 }, debtUsd: { min: 2_000, max: 30_000 } },
  "aave-cbbtc": { count: 8, healthFactor: { min: 1.02, max: 1.3 }, debtUsd: { min: 2_000, max: 30_000 } },
  "morpho-weth": { count: 10, healthFactor: { min: 1.02, max: 1.3 }, debtUsd: { min: 2_000, max: 20_000 } },
};

function smallPopulation(): BorrowerGroup[] {
  const defaultTags = new Set(FALLING_PRICES_SCENARIO.population.map((group) => group.tag));
  for (const tag of Object.keys(SMALL_GROUP_SIZES)) {
    // A renamed default group would otherwise silently keep its full size here.
    if (!defaultTags.has(tag)) throw new Error(`falling-prices-small resizes group "${tag}", which the default scenario no longer has`);
  }
  return FALLING_PRICES_SCENARIO.population.map((group) => ({ ...group, ...SMALL_GROUP_SIZES[group.tag] }));
}

export async function smallFallingPrices(handle: MarketHandle): Promise<Scenario> {
  return {
    name: "falling-prices-small",
    description: "two ~7% collateral price falls over ~60 borrowers, one dust and one unroutable position",
    seed: 4_242,
    population: smallPopulation(),
    steps: [
      { label: "collateral -7%", moves: await relativeMoves(handle, { WETH: -0.07, cbBTC: -0.07, cbETH: -0.07 }) },
      { label: "collateral -14%", moves: await relativeMoves(handle, { WETH: -0.14, cbBTC: -0.14, cbETH: -0.14 }) },
    ],
    expectations: FALLING_PRICES_SCENARIO.expectations,
  };
}
