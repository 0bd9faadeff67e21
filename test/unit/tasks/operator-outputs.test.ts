/**
 * What an operator sees, with the real tasks and the real keeper running as separate processes (as
 * `npx hardhat …` runs them) against this test's chain served over HTTP:
 *  - mistyped keys (fast-check's malformed keys: wrong length, non-hex, a `g` as the last digit,
 *    whitespace, quotes, with and without 0x) in KEEPER_PRIVATE_KEY, DEPLOYER_PRIVATE_KEY and
 *    FLASHBOTS_AUTH_KEY never reach stdout, stderr, the keeper's log file, its run report or /status,
 *    while the command that needs the key names the variable;
 *  - every network task, `ignition deploy` included, names BASE_RPC_URL when it is unset; `--executor`
 *    pointing at something that is not a ChimeraExecutor says so; a local node behind BASE_RPC_URL is
 *    recognised as not Base;
 *  - LIVE with a key that is not an operator refuses to start and fires an alert;
 *  - the README's node-restart recipe redeploys without a terminal.
 * Each child loads Hardhat once and runs several commands (test/shared/operator-commands-child.ts): a
 * Hardhat start costs seconds on these machines. The malformed keys are a fast-check sample (the seed is
 * in every failure message); test/unit/keeper/config/key-settings.test.ts runs hundreds in-process.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import hre from "hardhat";
import { expect } from "chai";
import fc from "fast-check";
import { buildSandbox, type Sandbox } from "../../../sandbox";
import { writeSandboxAddressBook } from "../../../sandbox/address-book-file";
import { openAaveBorrowers } from "../../../sandbox/borrowers";
import type { Address } from "../../../keeper/config/address-book";
import { hardhatAccountWallet } from "../../../keeper/run/hardhat-accounts";
import { deploySandboxExecutor } from "../../../keeper/scenarios/sandbox-executor";
import { sandboxModuleParameters } from "../../shared/executor-fixture";
import { fastTranspile, freePort, prebuilt } from "../../shared/keeper-process";
import { snapshotChain, startLocalNode, type LocalNode } from "../../shared/local-node";
import { leakedPiece, malformedKey } from "../../shared/malformed-keys";
import { STEP_MARKER, type OperatorCommandStep } from "../../shared/operator-commands-child";
import { startRecordingServer, type RecordingServer } from "../keeper/alerts/recording-server";

const ROOT = hre.config.paths.root;
const SEED = Number(process.env.CHIMERA_KEY_SEED ?? Date.now() % 1_000_000);
const KEY_VARIABLES = ["KEEPER_PRIVATE_KEY", "DEPLOYER_PRIVATE_KEY", "FLASHBOTS_AUTH_KEY"] as const;
type Keys = Record<(typeof KEY_VARIABLES)[number], string>;

/** Three independent malformed keys per draw, one per key variable. */
function drawKeys(count: number, seed: number): Keys[] {
  return fc.sample(fc.tuple(malformedKey, malformedKey, malformedKey), { numRuns: count, seed }).map(([a, b, c]) => ({
    KEEPER_PRIVATE_KEY: a,
    DEPLOYER_PRIVATE_KEY: b,
    FLASHBOTS_AUTH_KEY: c,
  }));
}

interface ChildResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment a child starts from: this process's, without any setting the test controls. */
function baseEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...fastTranspile(ROOT) };
  for (const name of [...KEY_VARIABLES, "BASE_RPC_URL", "LOCALHOST_RPC_URL", "KEEPER_CONFIG", "KEEPER_MODE", "HARDHAT_NETWORK"])
    delete env[name];
  return { ...env, ...extra };
}

/** Runs node with `args` (stdin closed: no terminal); `whileRunning` may poll until `running()` turns false. */
function runChild(args: string[], env: NodeJS.ProcessEnv, whileRunning?: (running: () => boolean) => Promise<void>): Promise<ChildResult> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  let running = true;
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code) => {
      running = false;
      resolve(code);
    }),
  );
  return (async () => {
    try {
      if (whileRunning !== undefined) await Promise.all([whileRunning(() => running), exited]);
      return { code: await exited, stdout, stderr };
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  })();
}

