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
  const plural = (n: number, word: string) => `${integer.format(n)} ${word}${n === 1 ? "" : "s"}`;
  const rows: string[][] = [
    ["keeper run", report.scenario ? `${report.network} · ${report.scenario.name}` : report.network],
    ["mode", report.mode],
    ["duration", `${(report.durationMs / 1000).toFixed(1)} s`],
    ["positions tracked", integer.format(extra.tracked)],
    ["opportunities evaluated (decisions)", integer.format(s.opportunities)],
    ["planned", integer.format(s.planned)],
    ["skipped", integer.format(s.skipped)],
    // A position skipped in several blocks is one decision per block: say both.
    ...Object.entries(s.skipReasons)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([reason, count]) => [
        `  skipped: ${reason}`,
        `${plural(count, "decision")} (${plural(s.skippedPositions[reason] ?? 0, "position")})`,
      ]),
    ...(s.simulatedNotSent > 0 ? [["simulated, not sent (DRY)", integer.format(s.simulatedNotSent)]] : []),
    ["transactions sent", integer.format(s.transactionsSent)],
    ["liquidations included", integer.format(s.included)],
    ...(s.adopted.executions > 0
      ? [
          [
            `  adopted from an earlier run`,
            `${integer.format(s.adopted.included)} of ${integer.format(s.adopted.executions)} ($${money.format(s.adopted.realisedProfitUsd)})`,
          ],
        ]
      : []),
    ["  in the next block", integer.format(s.includedInNextBlock)],
    // Which way each liquidation reached its price (oev: through an OEV wrapper, inside its hidden window). Plans
    // are liquidations, transactions may carry several: the two counts differ without anything failing.
    ...Object.entries(s.byPath)
      .filter(([, path]) => path.planned + path.executions > 0)
      .map(([name, path]) => [
        `  path ${name}: plans / transactions included`,
        `${integer.format(path.planned)} / ${integer.format(path.included)}`,
      ]),
    ...Object.entries(s.executions)
      .filter(([state]) => state !== "included")
      .map(([state, count]) => [`  executions ${state}`, executionCount(state, count, s.failedBeforeSending)]),
    ["profit to treasury, this run", `$${money.format(s.realisedProfitUsd)}`],
    ["gas paid", `$${s.gasCostUsd.toFixed(4)}`],
    ["net profit, this run", `$${money.format(s.netProfitUsd)}`],
    ...(s.today === null
      ? []
      : [[`net today, UTC ${s.today.day}, every run on this journal (/status today)`, `$${money.format(s.today.realisedProfitUsd)}`]]),
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

/** "failed" mixes plans whose simulation failed (nothing sent) with transactions that reverted: say which. */
function executionCount(state: string, count: number, failedBeforeSending: number): string {
  if (state !== "failed" || failedBeforeSending === 0) return integer.format(count);
  const reverted = count - failedBeforeSending;
  return `${integer.format(count)}: ${integer.format(failedBeforeSending)} before sending (simulation failed, no gas), ${integer.format(reverted)} reverted on chain`;
}

function latency(summary: RunReport["summary"]["decisionMs"]): string {
  return summary.p50 === null ? "n/a" : `${summary.p50} ms / ${summary.p99} ms`;
}
