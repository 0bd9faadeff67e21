/**
 * `npx hardhat keeper` (no --network): the sandbox scenario as a RACE, the way it would go on Base. The chain mines
 * a block every 200 ms on its own clock, the scenario's price steps land at random moments inside a block, a rival
 * liquidator (its own key, reacting 100 ms after each oracle update with the keeper's own priority fee cap, ties
 * broken by arrival) competes for every position, and the keeper runs as a separate process against the node's
 * HTTP and WebSocket endpoints, exactly as `npx hardhat keeper --network base` would (clocked-sandbox.ts).
 *
 * The keeper's own summary (printed as it exits) shows races won and lost, blocks from the price update to inclusion
 * (N+1 / N+2 / later) and the decision latency of the first and last plan of each step; this run adds what the chain
 * itself says (who liquidated each position first) and checks the scenario: every position that went under was
 * liquidated by someone, the dust and unroutable positions were skipped with their reasons, and nothing the keeper
 * sent failed except races it lost. It needs no RPC and no key and exits 0 when all of that holds.
 */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { RivalReaction } from "../../sandbox/rival";
import type { KeeperConfig } from "../config/schema";
import { checkExpectations, type ExpectationVerdict } from "../scenarios/expectations";
import { FALLING_PRICES_SCENARIO } from "../scenarios/falling-prices";
import { openPopulation, type OpenedPopulation } from "../scenarios/sandbox-population";
import type { Scenario } from "../scenarios/scenario";
import { createClockedRuntime } from "../../sandbox/clock/clocked-runtime";
import { buildSandbox } from "../../sandbox/build-sandbox";
import { MoonwellPublicRival, moonwellLiquidations } from "../../sandbox/moonwell-race";
import { addScenarioMarkets, sandboxKeeperConfig } from "../scenarios/scenario-markets";
import { hardhatAccountWallet } from "./hardhat-accounts";
import { openClockedSandbox } from "./clocked-sandbox";
import type { RunReport } from "./run-report";
import { formatRunSummary, formatTable } from "./summary-table";

/** The quick start's rival: 100 ms after the block, bidding the sandbox keeper's own cap (ties go by arrival). */
export const QUICK_START_RIVAL: RivalReaction = { delayMs: 100, priorityFeeGwei: 2 };
/** The Moonwell rival's Hardhat account (the Aave rival is 5; clocked-sandbox.ts assigns 0-5). */
const MOONWELL_RIVAL_ACCOUNT = 6;
/** Blocks a step is given at most to settle (60 s) before the next one; it moves on once the keeper is quiet. */
const STEP_SETTLE_MAX_BLOCKS = 300;
/** The keeper is done with a step when nothing is in flight and its counts have not moved for this many blocks (1 s). */
const STEP_QUIET_BLOCKS = 5;

export interface SandboxRaceOptions {
  readonly hre: HardhatRuntimeEnvironment;
  /** The validated config for the `hardhat` network: its mode, strategy, limits and execution times go to the keeper. */
  readonly config: KeeperConfig;
  readonly scenario?: Scenario;
  readonly rival?: RivalReaction | null;
  readonly once?: boolean;
  readonly maxBlocks?: number;
  readonly journalPath?: string;
  readonly print: (line: string) => void;
}

export interface SandboxRaceResult {
  readonly ok: boolean;
  readonly verdicts: readonly ExpectationVerdict[];
  readonly report: RunReport | null;
  /** Every liquidation on chain during the race, in chain order, labelled by who sent it. */
  readonly liquidations: readonly {
    readonly borrower: string;
    readonly by: string;
    readonly blockNumber: number;
    readonly txHash: string;
  }[];
  readonly reportPath: string | null;
  readonly journalPath: string;
  readonly logPath: string;
  readonly timings: { readonly setupMs: number; readonly totalMs: number };
}