/** Runs `steps` in one Hardhat process on `network`; returns each step's outcome and the full output. */
async function runCommands(
  network: string,
  steps: readonly OperatorCommandStep[],
  env: Record<string, string>,
): Promise<ChildResult & { outcomes: { ok: boolean; message: string }[] }> {
  const script = path.join(ROOT, "test", "shared", "operator-commands-child.ts");
  const result = await runChild(
    ["-r", "ts-node/register/transpile-only", script],
    // The keeper steps skip their compile (test/shared/keeper-process.ts `prebuilt`): `hardhat test` compiled.
    baseEnvironment({ ...env, ...prebuilt(ROOT), HARDHAT_NETWORK: network, CHIMERA_COMMANDS: JSON.stringify(steps) }),
  );
  const outcomes = result.stdout
    .split("\n")
    .filter((line) => line.startsWith(`${STEP_MARKER} `))
    .map((line) => JSON.parse(line.slice(line.indexOf("{"))) as { ok: boolean; message: string });
  expect(outcomes, `${result.stdout}\n${result.stderr}`).to.have.length(steps.length);
  return { ...result, outcomes };
}

function expectNoKeyMaterial(texts: readonly [string, string][], keys: Keys): void {
  for (const [where, text] of texts) {
    for (const variable of KEY_VARIABLES) {
      const piece = leakedPiece(text, keys[variable]);
      expect(piece, `${where} holds a piece of ${variable} (${JSON.stringify(piece)}; seed ${SEED})`).to.equal(undefined);
    }
  }
}

