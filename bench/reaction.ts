/**
 * Benchmark the RACE, not the tick: how a price update turns into a liquidation on a chain that does not wait.
 *
 * The sandbox runs on its own 200 ms clock (sandbox/clock/), price steps land at random moments inside a block, the
 * keeper is a separate process reading heads and oracle logs by eth_subscribe (keeper/run/clocked-sandbox.ts), and
 * a rival liquidator (sandbox/rival/) can compete. Every outcome is read from the chain's own LiquidationCall
 * events; decision latencies come from the keeper's run report.
 *   - single crossings: a ladder of Aave WETH/USDC borrowers; each trial lowers WETH just below the next rung's
 *     liquidation price, so one position crosses HF 1 in block N. ≥ 30 trials with no rival (N+1 share,
 *     blocks to inclusion), then trials against rivals reacting 50, 100 and 200 ms after the block, bidding the
 *     keeper's own priority-fee cap (a tie, which Base breaks by arrival): the keeper's win rate against each;
 *   - busy steps: clusters of ≥ 100 Aave cbBTC/USDC borrowers at the same health factor, each crossed by one cbBTC
 *     step: how many blocks after N the last of them lands, and the decision latency of the first and last plan (an
 *     arbitrageur swaps the cbBTC pools back to the oracle's price every block of the step, as CEX-DEX arbitrage does
 *     on Base: ~$1M of cbBTC sold into one pool otherwise left the rest of the step unprofitable for good); and,
 *     with the keeper idle after the step, how long the node alone takes to execute the step's keeper transactions
 *     once (reaction-node-floor.ts: `nodeExecutionMs`, and `nodeFloorBlocks`, the fewest blocks that allows).
 * Writes `reaction.clock` in reports/bench.json (other sections are kept), with `reaction.aave` naming the sandbox's
 * Aave market (version, revision) it ran on:
 *   { blockTimeMs, trials, n1Share, blocksToInclusion: {p50, p90, max}, decisionMs: {first: {p50, p99}, last: {p50, p99}},
 *     rivals: {"50": {winRate}, "100": {winRate}, "200": {winRate}},
 *     busy: {steps, positionsPerStep, allIncludedByBlocks, blocksPerStep, nodeExecutionMs: {p50, max}, nodeFloorBlocks},
 *     loadAvg }
 * and `reaction.stages`: where the keeper's decision time goes (from its run report), so a missed target names its
 * stage. Targets (bench only, never asserted in tests): N+1 share ≥ 95% with no rival; win rate ≥ 90% against the
 * 100 ms rival; a 100-position step fully included by N+3; first-plan decision p99 ≤ 20 ms. `loadAvg` is the
 * machine's mean 1-minute load average during the run: figures from a loaded machine say so.
 *
 * Run alone with `npx hardhat run bench/reaction.ts` (REACTION_TRIALS, REACTION_RIVAL_TRIALS, REACTION_BUSY_STEPS,
 * REACTION_BUSY_POSITIONS scale it); bench/index.ts calls `runReactionBenchmark`.
 */
import { createClockedRuntime } from "../sandbox/clock/clocked-runtime";
import type { MinedBlock } from "../sandbox/clock/chain-clock";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { OpenedBorrower } from "../sandbox";
import { openClockedSandbox, type ClockedSandbox } from "../keeper/run/clocked-sandbox";
import type { RunReport } from "../keeper/run/run-report";
import { quantile } from "../keeper/run/run-recorder";
import { mergeBenchSection } from "./lib/bench-report";
import { LadderRungs } from "./reaction-ladder";
import { feedPrice, openCluster, openLadder } from "./reaction-population";
import { AFTER_SIGNING, slowestStage, type MissedTarget } from "./reaction-missed";
import { floorBlocks, stepExecutionFloor, type StepExecutionFloor } from "./reaction-node-floor";

export type { MissedTarget } from "./reaction-missed";

