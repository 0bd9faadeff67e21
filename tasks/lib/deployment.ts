/**
 * Finds the executor a task operates: `--executor <address>`, or the Ignition deployment recorded for the
 * network. Ignition keeps one folder per deployment id under ignition/deployments/: `chain-<chainId>` by
 * default, but the local sandbox node also runs chainId 8453 (Base's), so deployments to `localhost` use
 * the id "localhost" (git-ignored) and never mix with a real Base deployment's `chain-8453`.
 *
 * The deployment folder also holds what `verify` needs: journal.jsonl records the constructor arguments
 * Ignition resolved and the receipt of the deployment transaction (whose block is where role events begin).
 */
import fs from "node:fs";
import path from "node:path";
import { getAddress } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { NotAChimeraExecutorError, readExecutorRoles } from "../../keeper/run/executor-roles";
import { parseAddress } from "./args";
import { loadBindings } from "./bindings";

/** Ignition's id for the executor future: `<module id>#<contract id>`. */
export const EXECUTOR_FUTURE_ID = "ChimeraExecutorModule#ChimeraExecutor";
export const EXECUTOR_MODULE_PATH = "ignition/modules/ChimeraExecutorModule.ts";
export const EXECUTOR_CONTRACT_FQN = "contracts/ChimeraExecutor.sol:ChimeraExecutor";

export interface ExecutorDeployment {
  readonly deploymentId: string;
  readonly directory: string;
  readonly address: string;
  /** The chain id Ignition recorded when the deployment started (undefined for a journal-less folder). */
  readonly chainId?: number;
  /** Constructor arguments as Ignition resolved them (addresses lower-case, bigints as bigint). */
  readonly constructorArgs?: readonly unknown[];
  /** Block of the deployment transaction's receipt. */
  readonly deployBlock?: number;
}

export interface ResolvedExecutor {
  readonly address: string;
  /** The deployment it came from; undefined when `--executor` named it. */
  readonly deployment?: ExecutorDeployment;
}

export class DeploymentNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeploymentNotFoundError";
  }
}

/** The deployment id a network's executor lives under unless `--deployment-id` says otherwise. */
export function defaultDeploymentId(networkName: string, chainId: number): string {
  return networkName === "localhost" ? "localhost" : `chain-${chainId}`;
}

/** The exact command that deploys the executor to `networkName` under the id the tasks look for. */
export function deployCommand(networkName: string, deploymentId?: string): string {
  const parameters = `ignition/parameters/${networkName}.json`;
  const base = `npx hardhat ignition deploy ${EXECUTOR_MODULE_PATH} --network ${networkName} --parameters ${parameters}`;
  if (networkName === "localhost") return `${base} --deployment-id ${deploymentId ?? "localhost"}`;
  return deploymentId === undefined || /^chain-\d+$/.test(deploymentId) ? base : `${base} --deployment-id ${deploymentId}`;
}

/** Reads the executor's deployment from `<ignitionDir>/deployments/<deploymentId>`, or undefined if there is none. */
export function readExecutorDeployment(ignitionDir: string, deploymentId: string): ExecutorDeployment | undefined {
  const directory = path.join(ignitionDir, "deployments", deploymentId);
  const addressesFile = path.join(directory, "deployed_addresses.json");
  if (!fs.existsSync(addressesFile)) return undefined;
  let addresses: Record<string, unknown>;
  try {
    addresses = JSON.parse(fs.readFileSync(addressesFile, "utf8")) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`${addressesFile} is not valid JSON (${(error as Error).message}); the deployment record is damaged`);
  }
  const recorded = addresses[EXECUTOR_FUTURE_ID];
  if (typeof recorded !== "string") {
    throw new DeploymentNotFoundError(
      `${addressesFile} has no "${EXECUTOR_FUTURE_ID}" entry (it lists ${Object.keys(addresses).join(", ") || "nothing"}); ` +
        `the deployment "${deploymentId}" did not deploy the executor`,
    );
  }
  const address = parseAddress(`${addressesFile} "${EXECUTOR_FUTURE_ID}"`, recorded);
  return { deploymentId, directory, address, ...readJournalFacts(path.join(directory, "journal.jsonl")) };
}

/** Ignition serialises bigints in its journal as {"_kind":"bigint","value":"123"}. */
function reviveIgnitionValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reviveIgnitionValue);
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (record._kind === "bigint" && typeof record.value === "string") return BigInt(record.value);
    return Object.fromEntries(Object.entries(record).map(([key, inner]) => [key, reviveIgnitionValue(inner)]));
  }
  return value;
}

