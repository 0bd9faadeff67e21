/**
 * Benchmark (issue 18): 100,000 positions in memory across three markets, and a stream of oracle
 * updates arriving every 200 ms (Base's block time) that does not wait for the keeper.
 *
 * The positions are plain-number doubles of lending positions (one collateral, one debt, health
 * factors 1.0–3.0, seeded) stored in the keeper's own PositionBook with its CrossingIndex: what is
 * measured is the book and the index, not a protocol's arithmetic nor the chain. Each update moves
 * one key's price (a random walk, with occasional 3% shocks); the keeper side answers it as the
 * engine's tick does: the index is searched and only its candidates are re-evaluated (phase A), then
 * the block's evaluation runs as the markets' onBlock does (phase B, evaluation-schedule.ts: the
 * positions near HF 1 plus a slice of the rolling full pass over `fullEvaluationSeconds`; blocks
 * are 200 ms, five to a timestamp second, interest at 20% a year). Measured:
 *   - crossingSearchMs {p50, p99, positions}: the search alone (book.crossingCandidates), wall time;
 *   - crossingSearchCpuMs {p50, p99, max}: the process's CPU time over the same searches: on a shared
 *     2-core machine the wall-time tail is mostly the thread waiting to be scheduled (at load 7.7:
 *     wall p99 5.5 ms, CPU p99 0.8 ms), and this says how much of it is the search's own work;
 *   - gc {pauses, p99Ms, maxMs, searchesHit}: the collector's pauses during the stream and how many
 *     searches one of them overlapped (none of 300 at 100,000 positions: the tail is not GC);
 *   - stream: per update, from its arrival to the candidates being re-evaluated (queueing included,
 *     so a keeper that falls behind shows it), how many answers came more than one interval after
 *     their update (`lateAnswers`), the whole tick including phase B (`tickMs`), and how many
 *     positions phase B re-evaluated per block (`blockEvaluations`);
 *   - fullEvaluationMs: one pass over every position of the largest market (the per-block cost),
 *     with the index and without it (what keeping the index costs each block);
 *   - heapBytesPerPosition: heap growth (after GC) for states, positions, holder sets and the index.
 * Every figure carries the machine's load average. Writes the `scale` section of reports/bench.json.
 * Target (issue 18): crossingSearchMs p99 ≤ 5 ms at 100,000 positions.
 *
 * Run alone with `npx hardhat run bench/scale.ts` (no chain involved); `npm run bench` adds the
 * discovery figures (bench/discovery.ts) to the same section.
 */
import os from "node:os";
import v8 from "node:v8";
import vm from "node:vm";
import { PerformanceObserver, performance } from "node:perf_hooks";
import type { Address } from "../keeper/config/address-book";
import { WAD } from "../keeper/core/fixed-point";
import type { TrackedPosition } from "../keeper/core/types";
import { PositionBook } from "../keeper/markets/position-book";
import { CrossingIndex } from "../keeper/markets/crossing-index";
import { EvaluationSchedule, growthAtYearlyRate, NEAR_LEVEL } from "../keeper/markets/evaluation-schedule";
import { quantile } from "../keeper/run/run-recorder";
import { seededRandom, type SeededRandom } from "../sandbox/random";
import { mergeBenchSection, readBenchReport } from "./lib/bench-report";

