/**
 * `npx hardhat keeper [--blocks N] [--once] [--dry-run] [--race | --step-locked] [--keeper-config <file>] [--address-book <file>] [--journal <file>] [--fresh-journal]`
 *
 * With no --network (the in-process `hardhat` chain): builds the sandbox, deploys the executor through
 * Ignition, opens a few hundred borrowers, plays the default scenario (prices fall in steps; one dust
 * and one unroutable position) as a race, the way Base runs since Denim: the chain mines every 200 ms on
 * its own clock, a rival liquidator competes, and the keeper runs as its own process over HTTP and
 * WebSocket (keeper/run/sandbox-race.ts). It prints a summary (races won and lost, N+1 / N+2 / later, the
 * first and last plan's decision latency), writes reports/run-*.json and exits 0 when every scenario
 * expectation held. `--step-locked` plays the same scenario with a chain that waits for the keeper
 * (reproducible; it claims no speed).
 * With --network base (or mainnet, localhost): runs the keeper against that chain until Ctrl-C. A terminal
 * gets human lines, a pipe or a file JSON lines only (keeper/run/keeper-console.ts).
 *
 * Why `--keeper-config` and not `--config`: Hardhat owns `--config` (the Hardhat config file) and
 * takes it wherever it appears on the command line. KEEPER_CONFIG=<file> works too.
 */
import { task, types } from "hardhat/config";
import { TASK_COMPILE } from "hardhat/builtin-tasks/task-names";
import { HardhatPluginError } from "hardhat/plugins";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { ConfigError, loadKeeperConfig } from "../keeper/config/load";
import { isRealNetwork } from "../keeper/config/schema";
import type { ExecutionHooks } from "../keeper/execution/execution-stage";
// keeper/run/* load the TypeChain bindings, which exist only after the first compile: import them inside
// the action so that loading this file (every hardhat command does) never needs them.
import { errorMessage } from "../keeper/core/error-message";
import { Journal } from "../keeper/journal/journal";
import { journalLocation, moveJournalAside } from "../keeper/journal/journal-path";
import type { KeeperConfig } from "../keeper/config/schema";
import { envOrVar } from "./lib/config-vars";
import { secretFreeTaskError } from "./lib/task-errors";

export interface KeeperTaskArgs {
  readonly blocks?: number;
  readonly once: boolean;
  readonly dryRun: boolean;
  readonly keeperConfig?: string;
  readonly addressBook?: string;
  readonly journal?: string;
  readonly freshJournal?: boolean;
  readonly race?: boolean;
  readonly stepLocked?: boolean;
}

/** Test seam for the crash-safety tests: kill the process at a point of the send path (sandbox chains only). */
const CRASH_HOOK_VARIABLE = "CHIMERA_TEST_CRASH_AT";

function fail(message: string): never {
  throw new HardhatPluginError("chimera-keeper", message);
}

/** Every setting the keeper reads: environment first, then Hardhat vars. */
function settings(): Record<string, string | undefined> {
  return new Proxy({}, { get: (_target, name) => (typeof name === "string" ? envOrVar(name) : undefined) }) as Record<
    string,
    string | undefined
  >;
}

function crashHooks(network: string): ExecutionHooks | undefined {
  const point = process.env[CRASH_HOOK_VARIABLE];
  if (point === undefined || point === "") return undefined;
  if (isRealNetwork(network)) fail(`${CRASH_HOOK_VARIABLE} is a test hook and is refused on ${network}`);
  const die = () => {
    process.kill(process.pid, "SIGKILL");
    return new Promise<void>(() => undefined);
  };
  switch (point) {
    case "signed":
      return { afterSigned: die };
    case "broadcast":
      return { afterBroadcast: die };
    default:
      return fail(`${CRASH_HOOK_VARIABLE}="${point}": expected "signed" or "broadcast"`);
  }
}

