/** A window of journal rows by their creation time. */
export interface TimeRange {
  /** Inclusive, ms since epoch. */
  readonly fromMs?: number;
  /** Exclusive, ms since epoch. */
  readonly toMs?: number;
}
