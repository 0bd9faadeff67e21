/**
 * Benchmark (issue 18, item 1): a full rescan of 10,000, 50,000 and 100,000 Aave borrowers on the
 * sandbox (genuine Aave bytecode), each position re-read and its health factor recomputed, with the
 * eth_calls it took and the heap it holds; at the largest size a CPU profile of the timed rescan
 * names where the time goes (top functions by self time).
 *
 * Opening 100,000 borrowers through the pool would take most of `npm run bench`'s budget, and the
 * figure is about READING: `templates` borrowers are opened genuinely (supply, borrow), then their
 * storage (the Pool's user configuration and e-mode, the aToken and variable-debt balances) is copied
 * to the other addresses at the slots the keeper's own calibration finds (storage-layout.ts). The
 * copies are real positions to every getter; the reserves' totals do not include them, which no
 * per-user read looks at. They are written by transactions (sandbox/storage-writer.ts: each
 * contract's code is swapped for a straight-line storage writer, 600 words a transaction, all sent at
 * once, then restored). One hardhat_setStorageAt per word instead costs the in-process node ~15 KB
 * each (measured: 15,000 more calls, +230 MB RSS).
 *
 * One market reads them all, as a running keeper holds them: it calibrates on the templates (the
 * getters' path: 10,000 borrowers through it grew the process by 10 GB), one warm-up rescan of
 * everyone reads storage and indexes every position, then each size re-reads its first `size`
 * borrowers, timed, and 20 sampled health factors are checked against getUserAccountData. On the
 * in-process node the rescan is bound by EDR's storage reads (~4 slots per position; per slot EDR
 * spends as much per executed instruction, each recorded in the call's trace, as per cold state
 * access: bench/rescan-node-floor.ts measures it): the profile's "(idle)" is that wait. Writes `rescan: { sizes: { "10000": {ms,
 * positionsPerSecond, rpcCalls, load1, healthFactorsChecked}, ... }, heapBytesPerPosition, peakRssMb,
 * profile, loadAverage }` into the `scale` section. Target (issue 18): 100,000 positions ≤ 2 s.
 */
import os from "node:os";
import inspector from "node:inspector";
import v8 from "node:v8";
import vm from "node:vm";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { buildSandbox, type Sandbox } from "../sandbox";
import { openAaveBorrowers } from "../sandbox/borrowers";
import type { Address } from "../keeper/config/address-book";
import { AaveV3Market } from "../keeper/markets/aave-v3/aave-v3-market";
import { createMarketDependencies } from "../keeper/markets/factory";
import { calibrateAaveStorageLayout, type BalanceSample, type ConfigSample } from "../keeper/markets/aave-v3/storage-layout";
import { addressMappingSlot } from "../keeper/markets/storage-slot-reader";
import { writeStorageWords } from "../sandbox/storage-writer";

export interface RescanFigure {
  readonly ms: number;
  readonly positionsPerSecond: number;
  readonly rpcCalls: number;
  /** The machine's 1-minute load average when the timed rescan started. */
  readonly load1: number;
  /** Sampled borrowers whose in-memory health factor equals the pool's getUserAccountData (all of them, or the run fails). */
  readonly healthFactorsChecked: number;
}

/** A function of the profile: its self time and the caller chain (nearest first) that spent most of it. */
export interface ProfileEntry {
  readonly fn: string;
  readonly selfMs: number;
  readonly via: string;
}

export interface RescanBenchmarkResult {
  readonly sizes: Readonly<Record<string, RescanFigure>>;
  /** Self time (ms) of the heaviest functions in the largest timed rescan. */
  readonly profile: readonly ProfileEntry[];
  readonly templates: number;
  /** Heap growth (after GC) per position once the market tracks the largest size. */
  readonly heapBytesPerPosition: number;
  /** The process's peak resident memory (node included: it runs in-process), in MB. */
  readonly peakRssMb: number;
  readonly loadAverage: { readonly before: readonly number[]; readonly after: readonly number[] };
}

export interface RescanBenchmarkOptions {
  readonly sizes?: readonly number[];
  readonly templates?: number;
  readonly log?: (message: string) => void;
}

const PAIRS: readonly [string, string][] = [
  ["WETH", "USDC"],
  ["cbBTC", "USDC"],
  ["USDC", "WETH"],
  ["cbETH", "USDC"],
];

function collectGarbage(): void {
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as () => void;
  gc();
  gc();
}

const cloneAddress = (i: number) => `0x${(0xb0000000 + i).toString(16).padStart(40, "0")}` as Address;

/** Health factors of `samples` borrowers spread over the list, in memory and from the pool at `block`; throws on any difference. */
async function checkHealthFactors(
  sandbox: Sandbox,
  market: AaveV3Market,
  borrowers: readonly Address[],
  block: number,
  samples = 20,
): Promise<number> {
  const picked = Array.from({ length: samples }, (_, k) => borrowers[Math.floor((k * borrowers.length) / samples)]);
  for (const borrower of picked) {
    const mine = market.accountData(borrower)?.healthFactor;
    const pool = (await sandbox.aave.pool.getUserAccountData(borrower, { blockTag: block })).healthFactor;
    if (mine !== pool) throw new Error(`rescan benchmark: ${borrower}'s health factor is ${mine} in memory, ${pool} from the pool`);
  }
  return picked.length;
}

