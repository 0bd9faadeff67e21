/**
 * Adds journaled executions up into P&L lines: per UTC day (by when the execution was planned), per
 * market, per day × market, and overall. Pure: the `report` task reads executions from the journal
 * and hands them here.
 *
 * Definitions (the CSV header uses the same names):
 *  - broadcast: executions whose transaction reached the network (sent, or found mined);
 *  - inclusion rate: included ÷ settled broadcast executions (still-open ones are not counted yet);
 *  - realised profit: the profit-token amount the treasury received, in USD. It is measured after the
 *    flash loan was repaid, so flash fees are already inside it; `flashFeesUsd` shows what they were;
 *  - gas: every fee paid by operator keys, reverted and cancel transactions included;
 *  - net = realised profit − gas (USD);
 *  - simulation accuracy: realised ÷ expected profit in raw profit-token units (no price noise) over
 *    included executions, as a mean ratio, a mean absolute error and how many were within 10%.
 */
import type { ExecutionRecord } from "./records";

export const ALL = "ALL";

export interface SimulationAccuracy {
  readonly samples: number;
  /** Mean of realised ÷ expected; 1.0 is a perfect simulation. */
  readonly meanRatio: number;
  /** Mean of |realised ÷ expected − 1|, in percent. */
  readonly meanAbsErrorPct: number;
  /** Samples whose realised profit was within 10% of expected (the breaker's tolerance). */
  readonly within10Pct: number;
}

export interface PnlLine {
  /** YYYY-MM-DD (UTC) or "ALL". */
  readonly day: string;
  /** Market id or "ALL". */
  readonly market: string;
  readonly executions: number;
  readonly dryRuns: number;
  readonly broadcast: number;
  readonly included: number;
  readonly failed: number;
  readonly replaced: number;
  readonly dropped: number;
  readonly open: number;
  /** null when no broadcast execution has settled. */
  readonly inclusionRate: number | null;
  readonly realisedProfitUsd: number;
  readonly gasEth: number;
  readonly gasUsd: number;
  /** Executions that paid gas but were journaled without a USD price for it (gasUsd undercounts). */
  readonly gasUnpriced: number;
  readonly flashFeesUsd: number;
  readonly netUsd: number;
  readonly simulation: SimulationAccuracy | null;
}

export interface PnlReport {
  /** Oldest first, markets sorted within a day. */
  readonly byDayAndMarket: readonly PnlLine[];
  readonly byDay: readonly PnlLine[];
  readonly byMarket: readonly PnlLine[];
  readonly total: PnlLine;
}

export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function buildPnlReport(executions: readonly ExecutionRecord[]): PnlReport {
  const groups = new Map<string, ExecutionRecord[]>();
  const add = (day: string, market: string, execution: ExecutionRecord) => {
    const key = `${day}\u0000${market}`;
    const list = groups.get(key);
    if (list === undefined) groups.set(key, [execution]);
    else list.push(execution);
  };
  for (const execution of executions) {
    const day = utcDay(execution.createdAt);
    add(day, execution.market, execution);
    add(day, ALL, execution);
    add(ALL, execution.market, execution);
  }
  const lines = [...groups.entries()]
    .map(([key, list]) => {
      const [day, market] = key.split("\u0000");
      return summarise(day, market, list);
    })
    .sort((a, b) => a.day.localeCompare(b.day) || a.market.localeCompare(b.market));
  return {
    byDayAndMarket: lines.filter((l) => l.day !== ALL && l.market !== ALL),
    byDay: lines.filter((l) => l.day !== ALL && l.market === ALL),
    byMarket: lines.filter((l) => l.day === ALL),
    total: summarise(ALL, ALL, executions),
  };
}

