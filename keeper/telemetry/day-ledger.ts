/**
 * Realised P&L and gas over the current UTC day, from settled executions as the journal records
 * them: realised profit is what the treasury received (flash fees already inside it), gas is every
 * fee the operator key paid (reverted transactions included), net = realised − gas in USD. The
 * cumulative series is what the dashboard draws; it is thinned to at most MAX_POINTS points.
 */
import type { ExecutionRecord } from "../journal/records";
import { weiToEth } from "./metrics";
import { utcDayStart } from "./activity-timeline";

export interface LedgerPoint {
  readonly atMs: number;
  readonly realisedUsd: number;
  readonly gasUsd: number;
  readonly netUsd: number;
}

export interface DayLedgerSnapshot {
  /** YYYY-MM-DD (UTC). */
  readonly day: string;
  readonly settled: number;
  readonly realisedUsd: number;
  readonly gasEth: number;
  readonly gasUsd: number;
  /** Executions that paid gas the journal could not price in USD (counted in gasEth only). */
  readonly gasUnpriced: number;
  readonly netUsd: number;
  readonly series: readonly LedgerPoint[];
}

export const MAX_POINTS = 240;

export class DayLedger {
  private day: number;
  private readonly counted = new Set<string>();
  private points: LedgerPoint[] = [];
  private realisedUsd = 0;
  private gasUsd = 0;
  private gasEth = 0;
  private gasUnpriced = 0;

  constructor(nowMs: number) {
    this.day = utcDayStart(nowMs);
  }

  /** Adds a settled execution once (by plan id); executions settled before today are ignored. */
  add(execution: ExecutionRecord): void {
    if (execution.settledAt === null || this.counted.has(execution.planId)) return;
    this.rollTo(execution.settledAt);
    if (execution.settledAt < this.day) return;
    this.counted.add(execution.planId);
    this.realisedUsd += execution.realisedProfitUsd ?? 0;
    if (execution.gasCostWei !== null) this.gasEth += weiToEth(execution.gasCostWei);
    if (execution.gasCostUsd !== null) this.gasUsd += execution.gasCostUsd;
    else if (execution.gasCostWei !== null && execution.gasCostWei > 0n) this.gasUnpriced += 1;
    const point = { atMs: execution.settledAt, realisedUsd: this.realisedUsd, gasUsd: this.gasUsd, netUsd: this.realisedUsd - this.gasUsd };
    // Settlements arrive in time order; a late one (loaded out of order) is inserted where it belongs.
    if (this.points.length === 0 || this.points[this.points.length - 1].atMs <= point.atMs) this.points.push(point);
    else this.rebuildWith(point);
  }

  snapshot(nowMs: number): DayLedgerSnapshot {
    this.rollTo(nowMs);
    return {
      day: new Date(this.day).toISOString().slice(0, 10),
      settled: this.counted.size,
      realisedUsd: round2(this.realisedUsd),
      gasEth: round9(this.gasEth),
      gasUsd: round2(this.gasUsd),
      gasUnpriced: this.gasUnpriced,
      netUsd: round2(this.realisedUsd - this.gasUsd),
      series: thin(this.points, MAX_POINTS).map((p) => ({
        atMs: p.atMs,
        realisedUsd: round2(p.realisedUsd),
        gasUsd: round2(p.gasUsd),
        netUsd: round2(p.netUsd),
      })),
    };
  }

  private rebuildWith(late: LedgerPoint): void {
    // Rare: recompute the running sums in time order from per-point deltas.
    const deltas = this.points.map((p, i) => ({
      atMs: p.atMs,
      realised: p.realisedUsd - (i === 0 ? 0 : this.points[i - 1].realisedUsd),
      gas: p.gasUsd - (i === 0 ? 0 : this.points[i - 1].gasUsd),
    }));
    const last = this.points[this.points.length - 1];
    deltas.push({ atMs: late.atMs, realised: late.realisedUsd - last.realisedUsd, gas: late.gasUsd - last.gasUsd });
    deltas.sort((a, b) => a.atMs - b.atMs);
    let realised = 0;
    let gas = 0;
    this.points = deltas.map((d) => {
      realised += d.realised;
      gas += d.gas;
      return { atMs: d.atMs, realisedUsd: realised, gasUsd: gas, netUsd: realised - gas };
    });
  }

  private rollTo(ms: number): void {
    const day = utcDayStart(ms);
    if (day <= this.day) return;
    this.day = day;
    this.counted.clear();
    this.points = [];
    this.realisedUsd = 0;
    this.gasUsd = 0;
    this.gasEth = 0;
    this.gasUnpriced = 0;
  }
}

/** Keeps the first and last points and evenly spaced ones between (a cumulative line keeps its shape). */
function thin<T>(points: readonly T[], max: number): T[] {
  if (points.length <= max) return [...points];
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(points[Math.round((i * (points.length - 1)) / (max - 1))]);
  return out;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function round9(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}
