/**
 * `npx hardhat daily --network <net> [--evening] [--dry-run] [--journal <path>] [--keeper-url <url>]
 *   [--min-operator-eth <eth>] [--csv <file>] [--executor <address>]`
 *
 * The runbook's daily checklists as commands (docs/operations.md, "Daily checklists"):
 *  - morning (default), one screen: the executor's and the running keeper's status, balances against
 *    their floors, the last 24 h of executions, flash liquidity per lender, gas, and the errors and
 *    alerts the journal recorded;
 *  - `--evening`: today's (UTC) P&L written to CSV (reports/pnl-<day>.csv unless --csv; `--dry-run`
 *    writes nothing), anomalies flagged, and the journal reconciled with the treasury's on-chain receipts.
 * Each ends with "Needs a person:" and exits 1 when that list is not empty, so a cron job or a CI
 * step can page on it. Reads only: the journal is opened read-only, nothing is signed.
 */
import fs from "node:fs";
import path from "node:path";
import { formatEther, formatUnits } from "ethers";
import { task, types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { readSandboxAddressBook, sandboxAddressBookPath } from "../sandbox/address-book-file";
import type { AddressBook } from "../keeper/config/address-book";
import { loadKeeperConfig } from "../keeper/config/load";
import { BASE_ADDRESS_BOOK, MAINNET_ADDRESS_BOOK } from "../keeper/config/networks";
import { riskLimitsFromConfig } from "../keeper/config/runtime-settings";
import { Journal } from "../keeper/journal/journal";
import { defaultJournalPath } from "../keeper/journal/journal-path";
import { buildPnlReport, pnlReportToCsv, utcDay } from "../keeper/journal/pnl-report";
import { reconcileTreasury, type FetchTreasuryReceipts } from "../keeper/journal/treasury-reconciliation";
import { redactSecrets } from "../keeper/telemetry/redact";
import { asTaskError } from "./lib/operator-task";
import {
  DAY_MS,
  LOSS_SHARE_OF_LIMIT,
  columns,
  failedShareProblem,
  flashLiquidityByLender,
  openAlerts,
  profitDeviations,
  stuckIntents,
  summariseExecutions,
} from "./lib/daily-checks";
import { collectStatus } from "./status";
import { formatReconciliation } from "./report";

export interface DailyArgs {
  readonly evening?: boolean;
  readonly dryRun?: boolean;
  readonly journal?: string;
  readonly keeperUrl?: string;
  readonly minOperatorEth?: string;
  readonly csv?: string;
  readonly executor?: string;
}

export interface DailyDeps {
  readonly now?: () => number;
  /** Overrides the network's address book (the in-process sandbox builds its own). */
  readonly book?: AddressBook | null;
  /** Overrides reading the treasury's receipts from the chain. */
  readonly treasuryReceipts?: FetchTreasuryReceipts;
  readonly print?: (text: string) => void;
}

export interface DailyResult {
  readonly checklist: "morning" | "evening";
  readonly text: string;
  /** What needs a person; the task exits 1 when it is not empty. */
  readonly attention: readonly string[];
  readonly csvPath: string | null;
}

const KEEPER_PROBE_TIMEOUT_MS = 2_000;

function usd(value: number): string {
  return `${value < 0 ? "-" : ""}$${Math.abs(value).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

function addressBookFor(hre: HardhatRuntimeEnvironment): AddressBook | null {
  switch (hre.network.name) {
    case "base":
      return BASE_ADDRESS_BOOK;
    case "mainnet":
      return MAINNET_ADDRESS_BOOK;
    case "localhost": {
      const file = sandboxAddressBookPath("localhost", hre.config.paths.root);
      return fs.existsSync(file) ? readSandboxAddressBook(file) : null;
    }
    default:
      return null;
  }
}

function keeperConfig(hre: HardhatRuntimeEnvironment) {
  return loadKeeperConfig({ network: hre.network.name, env: process.env, file: process.env.KEEPER_CONFIG });
}

function journalPathOf(args: DailyArgs, hre: HardhatRuntimeEnvironment): string {
  return path.resolve(args.journal ?? defaultJournalPath(hre.network.name, hre.config.paths.root));
}

/** The running keeper's own view, from its /status (a keeper that does not answer is a finding). */
async function probeKeeper(url: string): Promise<{ line: string; problem: string | null }> {
  try {
    const response = await fetch(`${url.replace(/\/+$/, "")}/status`, { signal: AbortSignal.timeout(KEEPER_PROBE_TIMEOUT_MS) });
    if (!response.ok)
      return {
        line: `keeper   ${url}/status answered HTTP ${response.status}`,
        problem: `the keeper at ${url} answers /status with HTTP ${response.status}`,
      };
    const status = (await response.json()) as {
      mode?: string;
      breaker?: { state?: string };
      operatorHalt?: string | null;
      head?: number;
      lastHeadAt?: string;
    };
    const state = status.operatorHalt ? "HALTED (operator)" : (status.breaker?.state ?? "?");
    const age = status.lastHeadAt === undefined ? "?" : `${((Date.now() - Date.parse(status.lastHeadAt)) / 1000).toFixed(1)} s ago`;
    const problem = state.startsWith("HALTED")
      ? `the running keeper is ${state}: find the cause, then npx hardhat keeper:resume --reason "<why>"`
      : null;
    return { line: `keeper   ${status.mode ?? "?"} · breaker ${state} · head #${status.head ?? "?"} (${age}) at ${url}`, problem };
  } catch (error) {
    return {
      line: `keeper   not answering at ${url} (${(error as Error).message})`,
      problem: `no keeper answers at ${url}: systemctl status chimera-keeper (or --keeper-url <url> if it runs elsewhere)`,
    };
  }
}

