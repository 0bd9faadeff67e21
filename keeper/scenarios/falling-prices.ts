/**
 * The default sandbox scenario (`npx hardhat keeper` with no arguments): a few hundred Aave and Morpho
 * borrowers between HF 1.02 and 1.6, then collateral prices fall in three steps of about 6%. Each step
 * pushes a new slice of borrowers below HF 1 (roughly those under 1/(1 - fall)), and some of the
 * earlier ones again. Two borrowers are there to be refused:
 *   - "dust": $0.90 of debt, under the $1 dust floor whatever the close factor (50%, or 100% below HF 0.95);
 *   - "no-route": cbETH collateral, which no Uniswap pool in the sandbox trades (market-spec.ts).
 * Everything else that goes under is profitable and must be liquidated in the next block.
 * The "moonwell-oev" borrowers sit on Moonwell (the sandbox's doubles) whose WETH feed is behind an OEV
 * wrapper: each step's round is hidden from the comptroller, the public and the race's rival for the
 * wrapper's 10 s, so the keeper must liquidate them in the next block through the wrapper (path "oev").
 * Their health factors are close enough to 1 that one liquidation (close factor 50%) makes them healthy
 * again until the next step, so every liquidation of theirs is a hidden-round one.
 */
import type { Scenario } from "./scenario";

export const FALLING_PRICES_SCENARIO: Scenario = {
  name: "falling-prices",
  description:
    "collateral prices fall in three ~6% steps; ~300 borrowers (3 on Moonwell behind its OEV wrapper); one dust and one unroutable position",
  seed: 20_261_121,
  population: [
    {
      protocol: "aaveV3",
      tag: "aave-weth",
      collateral: "WETH",
      debt: "USDC",
      count: 200,
      healthFactor: { min: 1.02, max: 1.6 },
      debtUsd: { min: 2_000, max: 40_000 },
    },
    {
      protocol: "aaveV3",
      tag: "aave-cbbtc",
      collateral: "cbBTC",
      debt: "USDC",
      count: 40,
      healthFactor: { min: 1.02, max: 1.5 },
      debtUsd: { min: 2_000, max: 40_000 },
    },
    {
      protocol: "morphoBlue",
      tag: "morpho-weth",
      market: 0,
      count: 40,
      healthFactor: { min: 1.02, max: 1.5 },
      debtUsd: { min: 2_000, max: 30_000 },
    },
    {
      protocol: "moonwell",
      tag: "moonwell-oev",
      count: 3,
      healthFactor: { min: 1.02, max: 1.05 },
      debtUsd: { min: 5_000, max: 20_000 },
    },
    {
      protocol: "aaveV3",
      tag: "dust",
      collateral: "WETH",
      debt: "USDC",
      count: 1,
      healthFactor: { min: 1.03, max: 1.03 },
      debtUsd: { min: 0.9, max: 0.9 },
    },
    {
      protocol: "aaveV3",
      tag: "no-route",
      collateral: "cbETH",
      debt: "USDC",
      count: 1,
      healthFactor: { min: 1.03, max: 1.03 },
      debtUsd: { min: 5_000, max: 5_000 },
    },
  ],
  steps: [
    {
      label: "collateral -6%",
      moves: [
        { symbol: "WETH", usd: 2_820 },
        { symbol: "cbBTC", usd: 56_400 },
        { symbol: "cbETH", usd: 3_100 },
      ],
    },
    {
      label: "collateral -12%",
      moves: [
        { symbol: "WETH", usd: 2_640 },
        { symbol: "cbBTC", usd: 52_800 },
        { symbol: "cbETH", usd: 2_900 },
      ],
    },
    {
      label: "collateral -18%",
      moves: [
        { symbol: "WETH", usd: 2_460 },
        { symbol: "cbBTC", usd: 49_200 },
        { symbol: "cbETH", usd: 2_700 },
      ],
    },
  ],
  expectations: [
    { tag: "aave-weth", expect: "liquidated" },
    { tag: "aave-cbbtc", expect: "liquidated" },
    { tag: "morpho-weth", expect: "liquidated" },
    { tag: "moonwell-oev", expect: "liquidated", path: "oev" },
    { tag: "dust", expect: "skipped", reason: "dust" },
    { tag: "no-route", expect: "skipped", reason: "no-route" },
  ],
};
