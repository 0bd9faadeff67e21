/**
 * Benchmark: a full rescan of 10,000 sandbox Aave borrowers — every position re-read in Multicall3
 * batches and every health factor recomputed — timed after a warm-up rescan. Writes the `scan`
 * section of reports/bench.json: { aave: { version, revision }, borrowers, batchSize, rpcCalls, ms, positionsPerSecond }.
 * Target (issue 5): ≤ 2,000 ms.
 *
 * Run alone with `npx hardhat run bench/scan.ts`; bench/index.ts calls `runScanBenchmark` as one section.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { buildSandbox } from "../sandbox";
import { openAaveBorrowers } from "../sandbox/borrowers";
import { AaveV3Market } from "../keeper/markets/aave-v3/aave-v3-market";
import { createMarketDependencies } from "../keeper/markets/factory";
import { mergeBenchSection } from "./lib/bench-report";

export interface ScanBenchmarkResult {
  /** The sandbox's Aave market the figures were measured on (v3.6 by default, as Base runs it). */
  readonly aave: { readonly version: string; readonly revision: number };
  readonly borrowers: number;
  readonly batchSize: number;
  readonly rpcCalls: number;
  readonly ms: number;
  readonly positionsPerSecond: number;
}

export interface ScanBenchmarkOptions {
  readonly borrowers?: number;
  /** Sub-calls per Multicall3 eth_call. */
  readonly batchSize?: number;
  readonly log?: (message: string) => void;
}

/** The sandbox pairs the borrowers are spread over (collateral, debt). */
const PAIRS: readonly [string, string][] = [
  ["WETH", "USDC"],
  ["cbBTC", "USDC"],
  ["USDC", "WETH"],
  ["cbETH", "USDC"],
];

export async function runScanBenchmark(hre: HardhatRuntimeEnvironment, options: ScanBenchmarkOptions = {}): Promise<ScanBenchmarkResult> {
  const count = options.borrowers ?? 10_000;
  const batchSize = options.batchSize ?? 500;
  const log = options.log ?? (() => undefined);
  const sandbox = await buildSandbox(hre);

  const openStarted = Date.now();
  for (const [index, [collateral, debt]] of PAIRS.entries()) {
    const share = Math.floor(count / PAIRS.length) + (index < count % PAIRS.length ? 1 : 0);
    await openAaveBorrowers(hre, sandbox, {
      count: share,
      seed: 100 + index,
      collateral,
      debt,
      healthFactor: { min: 1.05, max: 2 },
      debtUsd: { min: 100, max: 100_000 },
    });
    log(`scan: opened ${collateral}/${debt} borrowers (${share}) after ${Math.round((Date.now() - openStarted) / 1000)} s`);
  }

  const show = (details: object) => JSON.stringify(details, (_, value: unknown) => (typeof value === "bigint" ? value.toString() : value));
  const logger = {
    debug: () => undefined,
    info: (details: object, message?: string) => log(`scan: ${message ?? ""} ${show(details)}`),
    warn: (details: object, message?: string) => log(`scan: WARNING ${message ?? ""} ${show(details)}`),
  };
  const deps = createMarketDependencies(hre.ethers.provider, sandbox.book, { batchSize, logger });
  const market = new AaveV3Market(sandbox.book.aaveV3!, deps);
  await market.init();
  const head = await hre.ethers.provider.getBlockNumber();
  const discovered = await market.discoverBorrowers(0, head);
  if (discovered.borrowers.length !== count) {
    throw new Error(`scan benchmark: discovered ${discovered.borrowers.length} borrowers, opened ${count}`);
  }
  // Warm-up: the first rescan also loads code and storage into the node's caches.
  await market.refreshPositions(discovered.borrowers, head);

  const started = process.hrtime.bigint();
  const result = await market.refreshPositions(discovered.borrowers, head);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.tracked !== count) throw new Error(`scan benchmark: tracked ${result.tracked} of ${count} borrowers`);
  log(`scan: positions read through ${market.readMode === "storage" ? "storage slots (state overrides)" : "Multicall3 getters"}`);
  return {
    aave: { version: sandbox.aave.version, revision: sandbox.aave.revision },
    borrowers: count,
    batchSize,
    rpcCalls: result.rpcCalls,
    ms: Math.round(ms),
    positionsPerSecond: Math.round((count / ms) * 1000),
  };
}

if (require.main === module) {
  // `npx hardhat run bench/scan.ts`: the runtime environment is the one hardhat loaded.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const hre = require("hardhat") as HardhatRuntimeEnvironment;
  runScanBenchmark(hre, {
    borrowers: process.env.SCAN_BORROWERS ? Number(process.env.SCAN_BORROWERS) : undefined,
    batchSize: process.env.SCAN_BATCH_SIZE ? Number(process.env.SCAN_BATCH_SIZE) : undefined,
    log: console.log,
  })
    .then((result) => {
      mergeBenchSection("scan", result);
      console.log(`scan: ${JSON.stringify(result)}`);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