function summarise(day: string, market: string, executions: readonly ExecutionRecord[]): PnlLine {
  let broadcast = 0;
  let settledBroadcast = 0;
  let gasWei = 0n;
  let gasUsd = 0;
  let gasUnpriced = 0;
  let realisedProfitUsd = 0;
  let flashFeesUsd = 0;
  const ratios: number[] = [];
  const count = (state: ExecutionRecord["state"]) => executions.filter((e) => e.state === state).length;

  for (const e of executions) {
    const wasBroadcast = e.sentAt !== null || e.includedBlock !== null;
    if (wasBroadcast) {
      broadcast++;
      if (e.settledAt !== null) settledBroadcast++;
    }
    if (e.gasCostWei !== null) {
      gasWei += e.gasCostWei;
      if (e.gasCostUsd === null) gasUnpriced++;
      else gasUsd += e.gasCostUsd;
    }
    if (e.state === "included") {
      realisedProfitUsd += e.realisedProfitUsd ?? 0;
      flashFeesUsd += e.flashFeeUsd;
      if (e.realisedProfit !== null && e.expectedProfit > 0n) ratios.push(ratio(e.realisedProfit, e.expectedProfit));
    }
  }
  const included = count("included");
  return {
    day,
    market,
    executions: executions.length,
    dryRuns: executions.filter((e) => e.mode === "DRY").length,
    broadcast,
    included,
    failed: count("failed"),
    replaced: count("replaced"),
    dropped: count("dropped"),
    open: executions.filter((e) => e.settledAt === null).length,
    inclusionRate: settledBroadcast === 0 ? null : included / settledBroadcast,
    realisedProfitUsd,
    gasEth: Number(gasWei) / 1e18,
    gasUsd,
    gasUnpriced,
    flashFeesUsd,
    netUsd: realisedProfitUsd - gasUsd,
    simulation:
      ratios.length === 0
        ? null
        : {
            samples: ratios.length,
            meanRatio: mean(ratios),
            meanAbsErrorPct: mean(ratios.map((r) => Math.abs(r - 1) * 100)),
            within10Pct: ratios.filter((r) => Math.abs(r - 1) <= 0.1).length,
          },
  };
}

/** realised ÷ expected with 1e-9 resolution, exact for amounts beyond 2^53. */
function ratio(realised: bigint, expected: bigint): number {
  const SCALE = 1_000_000_000n;
  return Number((realised * SCALE) / expected) / Number(SCALE);
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

export const PNL_CSV_COLUMNS = [
  "day",
  "market",
  "executions",
  "dry_runs",
  "broadcast",
  "included",
  "failed",
  "replaced",
  "dropped",
  "open",
  "inclusion_rate",
  "realised_profit_usd",
  "gas_eth",
  "gas_usd",
  "gas_unpriced",
  "flash_fees_usd",
  "net_usd",
  "sim_samples",
  "sim_mean_ratio",
  "sim_mean_abs_error_pct",
  "sim_within_10pct",
] as const;

/** Every line of the report as CSV: day × market lines, then per-day, per-market and total lines. */
export function pnlReportToCsv(report: PnlReport): string {
  const lines = [...report.byDayAndMarket, ...report.byDay, ...report.byMarket, report.total];
  const rows = lines.map((l) =>
    [
      l.day,
      l.market,
      l.executions,
      l.dryRuns,
      l.broadcast,
      l.included,
      l.failed,
      l.replaced,
      l.dropped,
      l.open,
      l.inclusionRate === null ? "" : l.inclusionRate.toFixed(4),
      l.realisedProfitUsd.toFixed(2),
      l.gasEth.toFixed(9),
      l.gasUsd.toFixed(4),
      l.gasUnpriced,
      l.flashFeesUsd.toFixed(4),
      l.netUsd.toFixed(2),
      l.simulation?.samples ?? 0,
      l.simulation === null ? "" : l.simulation.meanRatio.toFixed(6),
      l.simulation === null ? "" : l.simulation.meanAbsErrorPct.toFixed(3),
      l.simulation?.within10Pct ?? "",
    ]
      .map((cell) => csvCell(String(cell)))
      .join(","),
  );
  return [PNL_CSV_COLUMNS.join(","), ...rows].join("\n") + "\n";
}

/** Quotes a cell when it holds a comma, quote or newline (market ids are free text). */
function csvCell(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