/** Runs `work` under the V8 CPU profiler; returns its result and the top functions by self time. */
async function profiled<T>(work: () => Promise<T>, top = 10): Promise<{ result: T; profile: ProfileEntry[] }> {
  const session = new inspector.Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) => session.post(method, params ?? {}, (error, out) => (error ? reject(error) : resolve(out))));
  await post("Profiler.enable");
  await post("Profiler.start");
  const result = await work();
  const { profile } = (await post("Profiler.stop")) as {
    profile: {
      nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
      samples: number[];
      timeDeltas: number[];
    };
  };
  session.disconnect();
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const nameOf = new Map<number, string>();
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.replace(/^.*\//, "");
    nameOf.set(node.id, `${functionName || "(anonymous)"} ${file}:${lineNumber + 1}`);
    for (const child of node.children ?? []) parentOf.set(child, node.id);
  }
  // Self time per function, and per function the caller chain (3 deep) that spent most of it.
  const byFunction = new Map<string, { us: number; callers: Map<string, number> }>();
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    const name = nameOf.get(node.id)!;
    const entry = byFunction.get(name) ?? { us: 0, callers: new Map<string, number>() };
    entry.us += us;
    const chain: string[] = [];
    for (let at = parentOf.get(node.id); at !== undefined && chain.length < 3; at = parentOf.get(at)) chain.push(nameOf.get(at)!);
    const via = chain.join(" < ");
    entry.callers.set(via, (entry.callers.get(via) ?? 0) + us);
    byFunction.set(name, entry);
  }
  const ranked = [...byFunction].sort((a, b) => b[1].us - a[1].us).slice(0, top);
  return {
    result,
    profile: ranked.map(([fn, { us, callers }]) => ({
      fn,
      selfMs: Math.round(us / 1000),
      via: [...callers].sort((a, b) => b[1] - a[1])[0]?.[0] ?? "",
    })),
  };
}