export interface ReactionClockResult {
  readonly blockTimeMs: number;
  readonly trials: number;
  readonly n1Share: number;
  readonly blocksToInclusion: { readonly p50: number; readonly p90: number; readonly max: number };
  readonly decisionMs: {
    readonly first: { readonly p50: number; readonly p99: number };
    readonly last: { readonly p50: number; readonly p99: number };
    /** First plans of single crossings by path: sent from a plan prepared ahead of the price, or planned afresh. */
    readonly firstPrepared: PathFigures;
    readonly firstUnprepared: PathFigures;
  };
  readonly rivals: Readonly<Record<"50" | "100" | "200", { readonly winRate: number }>>;
  readonly busy: {
    readonly steps: number;
    readonly positionsPerStep: number;
    readonly allIncludedByBlocks: number;
    /** Each step's own figure, in step order (allIncludedByBlocks is their max): how much one run's steps vary. */
    readonly blocksPerStep: readonly number[];
    /** The node alone executing a step's keeper transactions once, on N's state (reaction-node-floor.ts): p50 and max ms. */
    readonly nodeExecutionMs: { readonly p50: number; readonly max: number };
    /** The fewest blocks after N a step could be fully included in on this node, from that p50 (floorBlocks). */
    readonly nodeFloorBlocks: number;
  };
  /**
   * Single crossings with no rival: the time the chain itself left a reaction to block N, from N's publication to the
   * start of N+1's sealing (the mempool cut-off). 200 ms on Base; a late N (a busy node) shortens it, and no keeper
   * lands in N+1 inside a window shorter than its decision.
   */
  readonly n1WindowMs: { readonly p50: number; readonly min: number };
  /** Single crossings the keeper landed with no rival: N's publication to its transaction reaching the node (wall ms). */
  readonly keeperArrivalMs: { readonly p50: number; readonly p90: number; readonly max: number };
  readonly loadAvg: number;
}

interface PathFigures {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
}

export interface ReactionBenchmarkResult {
  /** The sandbox's Aave market the figures were measured on (v3.6 by default, as Base runs it). */
  readonly aave: { readonly version: string; readonly revision: number };
  readonly clock: ReactionClockResult;
  /** Median ms per stage of the keeper's decision (price seen → signed), from its run report. */
  readonly stages: Readonly<Record<string, number>>;
  /** Single-crossing decision ms by path: sent from a plan prepared ahead of the price, or planned afresh. */
  readonly preparedPlans: Readonly<Record<"prepared" | "fresh", { count: number; p50: number; p99: number }>>;
  /** Targets missed (bench targets, never test assertions), each with the stage that ate the time. */
  readonly missed: readonly MissedTarget[];
}

export interface ReactionBenchmarkOptions {
  /** Single-crossing trials with no rival; at least 30. Default 30. */
  readonly trials?: number;
  /** Trials against each rival (50, 100, 200 ms). Default 10. */
  readonly rivalTrials?: number;
  /** Busy steps; at least 5. Default 5. */
  readonly busySteps?: number;
  /** Positions per busy step; at least 100. Default 100. */
  readonly busyPositions?: number;
  readonly log?: (message: string) => void;
}

const BLOCK_TIME_MS = 200;
const RIVAL_DELAYS_MS = [50, 100, 200] as const;
/** The sandbox keeper's priority-fee cap (strategy.maxPriorityFeeGwei): the rival bids the same, so ties go by arrival. */
const RIVAL_PRIORITY_FEE_GWEI = 2;
const CROSSING_MARGIN = 0.0003;
/** A trial is over once its position is liquidated, or after this many blocks (counted as never, for the keeper). */
const TRIAL_BLOCKS = 20;

