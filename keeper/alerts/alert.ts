/**
 * What the keeper tells its operator about: an alert has a stable `key` (what it is about, e.g.
 * "breaker-halted" or "operator-balance-low:0xabc…") used for rate limiting, a severity used for
 * routing, and human text.
 */

export const ALERT_SEVERITIES = ["info", "warning", "critical"] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export interface Alert {
  /** Identifies the condition, not the occurrence: repeats of one condition share a key. */
  readonly key: string;
  readonly severity: AlertSeverity;
  readonly title: string;
  readonly detail: string;
  /** When the condition was observed; defaults to the dispatch time. */
  readonly at?: Date;
  /**
   * 32-byte hex values in the text that are public (tx hashes) and must survive redaction, which
   * otherwise treats any such value as a possible private key.
   */
  readonly publicValues?: readonly string[];
}

export function severityRank(severity: AlertSeverity): number {
  return ALERT_SEVERITIES.indexOf(severity);
}

export function isAlertSeverity(value: string): value is AlertSeverity {
  return (ALERT_SEVERITIES as readonly string[]).includes(value);
}
