/**
 * The command line as an operator meets it: `npx hardhat --help` (Hardhat's own CLI in a child process, like an
 * operator runs it) lists every operator task, and each task declares the options the runbook relies on.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import hre from "hardhat";

const run = promisify(execFile);
const OPERATOR_TASKS = [
  "pause",
  "unpause",
  "withdraw",
  "status",
  "verify",
  "transfer-ownership",
  "accept-ownership",
  "set-operator",
  "set-treasury",
  "allow-target",
  "emergency",
];

/**
 * Preloaded (node -r) into a child Hardhat to play a fresh clone: every require of typechain-types/ fails
 * as it does before the first compile, naming the chain of modules that asked for it. Written to a temp
 * file by the test: Hardhat would load any script under test/ as a test file.
 */
const WITHOUT_TYPECHAIN = `
const Module = require("node:module");
const resolve = Module._resolveFilename;
const load = Module._load;
const loading = [];
Module._load = function (request, ...rest) {
  loading.push(request);
  try {
    return load.call(this, request, ...rest);
  } finally {
    loading.pop();
  }
};
Module._resolveFilename = function (request, ...rest) {
  if (/(^|\\/)typechain-types(\\/|$)/.test(request)) {
    const chain = loading.filter((name) => name.startsWith(".")).join(" > ");
    const error = new Error("typechain-types/ does not exist yet (fresh clone); required through " + chain);
    error.code = "MODULE_NOT_FOUND";
    throw error;
  }
  return resolve.call(this, request, ...rest);
};
`;

async function hardhat(args: string[], preload: string[] = []): Promise<string> {
  const cli = path.join(hre.config.paths.root, "node_modules", "hardhat", "internal", "cli", "bootstrap.js");
  const nodeOptions = preload.map((file) => `-r ${file}`).join(" ");
  const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} ${nodeOptions}`.trim() };
  const { stdout } = await run(process.execPath, [cli, ...args], { cwd: hre.config.paths.root, timeout: 120_000, env });
  return stdout;
}

describe("tasks: command line", () => {
  it("`npx hardhat --help` lists every operator task with its description", async () => {
    const help = await hardhat(["--help"]);
    for (const name of OPERATOR_TASKS) expect(help).to.match(new RegExp(`^\\s+${name}\\s+\\S`, "m"), `task ${name} missing from --help`);
  });

  it("loads on a fresh clone: no task, config or plug-in table needs typechain-types/ before the first compile", async () => {
    // `npm run typecheck` (hardhat typechain) and `npx hardhat keeper` load the config, and so every task
    // file, before anything has generated the bindings; a top-level import of them breaks both.
    const hook = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "chimera-fresh-clone-")), "without-typechain.cjs");
    fs.writeFileSync(hook, WITHOUT_TYPECHAIN);
    const help = await hardhat(["--help"], [hook]).catch((error: { stderr?: string }) => {
      throw new Error(
        `hardhat did not load without typechain-types/: ${error.stderr?.split("\n").find((l) => l.includes("typechain-types"))}`,
      );
    });
    for (const name of [...OPERATOR_TASKS, "keeper", "daily", "typechain"]) expect(help).to.match(new RegExp(`^\\s+${name}\\s+\\S`, "m"));
  });

  it("keeper documents --address-book; sandbox:price and report's --since/--until are there", () => {
    expect(hre.tasks.keeper.paramDefinitions.addressBook.description).to.contain("reports/sandbox-localhost.json");
    expect(Object.keys(hre.tasks["sandbox:price"].paramDefinitions)).to.include.members(["symbol", "usd", "change", "addressBook"]);
    expect(Object.keys(hre.tasks.report.paramDefinitions)).to.include.members(["since", "until"]);
  });

  it("every sending task has --from, --dry-run, --executor and --deployment-id; withdraw explains human amounts", () => {
    for (const name of OPERATOR_TASKS.filter((task) => task !== "status" && task !== "verify")) {
      const params = Object.keys(hre.tasks[name].paramDefinitions);
      expect(params, name).to.include.members(["from", "dryRun", "executor", "deploymentId"]);
    }
    expect(Object.keys(hre.tasks.status.paramDefinitions)).to.include.members(["json", "minOperatorEth", "journal", "executor"]);
    expect(hre.tasks.withdraw.paramDefinitions.amount.description).to.include("1.5 means 1.5 tokens");
    // verify keeps hardhat-verify's own arguments next to ours.
    const verify = hre.tasks.verify;
    expect(verify.positionalParamDefinitions.map((p) => p.name)).to.deep.equal(["address", "constructorArgsParams"]);
    expect(Object.keys(verify.paramDefinitions)).to.include.members([
      "contract",
      "libraries",
      "force",
      "listNetworks",
      "deploymentId",
      "dryRun",
    ]);
  });
});