/**
 * The journal this run will write — --journal, else KEEPER_DATABASE_URL (real networks and localhost),
 * else the config's file — opened once and closed again before anything slow starts (the sandbox
 * build, RPC connections), so a path that is a directory, an unwritable folder, another application's
 * database, a file that is no database or an unreachable database fails at once, naming it. With
 * --fresh-journal an existing journal file is first moved aside (never deleted). The in-process sandbox
 * run without --journal writes a fresh file of its own: undefined.
 */
function prepareJournal(args: KeeperTaskArgs, hre: HardhatRuntimeEnvironment, config: KeeperConfig, print: (line: string) => void) {
  const sandbox = hre.network.name === "hardhat";
  // The in-process sandbox never writes into a configured database: it is a fresh chain every run.
  if (sandbox && args.journal === undefined) return undefined;
  const location = journalLocation({
    flag: args.journal,
    databaseUrl: sandbox ? undefined : envOrVar(config.journal.databaseUrlEnv),
    defaultFile: config.journal.path,
    root: hre.config.paths.root,
  });
  try {
    if (args.freshJournal) {
      const moved = moveJournalAside(location, new Date().toISOString().replace(/[:.]/g, "-"));
      if (moved !== null) print(`--fresh-journal: the old journal is now ${moved}; starting a new journal at ${location}.`);
    }
    Journal.open(location).close();
  } catch (error) {
    fail(errorMessage(error));
  }
  return location;
}

/**
 * How the sandbox is driven. The race is the default because it is the way Base runs since Denim (a block every
 * 200 ms whether or not the keeper is done, and a rival); the step-locked driver waits for the keeper and so proves
 * behaviour only, which is what a reproducible debugging run wants.
 */
export function sandboxDriver(args: Pick<KeeperTaskArgs, "race" | "stepLocked">): "race" | "step-locked" {
  return args.stepLocked === true ? "step-locked" : "race";
}

export async function runKeeperTask(args: KeeperTaskArgs, hre: HardhatRuntimeEnvironment): Promise<void> {
  try {
    await runKeeper(args, hre);
  } catch (error) {
    // Start-up problems (no executor, wrong chain, an endpoint down, a malformed key) are the operator's
    // to fix: say what, without a stack trace (--show-stack-traces still shows it) and without a secret.
    throw secretFreeTaskError("chimera-keeper", error);
  }
}