export async function runReactionBenchmark(
  runtime: HardhatRuntimeEnvironment,
  options: ReactionBenchmarkOptions = {},
): Promise<ReactionBenchmarkResult> {
  const trials = options.trials ?? 30;
  const rivalTrials = options.rivalTrials ?? 10;
  const busySteps = options.busySteps ?? 5;
  const busyPositions = options.busyPositions ?? 100;
  if (!Number.isInteger(trials) || trials < 30)
    throw new Error(`the reaction benchmark needs at least 30 single-crossing trials, got ${trials}`);
  if (!Number.isInteger(busySteps) || busySteps < 5)
    throw new Error(`the reaction benchmark needs at least 5 busy steps, got ${busySteps}`);
  if (!Number.isInteger(busyPositions) || busyPositions < 100)
    throw new Error(`busy steps need at least 100 positions, got ${busyPositions}`);
  if (!Number.isInteger(rivalTrials) || rivalTrials < 1) throw new Error(`rivalTrials must be a positive integer, got ${rivalTrials}`);
  const log = options.log ?? (() => undefined);
  // A fresh chain of its own, which may mine five blocks to a second (sandbox/clock/clocked-runtime.ts).
  const hre = await createClockedRuntime(runtime);

  const loadSamples: number[] = [os.loadavg()[0]!];
  const sampler = setInterval(() => loadSamples.push(os.loadavg()[0]!), 5_000);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "chimera-reaction-"));
  // Spare rungs: a step crosses a second rung about one trial in four (random HFs ~0.1% apart), which spends it.
  const rungs = Math.ceil((trials + rivalTrials * RIVAL_DELAYS_MS.length) * 1.5) + 1;
  let ladder: OpenedBorrower[] = [];
  const clusters: OpenedBorrower[][] = [];
  let start = { WETH: 0, cbBTC: 0 };
  let aave = { version: "", revision: 0 };
  log(`opening ${rungs} ladder borrowers and ${busySteps} × ${busyPositions} busy-step borrowers ...`);
  // The keeper's own output stays on disk: a keeper that stops mid-run must say why (reports/ is not committed).
  const keeperLogPath = path.resolve(runtime.config.paths.root, "reports", "reaction-keeper.log");
  fs.mkdirSync(path.dirname(keeperLogPath), { recursive: true });
  const keeperLog = fs.createWriteStream(keeperLogPath);
  const track = await openClockedSandbox({
    hre,
    directory: scratch,
    metricsPort: await freePort(),
    seed: 20_261_206,
    blockTimeMs: BLOCK_TIME_MS,
    rival: null,
    keeperConfig: { markets: { morphoBlue: { enabled: false, batchSize: 250 } } },
    onKeeperLine: (line) => keeperLog.write(`${line}\n`),
    populate: async (sandbox) => {
      ladder = (await openLadder(hre, sandbox, rungs)).sort((a, b) => a.targetHealthFactor - b.targetHealthFactor);
      for (let k = 0; k < busySteps; k++) clusters.push(await openCluster(hre, sandbox, k, busyPositions));
      start = { WETH: await feedPrice(sandbox, "WETH"), cbBTC: await feedPrice(sandbox, "cbBTC") };
      aave = { version: sandbox.aave.version, revision: sandbox.aave.revision };
      return [...ladder, ...clusters.flat()];
    },
  });
  const ladderRungs = new LadderRungs(ladder);
  const singles: Single[] = [];
  // The clock's blocks (recent ones), for the window each trial's N left before N+1 was sealed.
  const sealed = new Map<number, MinedBlock>();
  track.node.clock.onBlock((block) => {
    sealed.set(block.number, block);
    sealed.delete(block.number - 64);
  });
  const windowAfter = (priceBlock: number): number | null => {
    const [n, next] = [sealed.get(priceBlock), sealed.get(priceBlock + 1)];
    return n === undefined || next === undefined ? null : next.sealStartedAtMs - n.minedAtMs;
  };
  const arrivalAfter = (first: { by: string; txHash: string } | null, priceBlock: number): number | null => {
    const [at, n] = [first?.by === "keeper" ? track.node.arrivalOf(first.txHash) : undefined, sealed.get(priceBlock)];
    return at === undefined || n === undefined ? null : at - n.minedAtMs;
  };
  const busy: BusyStep[] = [];
  let report: RunReport | null = null;
  try {
    const phases: (number | null)[] = [
      ...Array<null>(trials).fill(null),
      ...RIVAL_DELAYS_MS.flatMap((delay) => Array<number>(rivalTrials).fill(delay)),
    ];
    // One warm-up crossing first: a running keeper is warm (JIT, caches); it is not counted.
    for (const [index, rival] of [null, ...phases].entries()) {
      track.rival.setReaction(rival === null ? null : { delayMs: rival, priorityFeeGwei: RIVAL_PRIORITY_FEE_GWEI });
      const target = ladderRungs.next();
      if (target === undefined) throw new Error(`trial ${index}: the ladder has no borrower left to cross`);
      const price = (start.WETH / target.targetHealthFactor) * (1 - CROSSING_MARGIN);
      const outcome = await crossAndAwait(track, [target], "WETH", price);
      ladderRungs.spend([target.address, ...outcome.liquidatedBorrowers]);
      const first = outcome.first.get(target.address.toLowerCase()) ?? null;
      if (index > 0)
        singles.push({
          target: target.address.toLowerCase(),
          priceBlock: outcome.priceBlock,
          firstBlock: first?.blockNumber ?? null,
          by: first?.by ?? null,
          rival,
          windowMs: windowAfter(outcome.priceBlock),
          arrivalMs: arrivalAfter(first, outcome.priceBlock),
        });
      log(
        `${index === 0 ? "warm-up" : `trial ${index}/${phases.length}`}${rival === null ? "" : ` (rival ${rival} ms)`}: ` +
          (first === null ? "not liquidated" : `${first.by} first, N+${first.blockNumber - outcome.priceBlock}`),
      );
      await settle(track);
      // A rung the step crossed beside the target may have landed after the trial stopped looking: spent too.
      ladderRungs.spend((await track.liquidations(outcome.priceBlock)).map((liquidation) => liquidation.borrower));
    }
    track.rival.setReaction(null);
    for (const [k, cluster] of clusters.entries()) {
      const highest = Math.max(...cluster.map((b) => b.targetHealthFactor));
      const outcome = await crossAndAwait(track, cluster, "cbBTC", (start.cbBTC / highest) * (1 - CROSSING_MARGIN), { arbitrage: true });
      const targets = new Set(cluster.map((b) => b.address.toLowerCase()));
      const keeperBlocks = [...outcome.first.values()]
        .filter((l) => targets.has(l.borrower) && l.by === "keeper")
        .map((l) => l.blockNumber);
      const allIn = keeperBlocks.length === targets.size;
      // The keeper's transactions of the step, replayed on N's state while nothing else is going on (the node floor).
      const keeperTxs = [...outcome.first.values()].filter((l) => targets.has(l.borrower) && l.by === "keeper").map((l) => l.txHash);
      await settle(track);
      const floor = await stepExecutionFloor(track.hre.network.provider, keeperTxs, outcome.priceBlock);
      busy.push({ targets, priceBlock: outcome.priceBlock, lastBlock: allIn ? Math.max(...keeperBlocks) : null, floor });
      log(
        `busy step ${k + 1}/${clusters.length}: ${keeperBlocks.length}/${targets.size} liquidated, last at N+${allIn ? Math.max(...keeperBlocks) - outcome.priceBlock : "never"}; ` +
          `the node executes its ${floor.transactions} transactions in ${floor.ms} ms`,
      );
    }
  } finally {
    clearInterval(sampler);
    const exit = await track.close();
    if (exit.reportPath !== null) {
      report = JSON.parse(fs.readFileSync(exit.reportPath, "utf8")) as RunReport;
      // Kept beside the keeper's log (per execution: decision stages, prepared or fresh) for profiling a missed target.
      fs.renameSync(exit.reportPath, path.join(path.dirname(keeperLogPath), "reaction-run.json"));
    }
    fs.rmSync(scratch, { recursive: true, force: true });
    keeperLog.end();
  }
  // The chain's figures (inclusion, wins) stand without the keeper's report; only decision times need it.
  if (report === null) log(`the keeper process wrote no run report (decision times missing); see its output in ${keeperLogPath}`);
  const executions = report === null ? [] : report.executions;
  return { aave, ...summarize({ executions } as unknown as RunReport, singles, busy, busyPositions, loadSamples) };
}