export interface ScaleBenchmarkResult {
  readonly positions: number;
  readonly markets: number;
  readonly crossingSearchMs: { readonly p50: number; readonly p99: number; readonly positions: number };
  /** CPU time of the process over each search (both threads of a 2-core machine count), next to its wall time. */
  readonly crossingSearchCpuMs: { readonly p50: number; readonly p99: number; readonly max: number };
  /** The collector's pauses during the stream, and how many searches one of them overlapped. */
  readonly gc: {
    readonly pauses: number;
    readonly p99Ms: number;
    readonly maxMs: number;
    readonly searchesHit: number;
    readonly searches: number;
  };
  readonly stream: {
    readonly updates: number;
    readonly intervalMs: number;
    readonly answerMs: { readonly p50: number; readonly p99: number; readonly max: number };
    readonly lateAnswers: number;
    /** From arrival to the end of the block's full evaluation (the engine's tick for that block). */
    readonly tickMs: { readonly p50: number; readonly p99: number };
    readonly candidatesPerUpdate: { readonly p50: number; readonly max: number };
    readonly holdersPerUpdate: { readonly p50: number; readonly max: number };
    /** Positions phase B re-evaluated per block, over every market (near ones plus the rolling slice). */
    readonly blockEvaluations: { readonly p50: number; readonly max: number };
    readonly fullEvaluationSeconds: number;
  };
  readonly fullEvaluationMs: { readonly p50: number; readonly withoutIndexP50: number; readonly positions: number };
  readonly heapBytesPerPosition: number;
  /** The start-up warm-up of every book's search (CrossingIndex.warm): searches run and their time. */
  readonly crossingSearchWarmUp: { readonly searches: number; readonly ms: number };
  /** Searches of the stream that sorted a lane first (changes past the overlay limit). */
  readonly searchesThatSorted: number;
  readonly loadAverage: { readonly before: readonly number[]; readonly after: readonly number[] };
  readonly cpus: number;
}

export interface ScaleBenchmarkOptions {
  /** Total positions, split 50/30/20 over three markets. Default 100,000. */
  readonly positions?: number;
  /** Oracle updates in the stream, one per block. Default 100 (20 s at 200 ms: two rolling passes). */
  readonly updates?: number;
  /** The markets' rolling full pass. Default 10 s (the markets' default). */
  readonly fullEvaluationSeconds?: number;
  readonly intervalMs?: number;
  readonly log?: (message: string) => void;
}

/** A position's protocol state in this double: one collateral and one debt, in token units. */
interface PlainState {
  readonly collateral: string;
  readonly collateralAmount: number;
  readonly debt: string;
  readonly debtAmount: number;
  readonly thresholdBps: number;
}

const START_PRICES: Readonly<Record<string, number>> = { WETH: 3000, cbBTC: 90_000, cbETH: 3300, wstETH: 3500, USDC: 1 };
/** Each market's collateral/debt pairs (collateral, debt). */
const MARKET_PAIRS: readonly (readonly [string, string])[][] = [
  [
    ["WETH", "USDC"],
    ["cbBTC", "USDC"],
    ["USDC", "WETH"],
    ["cbETH", "WETH"],
  ],
  [
    ["WETH", "USDC"],
    ["cbBTC", "USDC"],
    ["wstETH", "WETH"],
  ],
  [
    ["cbBTC", "USDC"],
    ["WETH", "USDC"],
  ],
];
const MARKET_SHARES = [0.5, 0.3, 0.2];
const MOVING_KEYS = ["WETH", "cbBTC", "cbETH", "wstETH"];

const borrowerAddress = (market: number, i: number) => `0x${(market * 1e7 + i).toString(16).padStart(40, "0")}` as Address;

/** The double's health factor: collateral × threshold over debt, at `prices`, as a WAD bigint like the plug-ins'. */
function evaluate(market: number, borrower: Address, state: PlainState, prices: Record<string, number>): TrackedPosition {
  const collateralUsd = state.collateralAmount * prices[state.collateral];
  const debtUsd = state.debtAmount * prices[state.debt];
  const hf = (collateralUsd * state.thresholdBps) / 10_000 / debtUsd;
  return {
    key: { protocol: "bench", market: `bench:${market}`, borrower },
    collaterals: [
      {
        token: state.collateral as Address,
        amount: 0n,
        valueUsd: collateralUsd,
        liquidationThresholdBps: state.thresholdBps,
        liquidationBonusBps: 500,
      },
    ],
    debts: [{ token: state.debt as Address, amount: 0n, valueUsd: debtUsd }],
    healthFactor: BigInt(Math.round(hf * 1e9)) * (WAD / 1_000_000_000n),
    updatedAtBlock: 0,
  };
}

