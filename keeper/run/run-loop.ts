/**
 * The network keeper's loop: tick, show progress, stop on Ctrl-C (SIGINT/SIGTERM), `--once` or
 * `--blocks N`. A chain that makes no block for a while is said out loud, once per quiet spell, with
 * what to do about it: a local node with automine mines only when a transaction arrives, so
 * `--blocks 3` there waits until something happens — the operator should know that it is waiting.
 * An iteration that fails (an RPC outage beyond failover) neither kills the keeper nor floods its log: it
 * is retried with jittered back-off, the first failure told with its cause, the recovery with how long
 * it took (keeper/rpc/outage-log.ts).
 */
import { backoffDelayMs } from "../rpc/backoff";
import { OutageLog } from "../rpc/outage-log";
import type { KeeperConsole } from "./keeper-console";
import { adoptedPlanIds, type KeeperSession } from "./keeper-session";
import { RunSettlementCache } from "./run-settlement-cache";
import type { RunRecorder } from "./run-recorder";

export interface RunLoopOptions {
  readonly session: KeeperSession;
  readonly console: KeeperConsole;
  readonly recorder: RunRecorder;
  readonly once?: boolean;
  readonly maxBlocks?: number;
  /** Resolves with a reason ("SIGINT") when the keeper should stop. */
  readonly stopSignal: Promise<string>;
  /**
   * Resolves when a head newer than `afterBlock` is known (or after the caller's idle wait): the next iteration
   * starts then. Default: a fixed 250 ms wait.
   */
  readonly waitForHead?: (afterBlock: number) => Promise<unknown>;
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
  const waitForHead = options.waitForHead ?? (() => new Promise((resolve) => setTimeout(resolve, 250)));
  const iterations = new OutageLog("keeper iterations", out.logger);
  let failures = 0;
  let stopRequested: string | null = null;
  void options.stopSignal.then((reason) => {
    stopRequested = reason;
    session.engine.requestStop();
    out.print(`${reason}: stopping after the current iteration ...`);
  });

  const startedAtMs = options.startedAtMs ?? clock();
  const figures = new RunSettlementCache(session.journal, startedAtMs);
  const showProgress = (head: number, tracked: number, liquidatable: number) => {
    const { engine } = session;
    // The journal's view, as the run report will count it: adopted transactions included (read again only when an
    // execution changed).
    const settled = figures.current(adoptedPlanIds(engine));
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
      if (report !== null) showProgress(report.head, report.tracked, report.liquidatable);
      failures = 0;
      iterations.recover();
    } catch (error) {
      failures += 1;
      iterations.fail(error instanceof Error ? error.message : String(error));
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
    const wait =
      failures > 0
        ? new Promise((resolve) => setTimeout(resolve, backoffDelayMs(failures, { initialMs: 250, maxMs: 30_000 })))
        : waitForHead(session.engine.head);
    await Promise.race([wait, options.stopSignal]);
  }
}
