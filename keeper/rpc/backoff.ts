/**
 * Exponential back-off with full jitter: the k-th consecutive failure waits a uniform random time in
 * [0, min(maxMs, initialMs × 2^k)). Jitter keeps a fleet of keepers (or one keeper's loops) that failed together from
 * retrying together; the cap keeps a long outage probed every maxMs at most.
 */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
}

export function backoffDelayMs(failures: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  if (!(policy.initialMs > 0) || !(policy.maxMs >= policy.initialMs)) {
    throw new Error(`backoff: expected 0 < initialMs <= maxMs, got ${policy.initialMs} and ${policy.maxMs}`);
  }
  if (failures <= 0) return 0;
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(failures - 1, 30));
  return Math.floor(random() * ceiling);
}
