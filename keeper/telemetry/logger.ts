/**
 * The keeper's logger: pino, one child per component (`component` field), JSON lines when output is
 * not a terminal or NODE_ENV=production, pino-pretty on a terminal. Every serialised line passes
 * through `redactSecrets` in pino's streamWrite hook, after serialisation and before any destination
 * (pretty or not), so no field, message, error or stack can carry a secret out.
 */
import pino, { type DestinationStream, type Level, type LevelWithSilent, type Logger } from "pino";
import pinoPretty from "pino-pretty";
import { redactSecrets, type RedactionOptions } from "./redact";

export { redactSecrets, REDACTED, type RedactionOptions } from "./redact";
export type { Logger } from "pino";

export interface LoggerOptions {
  /** Default "info". */
  readonly level?: LevelWithSilent;
  /** "auto" (default): pretty on a TTY outside production, JSON otherwise. */
  readonly format?: "json" | "pretty" | "auto";
  /** Where lines go; default stdout. Tests pass a capturing stream. */
  readonly destination?: DestinationStream;
  /** Fields on every line, e.g. { keeper: "base" }. */
  readonly base?: Readonly<Record<string, unknown>>;
  /** Exact secret values to scrub wherever they appear (keys, RPC URLs, alert tokens). */
  readonly knownSecrets?: readonly string[];
  /** 32-byte hex values known to be public (market ids, the keeper's transaction hashes): left visible.
   *  A function is asked at every line, for values learnt while running. */
  readonly publicValues?: readonly string[] | (() => readonly string[]);
  /** Pretty output into `destination` (a terminal the caller owns): colours and one line per record. */
  readonly prettyTerminal?: boolean;
  /** Overrides the environment checks behind format "auto" (tests). */
  readonly environment?: { readonly isTty: boolean; readonly production: boolean };
}

/** Whether "auto" resolves to pretty output in this process. */
export function prefersPrettyLogs(environment: { readonly isTty: boolean; readonly production: boolean }): boolean {
  return environment.isTty && !environment.production;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const environment = options.environment ?? {
    isTty: process.stdout.isTTY === true,
    production: process.env.NODE_ENV === "production",
  };
  const format = options.format ?? "auto";
  const pretty = format === "pretty" || (format === "auto" && prefersPrettyLogs(environment));
  const knownSecrets = options.knownSecrets ?? [];
  const publicValues = options.publicValues ?? [];
  const redaction = (): RedactionOptions => ({
    knownSecrets,
    publicValues: typeof publicValues === "function" ? publicValues() : publicValues,
  });
  const destination =
    options.destination ??
    (pretty
      ? // In-thread pretty printing: no worker thread to lose lines on a crash.
        pinoPretty({ colorize: true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname", sync: true })
      : pino.destination({ dest: 1, sync: true }));
  const stream =
    pretty && options.destination !== undefined ? prettyInto(options.destination, options.prettyTerminal === true) : destination;
  return pino(
    {
      level: options.level ?? "info",
      base: { ...(options.base ?? {}) },
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: { streamWrite: (line: string) => redactSecrets(line, redaction()) },
    },
    stream,
  );
}

/** A component's logger: every line carries `component`, and it may log at its own level. */
export function componentLogger(parent: Logger, component: string, level?: Level): Logger {
  return parent.child({ component }, level === undefined ? {} : { level });
}

/** Pretty output written to a caller's stream: a terminal (colours, one line per record), or a test reading what one would show. */
function prettyInto(destination: DestinationStream, terminal: boolean): DestinationStream {
  return pinoPretty({
    colorize: terminal,
    singleLine: terminal,
    translateTime: terminal ? "SYS:HH:MM:ss.l" : false,
    ignore: "pid,hostname",
    sync: true,
    destination: destination as unknown as NodeJS.WritableStream,
  });
}
