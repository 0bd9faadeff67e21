/**
 * `npx hardhat keeper [--blocks N] [--once] [--dry-run] [--keeper-config <file>] [--address-book <file>] [--journal <file>]`
 *
 * With no --network (the in-process `hardhat` chain): builds the sandbox, deploys the executor through
 * Ignition, opens a few hundred borrowers, plays the default scenario (prices fall in steps; one dust
 * and one unroutable position) against a real keeper, prints a summary, writes reports/run-*.json and
 * exits 0 when every scenario expectation held. The chain waits for the keeper there (step-locked: it
 * claims no speed). `--race` plays the same scenario as a race instead: the chain mines every 200 ms on
 * its own clock, a rival liquidator competes, and the keeper runs as its own process over HTTP and
 * WebSocket (keeper/run/sandbox-race.ts); its summary shows races won and lost, N+1 / N+2 / later and
 * the first and last plan's decision latency.
 * With --network base (or mainnet, localhost): runs the keeper against that chain until Ctrl-C.
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
import { envOrVar } from "./lib/config-vars";

export interface KeeperTaskArgs {
  readonly blocks?: number;
  readonly once: boolean;
  readonly dryRun: boolean;
  readonly keeperConfig?: string;
  readonly addressBook?: string;
  readonly journal?: string;
  readonly race?: boolean;
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

export async function runKeeperTask(args: KeeperTaskArgs, hre: HardhatRuntimeEnvironment): Promise<void> {
  if (args.blocks !== undefined && (!Number.isInteger(args.blocks) || args.blocks < 1))
    fail(`--blocks must be a positive integer, got ${args.blocks}`);
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
  const print = (line: string) => console.log(line);
  const hooks = crashHooks(hre.network.name);

  if (hre.network.name === "hardhat" && args.race === true) {
    if (args.addressBook !== undefined) fail("--address-book is for --network localhost; the in-process run builds its own sandbox");
    const { runSandboxRace } = await import("../keeper/run/sandbox-race");
    const result = await runSandboxRace({ hre, config, once: args.once, maxBlocks: args.blocks, journalPath: args.journal, print });
    print(`Done in ${(result.timings.totalMs / 1000).toFixed(1)} s (setup ${(result.timings.setupMs / 1000).toFixed(1)} s).`);
    if (!result.ok)
      fail(`the sandbox scenario did not go as expected (see the ✘ lines above and ${result.reportPath ?? "the keeper log"})`);
    return;
  }
  if (args.race === true && hre.network.name !== "hardhat") fail("--race is for the in-process sandbox (no --network)");

  if (hre.network.name === "hardhat") {
    if (args.addressBook !== undefined) fail("--address-book is for --network localhost; the in-process run builds its own sandbox");
    const { runSandboxKeeper } = await import("../keeper/run/sandbox-run");
    const result = await runSandboxKeeper({
      hre,
      config,
      once: args.once,
      maxBlocks: args.blocks,
      journalPath: args.journal,
      output,
      print,
      hooks,
      setting: (name) => envOrVar(name),
    });
    print(`Done in ${(result.timings.totalMs / 1000).toFixed(1)} s (setup ${(result.timings.setupMs / 1000).toFixed(1)} s).`);
    if (!result.ok) fail(`the sandbox scenario did not go as expected (see the ✘ lines above and ${result.reportPath})`);
    return;
  }

  let resolveStop: (reason: string) => void = () => undefined;
  const stopSignal = new Promise<string>((resolve) => {
    resolveStop = resolve;
  });
  const onSignal = (signal: NodeJS.Signals) => {
    print(`\n${signal}: stopping after the current iteration ...`);
    resolveStop(signal);
  };
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
      journalPath: args.journal,
      output,
      print,
      hooks,
      stopSignal,
    });
  } catch (error) {
    // Start-up problems (no executor, wrong chain, an endpoint down) are the operator's to fix: say
    // what, without a stack trace (--show-stack-traces still shows it).
    if (error instanceof HardhatPluginError) throw error;
    throw new HardhatPluginError("chimera-keeper", (error as Error).message, error as Error);
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  }
}

task("keeper", "Runs the liquidation keeper (no --network: the sandbox scenario, end to end)")
  .addOptionalParam("blocks", "Stop after this many blocks", undefined, types.int)
  .addFlag("once", "One iteration (sandbox: the first scenario step), then exit")
  .addFlag("dryRun", "Simulate and journal, send nothing (DRY mode)")
  .addFlag(
    "race",
    "Sandbox only: the 200 ms race (the chain on its own clock, a rival, the keeper as its own process) instead of the step-locked driver",
  )
  .addOptionalParam("keeperConfig", "Keeper config JSON merged over the network defaults (or KEEPER_CONFIG)", undefined, types.string)
  .addOptionalParam("addressBook", "localhost: the sandbox address book (default reports/sandbox-localhost.json)", undefined, types.string)
  .addOptionalParam(
    "journal",
    "Journal file (default: the config's journal.path; the sandbox run uses a fresh file)",
    undefined,
    types.string,
  )
  .setAction(async (args: KeeperTaskArgs, hre) => runKeeperTask(args, hre));
