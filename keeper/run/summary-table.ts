/**
 * The end-of-run summary on the terminal: what the keeper saw, decided, sent and earned, as a table a
 * person can read at a glance (the run report has the detail).
 */
import type { RunReport } from "./run-report";

/** A two-or-more-column table with box-drawing borders; the first row is the header. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return "";
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length)));
  const line = (left: string, mid: string, right: string) => left + widths.map((w) => "─".repeat(w + 2)).join(mid) + right;
  const render = (row: readonly string[]) =>
    "│" + row.map((cell, column) => ` ${column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)} `).join("│") + "│";
  return [line("┌", "┬", "┐"), render(rows[0]!), line("├", "┼", "┤"), ...rows.slice(1).map(render), line("└", "┴", "┘")].join("\n");
}

const integer = new Intl.NumberFormat("en-US");
const money = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export function formatRunSummary(
  report: RunReport,
  extra: { readonly tracked: number; readonly reportPath: string; readonly journalPath: string },
): string {
  const s = report.summary;
  const rows: string[][] = [
    ["keeper run", report.scenario ? `${report.network} · ${report.scenario.name}` : report.network],
    ["mode", report.mode],
    ["duration", `${(report.durationMs / 1000).toFixed(1)} s`],
    ["positions tracked", integer.format(extra.tracked)],
    ["opportunities evaluated", integer.format(s.opportunities)],
    ["planned", integer.format(s.planned)],
    ["skipped", integer.format(s.skipped)],
    ...Object.entries(s.skipReasons)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([reason, count]) => [`  skipped: ${reason}`, integer.format(count)]),
    ["transactions sent", integer.format(s.transactionsSent)],
    ["liquidations included", integer.format(s.included)],
    ["  in the next block", integer.format(s.includedInNextBlock)],
    ...Object.entries(s.executions)
      .filter(([state]) => state !== "included")
      .map(([state, count]) => [`  executions ${state}`, integer.format(count)]),
    ["profit to treasury", `$${money.format(s.realisedProfitUsd)}`],
    ["gas paid", `$${s.gasCostUsd.toFixed(4)}`],
    ["net profit", `$${money.format(s.netProfitUsd)}`],
    ["races won / lost", `${integer.format(s.races.won)} / ${integer.format(s.races.lost)}`],
    ...(s.priceToInclusion.samples === 0
      ? []
      : [
          [
            "price update (block N) to inclusion: N+1 / N+2 / later",
            `${integer.format(s.priceToInclusion.nextBlock)} / ${integer.format(s.priceToInclusion.secondBlock)} / ${integer.format(s.priceToInclusion.later)}`,
          ],
          [
            "  in chain time p50 / p99",
            s.priceToInclusion.ms.p50 === null ? "n/a" : `${s.priceToInclusion.ms.p50} ms / ${s.priceToInclusion.ms.p99} ms`,
          ],
        ]),
    ["decision latency, first plan per block p50 / p99", latency(s.firstDecisionMs)],
    ["decision latency, last plan per block p50 / p99", latency(s.lastDecisionMs)],
    ["decision latency, every plan in rank order p50 / p99", latency(s.decisionMs)],
  ];
  return [formatTable(rows), `run report: ${extra.reportPath}`, `journal:    ${extra.journalPath}`].join("\n");
}

function latency(summary: RunReport["summary"]["decisionMs"]): string {
  return summary.p50 === null ? "n/a" : `${summary.p50} ms / ${summary.p99} ms`;
}