export async function runSandboxRace(options: SandboxRaceOptions): Promise<SandboxRaceResult> {
  const { hre, config, print } = options;
  const started = Date.now();
  const scenario = options.scenario ?? FALLING_PRICES_SCENARIO;
  const stamp = new Date(started).toISOString().replace(/[:.]/g, "-");
  const root = hre.config.paths.root;
  const journalPath = options.journalPath ?? stamped(path.resolve(root, config.journal.path), stamp);
  const logPath = journalPath.replace(/\.sqlite$/, "") + ".log";
  fs.mkdirSync(path.dirname(journalPath), { recursive: true });
  const log = fs.createWriteStream(logPath);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "chimera-race-"));
  const { port, note } = await usablePort(config.metrics.port);
  if (note !== null) print(note);
  const rival = options.rival === undefined ? QUICK_START_RIVAL : options.rival;

  print("Building the sandbox (genuine Aave V3, Uniswap V3, Balancer V2, Morpho Blue bytecode) ...");
  let population: OpenedPopulation | null = null;
  // The race's chain is its own in-process chain, the one that may mine five blocks to a second.
  const chain = await createClockedRuntime(hre);
  // Moonwell behind its OEV wrappers when the scenario has borrowers there (a rival of its own watches them below).
  const sandbox = await addScenarioMarkets(chain, await buildSandbox(chain), scenario);
  const track = await openClockedSandbox({
    hre: chain,
    sandbox,
    directory: scratch,
    journalPath,
    metricsPort: port,
    seed: scenario.seed,
    rival,
    keeperConfig: {
      mode: config.mode,
      strategy: config.strategy,
      limits: config.limits,
      execution: config.execution,
      markets: sandboxKeeperConfig(config, sandbox).markets,
      journal: { path: journalPath },
    },
    // The keeper's JSON log goes to a file next to its journal; its progress and summary to the terminal.
    onKeeperLine: (line) => (line.startsWith("{") ? log.write(`${line}\n`) : print(`  │ ${line}`)),
    populate: async (sandbox) => {
      population = await openPopulation(chain, sandbox, scenario);
      print(`Opened ${population.total} borrowers: ${[...population.byTag].map(([tag, list]) => `${tag} ${list.length}`).join(", ")}.`);
      return [...population.byTag.values()].flat();
    },
    onStarted: (node) =>
      print(
        `Chain on its own clock: a block every ${node.clock.blockTimeMs} ms at ${node.httpUrl} (WebSocket ${node.wsUrl}); ` +
          (rival === null
            ? "no rival."
            : `a rival liquidator reacts ${rival.delayMs} ms after each oracle update, bidding ${rival.priorityFeeGwei} gwei.`),
      ),
  });
  const setupMs = Date.now() - started;
  print(
    `Keeper ${config.mode} as its own process (pid ${track.keeper.pid}), heads and oracle logs by eth_subscribe; telemetry on http://127.0.0.1:${port}.`,
  );

  const firstBlock = track.node.clock.lastBlock?.number ?? 0;
  const steps: { label: string; priceBlock: number }[] = [];
  let exit: Awaited<ReturnType<typeof track.close>> | null = null;
  const moonwell = track.sandbox.moonwell === undefined ? null : { ...track.sandbox, moonwell: track.sandbox.moonwell };
  const moonwellRival =
    moonwell === null
      ? null
      : await MoonwellPublicRival.start({
          hre: chain,
          sandbox: moonwell,
          clock: track.node.clock,
          wallet: hardhatAccountWallet(chain, MOONWELL_RIVAL_ACCOUNT),
          borrowers: track.borrowers,
          reaction: rival,
        });
  try {
    const budgetLeft = () => options.maxBlocks === undefined || (track.node.clock.lastBlock?.number ?? 0) - firstBlock < options.maxBlocks;
    for (const [index, step] of (options.once ? scenario.steps.slice(0, 1) : scenario.steps).entries()) {
      if (!budgetLeft()) break;
      const moved = await track.handle.movePricesReport(step.moves);
      steps.push({ label: step.label, priceBlock: moved.block.number });
      print(`step ${index + 1}/${scenario.steps.length}: ${step.label} in block ${moved.block.number}`);
      // Let the step's races settle: at least a few blocks, then until the keeper has nothing in flight and has done
      // nothing new for STEP_QUIET_BLOCKS (a slow machine takes longer to work through a busy step: it gets the time).
      let quiet = 0;
      let last = "";
      for (let waited = 0; waited < STEP_SETTLE_MAX_BLOCKS && budgetLeft(); waited++) {
        await track.handle.mine();
        if (waited < 5) continue;
        const status = await track.keeper.status();
        // Idle: nothing in flight and no reaction running or queued (one may still be sizing a chunk under load).
        const idle = status !== null && Array.isArray(status.inFlight) && status.inFlight.length === 0 && status.reacting !== true;
        const markets = Array.isArray(status?.markets) ? (status.markets as { tracked?: number; liquidatable?: number }[]) : [];
        const progress = JSON.stringify([status?.totals, markets.map((market) => [market.tracked, market.liquidatable])]);
        quiet = idle && progress === last ? quiet + 1 : 0;
        last = progress;
        if (quiet >= STEP_QUIET_BLOCKS) break;
      }
    }
  } finally {
    await moonwellRival?.stop();
    exit = await track.close();
    log.end();
    fs.rmSync(scratch, { recursive: true, force: true });
  }

  const report = exit.reportPath === null ? null : (JSON.parse(fs.readFileSync(exit.reportPath, "utf8")) as RunReport);
  const moonwellFirsts = moonwell === null ? [] : await moonwellLiquidations(chain, moonwell, firstBlock);
  const liquidations = [
    ...(await track.liquidations(firstBlock)),
    ...moonwellFirsts.map((l) => ({
      ...l,
      by:
        l.liquidator === track.executor.toLowerCase()
          ? "keeper"
          : l.liquidator === moonwellRival?.address.toLowerCase()
            ? "rival"
            : "other",
    })),
  ].sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
  const firstBy = new Map<string, (typeof liquidations)[number]>();
  for (const liquidation of liquidations) if (!firstBy.has(liquidation.borrower)) firstBy.set(liquidation.borrower, liquidation);
  // The keeper process logs JSON to its log file; its summary table is shown here, from its run report.
  if (report !== null && exit.reportPath !== null) {
    const tracked = (population as OpenedPopulation | null)?.total ?? 0;
    print(
      formatRunSummary(report, {
        tracked,
        reportPath: path.relative(root, exit.reportPath),
        journalPath: path.relative(root, journalPath),
      }),
    );
  }
  print(raceTable(steps, liquidations));

  const verdicts: ExpectationVerdict[] = [];
  if (exit.code !== 0) {
    verdicts.push({ tag: "keeper", expectation: "exits cleanly", ok: false, detail: `exit code ${exit.code}` });
  }
  if (report !== null) {
    const skipped = scenario.expectations.filter((e) => e.expect === "skipped");
    // A rival that liquidated a position before the keeper looked at it leaves the keeper nothing to skip for its reason.
    const takenBefore = (o: Record<string, unknown>) => {
      const first = firstBy.get(String(o.borrower).toLowerCase());
      return first !== undefined && first.by !== "keeper" && first.blockNumber <= Number(o.block);
    };
    verdicts.push(...checkExpectations(withGroups(report, population), skipped, takenBefore));
    if (config.mode === "LIVE") {
      const groups = new Set(scenario.expectations.filter((e) => e.expect === "liquidated").map((e) => e.tag));
      verdicts.push(...liquidatedBySomeone(withGroups(report, population), population, groups, firstBy));
    }
  } else {
    verdicts.push({ tag: "keeper", expectation: "writes its run report", ok: false, detail: "no run report" });
  }
  for (const verdict of verdicts) print(`${verdict.ok ? "✔" : "✘"} ${verdict.tag}: ${verdict.expectation} — ${verdict.detail}`);
  print(`keeper log: ${path.relative(root, logPath)}`);
  print(`P&L from the journal: npx hardhat report --journal ${path.relative(root, journalPath)}`);
  return {
    ok: verdicts.every((verdict) => verdict.ok),
    verdicts,
    report,
    liquidations: liquidations.map(({ borrower, by, blockNumber, txHash }) => ({ borrower, by, blockNumber, txHash })),
    reportPath: exit.reportPath,
    journalPath,
    logPath,
    timings: { setupMs, totalMs: Date.now() - started },
  };
}

