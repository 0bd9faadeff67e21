/**
 * What a network keeper writes to its console, in ONE format per console:
 *  - a terminal (TTY) gets human lines: pino-pretty log lines, the progress line rewritten in place
 *    (a log line first clears it, then it is drawn again below), the summary table;
 *  - anything else (a pipe, a file, journald) gets JSON lines only: the log, and every message, progress
 *    update and the summary as log records (`"console": true`, `progress`, `summary` fields), so a log
 *    shipper never meets a table or a half-written progress line.
 * Every line passes the logger's redaction (knownSecrets and the usual patterns) either way.
 */
import { Writable } from "node:stream";
import { createLogger, redactSecrets, type Logger } from "../telemetry/logger";
import { formatProgress, ProgressLine, type ProgressFields, type ProgressOutput } from "./progress-line";

export interface KeeperConsole {
  readonly isTTY: boolean;
  readonly logger: Logger;
  /** A message for a person: a line on a terminal, a log record elsewhere. */
  print(line: string): void;
  progress(fields: ProgressFields): void;
  /** Ends the in-place progress line (terminal) so what follows starts on a fresh line. */
  finish(): void;
  /** The end-of-run summary: the table on a terminal, one record with the figures elsewhere. */
  summary(table: string, figures: Readonly<Record<string, unknown>>): void;
}

export interface KeeperConsoleOptions {
  readonly knownSecrets: readonly string[];
  /** 32-byte hex values that are public (Morpho market ids, the keeper's own tx hashes): logged as they are. */
  readonly publicValues?: () => readonly string[];
  readonly base?: Readonly<Record<string, unknown>>;
  readonly level?: "debug" | "info" | "warn" | "error";
}

export function keeperConsole(output: ProgressOutput, options: KeeperConsoleOptions): KeeperConsole {
  const isTTY = output.isTTY === true;
  const progressLine = new ProgressLine(output);
  // On a terminal a log line must not land on the end of the progress line: clear it, write, redraw.
  const destination = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      const text = chunk.toString();
      if (isTTY) progressLine.interrupt(() => output.write(text));
      else output.write(text);
      done();
    },
  });
  const logger = createLogger({
    format: isTTY ? "pretty" : "json",
    destination,
    knownSecrets: options.knownSecrets,
    publicValues: options.publicValues,
    prettyTerminal: isTTY,
    base: options.base,
    level: options.level ?? "info",
  });
  const redaction = () => ({ knownSecrets: options.knownSecrets, publicValues: options.publicValues?.() ?? [] });
  let lastProgress = "";
  return {
    isTTY,
    logger,
    print(line) {
      if (isTTY) progressLine.interrupt(() => output.write(`${redactSecrets(line, redaction())}\n`));
      else logger.info({ console: true }, line);
    },
    progress(fields) {
      if (isTTY) {
        progressLine.update(fields);
        return;
      }
      // Like the plain progress line: a record only when something besides the block number changed.
      const key = formatProgress({ ...fields, block: 0 });
      if (key === lastProgress) return;
      lastProgress = key;
      logger.info({ progress: fields }, formatProgress(fields));
    },
    finish() {
      progressLine.finish();
    },
    summary(table, figures) {
      if (isTTY) {
        progressLine.finish();
        output.write(`${redactSecrets(table, redaction())}\n`);
      } else {
        logger.info({ summary: figures }, "run summary");
      }
    },
  };
}

export type { Logger };
