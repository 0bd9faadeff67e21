/**
 * Small summaries of measured values for the dashboard: the last N samples of a latency with its
 * percentiles (nearest-rank, the figure an operator can find in the raw list), and exact counts of
 * small integers (blocks to inclusion) with the same summary. Prometheus keeps the long-run
 * histograms; these answer "how is it doing right now" without a query language.
 */

export interface Summary {
  readonly count: number;
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
  readonly max: number | null;
}

export interface HistogramBin {
  readonly label: string;
  readonly count: number;
}

/** Nearest-rank percentile of an ascending list: the smallest value with at least q of the list at or below it. */
export function percentile(sortedAscending: readonly number[], q: number): number | null {
  if (sortedAscending.length === 0) return null;
  if (!(q > 0 && q <= 1)) throw new Error(`percentile q must be in (0, 1], got ${q}`);
  return sortedAscending[Math.max(0, Math.ceil(q * sortedAscending.length) - 1)];
}

export function summarise(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    max: sorted.length === 0 ? null : sorted[sorted.length - 1],
  };
}

/** The most recent `capacity` samples (a ring: old samples fall out as new ones arrive). */
export class SampleWindow {
  private readonly values: number[] = [];
  private next = 0;

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`sample window capacity must be a positive integer, got ${capacity}`);
  }

  add(value: number): void {
    if (!Number.isFinite(value)) return;
    if (this.values.length < this.capacity) this.values.push(value);
    else this.values[this.next] = value;
    this.next = (this.next + 1) % this.capacity;
  }

  summary(): Summary {
    return summarise(this.values);
  }

  /** Counts per bin: bin i holds values ≤ bounds[i] and > bounds[i-1]; the last bin everything above. */
  histogram(bounds: readonly number[], label: (low: number | null, high: number | null) => string): HistogramBin[] {
    const counts = new Array<number>(bounds.length + 1).fill(0);
    for (const value of this.values) {
      const index = bounds.findIndex((bound) => value <= bound);
      counts[index === -1 ? bounds.length : index] += 1;
    }
    return counts.map((count, i) => ({ label: label(i === 0 ? null : bounds[i - 1], i === bounds.length ? null : bounds[i]), count }));
  }
}

/** Exact counts of non-negative integers (e.g. blocks to inclusion). */
export class IntegerCounts {
  private readonly counts = new Map<number, number>();
  private total = 0;

  add(value: number): void {
    if (!Number.isInteger(value) || value < 0) return;
    this.counts.set(value, (this.counts.get(value) ?? 0) + 1);
    this.total += 1;
  }

  clear(): void {
    this.counts.clear();
    this.total = 0;
  }

  summary(): Summary {
    const sorted = [...this.counts.entries()].sort((a, b) => a[0] - b[0]);
    const at = (q: number): number | null => {
      if (this.total === 0) return null;
      const rank = Math.max(1, Math.ceil(q * this.total));
      let seen = 0;
      for (const [value, count] of sorted) {
        seen += count;
        if (seen >= rank) return value;
      }
      return sorted[sorted.length - 1][0];
    };
    return { count: this.total, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted.length === 0 ? null : sorted[sorted.length - 1][0] };
  }

  /** One bin per value in `singles`, then one per [low, high] range, then everything above. */
  histogram(
    singles: readonly number[],
    ranges: readonly (readonly [number, number])[],
    label: (low: number, high: number | null) => string,
  ): HistogramBin[] {
    const bins: HistogramBin[] = [];
    const sum = (low: number, high: number) => [...this.counts].filter(([v]) => v >= low && v <= high).reduce((n, [, c]) => n + c, 0);
    for (const value of singles) bins.push({ label: label(value, value), count: this.counts.get(value) ?? 0 });
    for (const [low, high] of ranges) bins.push({ label: label(low, high), count: sum(low, high) });
    const covered = Math.max(...singles, ...ranges.map(([, high]) => high));
    bins.push({ label: label(covered + 1, null), count: sum(covered + 1, Number.MAX_SAFE_INTEGER) });
    const below = Math.min(...singles, ...ranges.map(([low]) => low));
    const under = sum(0, below - 1);
    return under > 0 ? [{ label: label(0, below - 1), count: under }, ...bins] : bins;
  }
}