export async function runMorning(args: DailyArgs, hre: HardhatRuntimeEnvironment, deps: DailyDeps = {}): Promise<DailyResult> {
  const now = (deps.now ?? Date.now)();
  const config = keeperConfig(hre);
  const journalPath = journalPathOf(args, hre);
  const floorEth = args.minOperatorEth ?? String(config.operatorBalanceFloorEth);
  const status = await collectStatus({ executor: args.executor, journal: journalPath, minOperatorEth: floorEth, executions: 0 }, hre);
  const attention: string[] = [...status.warnings.filter((w) => !w.includes("is a single key, not a Safe"))];
  const lines = [
    `Chimera morning checklist · ${hre.network.name} · ${new Date(now).toISOString().slice(0, 16).replace("T", " ")} UTC`,
    "",
    "1. Status",
  ];
  lines.push(
    `   executor ${status.executor} · ${status.paused ? "PAUSED" : "not paused"} · owner ${status.owner.address}${status.owner.safe === undefined ? "" : " (Safe)"}`,
  );
  const keeperUrl = args.keeperUrl ?? `http://127.0.0.1:${process.env.KEEPER_METRICS_PORT ?? config.metrics.port}`;
  const probe = await probeKeeper(keeperUrl);
  lines.push(`   ${probe.line}`);
  if (probe.problem !== null) attention.push(probe.problem);
  const keeper = status.keeper;
  lines.push(
    `   journal  ${keeper.present ? journalPath : `none at ${journalPath}`}${keeper.breaker === null ? "" : ` · last breaker transition: ${keeper.breaker.state}`} · ${keeper.pendingControlRequests.length} pending control request(s)`,
  );
  if (keeper.pendingControlRequests.length > 0)
    attention.push(`${keeper.pendingControlRequests.length} control request(s) not applied: is the keeper running?`);

  lines.push("", "2. Balances vs floors");
  for (const operator of status.operators) {
    const eth = Number(formatEther(operator.ethBalance)).toLocaleString("en-US", { maximumFractionDigits: 6 });
    lines.push(`   operator ${operator.address} ${eth} ETH (floor ${floorEth} ETH) ${operator.warning === null ? "ok" : "LOW"}`);
  }
  const held = status.balances.filter((b) => b.balance > 0n);
  lines.push(
    `   executor holds ${held.length === 0 ? "nothing (as it should)" : held.map((b) => `${formatUnits(b.balance, b.decimals)} ${b.symbol}`).join(", ")}`,
  );

  lines.push("", "3. Last 24 h executions");
  let executions: ReturnType<Journal["listExecutions"]> = [];
  let events: ReturnType<Journal["listSystemEvents"]> = [];
  if (keeper.present && keeper.error === undefined) {
    const journal = Journal.open(journalPath, { readonly: true });
    try {
      executions = journal.listExecutions({ fromMs: now - DAY_MS });
      events = journal.listSystemEvents().filter((e) => e.createdAt >= now - DAY_MS);
    } finally {
      journal.close();
    }
  }
  const summary = summariseExecutions(executions);
  const states = Object.entries(summary.byState)
    .map(([state, n]) => `${state} ${n}`)
    .join(", ");
  lines.push(
    `   ${summary.total} execution(s)${states === "" ? "" : `: ${states}`} · sent ${summary.sent} · won ${summary.won} / lost ${summary.lost}`,
  );
  lines.push(`   realised ${usd(summary.realisedUsd)} · gas ${usd(summary.gasUsd)} · net ${usd(summary.realisedUsd - summary.gasUsd)}`);
  for (const failure of summary.failures.slice(-5).reverse())
    lines.push(`   ! ${failure.txHash ?? failure.planId} ${failure.market}: ${failure.error}`);
  const failed = failedShareProblem(summary);
  if (failed !== null) attention.push(failed);
  attention.push(...stuckIntents(executions, now));

  lines.push("", "4. Flash liquidity per lender");
  const book = deps.book === undefined ? addressBookFor(hre) : deps.book;
  const block = await hre.ethers.provider.getBlockNumber();
  if (book === null) lines.push(`   no address book for ${hre.network.name}: skipped`);
  else {
    const lenders = await flashLiquidityByLender(book, hre.ethers.provider, block);
    if (lenders.length === 0) attention.push("no flash lender has liquidity in any address-book token: plans need their own capital");
    const amount = (value: string) => Number(value).toLocaleString("en-US", { maximumFractionDigits: 2 });
    lines.push(
      ...columns(lenders.map((l) => [l.lender, l.token, amount(l.available), `${l.feeBps} bps`, l.address])).map((l) => `   ${l}`),
    );
  }

  lines.push("", "5. Gas");
  const fees = await hre.ethers.provider.getFeeData();
  const latest = await hre.ethers.provider.getBlock(block);
  const gwei = (wei: bigint | null | undefined) =>
    wei === null || wei === undefined ? "?" : `${Number(formatUnits(wei, "gwei")).toFixed(4)} gwei`;
  const cap = riskLimitsFromConfig(config).limits.maxFeePerGasWei;
  lines.push(
    `   base fee ${gwei(latest?.baseFeePerGas)} · priority ${gwei(fees.maxPriorityFeePerGas)} · the keeper's max fee ${gwei(cap)}`,
  );
  if (latest?.baseFeePerGas !== null && latest?.baseFeePerGas !== undefined && latest.baseFeePerGas > cap)
    attention.push(`the base fee ${gwei(latest.baseFeePerGas)} is above the keeper's max fee ${gwei(cap)}: it cannot send until gas falls`);

  lines.push("", "6. Errors and alerts (24 h, journal)");
  const alerts = events.filter((e) => e.kind === "alert");
  const breaker = events.filter((e) => e.kind === "breaker_transition");
  lines.push(`   ${alerts.length} alert event(s) · ${breaker.length} breaker transition(s)`);
  for (const event of [...breaker, ...alerts].sort((a, b) => a.createdAt - b.createdAt).slice(-6)) {
    lines.push(
      `   ${new Date(event.createdAt).toISOString().slice(11, 19)} ${event.kind === "alert" ? "alert  " : "breaker"} ${event.detail}`,
    );
  }
  for (const alert of openAlerts(alerts)) if (alert.severity !== "info") attention.push(`alert still open: ${alert.detail}`);
  return finish("morning", lines, attention, null, deps);
}