function openPositions(
  book: PositionBook<PlainState>,
  market: number,
  count: number,
  random: SeededRandom,
  prices: Record<string, number>,
): void {
  const pairs = MARKET_PAIRS[market];
  for (let i = 0; i < count; i++) {
    const [collateral, debt] = pairs[i % pairs.length];
    const thresholdBps = Math.round(random.between(7500, 8600));
    const debtUsd = Math.exp(random.between(Math.log(50), Math.log(2_000_000)));
    const hf = random.between(1.0, 3.0);
    const state: PlainState = {
      collateral,
      collateralAmount: (debtUsd * hf * 10_000) / thresholdBps / prices[collateral],
      debt,
      debtAmount: debtUsd / prices[debt],
      thresholdBps,
    };
    const borrower = borrowerAddress(market, i);
    book.setState(borrower, state, [collateral, debt]);
    book.setPosition(borrower, evaluate(market, borrower, state, prices));
  }
}

/** Forces a full GC where the runtime allows it (the flag is set at run time; Hardhat starts node without it). */
function collectGarbage(): void {
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as () => void;
  gc();
  gc();
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

export async function runScaleBenchmark(options: ScaleBenchmarkOptions = {}): Promise<ScaleBenchmarkResult> {
  const total = options.positions ?? 100_000;
  const updates = options.updates ?? 100;
  const fullEvaluationSeconds = options.fullEvaluationSeconds ?? 10;
  const intervalMs = options.intervalMs ?? 200;
  const log = options.log ?? (() => undefined);
  const loadBefore = os.loadavg();
  const random = seededRandom(18);
  const prices: Record<string, number> = { ...START_PRICES };

  collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  const indexes: CrossingIndex[] = [];
  const books = MARKET_SHARES.map((share, market) => {
    const book = new PositionBook<PlainState>(NEAR_LEVEL);
    const index = new CrossingIndex(undefined, Number(NEAR_LEVEL) / Number(WAD));
    indexes.push(index);
    book.indexCrossings({ keyOfToken: (token) => token, priceOfKey: (key) => prices[key] }, index);
    openPositions(book, market, Math.round(total * share), random, prices);
    return book;
  });
  // As a market does after its first full pass (tracked-lending-market.ts): sorted lanes, compiled search.
  const warmStarted = nowMs();
  const warmSearches = books.reduce((sum, book) => sum + book.warmCrossingSearch(), 0);
  const warmUpMs = round(nowMs() - warmStarted);
  log(`scale: search warm-up ${warmSearches} searches in ${warmUpMs} ms`);
  collectGarbage();
  const positions = books.reduce((sum, book) => sum + book.size, 0);
  const heapBytesPerPosition = Math.round((process.memoryUsage().heapUsed - heapBefore) / positions);
  log(`scale: ${positions} positions in ${books.length} markets, ${heapBytesPerPosition} heap bytes each`);

  const reevaluateAll = (market: number) => {
    const book = books[market];
    book.reevaluate(book.borrowers(), (borrower, state) => evaluate(market, borrower, state, prices));
  };
  // The same pass over a book without an index (what indexing adds to every block's evaluation),
  // alternated with the indexed one so neither gets the warmer JIT or the quieter machine.
  const plain = new PositionBook<PlainState>();
  openPositions(plain, 0, books[0].size, seededRandom(18), prices);
  const fullEvaluationMs: number[] = [];
  const plainEvaluationMs: number[] = [];
  for (let i = 0; i < 5; i++) {
    let started = nowMs();
    reevaluateAll(0);
    fullEvaluationMs.push(nowMs() - started);
    started = nowMs();
    plain.reevaluate(plain.borrowers(), (borrower, state) => evaluate(0, borrower, state, prices));
    plainEvaluationMs.push(nowMs() - started);
  }

  // The world: update i arrives at start + i·intervalMs whatever the keeper is doing (a timer would
  // wait for the event loop, i.e. for the keeper); the keeper takes the oldest one that has arrived.
  const streamStart = nowMs() + intervalMs;
  const walk = (key: string, from: number) =>
    from * (1 + (random.next() < 0.1 ? random.between(-0.03, 0.03) : random.between(-0.005, 0.005)));
  const searchMs: number[] = [];
  // GC pauses during the stream, on performance.now()'s clock, to tell the collector's pauses
  // from the search's own time in the tail.
  const gcPauses: { start: number; end: number; kind: number }[] = [];
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcPauses.push({
        start: entry.startTime,
        end: entry.startTime + entry.duration,
        kind: (entry as { detail?: { kind?: number } }).detail?.kind ?? 0,
      });
    }
  });
  gcObserver.observe({ entryTypes: ["gc"] });
  const searchWindows: { start: number; end: number }[] = [];
  // The process's CPU time over each search: wall time well above it is the machine's other work
  // (the thread was descheduled), not the search's.
  const searchCpuMs: number[] = [];
  /** Per search: whether it sorted a lane first (changes past the overlay limit), and its candidates. */
  const searchSorted: boolean[] = [];
  const searchFound: number[] = [];
  const answerMs: number[] = [];
  const candidateCounts: number[] = [];
  const holderCounts: number[] = [];
  let lateAnswers = 0;
  const tickMs: number[] = [];
  const blockEvaluations: number[] = [];
  const schedules = books.map(() => new EvaluationSchedule(fullEvaluationSeconds));
  // Block 0 (timestamp 0) was a full pass; blocks follow at 200 ms, five to a timestamp second.
  books.forEach((_, market) => schedules[market].fullPassDone({ number: 0, timestamp: 0 }));
  const blockGrowth = (seconds: number) => growthAtYearlyRate(0.2, seconds);
  let answered = 0;
  {
    while (answered < updates) {
      const arrivedAt = streamStart + answered * intervalMs;
      const wait = arrivedAt - nowMs();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const key = MOVING_KEYS[Math.floor(random.next() * MOVING_KEYS.length)];
      const update = { key, price: walk(key, prices[key]), arrivedAt };
      const from = prices[update.key];
      prices[update.key] = update.price;
      // Phase A, as the engine's tick: the index answers the move (a full evaluation ran since the last one).
      let candidates = 0;
      let holders = 0;
      for (const [market, book] of books.entries()) {
        const rebuildsBefore = indexes[market].rebuilds;
        const cpuStarted = process.cpuUsage();
        const started = nowMs();
        const windowStart = performance.now();
        book.noteIndexedMove(update.key);
        const found = book.crossingCandidates(update.key, from, update.price);
        searchMs.push(nowMs() - started);
        const cpu = process.cpuUsage(cpuStarted);
        searchCpuMs.push((cpu.user + cpu.system) / 1000);
        searchWindows.push({ start: windowStart, end: performance.now() });
        searchSorted.push(indexes[market].rebuilds !== rebuildsBefore);
        searchFound.push(found.size);
        candidates += found.size;
        holders += book.holdersOf([update.key]).size;
        book.reevaluate(found, (borrower, state) => evaluate(market, borrower, state, prices));
      }
      const answeredAt = nowMs();
      answerMs.push(answeredAt - update.arrivedAt);
      if (answeredAt - update.arrivedAt > intervalMs) lateAnswers += 1;
      // Phase B, as onBlock: the near positions and a slice of the rolling pass (or all, when due).
      const block = { number: answered + 1, timestamp: Math.floor((answered + 1) / 5) };
      const previousTimestamp = Math.floor(answered / 5);
      let evaluated = 0;
      books.forEach((book, market) => {
        const targets = schedules[market].targets(book, block, blockGrowth(block.timestamp - previousTimestamp), []);
        if (targets === "all") {
          reevaluateAll(market);
          book.restartSweep();
          schedules[market].fullPassDone(block);
          evaluated += book.size;
        } else {
          book.reevaluate(targets, (borrower, state) => evaluate(market, borrower, state, prices));
          evaluated += targets.size;
        }
      });
      blockEvaluations.push(evaluated);
      tickMs.push(nowMs() - update.arrivedAt);
      candidateCounts.push(candidates);
      holderCounts.push(holders);
      answered += 1;
    }
  }
  log(
    `scale: slowest searches [index, wall ms, cpu ms, candidates, sorted a lane] ${JSON.stringify(
      searchMs
        .map((ms, i) => [i, round(ms), round(searchCpuMs[i]), searchFound[i], searchSorted[i]] as const)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 8),
    )}`,
  );
  await new Promise((resolve) => setImmediate(resolve)); // the observer's entries arrive on a later turn
  gcObserver.disconnect();
  const searchesHitByGc = searchWindows.filter((w) => gcPauses.some((gc) => gc.start < w.end && gc.end > w.start)).length;
  const gcMs = gcPauses.map((gc) => gc.end - gc.start);
  const result: ScaleBenchmarkResult = {
    positions,
    markets: books.length,
    crossingSearchMs: { p50: round(quantile(searchMs, 0.5)), p99: round(quantile(searchMs, 0.99)), positions },
    crossingSearchCpuMs: {
      p50: round(quantile(searchCpuMs, 0.5)),
      p99: round(quantile(searchCpuMs, 0.99)),
      max: round(Math.max(...searchCpuMs)),
    },
    gc: {
      pauses: gcPauses.length,
      p99Ms: round(gcPauses.length > 0 ? quantile(gcMs, 0.99) : 0),
      maxMs: round(gcPauses.length > 0 ? Math.max(...gcMs) : 0),
      searchesHit: searchesHitByGc,
      searches: searchWindows.length,
    },
    stream: {
      updates,
      intervalMs,
      answerMs: { p50: round(quantile(answerMs, 0.5)), p99: round(quantile(answerMs, 0.99)), max: round(Math.max(...answerMs)) },
      lateAnswers,
      tickMs: { p50: round(quantile(tickMs, 0.5)), p99: round(quantile(tickMs, 0.99)) },
      candidatesPerUpdate: { p50: quantile(candidateCounts, 0.5), max: Math.max(...candidateCounts) },
      holdersPerUpdate: { p50: quantile(holderCounts, 0.5), max: Math.max(...holderCounts) },
      blockEvaluations: { p50: quantile(blockEvaluations, 0.5), max: Math.max(...blockEvaluations) },
      fullEvaluationSeconds,
    },
    fullEvaluationMs: {
      p50: round(quantile(fullEvaluationMs, 0.5)),
      withoutIndexP50: round(quantile(plainEvaluationMs, 0.5)),
      positions: books[0].size,
    },
    heapBytesPerPosition,
    crossingSearchWarmUp: { searches: warmSearches, ms: warmUpMs },
    searchesThatSorted: searchSorted.filter(Boolean).length,
    loadAverage: { before: loadBefore.map((l) => Math.round(l * 100) / 100), after: os.loadavg().map((l) => Math.round(l * 100) / 100) },
    cpus: os.cpus().length,
  };
  return result;
}

if (require.main === module) {
  runScaleBenchmark({
    positions: process.env.SCALE_POSITIONS ? Number(process.env.SCALE_POSITIONS) : undefined,
    updates: process.env.SCALE_UPDATES ? Number(process.env.SCALE_UPDATES) : undefined,
    log: console.log,
  })
    .then((result) => {
      // Keeps the discovery figures a full `npm run bench` put in the same section.
      const previous = readBenchReport().scale;
      mergeBenchSection("scale", { ...(typeof previous === "object" && previous !== null ? previous : {}), ...result });
      console.log(`scale: ${JSON.stringify(result)}`);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
