/**
 * The reaction bench's borrowers (bench/reaction.ts): a ladder of WETH-backed Aave borrowers at spread health factors
 * (one crossed per single trial) and clusters of cbBTC-backed ones at nearly the same health factor (one cluster
 * crossed per busy step).
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { openAaveBorrowers, type OpenedBorrower, type Sandbox } from "../sandbox";

const LADDER_HF = { min: 1.003, max: 1.08 } as const;
/** Busy clusters sit 2.5% apart in HF; a liquidated position ends ~1.12 and never re-crosses within the run. */
const CLUSTER_FIRST_HF = 1.01;
const CLUSTER_SPACING = 0.025;
const CLUSTER_WIDTH = 0.002;

export async function openLadder(hre: HardhatRuntimeEnvironment, sandbox: Sandbox, count: number): Promise<OpenedBorrower[]> {
  return openAaveBorrowers(hre, sandbox, {
    count,
    seed: 77,
    collateral: "WETH",
    debt: "USDC",
    healthFactor: LADDER_HF,
    debtUsd: { min: 5_000, max: 20_000 },
  });
}

export async function openCluster(
  hre: HardhatRuntimeEnvironment,
  sandbox: Sandbox,
  index: number,
  count: number,
): Promise<OpenedBorrower[]> {
  const low = CLUSTER_FIRST_HF + index * CLUSTER_SPACING;
  return openAaveBorrowers(hre, sandbox, {
    count,
    seed: 900 + index,
    collateral: "cbBTC",
    debt: "USDC",
    healthFactor: { min: low, max: low + CLUSTER_WIDTH },
    debtUsd: { min: 2_000, max: 20_000 },
  });
}

export async function feedPrice(sandbox: Sandbox, symbol: string): Promise<number> {
  return Number((await sandbox.priceFeeds[symbol]!.latestRoundData()).answer) / 1e8;
}
