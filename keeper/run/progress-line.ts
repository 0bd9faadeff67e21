/**
 * The keeper's live progress on a terminal: one line, rewritten in place each block —
 *   block 1,234 │ tracked 281 │ liquidatable 12 │ executed 30 │ skipped 5 │ profit $1,234.56
 * In DRY nothing is sent, so the line counts what was simulated and what it would have earned instead —
 *   block 1,234 │ tracked 281 │ liquidatable 12 │ simulated 30 (DRY, not sent) │ skipped 5 │ would earn $1,234.56
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
  /** DRY: plans simulated (not sent) and the profit their simulations expected. */
  readonly dry?: { readonly simulated: number; readonly expectedProfitUsd: number };
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
  const head = [
    `block ${integer.format(fields.block)}`,
    `tracked ${integer.format(fields.tracked)}`,
    `liquidatable ${integer.format(fields.liquidatable)}`,
  ];
  const outcome =
    fields.dry === undefined
      ? [
          `executed ${integer.format(fields.executed)}`,
          `in flight ${integer.format(fields.inFlight)}`,
          `skipped ${integer.format(fields.skipped)}`,
          `profit $${money.format(fields.profitUsd)}`,
        ]
      : [
          `simulated ${integer.format(fields.dry.simulated)} (DRY, not sent)`,
          `skipped ${integer.format(fields.skipped)}`,
          `would earn $${money.format(fields.dry.expectedProfitUsd)}`,
        ];
  return [...head, ...outcome].join(" │ ") + (fields.note ? `  ${fields.note}` : "");
}

export class ProgressLine {
  private lastKey = "";
  private open = false;
  private lastText = "";

  constructor(private readonly output: ProgressOutput) {}

  update(fields: ProgressFields): void {
    const text = formatProgress(fields);
    if (this.output.isTTY) {
      this.output.write(`\r\x1b[2K${text}`);
      this.open = true;
      this.lastText = text;
      return;
    }
    const key = formatProgress({ ...fields, block: 0 });
    if (key === this.lastKey) return;
    this.lastKey = key;
    this.output.write(`${text}\n`);
  }

  /** Writes something else (a log line) on a terminal without mixing it into the progress line: clear, write, redraw. */
  interrupt(write: () => void): void {
    if (!this.open) {
      write();
      return;
    }
    this.output.write("\r\x1b[2K");
    write();
    this.output.write(this.lastText);
  }

  /** Ends the in-place line so what follows starts on a fresh one. */
  finish(): void {
    if (this.open) this.output.write("\n");
    this.open = false;
  }
}