interface BusyStep {
  readonly targets: Set<string>;
  readonly priceBlock: number;
  /** The block of the step's last keeper liquidation; null if the keeper did not liquidate every target. */
  readonly lastBlock: number | null;
  readonly floor: StepExecutionFloor;
}

interface Single {
  readonly target: string;
  readonly priceBlock: number;
  readonly firstBlock: number | null;
  readonly by: string | null;
  readonly rival: number | null;
  /** N+1's sealing start minus N's publication (wall ms), null if either block was not seen. */
  readonly windowMs: number | null;
  /** The keeper's first liquidation's arrival at the node minus N's publication (wall ms); null if not the keeper's. */
  readonly arrivalMs: number | null;
}

async function crossAndAwait(
  track: ClockedSandbox,
  targets: readonly OpenedBorrower[],
  symbol: "WETH" | "cbBTC",
  usd: number,
  options: { readonly arbitrage?: boolean } = {},
) {
  const step = await track.handle.movePricesReport([{ symbol, usd }]);
  const wanted = new Set(targets.map((b) => b.address.toLowerCase()));
  const first = new Map<string, Awaited<ReturnType<ClockedSandbox["liquidations"]>>[number]>();
  // Each block's liquidations are read once (from the first block not yet read), not the whole trial again every block:
  // this process also serves the node the keeper reads, and busy steps carry 100 liquidations to decode.
  let from = step.block.number;
  for (let waited = 0; waited < TRIAL_BLOCKS; waited++) {
    const upTo = track.node.clock.lastBlock?.number ?? from;
    for (const liquidation of await track.liquidations(from))
      if (!first.has(liquidation.borrower)) first.set(liquidation.borrower, liquidation);
    from = Math.max(from, upTo + 1);
    if ([...wanted].every((borrower) => first.has(borrower))) break;
    // The world's arbitrageurs: the pools the step's sales pushed are brought back to the oracle's price each block.
    if (options.arbitrage === true) await track.handle.arbitrage([symbol]);
    await track.handle.mine();
  }
  return { priceBlock: step.block.number, first, liquidatedBorrowers: [...first.keys()] };
}