export async function runEvening(args: DailyArgs, hre: HardhatRuntimeEnvironment, deps: DailyDeps = {}): Promise<DailyResult> {
  const now = (deps.now ?? Date.now)();
  const day = utcDay(now);
  const dayStart = Date.parse(`${day}T00:00:00Z`);
  const config = keeperConfig(hre);
  const journalPath = journalPathOf(args, hre);
  const journal = Journal.open(journalPath, { readonly: true });
  let executions;
  let events;
  let lossUsd = 0;
  try {
    executions = journal.listExecutions({ fromMs: dayStart, toMs: dayStart + DAY_MS });
    events = journal.listSystemEvents({ kinds: ["alert"] }).filter((e) => e.createdAt >= dayStart);
    const gate = journal.loadRiskState<{ day?: string; lossUsd?: number }>("risk-gate");
    if (gate?.value.day === day) lossUsd = gate.value.lossUsd ?? 0;
  } finally {
    journal.close();
  }
  const lines = [`Chimera evening checklist · ${hre.network.name} · UTC day ${day}`, ""];
  const attention: string[] = [];

  const report = buildPnlReport(executions);
  const total = report.total;
  lines.push("1. P&L");
  lines.push(
    `   ${total.executions} execution(s) · included ${total.included} · failed ${total.failed} · realised $${total.realisedProfitUsd.toFixed(2)} · gas $${total.gasUsd.toFixed(2)} · net $${total.netUsd.toFixed(2)}`,
  );
  const csvPath = path.resolve(args.csv ?? path.join(hre.config.paths.root, "reports", `pnl-${day}.csv`));
  const publicValues = executions.map((e) => e.txHash).filter((h): h is string => h !== null);
  if (args.dryRun === true) lines.push(`   --dry-run: would write ${csvPath}`);
  else {
    fs.mkdirSync(path.dirname(csvPath), { recursive: true });
    fs.writeFileSync(csvPath, redactSecrets(pnlReportToCsv(report), { publicValues }));
    lines.push(`   CSV written to ${csvPath}`);
  }

  lines.push("", "2. Anomalies");
  const summary = summariseExecutions(executions);
  const anomalies = [
    failedShareProblem(summary),
    ...profitDeviations(executions),
    ...stuckIntents(executions, now),
    total.gasUnpriced > 0 ? `${total.gasUnpriced} execution(s) paid gas the journal could not price in USD: net $ leaves it out` : null,
    ...openAlerts(events)
      .filter((a) => a.severity !== "info")
      .map((a) => `alert still open: ${a.detail}`),
  ].filter((a): a is string => a !== null);
  const limit = riskLimitsFromConfig(config).limits.maxDailyLossUsd;
  if (lossUsd >= LOSS_SHARE_OF_LIMIT * limit)
    anomalies.push(`realised loss today $${lossUsd.toFixed(2)} is ${((100 * lossUsd) / limit).toFixed(0)}% of the $${limit} daily limit`);
  lines.push(...(anomalies.length === 0 ? ["   none"] : anomalies.map((a) => `   ! ${a}`)));
  attention.push(...anomalies);

  lines.push("", "3. Reconciliation with the treasury (on chain)");
  const receipts = deps.treasuryReceipts ?? (await chainTreasuryReceipts(hre, args.executor));
  const reconciliation = await reconcileTreasury(executions, receipts);
  lines.push(
    ...formatReconciliation(reconciliation)
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => `   ${l.trimStart()}`),
  );
  for (const difference of reconciliation.differences) {
    attention.push(`journal and chain disagree on ${difference.txHash ?? difference.planId}: ${difference.kind}, ${difference.detail}`);
  }
  return finish("evening", lines, attention, args.dryRun === true ? null : csvPath, deps, publicValues);
}

