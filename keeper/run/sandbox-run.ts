/**
 * `npx hardhat keeper` on the in-process network: builds the sandbox, deploys the executor through its
 * Ignition module, opens the scenario's borrowers, and plays the scenario against a real keeper —
 * the same pipeline object graph a Base keeper runs, on Hardhat's provider, signing its own raw
 * transactions with the operator key.
 *
 * The driver owns block production (automine is off): each scenario step is one block; the keeper
 * ticks, reacting and sending; the next mined block is the one its liquidations must land in; the
 * keeper ticks again to settle receipts (and liquidate again what is still underwater). The run ends
 * with the summary table, reports/run-<timestamp>.json, and a verdict per scenario expectation.
 */
import path from "node:path";
import pino from "pino";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { buildSandbox, type Sandbox } from "../../sandbox";
import { ChimeraExecutor__factory } from "../../typechain-types";
import type { Address } from "../config/address-book";
import { telemetryExposureWarning } from "../config/cross-field-checks";
import type { KeeperConfig } from "../config/schema";
import type { ExecutionHooks } from "../execution/execution-stage";
import { providerBroadcaster } from "../execution/broadcast";
import { morphoMarketIdOf } from "../markets/morpho-blue/morpho-blue-market";
import { createLogger, type Logger } from "../telemetry/logger";
import { checkExpectations, type ExpectationVerdict } from "../scenarios/expectations";
import { FALLING_PRICES_SCENARIO } from "../scenarios/falling-prices";
import { SandboxMarketHandle } from "../scenarios/sandbox-market-handle";
import { addScenarioMarkets, sandboxKeeperConfig } from "../scenarios/scenario-markets";
import { deploySandboxExecutor } from "../scenarios/sandbox-executor";
import { openPopulation, type OpenedPopulation } from "../scenarios/sandbox-population";
import type { MarketHandle, Scenario } from "../scenarios/scenario";
import { hardhatAccountWallet } from "./hardhat-accounts";
import { openKeeperSession, type KeeperSession } from "./keeper-session";
import { ProgressLine, type ProgressOutput } from "./progress-line";
import { RunRecorder } from "./run-recorder";
import { buildRunReport, writeRunReport, type RunReport } from "./run-report";
import { formatRunSummary } from "./summary-table";

/** Hardhat accounts the sandbox run assigns: 0 deploys the sandbox. */
const OWNER_ACCOUNT = 1;
const OPERATOR_ACCOUNT = 2;
const TREASURY_ACCOUNT = 3;
/** Extra blocks mined after a step while transactions are in flight or follow-ups are sent. */
const MAX_DRAIN_BLOCKS = 4;

export interface SandboxRunOptions {
  readonly hre: HardhatRuntimeEnvironment;
  /** The validated config for the `hardhat` network (defaults + --keeper-config + env). */
  readonly config: KeeperConfig;
  /** Default: the falling-prices scenario. A function builds it from the sandbox's market (relative moves). */
  readonly scenario?: Scenario | ((handle: MarketHandle) => Promise<Scenario>);
  /** Play only the first step (one reaction, one inclusion block). */
  readonly once?: boolean;
  /** Stop after this many blocks mined by the driver. */
  readonly maxBlocks?: number;
  /** Journal file; default: config.journal.path with the run's timestamp inserted (a fresh file per run). */
  readonly journalPath?: string;
  readonly reportsDirectory?: string;
  /** Telemetry port; default config.metrics.port (a busy port falls back to a free one, said so). */
  readonly port?: number;
  readonly output: ProgressOutput;
  readonly print: (line: string) => void;
  readonly logger?: Logger;
  readonly hooks?: ExecutionHooks;
  /** Called after each scenario step has been reacted to and mined (tests inspect the live keeper here). */
  readonly afterStep?: (context: { readonly session: KeeperSession; readonly step: number; readonly sandbox: Sandbox }) => Promise<void>;
  readonly setting?: (name: string) => string | undefined;
  readonly clock?: () => number;
}

export interface SandboxRunResult {
  readonly sandbox: Sandbox;
  readonly report: RunReport;
  readonly reportPath: string;
  readonly journalPath: string;
  readonly logPath: string | null;
  readonly verdicts: readonly ExpectationVerdict[];
  readonly ok: boolean;
  readonly population: OpenedPopulation;
  readonly executor: Address;
  readonly operator: Address;
  readonly serverUrl: string;
  readonly timings: { readonly setupMs: number; readonly keeperMs: number; readonly totalMs: number };
}

