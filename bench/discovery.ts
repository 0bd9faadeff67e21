/**
 * Benchmark (issue 18, item 4): borrower discovery from logs over a long history at Base's 200 ms
 * blocks (five blocks per second of history). The sandbox chain is stretched to ≥ 1,000,000 blocks:
 * Aave borrowers are opened in small groups with empty blocks mined in bulk between them
 * (`hardhat_mine`), so the Borrow events are spread through the history. Then the Aave plug-in's
 * discovery scans it from block 0 with the keeper's default chunking and checkpoints, timed. Writes
 * `discovery: { blocks, ms, blocksPerSecond, logRequests, borrowers }` into the `scale` section.
 *
 * What this does NOT show: a remote endpoint's latency and result caps; the in-process node answers
 * each eth_getLogs in microseconds to milliseconds, so the figure is the keeper's own per-chunk cost.
 */
import os from "node:os";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { buildSandbox } from "../sandbox";
import { openAaveBorrowers } from "../sandbox/borrowers";
import { AaveV3Market } from "../keeper/markets/aave-v3/aave-v3-market";
import { createMarketDependencies } from "../keeper/markets/factory";

export interface DiscoveryBenchmarkResult {
  readonly blocks: number;
  readonly ms: number;
  readonly blocksPerSecond: number;
  readonly logRequests: number;
  readonly borrowers: number;
  readonly loadAverage: readonly number[];
}

export interface DiscoveryBenchmarkOptions {
  /** Blocks of history to scan. Default 1,000,000. */
  readonly blocks?: number;
  /** Groups of borrowers spread through the history. Default 20 groups of 5. */
  readonly groups?: number;
  readonly log?: (message: string) => void;
}

export async function runDiscoveryBenchmark(
  hre: HardhatRuntimeEnvironment,
  options: DiscoveryBenchmarkOptions = {},
): Promise<DiscoveryBenchmarkResult> {
  const blocks = options.blocks ?? 1_000_000;
  const groups = options.groups ?? 20;
  const log = options.log ?? (() => undefined);
  const sandbox = await buildSandbox(hre);
  const gap = Math.ceil(blocks / groups);
  let opened = 0;
  for (let group = 0; group < groups; group++) {
    // Empty blocks cost the node next to nothing when mined in one call.
    await hre.network.provider.send("hardhat_mine", [`0x${gap.toString(16)}`]);
    const borrowers = await openAaveBorrowers(hre, sandbox, {
      count: 5,
      seed: 1_800 + group,
      collateral: "WETH",
      debt: "USDC",
      healthFactor: { min: 1.2, max: 2 },
      debtUsd: { min: 100, max: 10_000 },
    });
    opened += borrowers.length;
  }
  const head = await hre.ethers.provider.getBlockNumber();
  log(`discovery: ${opened} borrowers spread over ${head} blocks`);

  const deps = createMarketDependencies(hre.ethers.provider, sandbox.book);
  const market = new AaveV3Market(sandbox.book.aaveV3!, deps);
  await market.init();
  const loadAverage = os.loadavg().map((l) => Math.round(l * 100) / 100);
  const started = process.hrtime.bigint();
  const result = await market.discoverBorrowers(0, head);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.borrowers.length !== opened)
    throw new Error(`discovery benchmark: found ${result.borrowers.length} borrowers, opened ${opened}`);
  return {
    blocks: head + 1,
    ms: Math.round(ms),
    blocksPerSecond: Math.round(((head + 1) / ms) * 1000),
    logRequests: result.logRequests,
    borrowers: result.borrowers.length,
    loadAverage,
  };
}
