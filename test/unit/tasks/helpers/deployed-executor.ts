/**
 * The executor as operators meet it: deployed by Ignition (the module that ships, the same parameters and roles
 * as test/shared/executor-fixture.ts) into the sandbox, WITH its deployment folder on disk, because the tasks find
 * the executor by reading ignition/deployments/<id>/. The shared executorFixture deploys through
 * `hre.ignition.deploy`, which keeps in-process deployments in memory, so this fixture calls Ignition's own
 * `deploy` with a deployment directory instead. The folder lives in a temporary "ignition" directory that the
 * tests point the tasks at (overrideTaskIo), never in the repository.
 *
 * Roles as in executorFixture: owner = account 1, operator = 2, treasury = 3, outsider = 4.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import hre from "hardhat";
import { deploy } from "@nomicfoundation/ignition-core";
import { HardhatArtifactResolver } from "@nomicfoundation/hardhat-ignition/helpers";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import ChimeraExecutorModule from "../../../../ignition/modules/ChimeraExecutorModule";
import { ChimeraExecutor__factory, type ChimeraExecutor } from "../../../../typechain-types";
import { writeSandboxAddressBook, type Sandbox } from "../../../../sandbox";
import { EXECUTOR_FUTURE_ID } from "../../../../tasks/lib/deployment";
import { overrideTaskIo } from "../../../../tasks/lib/task-io";
import { sandboxFixture } from "../../../shared/sandbox-fixture";
import { sandboxModuleParameters } from "../../../shared/executor-fixture";

export interface DeployedExecutor {
  readonly sandbox: Sandbox;
  /** Connected to `owner`. */
  readonly executor: ChimeraExecutor;
  readonly address: string;
  readonly owner: HardhatEthersSigner;
  readonly operator: HardhatEthersSigner;
  readonly treasury: HardhatEthersSigner;
  readonly outsider: HardhatEthersSigner;
  /** The temporary "ignition" folder holding deployments/chain-8453/. */
  readonly ignitionDir: string;
  /** The temporary "reports" folder holding sandbox-hardhat.json (the address book the tasks read tokens from). */
  readonly reportsDir: string;
  readonly parameters: ReturnType<typeof sandboxModuleParameters>;
}

/** One temporary root per test process, removed when it exits (fixtures are reused across test files). */
let scratchRoot: string | undefined;
export function scratchDir(label: string): string {
  if (scratchRoot === undefined) {
    scratchRoot = fs.mkdtempSync(path.join(os.tmpdir(), "chimera-tasks-"));
    const root = scratchRoot;
    process.once("exit", () => fs.rmSync(root, { recursive: true, force: true }));
  }
  return fs.mkdtempSync(path.join(scratchRoot, `${label}-`));
}

export async function deployedExecutorFixture(): Promise<DeployedExecutor> {
  const sandbox = await loadFixture(sandboxFixture);
  const [, owner, operator, treasury, outsider] = await hre.ethers.getSigners();
  const ignitionDir = scratchDir("ignition");
  const reportsDir = scratchDir("reports");
  writeSandboxAddressBook(path.join(reportsDir, "sandbox-hardhat.json"), sandbox.book);

  const parameters = sandboxModuleParameters(sandbox, { owner: owner.address, treasury: treasury.address, operators: [operator.address] });
  const accounts = (await hre.network.provider.request({ method: "eth_accounts" })) as string[];
  const result = await deploy({
    config: { requiredConfirmations: 1 },
    provider: hre.network.provider,
    artifactResolver: new HardhatArtifactResolver(hre),
    // The default id for the in-process network (chainId 8453): what the tasks look up without --deployment-id.
    deploymentDir: path.join(ignitionDir, "deployments", "chain-8453"),
    ignitionModule: ChimeraExecutorModule,
    deploymentParameters: parameters,
    accounts,
  });
  if (result.type !== "SUCCESSFUL_DEPLOYMENT") throw new Error(`Ignition deployment failed: ${JSON.stringify(result)}`);
  const address = result.contracts[EXECUTOR_FUTURE_ID].address;
  return {
    sandbox,
    executor: ChimeraExecutor__factory.connect(address, owner),
    address,
    owner,
    operator,
    treasury,
    outsider,
    ignitionDir,
    reportsDir,
    parameters,
  };
}

/**
 * What a task test starts from: a fresh executor (the fixture's snapshot) with the tasks pointed at its folders and
 * their output captured. Call `restore` after the test.
 */
export async function openTaskTest(): Promise<{ f: DeployedExecutor; output: CapturedOutput; restore: () => void }> {
  const f = await loadFixture(deployedExecutorFixture);
  return { f, ...captureTaskIo(f) };
}

/** What a task printed, collected through the injectable printer. */
export interface CapturedOutput {
  readonly lines: string[];
  text(): string;
}

/**
 * Points the tasks at the fixture's folders and captures their output until the returned restore function runs.
 * `now` pins the clock Safe batches record; `projectRoot` moves the project the tasks see (their default journal).
 */
export function captureTaskIo(
  fixture: Pick<DeployedExecutor, "ignitionDir" | "reportsDir">,
  options: { now?: () => number; reportsDir?: string; projectRoot?: string } = {},
) {
  const output: CapturedOutput = {
    lines: [],
    text() {
      return this.lines.join("\n");
    },
  };
  const restore = overrideTaskIo({
    print: (text) => output.lines.push(text),
    ignitionDir: fixture.ignitionDir,
    reportsDir: options.reportsDir ?? fixture.reportsDir,
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.projectRoot === undefined ? {} : { projectRoot: options.projectRoot }),
  });
  return { output, restore };
}