export async function runRescanBenchmark(
  hre: HardhatRuntimeEnvironment,
  options: RescanBenchmarkOptions = {},
): Promise<RescanBenchmarkResult> {
  const sizes = options.sizes ?? [10_000, 50_000, 100_000];
  const templates = options.templates ?? 400;
  const log = options.log ?? (() => undefined);
  const loadBefore = os.loadavg();
  const sandbox = await buildSandbox(hre);
  const send = (method: string, params: unknown[]) => hre.network.provider.send(method, params);

  const opened: Address[] = [];
  for (const [index, [collateral, debt]] of PAIRS.entries()) {
    const borrowers = await openAaveBorrowers(hre, sandbox, {
      count: Math.ceil(templates / PAIRS.length),
      seed: 1_900 + index,
      collateral,
      debt,
      healthFactor: { min: 1.05, max: 2 },
      debtUsd: { min: 100, max: 100_000 },
    });
    opened.push(...borrowers.map((b) => b.address.toLowerCase() as Address));
  }
  const head = await hre.ethers.provider.getBlockNumber();

  // Where the positions live, found the way the keeper finds it.
  const { pool, dataProvider } = sandbox.aave;
  const poolAddress = (await pool.getAddress()).toLowerCase() as Address;
  const assets = (await pool.getReservesList()).map((a) => a.toLowerCase() as Address);
  const tokens = await Promise.all(assets.map((asset) => dataProvider.getReserveTokensAddresses(asset)));
  const configs: ConfigSample[] = [];
  const balances: BalanceSample[] = [];
  for (const user of opened.slice(0, 3)) {
    configs.push({ user, config: (await pool.getUserConfiguration(user)).data });
    for (const t of tokens) {
      for (const [kind, token] of [
        ["aToken", t.aTokenAddress],
        ["variableDebt", t.variableDebtTokenAddress],
      ] as const) {
        const erc20 = new hre.ethers.Contract(token, ["function scaledBalanceOf(address) view returns (uint256)"], hre.ethers.provider);
        const scaled = (await erc20.scaledBalanceOf(user)) as bigint;
        if (scaled > 0n) balances.push({ kind, token: token.toLowerCase() as Address, user, scaled });
      }
    }
  }
  const layout = await calibrateAaveStorageLayout(hre.ethers.provider, poolAddress, configs, balances, head, { rpcCalls: 0 });
  if (!layout) throw new Error("rescan benchmark: the sandbox pool's storage layout could not be calibrated");
  const places: { contract: string; index: number }[] = [
    { contract: poolAddress, index: layout.userConfigIndex },
    { contract: poolAddress, index: layout.userEModeIndex },
    ...tokens.flatMap((t) => [
      { contract: t.aTokenAddress, index: layout.aTokenBalanceIndex },
      { contract: t.variableDebtTokenAddress, index: layout.variableDebtBalanceIndex },
    ]),
  ];
  const templateWords = await Promise.all(
    opened.map(async (user) => {
      const words: { contract: string; index: number; value: string }[] = [];
      for (const place of places) {
        const value = (await send("eth_getStorageAt", [place.contract, addressMappingSlot(user, place.index), "latest"])) as string;
        if (BigInt(value) !== 0n) words.push({ ...place, value });
      }
      return words;
    }),
  );
  const largest = Math.max(...sizes);
  const copyStarted = Date.now();
  const wordsByContract = new Map<string, [string, string][]>();
  for (let i = opened.length; i < largest; i++) {
    const clone = cloneAddress(i);
    for (const word of templateWords[i % opened.length]) {
      const words = wordsByContract.get(word.contract) ?? [];
      words.push([addressMappingSlot(clone, word.index), word.value]);
      wordsByContract.set(word.contract, words);
    }
  }
  for (const [contract, words] of wordsByContract) await writeStorageWords(hre, contract, words);
  await send("hardhat_mine", ["0x1"]);
  const readBlock = await hre.ethers.provider.getBlockNumber();
  log(`rescan: ${opened.length} borrowers opened, copied to ${largest} in ${Math.round((Date.now() - copyStarted) / 1000)} s`);
  const everyone = [...opened, ...Array.from({ length: largest - opened.length }, (_, k) => cloneAddress(opened.length + k))];

  // One market, as a running keeper holds them: the first read calibrates the storage layout
  // through the getters on the opened templates only. Read through Multicall3 getters, every
  // eth_call's answer holds the node's native call traces until V8 collects it, and V8 does not
  // count that memory: 10,000 borrowers through the getters grew the process by 10 GB (27.7 s).
  // A warm-up rescan of everyone then reads storage, fills the slot cache and indexes every
  // position; each size is then timed re-reading its first `size` borrowers.
  const rssMb = () => Math.round(process.memoryUsage().rss / 1e6);
  collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  const deps = createMarketDependencies(hre.ethers.provider, sandbox.book, { batchSize: 500 });
  const market = new AaveV3Market(sandbox.book.aaveV3!, deps);
  await market.init();
  let started = Date.now();
  await market.refreshPositions(opened, readBlock);
  collectGarbage();
  log(`rescan: calibrated on ${opened.length} templates (${market.readMode}) in ${Date.now() - started} ms, rss ${rssMb()} MB`);
  if (market.readMode !== "storage") throw new Error("rescan benchmark: the storage layout did not calibrate on the templates");
  started = Date.now();
  const warm = await market.refreshPositions(everyone, readBlock);
  if (warm.tracked !== largest) throw new Error(`rescan benchmark: tracked ${warm.tracked} of ${largest} borrowers`);
  collectGarbage();
  const heapBytesPerPosition = Math.round((process.memoryUsage().heapUsed - heapBefore) / largest);
  log(
    `rescan: warm-up rescan of ${largest} in ${Date.now() - started} ms, rss ${rssMb()} MB, ${heapBytesPerPosition} heap bytes per position`,
  );

  const figures: Record<string, RescanFigure> = {};
  let profile: ProfileEntry[] = [];
  for (const size of [...sizes].sort((a, b) => a - b)) {
    const borrowers = everyone.slice(0, size);
    collectGarbage();
    const loadAtRun = os.loadavg()[0];
    const timed = async () => {
      const began = process.hrtime.bigint();
      const result = await market.refreshPositions(borrowers, readBlock);
      return { result, ms: Number(process.hrtime.bigint() - began) / 1e6 };
    };
    const run = size === largest ? await profiled(timed) : { result: await timed(), profile: [] };
    if (size === largest) profile = run.profile;
    const { result, ms } = run.result;
    figures[String(size)] = {
      ms: Math.round(ms),
      positionsPerSecond: Math.round((size / ms) * 1000),
      rpcCalls: result.rpcCalls,
      load1: Math.round(loadAtRun * 100) / 100,
      healthFactorsChecked: await checkHealthFactors(sandbox, market, borrowers, readBlock),
    };
    log(`rescan: ${size} positions (${market.readMode}): ${JSON.stringify(figures[String(size)])}`);
  }
  return {
    sizes: figures,
    profile,
    templates: opened.length,
    heapBytesPerPosition,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    loadAverage: { before: loadBefore.map((l) => Math.round(l * 100) / 100), after: os.loadavg().map((l) => Math.round(l * 100) / 100) },
  };
}

if (require.main === module) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const hre = require("hardhat") as HardhatRuntimeEnvironment;
  const sizes = process.env.RESCAN_SIZES?.split(",").map(Number);
  const templates = process.env.RESCAN_TEMPLATES ? Number(process.env.RESCAN_TEMPLATES) : undefined;
  runRescanBenchmark(hre, { sizes, templates, log: console.log })
    .then((result) => console.log(`rescan: ${JSON.stringify(result)}`))
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