/** Chain id, constructor arguments and deployment block from Ignition's journal, when it is there. */
function readJournalFacts(journalFile: string): Pick<ExecutorDeployment, "chainId" | "constructorArgs" | "deployBlock"> {
  if (!fs.existsSync(journalFile)) return {};
  const facts: { chainId?: number; constructorArgs?: readonly unknown[]; deployBlock?: number } = {};
  for (const line of fs.readFileSync(journalFile, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new Error(`${journalFile} has a line that is not JSON; the Ignition journal is damaged: ${line.slice(0, 120)}`);
    }
    if (message.type === "DEPLOYMENT_INITIALIZE" && typeof message.chainId === "number") facts.chainId = message.chainId;
    if (message.futureId !== EXECUTOR_FUTURE_ID) continue;
    if (message.type === "DEPLOYMENT_EXECUTION_STATE_INITIALIZE" && Array.isArray(message.constructorArgs)) {
      facts.constructorArgs = reviveIgnitionValue(message.constructorArgs) as unknown[];
    }
    const receipt = message.receipt as { blockNumber?: unknown } | undefined;
    if (receipt !== undefined && typeof receipt.blockNumber === "number") facts.deployBlock = receipt.blockNumber;
  }
  return facts;
}

/**
 * The executor address for this network: `--executor` wins; otherwise the Ignition deployment. Either way
 * the address must hold code on the connected chain, which catches a deployment record left over from a
 * restarted local node.
 */
export async function resolveExecutor(
  hre: HardhatRuntimeEnvironment,
  ignitionDir: string,
  options: { readonly executor?: string; readonly deploymentId?: string },
): Promise<ResolvedExecutor> {
  const networkName = hre.network.name;
  const chainId = Number((await hre.ethers.provider.getNetwork()).chainId);
  if (options.executor !== undefined) {
    const address = parseAddress("--executor", options.executor);
    await requireCode(
      hre,
      address,
      `--executor ${address}`,
      `check the address and --network (connected to "${networkName}", chain ${chainId})`,
    );
    return { address };
  }
  const deploymentId = options.deploymentId ?? defaultDeploymentId(networkName, chainId);
  const deployment = readExecutorDeployment(ignitionDir, deploymentId);
  if (deployment === undefined) {
    const folder = path.join(ignitionDir, "deployments", deploymentId);
    throw new DeploymentNotFoundError(
      `no executor deployment for network "${networkName}" (chain ${chainId}): ${folder}/deployed_addresses.json does not exist. ` +
        `Deploy it with \`${deployCommand(networkName, options.deploymentId)}\`` +
        (networkName === "localhost" ? " (after `npx hardhat node` and `npx hardhat sandbox --network localhost`)" : "") +
        `, or name a deployed executor with --executor <address>` +
        (options.deploymentId === undefined ? " (or another deployment with --deployment-id <id>)." : "."),
    );
  }
  if (deployment.chainId !== undefined && deployment.chainId !== chainId) {
    throw new DeploymentNotFoundError(
      `deployment "${deploymentId}" was made on chain ${deployment.chainId}, but network "${networkName}" is chain ${chainId}; ` +
        `pick the matching --network or --deployment-id`,
    );
  }
  await requireCode(
    hre,
    deployment.address,
    `the executor recorded in ${deployment.directory}`,
    networkName === "localhost" || networkName === "hardhat"
      ? `the record is stale (was the node restarted?). Rebuild the sandbox, then redeploy replacing the record ` +
          `(the two variables answer Ignition's two questions): \`HARDHAT_IGNITION_CONFIRM_DEPLOYMENT=true HARDHAT_IGNITION_CONFIRM_RESET=true ` +
          `${deployCommand(networkName, options.deploymentId)} --reset\``
      : `check --network and --deployment-id`,
  );
  return { address: deployment.address, deployment };
}

/** The address must hold code, and that code must answer as a ChimeraExecutor (not a token, a Safe, a pool…). */
async function requireCode(hre: HardhatRuntimeEnvironment, address: string, what: string, advice: string): Promise<void> {
  const code = await hre.ethers.provider.getCode(address);
  if (code === "0x") {
    throw new DeploymentNotFoundError(`${what}: no contract at ${getAddress(address)} on network "${hre.network.name}"; ${advice}`);
  }
  const { ChimeraExecutor__factory } = await loadBindings();
  try {
    await readExecutorRoles(hre.ethers.provider, ChimeraExecutor__factory.createInterface(), address, null);
  } catch (error) {
    if (error instanceof NotAChimeraExecutorError) throw new DeploymentNotFoundError(`${what}: ${error.message}`);
    throw error;
  }
}
