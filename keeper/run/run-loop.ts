/**
 * The network keeper's loop: tick, show progress, stop on Ctrl-C (SIGINT/SIGTERM), `--once` or
 * `--blocks N`. A chain that makes no block for a while is said out loud, once per quiet spell, with
 * what to do about it: a local node with automine mines only when a transaction arrives, so
 * `--blocks 3` there waits until something happens — the operator should know that it is waiting.
 */
import type { KeeperConsole } from "./keeper-console";
import { adoptedPlanIds, type KeeperSession } from "./keeper-session";
import { runSettlement } from "./run-report";
import type { RunRecorder } from "./run-recorder";
import type { Logger } from "../telemetry/logger";
import { errorMessage } from "../core/error-message";

export interface RunLoopOptions {
  readonly session: KeeperSession;
  readonly console: KeeperConsole;
  readonly recorder: RunRecorder;
  readonly once?: boolean;
  readonly maxBlocks?: number;
  /** Resolves with a reason ("SIGINT") when the keeper should stop. */
  readonly stopSignal: Promise<string>;
  /** Head polling interval. Default 250 ms. */
  readonly pollIntervalMs?: number;
  /** After this long without a new block, say so (once per quiet spell). Default 30 s. */
  readonly idleNoticeMs?: number;
  /** What the idle notice advises (how to get a block on this chain). */
  readonly idleAdvice: string;
  readonly clock?: () => number;
  /** When the run started (its executions are those created since). Default: now. */
  readonly startedAtMs?: number;
}

export interface RunLoopResult {
  readonly blocks: number;
  readonly stopReason: string;
}

export async function runKeeperLoop(options: RunLoopOptions): Promise<RunLoopResult> {
  const { session, console: out, recorder } = options;
  const clock = options.clock ?? Date.now;
  const idleNoticeMs = options.idleNoticeMs ?? 30_000;
  const interval = options.pollIntervalMs ?? 250;
  let stopRequested: string | null = null;
  void options.stopSignal.then((reason) => {
    stopRequested = reason;
    out.print(`${reason}: stopping after the current iteration ...`);
  });

  const startedAtMs = options.startedAtMs ?? clock();
  const showProgress = (head: number, tracked: number, liquidatable: number) => {
    const { engine } = session;
    // The journal's view, as the run report will count it: adopted transactions included.
    const settled = runSettlement(session.journal, startedAtMs, adoptedPlanIds(engine));
    out.progress({
      block: head,
      tracked,
      liquidatable,
      executed: settled.included,
      skipped: engine.totals.skipped,
      inFlight: session.assembled.execution.inFlightCount,
      profitUsd: settled.realisedProfitUsd,
      dry: engine.currentMode === "DRY" ? { ...recorder.dry } : undefined,
      note: engine.currentMode,
    });
  };

  let blocks = 0;
  const failures = new FailureStreak();
  let lastBlockAtMs = clock();
  let idleNoticeGiven = false;
  const markets = session.assembled.markets;
  showProgress(
    session.engine.head,
    markets.reduce((n, m) => n + m.stats().tracked, 0),
    markets.reduce((n, m) => n + m.stats().liquidatable, 0),
  );
  for (;;) {
    if (stopRequested !== null) return { blocks, stopReason: stopRequested };
    let report;
    try {
      report = await session.engine.tick();
      // The progress line reads the journal too: inside the try, so a journal outage cannot end the loop.
      if (report !== null) {
        showProgress(report.head, report.tracked, report.liquidatable);
        // Only a processed block shows recovery: an idle iteration (no new block) may not have touched what failed.
        failures.succeeded(out.logger);
      }
    } catch (error) {
      // One bad iteration (an RPC or database outage) must not kill the keeper: log, wait, retry.
      failures.failed(out.logger, error);
      report = null;
    }
    if (report !== null) {
      blocks += report.range.toBlock - report.range.fromBlock + 1;
      lastBlockAtMs = clock();
      idleNoticeGiven = false;
    } else if (!idleNoticeGiven && clock() - lastBlockAtMs >= idleNoticeMs) {
      idleNoticeGiven = true;
      const budget = options.maxBlocks === undefined ? "" : ` (${blocks} of the ${options.maxBlocks} blocks --blocks waits for so far)`;
      out.print(
        `Waiting for blocks: no new block for ${Math.round((clock() - lastBlockAtMs) / 1000)} s after block ${session.engine.head}${budget}. ${options.idleAdvice}`,
      );
    }
    if (options.once) return { blocks, stopReason: "--once" };
    if (options.maxBlocks !== undefined && blocks >= options.maxBlocks) return { blocks, stopReason: `--blocks ${options.maxBlocks}` };
    await Promise.race([new Promise((resolve) => setTimeout(resolve, interval)), options.stopSignal]);
  }
}

/**
 * Failed iterations in a row are one incident: the first is an error line, the repeats every poll interval
 * (whatever their message: a database going away fails one way, then another) are debug lines, and the first
 * iteration that works again says how many failed and what the last failure was.
 */
class FailureStreak {
  #count = 0;
  #lastMessage = "";

  failed(logger: Logger, error: unknown): void {
    this.#count += 1;
    this.#lastMessage = errorMessage(error);
    if (this.#count === 1)
      logger.error({ err: error }, "keeper iteration failed; retrying (repeats are logged at debug level until one works)");
    else logger.debug({ err: error, failures: this.#count }, "keeper iteration failed again; retrying");
  }

  succeeded(logger: Logger): void {
    if (this.#count === 0) return;
    logger.info({ failures: this.#count, lastError: this.#lastMessage }, `keeper iterations work again after ${this.#count} failed`);
    this.#count = 0;
  }
}