/** Waits until the keeper has nothing in flight and no reaction running (at most 10 blocks), so trials do not overlap. */
async function settle(track: ClockedSandbox): Promise<void> {
  for (let waited = 0; waited < 10; waited++) {
    await track.handle.mine();
    const status = await track.keeper.status();
    if (status !== null && Array.isArray(status.inFlight) && status.inFlight.length === 0 && status.reacting !== true) return;
  }
}

function summarize(
  report: RunReport,
  singles: readonly Single[],
  busy: readonly BusyStep[],
  busyPositions: number,
  loadSamples: readonly number[],
): Omit<ReactionBenchmarkResult, "aave"> {
  const executions = report.executions as readonly {
    borrower: string;
    decisionMs: number | null;
    state: string;
    decisionStages?: Record<string, number>;
    preparedAhead?: boolean;
  }[];
  type Execution = (typeof executions)[number];
  const decidedFor = (borrower: string) => executions.filter((e) => e.borrower.toLowerCase() === borrower && e.decisionMs !== null);
  const fastest = (list: readonly Execution[]) =>
    list.reduce<Execution | null>((best, e) => (best === null || e.decisionMs! < best.decisionMs! ? e : best), null);
  const slowest = (list: readonly Execution[]) =>
    list.reduce<Execution | null>((worst, e) => (worst === null || e.decisionMs! > worst.decisionMs! ? e : worst), null);
  const alone = singles.filter((trial) => trial.rival === null);
  // A trial the keeper never landed counts against it: blocks = the whole trial window.
  const blocks = alone.map((trial) =>
    trial.by === "keeper" && trial.firstBlock !== null ? trial.firstBlock - trial.priceBlock : TRIAL_BLOCKS + 1,
  );
  // The first plan of each single crossing (its first attempt) and of each busy step (the fastest of the step).
  const singleFirsts = alone.flatMap((trial) => decidedFor(trial.target).slice(0, 1));
  const firstExecutions = [...singleFirsts, ...busy.flatMap((step) => fastest([...step.targets].flatMap(decidedFor)) ?? [])];
  const lastExecutions = busy.flatMap((step) => slowest([...step.targets].flatMap(decidedFor)) ?? []);
  const firstDecisions = firstExecutions.map((e) => e.decisionMs!);
  // Decision time of single crossings by path: a plan prepared ahead of the price, or planned and simulated afresh.
  const byPath = (prepared: boolean) => singleFirsts.filter((e) => (e.preparedAhead === true) === prepared).map((e) => e.decisionMs!);
  const pathSummary = (samples: readonly number[]) => ({
    count: samples.length,
    p50: round1(quantile(samples, 0.5)),
    p99: round1(quantile(samples, 0.99)),
  });
  const lastDecisions = lastExecutions.map((e) => e.decisionMs!);
  const rivals = Object.fromEntries(
    RIVAL_DELAYS_MS.map((delay) => {
      const against = singles.filter((trial) => trial.rival === delay);
      return [String(delay), { winRate: round3(against.filter((trial) => trial.by === "keeper").length / Math.max(1, against.length)) }];
    }),
  ) as ReactionClockResult["rivals"];
  const stageNames = new Set(executions.flatMap((e) => Object.keys(e.decisionStages ?? {})));
  const stages = Object.fromEntries(
    [...stageNames].map((name) => [
      name,
      round1(
        quantile(
          executions.flatMap((e) => (e.decisionStages?.[name] === undefined ? [] : [e.decisionStages[name]!])),
          0.5,
        ),
      ),
    ]),
  );
  const nodeMs = busy.map((step) => step.floor.ms);
  const windows = alone.flatMap((trial) => (trial.windowMs === null ? [] : [trial.windowMs]));
  const arrivals = alone.flatMap((trial) => (trial.arrivalMs === null ? [] : [trial.arrivalMs]));
  // A step not fully included within the trial window counts as the window plus one.
  const blocksPerStep = busy.map((step) => (step.lastBlock === null ? TRIAL_BLOCKS + 1 : step.lastBlock - step.priceBlock));
  const clock: ReactionClockResult = {
    blockTimeMs: BLOCK_TIME_MS,
    trials: alone.length,
    n1Share: round3(blocks.filter((b) => b === 1).length / Math.max(1, blocks.length)),
    blocksToInclusion: { p50: quantile(blocks, 0.5), p90: quantile(blocks, 0.9), max: Math.max(...blocks) },
    decisionMs: {
      first: { p50: round1(quantile(firstDecisions, 0.5)), p99: round1(quantile(firstDecisions, 0.99)) },
      last: { p50: round1(quantile(lastDecisions, 0.5)), p99: round1(quantile(lastDecisions, 0.99)) },
      firstPrepared: pathSummary(byPath(true)),
      firstUnprepared: pathSummary(byPath(false)),
    },
    rivals,
    busy: {
      steps: busy.length,
      positionsPerStep: busyPositions,
      allIncludedByBlocks: Math.max(...blocksPerStep),
      blocksPerStep,
      nodeExecutionMs: { p50: round1(quantile(nodeMs, 0.5)), max: Math.max(...nodeMs) },
      nodeFloorBlocks: floorBlocks(quantile(nodeMs, 0.5), BLOCK_TIME_MS),
    },
    n1WindowMs: { p50: round1(quantile(windows, 0.5)), min: windows.length === 0 ? Number.NaN : Math.min(...windows) },
    keeperArrivalMs: { p50: quantile(arrivals, 0.5), p90: quantile(arrivals, 0.9), max: Math.max(...arrivals) },
    loadAvg: round2(loadSamples.reduce((sum, value) => sum + value, 0) / loadSamples.length),
  };
  // A decision-latency target is judged on the stages its figure is made of: decisionMs ends at the signature, so the
  // send (after it) cannot be what a missed decisionMs target lost its time to, though it was named so.
  const targets: {
    target: string;
    value: number | null;
    met: boolean;
    judgedOn: readonly Execution[];
    decisionOnly?: boolean;
  }[] = [
    { target: "n1Share >= 0.95 (no rival)", value: clock.n1Share, met: clock.n1Share >= 0.95, judgedOn: singleFirsts },
    {
      target: "rivals.100.winRate >= 0.9",
      value: clock.rivals["100"].winRate,
      met: clock.rivals["100"].winRate >= 0.9,
      judgedOn: singleFirsts,
    },
    {
      target: "busy.allIncludedByBlocks <= 3",
      value: clock.busy.allIncludedByBlocks,
      met: clock.busy.allIncludedByBlocks <= 3,
      judgedOn: lastExecutions,
    },
    {
      target: "decisionMs.first.p99 <= 20",
      value: clock.decisionMs.first.p99,
      met: clock.decisionMs.first.p99 <= 20,
      judgedOn: firstExecutions,
      decisionOnly: true,
    },
  ];
  const windowNote =
    `the chain left a reaction to block N ${clock.n1WindowMs.p50} ms (p50; min ${clock.n1WindowMs.min}) before sealing N+1, ` +
    `${windows.filter((w) => w < BLOCK_TIME_MS / 2).length} of ${windows.length} trials under ${BLOCK_TIME_MS / 2} ms`;
  const busyNote =
    `the node alone executes a step's keeper transactions in ${clock.busy.nodeExecutionMs.p50} ms (p50 of ${busy.length}, replayed ` +
    `on N's state): simulated, then mined, no step can be fully in before N+${clock.busy.nodeFloorBlocks} on this machine`;
  const missed = targets
    .filter((t) => !t.met)
    .map(({ target, value, judgedOn, decisionOnly }) => ({
      target,
      value,
      ...slowestStage(judgedOn, decisionOnly === true ? AFTER_SIGNING : []),
      ...(target.startsWith("n1Share") || target.startsWith("rivals") ? { note: windowNote } : {}),
      ...(target.startsWith("busy") ? { note: busyNote } : {}),
    }));
  return { clock, stages, preparedPlans: { prepared: pathSummary(byPath(true)), fresh: pathSummary(byPath(false)) }, missed };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** Merges `{ reaction }` into reports/bench.json, keeping the other sections. */
export function writeReactionSection(result: ReactionBenchmarkResult): void {
  mergeBenchSection("reaction", result);
}

if (require.main === module) {
  // `npx hardhat run bench/reaction.ts`: the runtime environment is the one hardhat loaded.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const hre = require("hardhat") as HardhatRuntimeEnvironment;
  const numberFrom = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);
  runReactionBenchmark(hre, {
    trials: numberFrom("REACTION_TRIALS"),
    rivalTrials: numberFrom("REACTION_RIVAL_TRIALS"),
    busySteps: numberFrom("REACTION_BUSY_STEPS"),
    busyPositions: numberFrom("REACTION_BUSY_POSITIONS"),
    log: console.log,
  })
    .then((result) => {
      writeReactionSection(result);
      console.log(`reaction: ${JSON.stringify(result)}`);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