/** The run report with each entry's scenario group (the keeper process does not know the scenario's tags). */
function withGroups(report: RunReport, population: OpenedPopulation | null): RunReport {
  const tagOf = (borrower: unknown) => population?.tagOf.get(String(borrower).toLowerCase()) ?? null;
  return {
    ...report,
    opportunities: report.opportunities.map((o) => ({ ...o, group: tagOf(o.borrower) })),
    executions: report.executions.map((e) => ({ ...e, group: tagOf(e.borrower) })),
  };
}

/**
 * A "liquidated" group on a chain with a rival: every position of the group that went under (the keeper planned it,
 * or someone liquidated it on chain) was liquidated by someone (the keeper or the rival), and every transaction the
 * keeper SENT for the group that did not land lost its race. (A plan whose simulation failed sent nothing: on a chain
 * that does not wait, it is retried or found taken, and the chain says who got the position.)
 */
function liquidatedBySomeone(
  report: RunReport,
  population: OpenedPopulation | null,
  groups: ReadonlySet<string>,
  firstBy: ReadonlyMap<string, { by: string }>,
): ExpectationVerdict[] {
  return [...groups].map((tag) => {
    const members = new Set((population?.byTag.get(tag) ?? []).map((borrower) => borrower.address.toLowerCase()));
    const wentUnder = new Set([
      ...report.opportunities.filter((o) => o.group === tag && o.decision === "planned").map((o) => String(o.borrower).toLowerCase()),
      ...[...firstBy.keys()].filter((borrower) => members.has(borrower)),
    ]);
    const missed = [...wentUnder].filter((borrower) => !firstBy.has(borrower));
    const failed = report.executions.filter(
      (e) => e.group === tag && e.state === "failed" && e.lostRace !== true && Array.isArray(e.transactions) && e.transactions.length > 0,
    );
    const won = [...wentUnder].filter((borrower) => firstBy.get(borrower)?.by === "keeper").length;
    const rival = [...wentUnder].filter((borrower) => firstBy.get(borrower)?.by === "rival").length;
    return {
      tag,
      expectation: "liquidated (by the keeper, or by the rival that beat it)",
      ok: wentUnder.size > 0 && missed.length === 0 && failed.length === 0,
      detail:
        `${wentUnder.size} position(s) went under: keeper first on ${won}, rival first on ${rival}` +
        (missed.length > 0 ? `, ${missed.length} never liquidated` : "") +
        (failed.length > 0 ? `, ${failed.length} keeper transaction(s) failed other than by losing a race` : ""),
    };
  });
}

