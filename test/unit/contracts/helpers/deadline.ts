/**
 * The deadline block of a test plan: 10 blocks after the head, more than any test mines before it executes the plan.
 * Its own file, not plans.ts: the benchmarks load plans.ts, which stays free of the Hardhat runtime.
 */
import hre from "hardhat";

export async function deadline(): Promise<number> {
  return (await hre.ethers.provider.getBlockNumber()) + 10;
}
