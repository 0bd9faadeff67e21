/**
 * Counts of the keeper's funnel (opportunities → planned → sent → included → won / lost) over the
 * current UTC day, for the dashboard's "over time" chart. Two resolutions: per second for the last
 * hour (a sandbox run or a fresh start is a minute long) and per minute for the whole day; a series
 * is cut into at most `MAX_BUCKETS` buckets of a round width (1 s … 1 h) that covers the day so far.
 * Memory is bounded: 3,600 + 1,440 small records at most.
 */

export const FUNNEL_STAGES = ["opportunities", "planned", "sent", "included", "won", "lost"] as const;
export type FunnelStage = (typeof FUNNEL_STAGES)[number];
export type FunnelCounts = Record<FunnelStage, number>;

export interface FunnelBucket extends FunnelCounts {
  readonly startMs: number;
}

export interface FunnelSeries {
  readonly fromMs: number;
  readonly toMs: number;
  readonly bucketMs: number;
  readonly buckets: readonly FunnelBucket[];
  /** Sums over the UTC day so far. */
  readonly today: FunnelCounts;
}

export const MAX_BUCKETS = 60;
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
export const DAY_MS = 24 * HOUR;
/** Bucket widths a chart reads without arithmetic. */
const NICE_WIDTHS_MS = [1, 2, 5, 10, 15, 30].map((s) => s * SECOND).concat([1, 2, 5, 10, 15, 30, 60].map((m) => m * MINUTE));

export function utcDayStart(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

export function emptyCounts(): FunnelCounts {
  return { opportunities: 0, planned: 0, sent: 0, included: 0, won: 0, lost: 0 };
}

export class ActivityTimeline {
  private readonly seconds = new Map<number, FunnelCounts>();
  private readonly minutes = new Map<number, FunnelCounts>();
  private day: number;
  private today = emptyCounts();
  private firstEventMs: number | null = null;

  constructor(nowMs: number) {
    this.day = utcDayStart(nowMs);
  }

  /** Counts `n` events of `stage` at `atMs`; events of an earlier UTC day are ignored. */
  record(stage: FunnelStage, atMs: number, n = 1): void {
    if (!Number.isFinite(atMs) || n <= 0) return;
    this.rollTo(Math.max(atMs, this.day));
    if (atMs < this.day) return;
    bump(this.minutes, Math.floor(atMs / MINUTE) * MINUTE, stage, n);
    bump(this.seconds, Math.floor(atMs / SECOND) * SECOND, stage, n);
    this.today[stage] += n;
    this.firstEventMs = this.firstEventMs === null ? atMs : Math.min(this.firstEventMs, atMs);
  }

  series(nowMs: number): FunnelSeries {
    this.rollTo(nowMs);
    this.prune(nowMs);
    // From the first event of the day (at least 30 s back, so a fresh start still draws a frame).
    const fromWanted = Math.min(this.firstEventMs ?? nowMs, nowMs - 30 * SECOND);
    const span = Math.max(1, nowMs - Math.max(fromWanted, this.day));
    // One bucket is partly before the first event and one partly in the future: span / width + 1 fit.
    const bucketMs = NICE_WIDTHS_MS.find((width) => span / width <= MAX_BUCKETS - 1) ?? HOUR;
    const source = bucketMs < MINUTE ? this.seconds : this.minutes;
    const step = bucketMs < MINUTE ? SECOND : MINUTE;
    const toMs = Math.floor(nowMs / bucketMs) * bucketMs + bucketMs;
    const fromMs = Math.max(this.day, Math.floor(Math.max(fromWanted, this.day) / bucketMs) * bucketMs);
    const buckets: FunnelBucket[] = [];
    for (let start = fromMs; start < toMs; start += bucketMs) {
      const bucket = { startMs: start, ...emptyCounts() };
      for (let t = start; t < start + bucketMs; t += step) {
        const counts = source.get(t);
        if (counts !== undefined) for (const stage of FUNNEL_STAGES) bucket[stage] += counts[stage];
      }
      buckets.push(bucket);
    }
    return { fromMs, toMs, bucketMs, buckets, today: { ...this.today } };
  }

  private rollTo(nowMs: number): void {
    const day = utcDayStart(nowMs);
    if (day <= this.day) return;
    this.day = day;
    this.today = emptyCounts();
    this.firstEventMs = null;
    this.seconds.clear();
    this.minutes.clear();
  }

  private prune(nowMs: number): void {
    for (const key of this.seconds.keys()) if (key < nowMs - HOUR) this.seconds.delete(key);
  }
}

function bump(map: Map<number, FunnelCounts>, key: number, stage: FunnelStage, n: number): void {
  let counts = map.get(key);
  if (counts === undefined) {
    counts = emptyCounts();
    map.set(key, counts);
  }
  counts[stage] += n;
}