describe("operator outputs: real tasks and keeper as separate processes", function () {
  this.timeout(900_000);
  const keys = drawKeys(3, SEED);
  let restore: () => Promise<void>;
  let node: LocalNode;
  let alerts: RecordingServer;
  let sandbox: Sandbox;
  let executor: Address;
  let directory: string;
  let bookFile: string;
  let configFile: string;
  const deploymentId = `test-restart-${process.pid}`;

  before(async () => {
    restore = await snapshotChain();
    directory = fs.mkdtempSync(path.join(os.tmpdir(), "chimera-outputs-"));
    sandbox = await buildSandbox(hre);
    const signers = await hre.ethers.getSigners();
    executor = await deploySandboxExecutor(hre, sandbox, {
      owner: signers[1]!.address as Address,
      treasury: signers[3]!.address as Address,
      operator: hardhatAccountWallet(hre, 2).address as Address,
    });
    await openAaveBorrowers(hre, sandbox, {
      count: 2,
      seed: 5,
      collateral: "WETH",
      debt: "USDC",
      healthFactor: { min: 1.1, max: 1.2 },
      debtUsd: { min: 5_000, max: 5_000 },
    });
    node = await startLocalNode(hre);
    alerts = await startRecordingServer();
    bookFile = path.join(directory, "address-book.json");
    writeSandboxAddressBook(bookFile, sandbox.book);
    configFile = path.join(directory, "keeper.json");
    fs.writeFileSync(
      configFile,
      JSON.stringify({
        network: "localhost",
        mode: "LIVE",
        executor,
        markets: { morphoBlue: { enabled: false, batchSize: 250 } },
        alerts: { targets: [{ kind: "json", urlEnv: "CHIMERA_TEST_ALERT_URL", minSeverity: "info" }], rateLimitPerMinute: 30 },
      }),
    );
  });

  after(async () => {
    await alerts?.close();
    await node?.close();
    await restore?.();
    fs.rmSync(path.join(ROOT, "ignition", "deployments", deploymentId), { recursive: true, force: true });
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it("--network base without BASE_RPC_URL: every network task and ignition deploy name the variable, a local node behind it is not Base; malformed keys are never printed", async () => {
    const someone = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
    const journal = path.join(directory, "base-journal.sqlite");
    const steps: OperatorCommandStep[] = [
      { task: "status", args: {} },
      { task: "pause", args: {} },
      { task: "unpause", args: { dryRun: true } },
      { task: "withdraw", args: { all: true } },
      { task: "set-operator", args: { operator: someone } },
      { task: "set-treasury", args: { treasury: someone } },
      { task: "allow-target", args: { target: someone } },
      { task: "transfer-ownership", args: { to: someone } },
      { task: "accept-ownership", args: {} },
      { task: "emergency", args: { reason: "test", journal } },
      { task: "keeper:rotate-key", args: { newOperator: someone, journal } },
      { task: "verify", args: {} },
      { task: "daily", args: { journal } },
      { task: "daily", args: { journal, evening: true, dryRun: true } },
      { task: "deploy", scope: "ignition", args: { modulePath: "ignition/modules/ChimeraExecutorModule.ts" } },
    ];
    // Last, with BASE_RPC_URL pointing at this test's node: it answers chain id 8453 like Base, and is not Base.
    const notBase: OperatorCommandStep = {
      task: "keeper",
      args: { once: true, dryRun: true, journal },
      env: { BASE_RPC_URL: node.url, KEEPER_PRIVATE_KEY: null, KEEPER_METRICS_PORT: String(await freePort()) },
    };
    const result = await runCommands("base", [...steps, notBase], keys[0]!);
    const keeper = result.outcomes.pop()!;
    expect(keeper.message).to.contain("answers chain id 8453, but it is not base").and.contain("Aave V3");
    expect(keeper.message).to.not.contain("multicall: expected");
    result.outcomes.forEach((outcome, index) => {
      expect(outcome.ok, steps[index]!.task).to.equal(false);
      expect(outcome.message, `${steps[index]!.task}: ${outcome.message}`).to.match(/BASE_RPC_URL is not set/);
      expect(outcome.message, steps[index]!.task).to.not.contain("ENOTFOUND");
    });
    expectNoKeyMaterial(
      [
        ["stdout", result.stdout],
        ["stderr", result.stderr],
      ],
      keys[0]!,
    );
  });

  it("a key the command needs is named, never shown; --executor that is not a ChimeraExecutor is named; LIVE with a key that is not an operator refuses to start and alerts", async () => {
    const journal = path.join(directory, "localhost-journal.sqlite");
    const keeperArgs = { keeperConfig: configFile, addressBook: bookFile, journal, once: true, dryRun: false };
    const weth = sandbox.book.weth;
    const operator = hardhatAccountWallet(hre, 2);
    const stranger = hardhatAccountWallet(hre, 5);
    const steps: OperatorCommandStep[] = [
      // The operator is also one of the node's unlocked accounts: the task runs, and warns about the bad key.
      { task: "pause", args: { dryRun: true, executor, from: operator.address } },
      { task: "pause", args: { dryRun: true, executor: weth } },
      { task: "keeper", args: keeperArgs, env: { KEEPER_METRICS_PORT: String(await freePort()) } },
      { task: "keeper", args: keeperArgs, env: { KEEPER_PRIVATE_KEY: stranger.privateKey, KEEPER_METRICS_PORT: String(await freePort()) } },
    ];
    const alertsBefore = alerts.requests.length;
    const result = await runCommands("localhost", steps, { ...keys[1]!, LOCALHOST_RPC_URL: node.url, CHIMERA_TEST_ALERT_URL: alerts.url });
    const [pause, notExecutor, malformedKeeper, strangerKeeper] = result.outcomes;
    expect(pause!.ok, pause!.message).to.equal(true);
    expect(result.stderr).to.contain("KEEPER_PRIVATE_KEY is not a valid private key: expected 64 hex digits");
    expect(notExecutor!.message).to.contain(`${weth} is not a ChimeraExecutor`).and.not.contain("reverted without a reason");
    expect(malformedKeeper!.ok).to.equal(false);
    expect(malformedKeeper!.message).to.contain("KEEPER_PRIVATE_KEY is not a valid private key");
    expectNoKeyMaterial(
      [
        ["stdout", result.stdout],
        ["stderr", result.stderr],
      ],
      keys[1]!,
    );

    expect(strangerKeeper!.ok).to.equal(false);
    expect(strangerKeeper!.message.toLowerCase())
      .to.contain("live refused")
      .and.contain(`${stranger.address} is not an operator of executor ${executor}`.toLowerCase());
    const sent = alerts.requests.slice(alertsBefore).map((request) => JSON.parse(request.body) as Record<string, unknown>);
    expect(sent.map((a) => a.severity)).to.deep.equal(["critical"]);
    expect(JSON.stringify(sent[0])).to.contain("is not an operator");
  });

  it("the sandbox keeper's stdout, stderr, log file, run report and /status hold no piece of a malformed key, and the console has no JSON line", async () => {
    const malformed = keys[2]!;
    const port = await freePort();
    const journal = path.join(directory, "sandbox", "journal.sqlite");
    const statuses: string[] = [];
    const cli = require.resolve("hardhat/internal/cli/bootstrap");
    const result = await runChild(
      [cli, "keeper", "--once", "--journal", journal],
      baseEnvironment({ ...malformed, KEEPER_METRICS_PORT: String(port) }),
      async (running) => {
        while (running()) {
          try {
            statuses.push(await (await fetch(`http://127.0.0.1:${port}/status`)).text());
          } catch {
            // not serving yet, or already done
          }
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      },
    );
    expect(result.code, `${result.stdout}\n${result.stderr}`).to.equal(0);
    const reportFile = /run report: (\S+)/.exec(result.stdout)?.[1];
    expect(reportFile, result.stdout).to.not.equal(undefined);
    const logFile = journal.replace(/\.sqlite$/, ".log");
    try {
      expect(statuses.length, "/status was read while the keeper ran").to.be.greaterThan(0);
      expectNoKeyMaterial(
        [
          ["stdout", result.stdout],
          ["stderr", result.stderr],
          ["log file", fs.readFileSync(logFile, "utf8")],
          ["run report", fs.readFileSync(reportFile!, "utf8")],
          ...statuses.map((body, i): [string, string] => [`/status #${i + 1}`, body]),
        ],
        malformed,
      );
      expect(fs.readFileSync(logFile, "utf8").split("\n").filter(Boolean).length, "the log file has lines").to.be.greaterThan(5);
      // One format per console: the sandbox run's console is human lines; its JSON log is in the file.
      expect(result.stdout.split("\n").filter((line) => line.trim().startsWith("{"))).to.deep.equal([]);
      // Skips say what they count.
      expect(result.stdout).to.match(/skipped: dust\s+│\s+\d+ decisions? \(1 position\)/);
      // The quick start's Moonwell borrowers go through the OEV wrapper at the first step.
      expect(result.stdout).to.match(/path oev: plans \/ transactions included\s+│\s+[1-9]\d* \/ [1-9]/);
    } finally {
      fs.rmSync(reportFile!, { force: true });
    }
  });

  it("the README's node-restart recipe redeploys over a stale Ignition record without a terminal (Ignition's two prompts answered)", async () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("### Locally, against the sandbox"), readme.indexOf("Then operate it:"));
    const recipe = section.split("\n").find((line) => line.includes("ignition deploy") && line.includes("--reset"));
    expect(recipe, "the README's localhost section has a redeploy-with---reset command").to.not.equal(undefined);
    const assignments = Object.fromEntries(
      recipe!
        .slice(0, recipe!.indexOf("npx "))
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map((assignment) => assignment.split("=") as [string, string]),
    );
    expect(recipe).to.contain("--network localhost").and.contain("--deployment-id localhost");

    const signers = await hre.ethers.getSigners();
    const parametersFile = path.join(directory, "parameters.json");
    fs.writeFileSync(
      parametersFile,
      JSON.stringify(
        sandboxModuleParameters(sandbox, { owner: signers[1]!.address, treasury: signers[3]!.address, operators: [signers[2]!.address] }),
      ),
    );
    const deployArgs = ["ignition", "deploy", "ignition/modules/ChimeraExecutorModule.ts", "--network", "localhost"];
    const cli = require.resolve("hardhat/internal/cli/bootstrap");
    const env = baseEnvironment({ LOCALHOST_RPC_URL: node.url, ...assignments });
    const record = path.join(ROOT, "ignition", "deployments", deploymentId, "deployed_addresses.json");
    const recorded = () =>
      (JSON.parse(fs.readFileSync(record, "utf8")) as Record<string, string>)["ChimeraExecutorModule#ChimeraExecutor"]!;

    // A node restart leaves the record of a deployment the chain no longer holds.
    const stale = "0x000000000000000000000000000000000000dEaD";
    fs.mkdirSync(path.dirname(record), { recursive: true });
    fs.writeFileSync(record, JSON.stringify({ "ChimeraExecutorModule#ChimeraExecutor": stale }));
    expect(await hre.ethers.provider.getCode(stale)).to.equal("0x");

    const redeploy = await runChild([cli, ...deployArgs, "--parameters", parametersFile, "--deployment-id", deploymentId, "--reset"], env);
    expect(redeploy.code, redeploy.stdout + redeploy.stderr).to.equal(0);
    expect(redeploy.stdout, "the README's variables answered every question").to.not.contain("Deploy cancelled");
    expect(recorded()).to.not.equal(stale);
    expect(await hre.ethers.provider.getCode(recorded()), "the record names a live executor again").to.not.equal("0x");
  });
});
