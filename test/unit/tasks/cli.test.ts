/**
 * The command line as an operator meets it: `npx hardhat --help` (Hardhat's own CLI in a child process, like an
 * operator runs it) lists every operator task, and each task declares the options the runbook relies on.
 */
import { execFile } from "node:child_process";
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
    const hook = path.join(__dirname, "helpers", "without-typechain.cjs");
    const help = await hardhat(["--help"], [hook]).catch((error: { stderr?: string }) => {
      throw new Error(
        `hardhat did not load without typechain-types/: ${error.stderr?.split("\n").find((l) => l.includes("typechain-types"))}`,
      );
    });
    for (const name of [...OPERATOR_TASKS, "keeper", "daily", "typechain"]) expect(help).to.match(new RegExp(`^\\s+${name}\\s+\\S`, "m"));
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
