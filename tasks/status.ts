/**
 * `npx hardhat status [--json] [--min-operator-eth 0.01] [--tokens a,b] [--journal <path>] [--from-block <n>]`
 *
 * One screen an operator reads before and after every runbook step: owner (and whether it is a Safe),
 * pending owner, paused, treasury, operators with their gas balance, the allowlist, what the executor holds,
 * and, when the network's keeper journal exists, the keeper's last executions, its breaker state and any
 * control request it has not applied yet. Reads only; `--json` prints the same facts for scripts.
 */
import { ZeroAddress, formatEther } from "ethers";
import { types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { checkOperatorBalance } from "../keeper/alerts/operator-balance";
import { Journal } from "../keeper/journal/journal";
import { journalExists, taskJournalLocation } from "./journal-location";
import { leaseIsLive, type LeaseView } from "../keeper/journal/keeper-lease";
import type { ControlRequestRecord, ExecutionRecord, SystemEventRecord } from "../keeper/journal/records";
import { parseBlockNumber, parseEthThreshold } from "./lib/args";
import { describeAccount, describeAccountKind, openExecutor, readRoleLists, readRoles, type AccountFacts } from "./lib/executor-context";
import { formatAmount, toJson } from "./lib/format";
import { asTaskError, executorTask, type ExecutorTaskArgs } from "./lib/operator-task";
import { taskIo } from "./lib/task-io";
import { balancesOf, networkTokenBook, tokensToScan } from "./lib/tokens";

export interface StatusArgs extends ExecutorTaskArgs {
  readonly json?: boolean;
  readonly minOperatorEth?: string;
  readonly tokens?: string;
  readonly journal?: string;
  readonly fromBlock?: number;
  readonly executions?: number;
}

export interface OperatorStatus {
  readonly address: string;
  readonly ethBalance: bigint;
  /** The low-balance warning (from the keeper's alert rule) when under --min-operator-eth. */
  readonly warning: string | null;
}

export interface BalanceStatus {
  readonly symbol: string;
  readonly token: string;
  readonly decimals: number;
  readonly balance: bigint;
}

export interface KeeperStatus {
  readonly journalPath: string;
  readonly present: boolean;
  /** Why the journal could not be read, when it exists but is unreadable. */
  readonly error?: string;
  readonly lastExecutions: readonly ExecutionRecord[];
  /** The latest breaker transition the keeper journaled; null when it never left NORMAL. */
  readonly breaker: { readonly state: string; readonly detail: string; readonly at: number } | null;
  readonly pendingControlRequests: readonly ControlRequestRecord[];
  /** Which keeper instance leads (holds the journal's leader lease) and since when; null when none ever ran. */
  readonly leader?: { readonly instance: string; readonly since: number; readonly live: boolean; readonly expiresAt: number } | null;
}

export interface ExecutorStatus {
  readonly network: string;
  readonly chainId: number;
  readonly executor: string;
  readonly deploymentId: string | null;
  readonly owner: AccountFacts;
  readonly pendingOwner: string | null;
  readonly paused: boolean;
  readonly treasury: string;
  readonly operators: readonly OperatorStatus[];
  readonly allowlist: readonly string[];
  /** From block of the OperatorSet / AllowedTargetSet scan. */
  readonly rolesScannedFromBlock: number;
  readonly balances: readonly BalanceStatus[];
  readonly tokenSource: string;
  readonly minOperatorEth: bigint;
  readonly keeper: KeeperStatus;
  readonly warnings: readonly string[];
}

const DEFAULT_MIN_OPERATOR_ETH = "0.01";
const DEFAULT_EXECUTIONS_SHOWN = 5;

/** The breaker's state from its latest journaled transition ({ to } in the event data when the keeper records it). */
function breakerFrom(events: readonly SystemEventRecord[]): KeeperStatus["breaker"] {
  const last = events[events.length - 1];
  if (last === undefined) return null;
  const data = last.data as { to?: unknown } | null;
  const state =
    typeof data?.to === "string"
      ? data.to
      : (/\b(NORMAL|THROTTLED|HALTED)\b(?!.*\b(NORMAL|THROTTLED|HALTED)\b)/.exec(last.detail)?.[1] ?? "unknown");
  return { state, detail: last.detail, at: last.createdAt };
}

function leaderFrom(view: LeaseView): KeeperStatus["leader"] {
  if (view.lease === undefined) return null;
  return { instance: view.lease.holderInfo, since: view.lease.acquiredAt, live: leaseIsLive(view), expiresAt: view.lease.expiresAt };
}

export function readKeeperStatus(journalPath: string, executionsShown: number): KeeperStatus {
  const empty = { journalPath, lastExecutions: [], breaker: null, pendingControlRequests: [] };
  if (!journalExists(journalPath)) return { ...empty, present: false };
  let journal: Journal | undefined;
  try {
    journal = Journal.open(journalPath, { readonly: true });
    const executions = journal.listExecutions();
    return {
      journalPath,
      present: true,
      lastExecutions: executions.slice(-executionsShown).reverse(),
      breaker: breakerFrom(journal.listSystemEvents({ kinds: ["breaker_transition"] })),
      pendingControlRequests: journal.pendingControlRequests(),
      leader: leaderFrom(journal.leaseView()),
    };
  } catch (error) {
    return { ...empty, present: true, error: (error as Error).message };
  } finally {
    journal?.close();
  }
}

export async function collectStatus(args: StatusArgs, hre: HardhatRuntimeEnvironment): Promise<ExecutorStatus> {
  const minOperatorEth = parseEthThreshold("--min-operator-eth", args.minOperatorEth ?? DEFAULT_MIN_OPERATOR_ETH);
  const fromBlock = parseBlockNumber("--from-block", args.fromBlock);
  const executionsShown = args.executions ?? DEFAULT_EXECUTIONS_SHOWN;
  if (!Number.isInteger(executionsShown) || executionsShown < 0) {
    throw new Error(`--executions ${args.executions} is not a count; expected an integer >= 0`);
  }
  const context = await openExecutor(hre, args);
  const provider = hre.ethers.provider;
  const roles = await readRoles(context);
  const lists = await readRoleLists(context, fromBlock);
  const book = networkTokenBook(context.networkName, context.io.reportsDir);
  const held = await balancesOf(provider, context.address, await tokensToScan(provider, book, args.tokens));
  const operators = await Promise.all(
    lists.operators.map(async (address) => {
      const ethBalance = await provider.getBalance(address);
      const alert = checkOperatorBalance(ethBalance, minOperatorEth, `operator ${address}`);
      return { address, ethBalance, warning: alert === null ? null : alert.detail };
    }),
  );
  const journalPath = taskJournalLocation(args.journal, context.networkName, context.io.projectRoot);
  const keeper = readKeeperStatus(journalPath, executionsShown);

  const warnings: string[] = [];
  const owner = await describeAccount(provider, roles.owner);
  if (!owner.isContract && context.networkName !== "localhost" && context.networkName !== "hardhat") {
    warnings.push(
      `the owner ${owner.address} is a single key, not a Safe: transfer ownership to a Safe (npx hardhat transfer-ownership --to <safe>)`,
    );
  }
  if (roles.paused) warnings.push("the executor is PAUSED: every plan reverts until the owner runs `npx hardhat unpause`");
  if (lists.operators.length === 0)
    warnings.push("the executor has no operator: no keeper key can submit plans (npx hardhat set-operator --operator <key address>)");
  for (const operator of operators) if (operator.warning !== null) warnings.push(operator.warning);
  if (held.some((entry) => entry.balance > 0n)) {
    warnings.push(
      "the executor holds tokens between transactions (it should end every plan empty): review, then `npx hardhat withdraw --all`",
    );
  }
  if (keeper.error !== undefined) warnings.push(`keeper journal ${journalPath} could not be read: ${keeper.error}`);
  if (keeper.breaker?.state === "HALTED") warnings.push(`the keeper's circuit breaker is HALTED (${keeper.breaker.detail})`);

  return {
    network: context.networkName,
    chainId: context.chainId,
    executor: context.address,
    deploymentId: context.deployment?.deploymentId ?? null,
    owner,
    pendingOwner: roles.pendingOwner === ZeroAddress ? null : roles.pendingOwner,
    paused: roles.paused,
    treasury: roles.treasury,
    operators,
    allowlist: lists.allowlist,
    rolesScannedFromBlock: lists.fromBlock,
    balances: held.map((entry) => ({
      symbol: entry.token.symbol,
      token: entry.token.address,
      decimals: entry.token.decimals,
      balance: entry.balance,
    })),
    tokenSource: book.source,
    minOperatorEth,
    keeper,
    warnings,
  };
}

function executionLine(execution: ExecutionRecord): string {
  const when = new Date(execution.updatedAt).toISOString().replace("T", " ").slice(0, 19);
  const profit =
    execution.realisedProfitUsd !== null
      ? ` realised $${execution.realisedProfitUsd.toFixed(2)}`
      : ` expected $${execution.expectedProfitUsd.toFixed(2)}`;
  return `  ${when} ${execution.state.padEnd(16)} ${execution.mode} ${execution.market} ${execution.borrower}${profit}${execution.txHash === null ? "" : ` tx ${execution.txHash}`}${execution.error === null ? "" : ` error: ${execution.error}`}`;
}

export function formatStatus(status: ExecutorStatus): string {
  const lines: string[] = [];
  lines.push(
    `ChimeraExecutor ${status.executor} on ${status.network} (chain ${status.chainId})${status.deploymentId === null ? " (from --executor)" : `, Ignition deployment "${status.deploymentId}"`}`,
  );
  lines.push(`  owner          ${status.owner.address} (${describeAccountKind(status.owner)})`);
  if (status.owner.safe !== undefined) lines.push(`                 Safe owners: ${status.owner.safe.owners.join(", ")}`);
  lines.push(`  pending owner  ${status.pendingOwner ?? "none"}`);
  lines.push(`  paused         ${status.paused ? "YES" : "no"}`);
  lines.push(`  treasury       ${status.treasury}`);
  lines.push(`  operators      ${status.operators.length === 0 ? "none" : `${status.operators.length}`}`);
  for (const operator of status.operators) {
    lines.push(
      `    ${operator.address}  ${formatEther(operator.ethBalance)} ETH${operator.warning === null ? "" : `  LOW (floor ${formatEther(status.minOperatorEth)} ETH)`}`,
    );
  }
  lines.push(
    `  allowlist      ${status.allowlist.length === 0 ? "empty" : `${status.allowlist.length} target(s)`} (events since block ${status.rolesScannedFromBlock})`,
  );
  for (const target of status.allowlist) lines.push(`    ${target}`);
  const held = status.balances.filter((entry) => entry.balance > 0n);
  lines.push(
    `  holdings       ${held.length === 0 ? "nothing" : `${held.length} token(s)`} (checked ${status.balances.map((e) => e.symbol).join(", ")}; tokens from ${status.tokenSource})`,
  );
  for (const entry of held) lines.push(`    ${formatAmount(entry.balance, entry.decimals, entry.symbol)}  ${entry.token}`);
  const keeper = status.keeper;
  if (!keeper.present) {
    lines.push(
      `  keeper         no journal at ${keeper.journalPath} (no keeper has run on this network here; --journal <path> to read another)`,
    );
  } else if (keeper.error !== undefined) {
    lines.push(`  keeper         journal ${keeper.journalPath} unreadable: ${keeper.error}`);
  } else {
    lines.push(`  keeper         journal ${keeper.journalPath}`);
    const leader = keeper.leader ?? null;
    lines.push(
      `    leader       ${
        leader === null
          ? "none (no keeper has run on this journal yet)"
          : leader.live
            ? `${leader.instance}, leading since ${new Date(leader.since).toISOString()}`
            : `none running (last: ${leader.instance}, lease ended ${new Date(leader.expiresAt).toISOString()})`
      }`,
    );
    lines.push(
      `    breaker      ${keeper.breaker === null ? "NORMAL (no transition journaled)" : `${keeper.breaker.state} since ${new Date(keeper.breaker.at).toISOString()}: ${keeper.breaker.detail}`}`,
    );
    for (const request of keeper.pendingControlRequests) {
      lines.push(
        `    pending      #${request.id} ${request.kind} ${JSON.stringify(request.payload)} from ${request.requestedBy} at ${new Date(request.createdAt).toISOString()}`,
      );
    }
    lines.push(
      `    executions   ${keeper.lastExecutions.length === 0 ? "none journaled" : `last ${keeper.lastExecutions.length}, newest first:`}`,
    );
    for (const execution of keeper.lastExecutions) lines.push(executionLine(execution));
  }
  if (status.warnings.length > 0) {
    lines.push("warnings:");
    for (const warning of status.warnings) lines.push(`  ! ${warning}`);
  }
  return lines.join("\n");
}

export async function runStatus(args: StatusArgs, hre: HardhatRuntimeEnvironment): Promise<ExecutorStatus> {
  const status = await collectStatus(args, hre);
  taskIo(hre).print(args.json ? toJson(status) : formatStatus(status));
  return status;
}

executorTask("status", "Owner, pending owner, paused, operators (with gas balances), treasury, allowlist, holdings and the keeper's state")
  .addFlag("json", "Print JSON (bigints as decimal strings) instead of text")
  .addOptionalParam(
    "minOperatorEth",
    `Warn when an operator holds less ETH than this (default ${DEFAULT_MIN_OPERATOR_ETH})`,
    undefined,
    types.string,
  )
  .addOptionalParam(
    "tokens",
    "More tokens to check besides ETH and the address book's, comma-separated symbols or addresses",
    undefined,
    types.string,
  )
  .addOptionalParam("journal", "Keeper journal to read (default: data/keeper-<network>.sqlite)", undefined, types.string)
  .addOptionalParam("fromBlock", "Scan role events from this block (default: the deployment block, else 0)", undefined, types.int)
  .addOptionalParam("executions", `How many recent keeper executions to show (default ${DEFAULT_EXECUTIONS_SHOWN})`, undefined, types.int)
  .setAction(async (args: StatusArgs, hre) => asTaskError(() => runStatus(args, hre)));
