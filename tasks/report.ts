/**
 * `npx hardhat report [--since YYYY-MM-DD] [--until YYYY-MM-DD] [--csv <file>] [--journal <path>] [--reconcile]`
 *
 * Reads the network's journal (read-only: safe while a keeper runs) and prints daily P&L, inclusion
 * rate, gas, flash fees and simulation accuracy, per day and per market; `--csv` also writes every
 * line. `--reconcile` checks each included execution's realised profit against the treasury payment
 * the executor logged on chain (PlanExecuted) and names every difference by tx hash; it fails (non-zero
 * exit) on any difference, and says so plainly when none of the journal's transactions is on the chain
 * it asked (a sandbox run's in-process chain is gone when the run ends; or the wrong --network).
 *
 * The day flags are --since/--until: every other task's --from names a signer. --from/--to are refused
 * with a message naming the new flags.
 */
import fs from "node:fs";
import path from "node:path";
import { task, types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { Journal } from "../keeper/journal/journal";
import { buildPnlReport, pnlReportToCsv, type PnlLine, type PnlReport } from "../keeper/journal/pnl-report";
import { reconcileTreasury, type FetchTreasuryReceipts, type ReconciliationResult } from "../keeper/journal/treasury-reconciliation";
import { redactSecrets } from "../keeper/telemetry/redact";
import { asTaskError } from "./lib/operator-task";
import { TaskOutcomeError } from "./lib/task-errors";
import { taskJournalLocation } from "./journal-location";

export interface ReportArgs {
  readonly since?: string;
  readonly until?: string;
  /** Renamed to --since/--until; refused with a message naming them. */
  readonly from?: string;
  readonly to?: string;
  readonly csv?: string;
  readonly journal?: string;
  readonly reconcile?: boolean;
  readonly executor?: string;
}

export interface ReportDeps {
  readonly projectRoot: string;
  readonly network: string;
  /** Called only with --reconcile, so a plain report needs no RPC and no compiled artifacts. */
  readonly treasuryReceipts: (executor: string | undefined) => Promise<FetchTreasuryReceipts>;
  readonly print: (text: string) => void;
}

export interface ReportResult {
  readonly journalPath: string;
  readonly fromDay: string | null;
  readonly toDay: string | null;
  readonly report: PnlReport;
  readonly reconciliation: ReconciliationResult | null;
  readonly csvPath: string | null;
  /** With --reconcile: why the task exits non-zero (differences, or a chain without the journal's transactions). */
  readonly failure: string | null;
}

const DAY_MS = 86_400_000;

/** Parses a --since/--until value as the start of that UTC day, or explains what is expected. */
export function parseReportDay(flag: "--since" | "--until", value: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim());
  const ms = match === null ? NaN : Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  if (match === null || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value.trim()) {
    throw new Error(`${flag} "${value}" is not a valid date; expected YYYY-MM-DD (a UTC day), e.g. 2026-01-31`);
  }
  return ms;
}

