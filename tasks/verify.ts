/**
 * `npx hardhat verify --network base`            verifies the Ignition-deployed executor on BaseScan
 * `npx hardhat verify --network base <address> …` hardhat-verify's own verify, unchanged
 *
 * hardhat-verify registers `verify`; this overrides it. With an address (or --list-networks) it hands the
 * arguments to hardhat-verify untouched (runSuper). Without one it reads the executor's deployment
 * (ignition/deployments/<deployment id>/): the address from deployed_addresses.json and the constructor
 * arguments Ignition resolved and recorded in journal.jsonl, and calls hardhat-verify's `verify:verify`
 * subtask with them and the contract's fully qualified name.
 */
import { getAddress } from "ethers";
import { task, types } from "hardhat/config";
import type { HardhatRuntimeEnvironment, RunSuperFunction, TaskArguments } from "hardhat/types";
import {
  DeploymentNotFoundError,
  EXECUTOR_CONTRACT_FQN,
  defaultDeploymentId,
  deployCommand,
  readExecutorDeployment,
} from "./lib/deployment";
import { toJson } from "./lib/format";
import { asTaskError, DEPLOYMENT_ID_HELP } from "./lib/operator-task";
import { taskIo } from "./lib/task-io";

export const ETHERSCAN_KEY_VARIABLE = "ETHERSCAN_API_KEY";

export interface DeploymentVerification {
  readonly address: string;
  readonly constructorArguments: readonly unknown[];
  readonly contract: string;
  readonly deploymentId: string;
}

/** hardhat-verify's API key for `networkName`: one key for all chains (Etherscan v2) or one per network. */
function etherscanKeyFor(hre: HardhatRuntimeEnvironment, networkName: string): string | undefined {
  const apiKey = (hre.config as { etherscan?: { apiKey?: string | Record<string, string> } }).etherscan?.apiKey;
  const key = typeof apiKey === "string" ? apiKey : apiKey?.[networkName];
  return key === undefined || key.trim() === "" ? undefined : key;
}

/** Checksums addresses inside constructor arguments (Ignition records them lower-case), in arrays and structs alike. */
function normaliseArgument(value: unknown): unknown {
  if (typeof value === "string" && /^0x[0-9a-fA-F]{40}$/.test(value)) return getAddress(value);
  if (Array.isArray(value)) return value.map(normaliseArgument);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, normaliseArgument(field)]));
  }
  return value;
}

/** What `verify` without an address submits, read from the deployment record. */
export async function deploymentVerification(hre: HardhatRuntimeEnvironment, deploymentId?: string): Promise<DeploymentVerification> {
  const networkName = hre.network.name;
  const chainId = Number((await hre.ethers.provider.getNetwork()).chainId);
  const id = deploymentId ?? defaultDeploymentId(networkName, chainId);
  const deployment = readExecutorDeployment(taskIo(hre).ignitionDir, id);
  if (deployment === undefined) {
    throw new DeploymentNotFoundError(
      `verify: no executor deployment "${id}" for network "${networkName}" (chain ${chainId}) to verify. ` +
        `Deploy with \`${deployCommand(networkName, deploymentId)}\`, or verify any contract with \`npx hardhat verify --network ${networkName} <address> <constructor args…>\`.`,
    );
  }
  if (deployment.constructorArgs === undefined) {
    throw new Error(
      `verify: ${deployment.directory}/journal.jsonl does not record the executor's constructor arguments; pass them yourself: \`npx hardhat verify --network ${networkName} ${deployment.address} …\``,
    );
  }
  if (deployment.chainId !== undefined && deployment.chainId !== chainId) {
    throw new Error(`verify: deployment "${id}" is on chain ${deployment.chainId} but network "${networkName}" is chain ${chainId}`);
  }
  return {
    address: deployment.address,
    constructorArguments: deployment.constructorArgs.map(normaliseArgument),
    contract: EXECUTOR_CONTRACT_FQN,
    deploymentId: id,
  };
}

export async function runVerifyDeployment(
  args: { readonly deploymentId?: string; readonly dryRun?: boolean },
  hre: HardhatRuntimeEnvironment,
): Promise<DeploymentVerification> {
  const io = taskIo(hre);
  const verification = await deploymentVerification(hre, args.deploymentId);
  io.print(
    `Executor ${verification.address} from Ignition deployment "${verification.deploymentId}", contract ${verification.contract}, ` +
      `constructor arguments (owner, treasury, operators, allowlist, markets):\n${toJson(verification.constructorArguments)}`,
  );
  if (args.dryRun) {
    io.print("Dry run: verify:verify was not called.");
    return verification;
  }
  if (etherscanKeyFor(hre, hre.network.name) === undefined) {
    throw new Error(
      `verify: ${ETHERSCAN_KEY_VARIABLE} is not set, and BaseScan verification needs it (one Etherscan v2 key serves every chain). ` +
        `Set it with \`npx hardhat vars set ${ETHERSCAN_KEY_VARIABLE}\` or export ${ETHERSCAN_KEY_VARIABLE}=..., then rerun.`,
    );
  }
  await hre.run("verify:verify", {
    address: verification.address,
    constructorArguments: [...verification.constructorArguments],
    contract: verification.contract,
  });
  return verification;
}

task("verify", "Verifies a contract; without an address, the executor this network's Ignition deployment recorded")
  .addOptionalParam(
    "deploymentId",
    `Without an address: the ${DEPLOYMENT_ID_HELP.charAt(0).toLowerCase()}${DEPLOYMENT_ID_HELP.slice(1)}`,
    undefined,
    types.string,
  )
  .addFlag("dryRun", "Without an address: print what would be verified, call nothing")
  .setAction(async (args: TaskArguments, hre: HardhatRuntimeEnvironment, runSuper: RunSuperFunction<TaskArguments>) => {
    if (args.address !== undefined || args.listNetworks === true) return runSuper(args);
    return asTaskError(() =>
      runVerifyDeployment({ deploymentId: args.deploymentId as string | undefined, dryRun: args.dryRun as boolean }, hre),
    );
  });