export async function runSandboxKeeper(options: SandboxRunOptions): Promise<SandboxRunResult> {
  const { hre, config, print } = options;
  const clock = options.clock ?? Date.now;
  const startedAtMs = clock();
  const stamp = new Date(startedAtMs).toISOString().replace(/[:.]/g, "-");
  const root = hre.config.paths.root;
  const journalPath = options.journalPath ?? stampedPath(path.resolve(root, config.journal.path), stamp);
  const operatorWallet = hardhatAccountWallet(hre, OPERATOR_ACCOUNT);
  const knownSecrets = [operatorWallet.privateKey];
  // The terminal shows progress and the summary; the keeper's JSON log goes next to its journal.
  const logPath = options.logger === undefined ? journalPath.replace(/\.sqlite$/, "") + ".log" : null;
  print(`Building the sandbox (genuine Aave V3, Uniswap V3, Balancer V2, Morpho Blue bytecode) ...`);
  let sandbox = await buildSandbox(hre);
  const logger =
    options.logger ??
    createLogger({
      format: "json",
      level: "info",
      knownSecrets,
      // Morpho market ids are public 32-byte values: logged as they are, not taken for keys.
      publicValues: (sandbox.book.morphoBlue?.markets ?? []).map((market) => morphoMarketIdOf(market)),
      destination: pino.destination({ dest: logPath!, sync: true, mkdir: true }),
      base: { network: "hardhat" },
    });
  const handle = new SandboxMarketHandle(hre, sandbox);
  const scenario = typeof options.scenario === "function" ? await options.scenario(handle) : (options.scenario ?? FALLING_PRICES_SCENARIO);
  sandbox = await addScenarioMarkets(hre, sandbox, scenario); // Moonwell behind OEV wrappers when the scenario has borrowers there
  const signers = await hre.ethers.getSigners();
  const roles = {
    owner: signers[OWNER_ACCOUNT]!.address as Address,
    treasury: signers[TREASURY_ACCOUNT]!.address as Address,
    operator: operatorWallet.address as Address,
  };
  const executor = await deploySandboxExecutor(hre, sandbox, roles);
  print(`Executor ${executor} deployed through Ignition (owner ${roles.owner}, operator ${roles.operator}, treasury ${roles.treasury}).`);
  const population = await openPopulation(hre, sandbox, scenario);
  print(`Opened ${population.total} borrowers: ${[...population.byTag].map(([tag, list]) => `${tag} ${list.length}`).join(", ")}.`);
  await handle.prepare();
  const setupMs = clock() - startedAtMs;

  const session = await openKeeperSession({
    config: sandboxKeeperConfig(config, sandbox),
    book: sandbox.book,
    chainId: sandbox.book.chainId,
    executor,
    provider: hre.ethers.provider,
    signer: operatorWallet,
    broadcaster: providerBroadcaster(hre.ethers.provider as unknown as Parameters<typeof providerBroadcaster>[0]),
    journalPath,
    logger,
    knownSecrets,
    setting: options.setting ?? (() => undefined),
    oracleMode: "poll",
    liveViolations: () => [],
    port: options.port ?? config.metrics.port,
    onPortBusy: "ephemeral",
    hooks: options.hooks,
    roleCheck: { executorInterface: ChimeraExecutor__factory.createInterface(), signer: roles.operator, refuseLive: true, print },
  });
  const keeperStartMs = clock();
  const progress = new ProgressLine(options.output);
  const recorder = new RunRecorder().attach(session.engine);
  const { engine } = session;
  const stepsPlayed: { label: string; priceBlock: number }[] = [];
  let blocksMined = 0;
  let ok = false;
  let report: RunReport | null = null;
  let reportPath = "";
  let verdicts: ExpectationVerdict[] = [];
  try {
    print(
      `Keeper ${config.mode === "LIVE" ? "LIVE" : "DRY"} on the sandbox; telemetry on ${session.server.url} (/healthz /readyz /status /metrics).`,
    );
    if (session.portNote) print(session.portNote);
    const exposure = telemetryExposureWarning(config);
    if (exposure !== null) print(exposure);
    await engine.start();
    const show = (note: string) =>
      progress.update({
        block: engine.head,
        tracked: recorder.lastTick?.tracked ?? session.assembled.markets.reduce((n, m) => n + m.stats().tracked, 0),
        liquidatable: session.assembled.markets.reduce((n, m) => n + m.stats().liquidatable, 0),
        executed: engine.totals.included,
        skipped: engine.totals.skipped,
        inFlight: session.assembled.execution.inFlightCount,
        profitUsd: engine.totals.realisedProfitUsd,
        dry: engine.currentMode === "DRY" ? { ...recorder.dry } : undefined,
        note,
      });
    show("started");
    const budgetLeft = () => options.maxBlocks === undefined || blocksMined < options.maxBlocks;
    const steps = options.once ? scenario.steps.slice(0, 1) : scenario.steps;
    for (const [index, step] of steps.entries()) {
      if (!budgetLeft()) break;
      const priceBlock = await handle.movePrices(step.moves);
      blocksMined += 1;
      stepsPlayed.push({ label: step.label, priceBlock });
      await engine.tick();
      show(`step ${index + 1}/${steps.length}: ${step.label}`);
      // The block the liquidations must land in, then as many as needed to settle what is in flight.
      for (let drain = 0; drain <= MAX_DRAIN_BLOCKS && budgetLeft(); drain++) {
        await handle.mine();
        blocksMined += 1;
        const tick = await engine.tick();
        show(`step ${index + 1}/${steps.length}: ${step.label}`);
        const sentNow = tick?.decisions.some((d) => d.execution?.status === "sent") ?? false;
        if (session.assembled.execution.inFlightCount === 0 && !sentNow) break;
      }
      await options.afterStep?.({ session, step: index, sandbox });
    }
    progress.finish();
    const finishedAtMs = clock();
    report = buildRunReport({
      journal: session.journal,
      recorder,
      startedAtMs: keeperStartMs,
      finishedAtMs,
      network: "hardhat",
      mode: engine.currentMode,
      executor,
      operator: roles.operator,
      scenario: { name: scenario.name, description: scenario.description, steps: stepsPlayed },
      adoptedPlanIds: engine.reconciled?.outcomes.map((outcome) => outcome.planId),
      today: session.assembled.risk.riskGate.totalsAt({ timeMs: finishedAtMs, block: Math.max(0, engine.head) }),
      tagOf: (borrower) => population.tagOf.get(borrower.toLowerCase()),
      extra: {
        setupMs,
        keeperMs: finishedAtMs - keeperStartMs,
        journal: journalPath,
        borrowersOpened: Object.fromEntries([...population.byTag].map(([tag, list]) => [tag, list.length])),
        telemetry: session.server.url,
      },
    });
    reportPath = writeRunReport(report, options.reportsDirectory ?? path.join(root, "reports"), knownSecrets);
    // DRY sends nothing, so only the "skipped" expectations can be judged.
    verdicts = checkExpectations(
      report,
      engine.currentMode === "DRY" ? scenario.expectations.filter((e) => e.expect === "skipped") : scenario.expectations,
    );
    ok = verdicts.every((verdict) => verdict.ok);
    const tracked = session.assembled.markets.reduce((n, m) => n + m.stats().tracked, 0);
    print(formatRunSummary(report, { tracked, reportPath, journalPath }));
    for (const verdict of verdicts) print(`${verdict.ok ? "✔" : "✘"} ${verdict.tag}: ${verdict.expectation} — ${verdict.detail}`);
    if (logPath !== null) print(`keeper log: ${path.relative(root, logPath)}`);
    print(`P&L from the journal: npx hardhat report --journal ${path.relative(root, journalPath)}`);
  } finally {
    progress.finish();
    await session.close(ok ? "sandbox scenario finished" : "sandbox run ended");
    await handle.release();
  }
  const totalMs = clock() - startedAtMs;
  return {
    sandbox,
    report: report!,
    reportPath,
    journalPath,
    logPath,
    verdicts,
    ok,
    population,
    executor,
    operator: roles.operator,
    serverUrl: session.server.url,
    timings: { setupMs, keeperMs: totalMs - setupMs, totalMs },
  };
}

/** data/keeper-hardhat.sqlite → data/keeper-hardhat-<stamp>.sqlite */
function stampedPath(file: string, stamp: string): string {
  const extension = path.extname(file);
  return `${file.slice(0, file.length - extension.length)}-${stamp}${extension}`;
}