export async function runReport(args: ReportArgs, deps: ReportDeps): Promise<ReportResult> {
  if (args.from !== undefined || args.to !== undefined) {
    throw new Error(
      `report's day flags are --since and --until now (every other task's --from names a signer): ` +
        `use ${[args.from === undefined ? null : `--since ${args.from}`, args.to === undefined ? null : `--until ${args.to}`].filter((f) => f !== null).join(" ")}`,
    );
  }
  const fromMs = args.since === undefined ? undefined : parseReportDay("--since", args.since);
  const toStartMs = args.until === undefined ? undefined : parseReportDay("--until", args.until);
  if (fromMs !== undefined && toStartMs !== undefined && fromMs > toStartMs) {
    throw new Error(
      `--since ${args.since} is after --until ${args.until}; the range is inclusive, so --since must be on or before --until`,
    );
  }
  if (args.executor !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(args.executor)) {
    throw new Error(`--executor "${args.executor}" is not an address; expected 0x followed by 40 hex digits`);
  }
  const journalPath = taskJournalLocation(args.journal, deps.network, deps.projectRoot);
  const journal = Journal.open(journalPath, { readonly: true });
  let executions;
  try {
    executions = journal.listExecutions({ fromMs, toMs: toStartMs === undefined ? undefined : toStartMs + DAY_MS });
  } finally {
    journal.close();
  }

  const report = buildPnlReport(executions);
  const publicValues = executions.map((e) => e.txHash).filter((h): h is string => h !== null);
  const print = (text: string) => deps.print(redactSecrets(text, { publicValues }));
  print(formatReport(journalPath, args.since ?? null, args.until ?? null, report));

  let csvPath: string | null = null;
  if (args.csv !== undefined) {
    csvPath = path.resolve(args.csv);
    fs.mkdirSync(path.dirname(csvPath), { recursive: true });
    fs.writeFileSync(csvPath, redactSecrets(pnlReportToCsv(report)));
    print(`CSV written to ${csvPath}`);
  }

  let reconciliation: ReconciliationResult | null = null;
  let failure: string | null = null;
  if (args.reconcile === true) {
    reconciliation = await reconcileTreasury(executions, await deps.treasuryReceipts(args.executor));
    print(formatReconciliation(reconciliation));
    failure = reconciliationFailure(reconciliation, journalPath, deps.network);
    if (failure !== null) print(failure);
  }
  return { journalPath, fromDay: args.since ?? null, toDay: args.until ?? null, report, reconciliation, csvPath, failure };
}

/** `--reconcile` found differences (or no chain to compare with): the task exits non-zero; the result rides along. */
export class ReconcileFailedError extends TaskOutcomeError {
  override readonly name = "ReconcileFailedError";
  constructor(readonly result: ReportResult) {
    super(`--reconcile failed: ${result.failure}`);
  }
}

/**
 * Why `--reconcile` must exit non-zero, or null: any difference, and first of all a chain that holds none of
 * the journal's transactions (a sandbox run's in-process chain is gone once its command ends).
 */
export function reconciliationFailure(result: ReconciliationResult, journalPath: string, network: string): string | null {
  const missing = result.differences.filter((d) => d.kind === "not-found-on-chain").length;
  if (result.checked > 0 && missing === result.checked) {
    return (
      `None of the ${missing} included transaction(s) in ${journalPath} is on the chain of --network ${network}: this journal ` +
      `belongs to another chain (a sandbox run's in-process chain is gone when its command ends; a restarted local node forgets ` +
      `its transactions), or to another --network. Nothing could be reconciled.`
    );
  }
  if (result.differences.length > 0) {
    return `${result.differences.length} difference(s) between the journal and the treasury's on-chain receipts (listed above).`;
  }
  return null;
}

/* ───────────────────────────── text output ───────────────────────────── */

const COLUMNS: ReadonlyArray<[string, (l: PnlLine) => string]> = [
  ["executions", (l) => String(l.executions)],
  ["dry", (l) => String(l.dryRuns)],
  ["sent", (l) => String(l.broadcast)],
  ["included", (l) => String(l.included)],
  ["failed", (l) => String(l.failed)],
  ["incl.rate", (l) => (l.inclusionRate === null ? "-" : `${(l.inclusionRate * 100).toFixed(1)}%`)],
  ["realised $", (l) => l.realisedProfitUsd.toFixed(2)],
  ["gas ETH", (l) => l.gasEth.toFixed(6)],
  ["gas $", (l) => l.gasUsd.toFixed(2) + (l.gasUnpriced > 0 ? "*" : "")],
  ["flash fees $", (l) => l.flashFeesUsd.toFixed(2)],
  ["net $", (l) => l.netUsd.toFixed(2)],
  [
    "sim realised/expected",
    (l) =>
      l.simulation === null
        ? "-"
        : `${l.simulation.meanRatio.toFixed(4)} (±${l.simulation.meanAbsErrorPct.toFixed(2)}%, n=${l.simulation.samples})`,
  ],
];