async function runKeeper(args: KeeperTaskArgs, hre: HardhatRuntimeEnvironment): Promise<void> {
  if (args.blocks !== undefined && (!Number.isInteger(args.blocks) || args.blocks < 1))
    fail(`--blocks must be a positive integer, got ${args.blocks}`);
  if (args.race === true && hre.network.name !== "hardhat") fail("--race is for the in-process sandbox (no --network)");
  if (args.stepLocked === true && hre.network.name !== "hardhat") fail("--step-locked is for the in-process sandbox (no --network)");
  if (args.race === true && args.stepLocked === true) fail("--race and --step-locked are two ways to run the sandbox: choose one");
  // A fresh clone has no artifacts or TypeChain bindings yet (`npm ci && npx hardhat keeper` is the
  // quick start): compile first, as `test` and `run` do. Up to date, this is a cache check. A packaged
  // install (Dockerfile, ops/systemd) compiled at build time and runs from a read-only tree:
  // CHIMERA_PREBUILT=1 skips it (TypeChain would rewrite its bindings on every compile).
  if (process.env.CHIMERA_PREBUILT !== "1") await hre.run(TASK_COMPILE, { quiet: true });
  const env = settings();
  const file = args.keeperConfig ?? envOrVar("KEEPER_CONFIG");
  let config;
  try {
    config = loadKeeperConfig({ network: hre.network.name, file, env });
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  if (args.dryRun) config = { ...config, mode: "DRY" as const };
  const output = { isTTY: process.stdout.isTTY === true, write: (text: string) => process.stdout.write(text) };
  const hooks = crashHooks(hre.network.name);
  // Before the run's console exists: --fresh-journal's one line goes to stderr, apart from the run's own output.
  const journalPath = prepareJournal(args, hre, config, (line) => console.error(line));

  if (hre.network.name === "hardhat" && sandboxDriver(args) === "race") {
    const print = (line: string) => console.log(line);
    if (args.addressBook !== undefined)
      fail("--address-book is for a run on --network localhost (or another network); the in-process run builds its own sandbox");
    const { runSandboxRace } = await import("../keeper/run/sandbox-race");
    const result = await runSandboxRace({ hre, config, once: args.once, maxBlocks: args.blocks, journalPath, print });
    print(`Done in ${(result.timings.totalMs / 1000).toFixed(1)} s (setup ${(result.timings.setupMs / 1000).toFixed(1)} s).`);
    if (!result.ok)
      fail(`the sandbox scenario did not go as expected (see the ✘ lines above and ${result.reportPath ?? "the keeper log"})`);
    return;
  }
  if (hre.network.name === "hardhat") {
    // The sandbox run: human lines on the console (progress, summary), its JSON log in a file.
    const print = (line: string) => console.log(line);
    if (args.addressBook !== undefined)
      fail("--address-book is for a run on --network localhost (or another network); the in-process run builds its own sandbox");
    const { runSandboxKeeper } = await import("../keeper/run/sandbox-run");
    const result = await runSandboxKeeper({
      hre,
      config,
      once: args.once,
      maxBlocks: args.blocks,
      journalPath,
      output,
      print,
      hooks,
      setting: (name) => envOrVar(name),
    });
    print(`Done in ${(result.timings.totalMs / 1000).toFixed(1)} s (setup ${(result.timings.setupMs / 1000).toFixed(1)} s).`);
    if (!result.ok) fail(`the sandbox scenario did not go as expected (see the ✘ lines above and ${result.reportPath})`);
    return;
  }

  // A network run writes only through its console (keeper/run/keeper-console.ts), which also says when a
  // signal arrived: one format per console, human on a terminal, JSON otherwise.
  let resolveStop: (reason: string) => void = () => undefined;
  const stopSignal = new Promise<string>((resolve) => {
    resolveStop = resolve;
  });
  const onSignal = (signal: NodeJS.Signals) => resolveStop(signal);
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const { runNetworkKeeper } = await import("../keeper/run/network-run");
    await runNetworkKeeper({
      hre,
      config,
      setting: (name) => envOrVar(name),
      addressBookFile: args.addressBook,
      once: args.once,
      maxBlocks: args.blocks,
      journalPath,
      output,
      hooks,
      stopSignal,
    });
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  }
}

task("keeper", "Runs the liquidation keeper (no --network: the sandbox scenario, end to end)")
  .addOptionalParam("blocks", "Stop after this many blocks", undefined, types.int)
  .addFlag("once", "One iteration (sandbox: the first scenario step), then exit")
  .addFlag("dryRun", "Simulate and journal, send nothing (DRY mode)")
  .addFlag("race", "Sandbox only, the default there: the 200 ms race (the chain on its own clock, a rival, the keeper as its own process)")
  .addFlag(
    "stepLocked",
    "Sandbox only: the step-locked driver instead of the race (the chain waits for the keeper: reproducible, claims no speed)",
  )
  .addOptionalParam("keeperConfig", "Keeper config JSON merged over the network defaults (or KEEPER_CONFIG)", undefined, types.string)
  .addOptionalParam(
    "addressBook",
    "An address book JSON instead of the network's built-in one (--network localhost: default reports/sandbox-localhost.json, written by `npx hardhat sandbox --network localhost`)",
    undefined,
    types.string,
  )
  .addOptionalParam(
    "journal",
    "Journal file (default: the config's journal.path; the sandbox run uses a fresh file)",
    undefined,
    types.string,
  )
  .addFlag(
    "freshJournal",
    "Start a new journal: the existing one (e.g. a restarted local node's, whose chain is gone) is moved aside to <name>.replaced-<time>.sqlite, never deleted",
  )
  .setAction(async (args: KeeperTaskArgs, hre) => runKeeperTask(args, hre));
