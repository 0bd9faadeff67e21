/**
 * Decides whether an alert may go to a target now. Two limits:
 *  - per (target, alert key): one delivery attempt per cooldown, so a condition that persists for
 *    an hour (a stale RPC, a low balance) pages once per cooldown, not once per loop iteration;
 *  - global: at most `globalPerMinute` attempts in any rolling 60 s across all targets and keys, so
 *    a cascade of distinct alerts cannot flood a channel or get the webhook banned.
 * Critical alerts still respect their own key's cooldown but are never dropped by the global limit
 * (they still count towards it): the alert that says "HALTED" must not lose to the noise before it.
 */
import type { AlertSeverity } from "./alert";

export interface AlertRateLimits {
  /** Default 10 minutes. */
  readonly perKeyCooldownMs: number;
  /** Default 20. */
  readonly globalPerMinute: number;
}

export const DEFAULT_ALERT_RATE_LIMITS: AlertRateLimits = { perKeyCooldownMs: 10 * 60_000, globalPerMinute: 20 };

const MINUTE_MS = 60_000;

export type RateDecision = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

export class AlertRateLimiter {
  private readonly lastAttemptByTargetKey = new Map<string, number>();
  private recentAttempts: number[] = [];

  constructor(private readonly limits: AlertRateLimits = DEFAULT_ALERT_RATE_LIMITS) {
    if (!(limits.perKeyCooldownMs >= 0)) throw new Error(`alert perKeyCooldownMs must be >= 0, got ${limits.perKeyCooldownMs}`);
    if (!Number.isInteger(limits.globalPerMinute) || limits.globalPerMinute < 1) {
      throw new Error(`alert globalPerMinute must be a positive integer, got ${limits.globalPerMinute}`);
    }
  }

  /** Checks both limits and, when allowed, records the attempt at `now`. */
  tryAcquire(target: string, key: string, severity: AlertSeverity, now: number): RateDecision {
    const targetKey = `${target}\u0000${key}`;
    const last = this.lastAttemptByTargetKey.get(targetKey);
    if (last !== undefined && now - last < this.limits.perKeyCooldownMs) {
      return {
        allowed: false,
        reason: `"${key}" was sent to ${target} ${Math.round((now - last) / 1000)} s ago (cooldown ${Math.round(this.limits.perKeyCooldownMs / 1000)} s)`,
      };
    }
    this.recentAttempts = this.recentAttempts.filter((t) => now - t < MINUTE_MS);
    if (this.recentAttempts.length >= this.limits.globalPerMinute && severity !== "critical") {
      return { allowed: false, reason: `global limit of ${this.limits.globalPerMinute} alerts per minute reached` };
    }
    this.recentAttempts.push(now);
    this.lastAttemptByTargetKey.set(targetKey, now);
    return { allowed: true };
  }
}
