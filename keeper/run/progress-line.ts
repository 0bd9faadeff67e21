/**
 * The keeper's live progress on a terminal: one line, rewritten in place each block —
 *   block 1,234 │ tracked 281 │ liquidatable 12 │ executed 30 │ skipped 5 │ profit $1,234.56
 * On a pipe or a CI log there is no "in place", so each update is its own line, and only when
 * something other than the block number changed (a quiet chain does not flood the log).
 */

export interface ProgressFields {
  readonly block: number;
  readonly tracked: number;
  readonly liquidatable: number;
  readonly executed: number;
  readonly skipped: number;
  readonly inFlight: number;
  readonly profitUsd: number;
  /** Free text after the counters: the scenario step, the mode. */
  readonly note?: string;
}

export interface ProgressOutput {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

const integer = new Intl.NumberFormat("en-US");
const money = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export function formatProgress(fields: ProgressFields): string {
  const parts = [
    `block ${integer.format(fields.block)}`,
    `tracked ${integer.format(fields.tracked)}`,
    `liquidatable ${integer.format(fields.liquidatable)}`,
    `executed ${integer.format(fields.executed)}`,
    `in flight ${integer.format(fields.inFlight)}`,
    `skipped ${integer.format(fields.skipped)}`,
    `profit $${money.format(fields.profitUsd)}`,
  ];
  return parts.join(" │ ") + (fields.note ? `  ${fields.note}` : "");
}

export class ProgressLine {
  private lastKey = "";
  private open = false;

  constructor(private readonly output: ProgressOutput) {}

  update(fields: ProgressFields): void {
    const text = formatProgress(fields);
    if (this.output.isTTY) {
      this.output.write(`\r\x1b[2K${text}`);
      this.open = true;
      return;
    }
    const key = formatProgress({ ...fields, block: 0 });
    if (key === this.lastKey) return;
    this.lastKey = key;
    this.output.write(`${text}\n`);
  }

  /** Ends the in-place line so what follows starts on a fresh one. */
  finish(): void {
    if (this.open) this.output.write("\n");
    this.open = false;
  }
}
