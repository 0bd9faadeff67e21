/**
 * Everything an operator task knows about the executor it operates: where it is, its ABI, and its roles as
 * the chain reports them right now. The contract keeps operators and allowed targets in mappings it cannot
 * enumerate, so the lists come from its OperatorSet / AllowedTargetSet events, confirmed against the
 * mappings (an address is listed only if the mapping still says true).
 */
import { ZeroAddress, getAddress, type Interface, type JsonFragment, type Provider } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { ChimeraExecutor } from "../../typechain-types";
import { loadBindings } from "./bindings";
import { resolveExecutor, type ExecutorDeployment } from "./deployment";
import { taskIo, type TaskIo } from "./task-io";

export interface ExecutorContext {
  readonly hre: HardhatRuntimeEnvironment;
  readonly io: TaskIo;
  readonly networkName: string;
  readonly chainId: number;
  readonly address: string;
  /** The Ignition deployment the address came from; undefined with --executor. */
  readonly deployment?: ExecutorDeployment;
  /** Connected to the provider (reads only); tasks send through their own signer. */
  readonly executor: ChimeraExecutor;
  readonly iface: Interface;
  readonly abi: readonly JsonFragment[];
}

export interface ExecutorLocator {
  readonly executor?: string;
  readonly deploymentId?: string;
}

export async function openExecutor(hre: HardhatRuntimeEnvironment, locator: ExecutorLocator): Promise<ExecutorContext> {
  const io = taskIo(hre);
  const { ChimeraExecutor__factory } = await loadBindings();
  const resolved = await resolveExecutor(hre, io.ignitionDir, locator);
  const chainId = Number((await hre.ethers.provider.getNetwork()).chainId);
  return {
    hre,
    io,
    networkName: hre.network.name,
    chainId,
    address: resolved.address,
    deployment: resolved.deployment,
    executor: ChimeraExecutor__factory.connect(resolved.address, hre.ethers.provider),
    iface: ChimeraExecutor__factory.createInterface(),
    abi: ChimeraExecutor__factory.abi as readonly JsonFragment[],
  };
}

/* ───────────────────────────── accounts ───────────────────────────── */

export interface SafeFacts {
  readonly threshold: number;
  readonly owners: readonly string[];
  readonly version?: string;
}

export interface AccountFacts {
  readonly address: string;
  readonly isContract: boolean;
  /** Present when the contract answers the Safe's getThreshold/getOwners. */
  readonly safe?: SafeFacts;
}

export async function describeAccount(provider: Provider, address: string): Promise<AccountFacts> {
  const checksummed = getAddress(address);
  if (checksummed === ZeroAddress) return { address: checksummed, isContract: false };
  const code = await provider.getCode(checksummed);
  if (code === "0x") return { address: checksummed, isContract: false };
  const { Safe__factory } = await loadBindings();
  const safe = Safe__factory.connect(checksummed, provider);
  try {
    const [threshold, owners] = await Promise.all([safe.getThreshold(), safe.getOwners()]);
    const version = await safe.VERSION().catch(() => undefined);
    return {
      address: checksummed,
      isContract: true,
      safe: { threshold: Number(threshold), owners: owners.map((o) => getAddress(o)), version },
    };
  } catch {
    return { address: checksummed, isContract: true };
  }
}

export function describeAccountKind(account: AccountFacts): string {
  if (!account.isContract) return "an externally owned account";
  if (account.safe === undefined) return "a contract (not recognisably a Safe)";
  return `a Safe${account.safe.version === undefined ? "" : ` v${account.safe.version}`}, ${account.safe.threshold} of ${account.safe.owners.length} owners`;
}

/* ───────────────────────────── roles ───────────────────────────── */

export interface RoleSnapshot {
  readonly owner: string;
  /** Zero address when no transfer is pending. */
  readonly pendingOwner: string;
  readonly paused: boolean;
  readonly treasury: string;
}

export async function readRoles(context: ExecutorContext): Promise<RoleSnapshot> {
  const { executor } = context;
  const [owner, pendingOwner, paused, treasury] = await Promise.all([
    executor.owner(),
    executor.pendingOwner(),
    executor.paused(),
    executor.treasury(),
  ]);
  return { owner: getAddress(owner), pendingOwner: getAddress(pendingOwner), paused, treasury: getAddress(treasury) };
}

/** Widest eth_getLogs range requested at once; refused ranges are halved. Base RPCs accept 10,000 blocks or fewer. */
const LOG_BLOCK_SPAN = 10_000;

async function getLogsInChunks(
  provider: Provider,
  filter: { address: string; topics: Array<string | string[]> },
  fromBlock: number,
  toBlock: number,
): Promise<Array<{ topics: readonly string[]; data: string }>> {
  const logs: Array<{ topics: readonly string[]; data: string }> = [];
  let span = LOG_BLOCK_SPAN;
  for (let start = fromBlock; start <= toBlock;) {
    const end = Math.min(toBlock, start + span - 1);
    try {
      logs.push(...(await provider.getLogs({ ...filter, fromBlock: start, toBlock: end })));
      start = end + 1;
    } catch (error) {
      if (span === 1) throw new Error(`eth_getLogs for ${filter.address} failed at block ${start}: ${(error as Error).message}`);
      span = Math.max(1, Math.floor(span / 2));
    }
  }
  return logs;
}

export interface RoleLists {
  readonly operators: readonly string[];
  readonly allowlist: readonly string[];
  /** The block the event scan started at. */
  readonly fromBlock: number;
}

/**
 * Current operators and allowed targets: every address an OperatorSet / AllowedTargetSet event ever named
 * since `fromBlock` (default: the deployment block, else 0), kept if the mapping still says true.
 */
export async function readRoleLists(context: ExecutorContext, fromBlock?: number): Promise<RoleLists> {
  const provider = context.hre.ethers.provider;
  const start = fromBlock ?? context.deployment?.deployBlock ?? 0;
  const latest = await provider.getBlockNumber();
  const operatorTopic = context.iface.getEvent("OperatorSet")!.topicHash;
  const targetTopic = context.iface.getEvent("AllowedTargetSet")!.topicHash;
  const logs = await getLogsInChunks(provider, { address: context.address, topics: [[operatorTopic, targetTopic]] }, start, latest);
  const operatorCandidates = new Set<string>();
  const targetCandidates = new Set<string>();
  for (const log of logs) {
    const named = getAddress(`0x${log.topics[1].slice(26)}`);
    (log.topics[0] === operatorTopic ? operatorCandidates : targetCandidates).add(named);
  }
  const operators = await filterAsync([...operatorCandidates], (a) => context.executor.isOperator(a));
  const allowlist = await filterAsync([...targetCandidates], (a) => context.executor.isAllowedTarget(a));
  return { operators, allowlist, fromBlock: start };
}

async function filterAsync(items: readonly string[], keep: (item: string) => Promise<boolean>): Promise<string[]> {
  const flags = await Promise.all(items.map(keep));
  return items.filter((_, index) => flags[index]);
}