function finish(
  checklist: DailyResult["checklist"],
  lines: string[],
  attention: readonly string[],
  csvPath: string | null,
  deps: DailyDeps,
  publicValues: readonly string[] = [],
): DailyResult {
  lines.push("", attention.length === 0 ? "Nothing needs a person." : "Needs a person:", ...attention.map((a) => `  ! ${a}`));
  const text = redactSecrets(lines.join("\n"), { publicValues: [...publicValues] });
  deps.print?.(text);
  return { checklist, text, attention, csvPath };
}

async function chainTreasuryReceipts(hre: HardhatRuntimeEnvironment, executor: string | undefined): Promise<FetchTreasuryReceipts> {
  const { treasuryReceiptsFromChain } = await import("../keeper/journal/treasury-receipts-from-chain");
  const abi = (await hre.artifacts.readArtifact("IChimeraExecutor")).abi;
  return treasuryReceiptsFromChain(hre.ethers.provider, abi, { executor: executor as `0x${string}` | undefined });
}

/** Runs the checklist the flags ask for; sets the exit code to 1 when something needs a person. */
export async function runDaily(args: DailyArgs, hre: HardhatRuntimeEnvironment, deps: DailyDeps = {}): Promise<DailyResult> {
  const result = args.evening === true ? await runEvening(args, hre, deps) : await runMorning(args, hre, deps);
  if (result.attention.length > 0) process.exitCode = 1;
  return result;
}

task(
  "daily",
  "The daily checklist: morning status (default) or --evening P&L CSV, anomalies and reconciliation; exits 1 when something needs a person",
)
  .addFlag("evening", "Evening checklist: today's P&L to CSV, anomalies, reconciliation with the treasury")
  .addFlag("dryRun", "Evening: write no CSV (say where it would go)")
  .addOptionalParam("journal", "Keeper journal (default: data/keeper-<network>.sqlite)", undefined, types.string)
  .addOptionalParam(
    "keeperUrl",
    "The running keeper's telemetry URL (default http://127.0.0.1:$KEEPER_METRICS_PORT)",
    undefined,
    types.string,
  )
  .addOptionalParam(
    "minOperatorEth",
    "Operator balance floor in ETH (default: the config's operatorBalanceFloorEth)",
    undefined,
    types.string,
  )
  .addOptionalParam("csv", "Evening: the CSV file (default reports/pnl-<UTC day>.csv)", undefined, types.string)
  .addOptionalParam("executor", "The executor (default: this network's Ignition deployment)", undefined, types.string)
  .setAction(async (args: DailyArgs, hre) => asTaskError(() => runDaily(args, hre, { print: (text) => console.log(text) })));