function table(firstHeader: string, label: (l: PnlLine) => string, lines: readonly PnlLine[]): string {
  const header = [firstHeader, ...COLUMNS.map(([name]) => name)];
  const rows = lines.map((l) => [label(l), ...COLUMNS.map(([, cell]) => cell(l))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const render = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [render(header), ...rows.map(render)].join("\n");
}

export function formatReport(journalPath: string, from: string | null, to: string | null, report: PnlReport): string {
  const range = `${from ?? "first entry"} … ${to ?? "latest entry"} (UTC days)`;
  if (report.total.executions === 0) {
    return `Chimera P&L from ${journalPath}, ${range}\nNo executions journaled in this range.`;
  }
  const parts = [
    `Chimera P&L from ${journalPath}, ${range}`,
    "",
    "By day",
    table("day", (l) => l.day, [...report.byDay, { ...report.total, day: "total" }]),
    "",
    "By market",
    table("market", (l) => l.market, report.byMarket),
  ];
  if (report.total.gasUnpriced > 0) {
    parts.push(
      "",
      `* ${report.total.gasUnpriced} execution(s) paid gas journaled without a USD price; gas $ and net $ leave it out (gas ETH includes it).`,
    );
  }
  parts.push(
    "",
    "Realised profit is what the treasury received after repaying the flash loan: flash fees are already inside it; net = realised − gas.",
  );
  return parts.join("\n");
}

export function formatReconciliation(result: ReconciliationResult): string {
  const totals = [...result.journalTotals.entries()].map(
    ([token, journal]) => `  ${token}: journal ${journal}, chain ${result.chainTotals.get(token) ?? 0n}`,
  );
  const lines = [
    "",
    `Reconciliation with the treasury's on-chain receipts: ${result.checked} included execution(s) checked, ${result.matched} match.`,
    ...(totals.length > 0 ? ["Totals per profit token (raw units):", ...totals] : []),
  ];
  if (result.differences.length === 0) {
    lines.push("No differences.");
  } else {
    lines.push(`${result.differences.length} difference(s):`);
    for (const d of result.differences) {
      lines.push(
        `  txHash=${d.txHash ?? "none"} plan ${d.planId} (${d.market}): ${d.kind}, journal ${d.journalProfit} vs chain ${d.chainProfit ?? "n/a"}; ${d.detail}`,
      );
    }
  }
  return lines.join("\n");
}

/* ───────────────────────────── task ───────────────────────────── */

async function chainTreasuryReceipts(hre: HardhatRuntimeEnvironment, executor: string | undefined): Promise<FetchTreasuryReceipts> {
  const { treasuryReceiptsFromChain } = await import("../keeper/journal/treasury-receipts-from-chain");
  let abi;
  try {
    abi = (await hre.artifacts.readArtifact("IChimeraExecutor")).abi;
  } catch (error) {
    throw new Error(`--reconcile needs the IChimeraExecutor artifact; run \`npx hardhat compile\` first (${(error as Error).message})`);
  }
  return treasuryReceiptsFromChain(hre.ethers.provider, abi, { executor: executor as `0x${string}` | undefined });
}

task("report", "Daily P&L, inclusion rate, gas, flash fees and simulation accuracy from the keeper's journal")
  .addOptionalParam("since", "First UTC day to include, YYYY-MM-DD (default: the journal's first entry)", undefined, types.string)
  .addOptionalParam("until", "Last UTC day to include, YYYY-MM-DD, inclusive (default: the latest entry)", undefined, types.string)
  .addOptionalParam("from", "Renamed: use --since (refused with a message)", undefined, types.string)
  .addOptionalParam("to", "Renamed: use --until (refused with a message)", undefined, types.string)
  .addOptionalParam("csv", "Also write every report line to this CSV file", undefined, types.string)
  .addOptionalParam("journal", "Journal file (default: data/keeper-<network>.sqlite)", undefined, types.string)
  .addFlag(
    "reconcile",
    "Compare the journal's realised profit with the treasury's PlanExecuted receipts on chain; exits non-zero on any difference",
  )
  .addOptionalParam("executor", "With --reconcile: count only events emitted by this executor address", undefined, types.string)
  .setAction(async (args: ReportArgs, hre: HardhatRuntimeEnvironment): Promise<ReportResult> =>
    asTaskError(async () => {
      const result = await runReport(args, {
        projectRoot: hre.config.paths.root,
        network: hre.network.name,
        treasuryReceipts: (executor) => chainTreasuryReceipts(hre, executor),
        print: (text) => console.log(text),
      });
      if (result.failure !== null) throw new ReconcileFailedError(result);
      return result;
    }),
  );