/** Per step, from the chain: who liquidated the positions first, and how many blocks after the update. */
function raceTable(
  steps: readonly { label: string; priceBlock: number }[],
  liquidations: readonly { borrower: string; by: string; blockNumber: number }[],
): string {
  const seen = new Set<string>();
  const rows: string[][] = [["step (price update in block N)", "liquidated", "keeper first: N+1 / N+2 / later", "rival first"]];
  steps.forEach((step, index) => {
    const end = steps[index + 1]?.priceBlock ?? Number.POSITIVE_INFINITY;
    const firsts = liquidations.filter(
      (l) => l.blockNumber > step.priceBlock && l.blockNumber <= end && !seen.has(`${index}:${l.borrower}`),
    );
    const byBorrower = new Map<string, (typeof firsts)[number]>();
    for (const l of firsts) if (!byBorrower.has(l.borrower)) byBorrower.set(l.borrower, l);
    for (const borrower of byBorrower.keys()) seen.add(`${index}:${borrower}`);
    const keeper = [...byBorrower.values()].filter((l) => l.by === "keeper");
    const after = (n: number) => keeper.filter((l) => l.blockNumber - step.priceBlock === n).length;
    rows.push([
      `${step.label} (N = ${step.priceBlock})`,
      String(byBorrower.size),
      `${after(1)} / ${after(2)} / ${keeper.length - after(1) - after(2)}`,
      String([...byBorrower.values()].filter((l) => l.by === "rival").length),
    ]);
  });
  return `Races, as the chain recorded them:\n${formatTable(rows)}`;
}

/** The configured telemetry port, or a free one (said so) when it is taken: the sandbox run must not fail on it. */
async function usablePort(port: number): Promise<{ port: number; note: string | null }> {
  const free = (candidate: number) =>
    new Promise<number | null>((resolve) => {
      const server = net.createServer();
      server.once("error", () => resolve(null));
      server.listen(candidate, "127.0.0.1", () => {
        const { port: bound } = server.address() as net.AddressInfo;
        server.close(() => resolve(bound));
      });
    });
  if ((await free(port)) !== null) return { port, note: null };
  const other = (await free(0))!;
  return {
    port: other,
    note: `port 127.0.0.1:${port} is busy (set KEEPER_METRICS_PORT to choose another); the keeper serves on ${other} instead`,
  };
}

/** data/keeper-hardhat.sqlite → data/keeper-hardhat-<stamp>.sqlite */
function stamped(file: string, stamp: string): string {
  const extension = path.extname(file);
  return `${file.slice(0, file.length - extension.length)}-${stamp}${extension}`;
}
