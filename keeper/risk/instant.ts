/**
 * Time as the risk code sees it: injected, never read from a clock, so every decision can be replayed
 * and tested. `timeMs` is Unix milliseconds (the keeper passes the head block's timestamp or its own
 * clock); `block` is the chain head the decision was made at.
 */
export interface Instant {
  readonly timeMs: number;
  readonly block: number;
}

/** The UTC calendar day of an instant ("2025-03-01"): daily limits roll over at UTC midnight. */
export function utcDayKey(timeMs: number): string {
  if (!Number.isFinite(timeMs)) throw new RangeError(`timeMs must be a finite number, got ${timeMs}`);
  return new Date(timeMs).toISOString().slice(0, 10);
}
