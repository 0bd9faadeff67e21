/**
 * One running keeper with its operations around it: journal, logger, metrics, alerts, the loopback
 * /healthz /readyz /status /metrics server, and the assembled pipeline. `close()` takes it all down in
 * the order that loses nothing: the engine journals its shutdown and saves risk state, the server
 * stops answering, the key lock is released, the journal is closed last.
 */
import path from "node:path";
import type { Interface, Provider } from "ethers";
import { AlertDispatcher } from "../alerts/alert-dispatcher";
import { alertTargetsFromConfig, alertTargetsFromSettings } from "../alerts/targets-from-env";
import type { Address, AddressBook } from "../config/address-book";
import type { KeeperConfig } from "../config/schema";
import type { OracleCollectionMode } from "../collectors/oracle-update-collector";
import type { AssembleKeeperOptions } from "../engine/assemble-keeper";
import { Journal } from "../journal/journal";
import { bindJournalToChain } from "../journal/chain-binding";
import { Leadership } from "../engine/leadership";
import { recordedNonceBlockFollower } from "../submit/nonce-block-report";
import { deadlineFencedBroadcaster, fencedBroadcaster, headFromHeardHeads, type NonceReader } from "../submit/fenced-broadcaster";
import { nominalBlockTimeMs } from "../config/block-time";
import { KeeperMetrics } from "../telemetry/metrics";
import { startTelemetryServer, type ReadinessInputs, type TelemetryServer } from "../telemetry/http-server";
import { attachOperationsFeed } from "../telemetry/attach-operations-feed";
import type { OperationsFeedOptions } from "../telemetry/operations-feed";
import type { Logger } from "../telemetry/logger";
import type { SignedTxBroadcaster } from "../execution/broadcast";
import type { ExecutionHooks } from "../execution/execution-stage";
import { assembleKeeper, type AssembledKeeper, type KeeperSigner } from "../engine/assemble-keeper";
import type { KeeperEngine } from "../engine/keeper-engine";
import { ExecutorRoleWatch, type RoleEventReader } from "./executor-role-watch";
import { errorMessage } from "../core/error-message";
import { RunSettlementCache } from "./run-settlement-cache";

/**
 * A SQLite journal's keepers share one machine: a second one waits here for the lease (a cold standby)
 * before it assembles anything, since the key's file lock would stop it anyway.
 */
async function waitForLease(leadership: Leadership, logger: Logger, journalPath: string, pollMs: number): Promise<void> {
  let told = false;
  while (!leadership.tryAcquire()) {
    if (!told) {
      const holder = leadership.lease;
      logger.warn(
        {
          journal: journalPath,
          holder: holder?.holderInfo,
          expiresAt: holder === undefined ? null : new Date(holder.expiresAt).toISOString(),
        },
        "another keeper holds this journal's lease; waiting until it stops renewing it",
      );
      told = true;
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** What a keeper whose journal belongs to another chain or executor should do. */
export const FRESH_JOURNAL_REMEDY =
  "Start over with `npx hardhat keeper --fresh-journal` (the old journal is moved aside, never deleted), or point --journal at this chain's journal.";
const FRESH_DATABASE_REMEDY =
  "Point KEEPER_DATABASE_URL (or --journal) at this chain's journal database, or at a new, empty database to start over.";

export interface KeeperSessionOptions {
  readonly config: KeeperConfig;
  readonly book: AddressBook;
  readonly chainId: number;
  readonly executor: Address;
  readonly provider: Provider;
  readonly signer: KeeperSigner | null;
  readonly broadcaster: SignedTxBroadcaster | null;
  readonly journalPath: string;
  readonly logger: Logger;
  /** Values scrubbed from /status and /readyz (the key, RPC URLs): the logger has its own list. */
  readonly knownSecrets: readonly string[];
  /** Settings lookup for alert targets (environment or Hardhat vars). */
  readonly setting: (name: string) => string | undefined;
  readonly oracleMode: OracleCollectionMode;
  readonly streams?: AssembleKeeperOptions["streams"];
  /** Readiness the engine does not know about (the RPC endpoints' health), merged into /readyz. */
  readonly readiness?: () => Partial<ReadinessInputs>;
  readonly liveViolations: () => readonly string[];
  /** Port for the telemetry server (0 = any free port). */
  readonly port: number;
  /** When the port is taken: fail (real networks: scrapers expect the port) or take a free one (sandbox). */
  readonly onPortBusy: "fail" | "ephemeral";
  readonly headLag?: () => readonly { readonly endpoint: string; readonly lagBlocks: number }[];
  /** The read pool's endpoints (demoted or not), for the dashboard and the rpc_endpoint_demoted gauge. */
  readonly endpointHealth?: OperationsFeedOptions["endpointHealth"];
  readonly hooks?: ExecutionHooks;
  readonly simulateAs?: Address;
  /**
   * Checks the key against the executor at start-up and after every role-change event
   * (executor-role-watch.ts); a problem makes /readyz not ready and alerts. `refuseLive`: in LIVE, a
   * problem at start-up stops the session from opening.
   */
  readonly roleCheck?: {
    readonly executorInterface: Interface;
    readonly signer: string | null;
    readonly refuseLive: boolean;
    readonly print?: (line: string) => void;
  };
}

/** LIVE refused at start-up: the key cannot liquidate through this executor. */
export class ExecutorRoleError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`LIVE refused: ${problems.join("; ")}. Fix the roles, or run with --dry-run to watch without sending.`);
    this.name = "ExecutorRoleError";
  }
}

export interface KeeperSession {
  readonly engine: KeeperEngine;
  readonly assembled: AssembledKeeper;
  readonly journal: Journal;
  readonly metrics: KeeperMetrics;
  readonly server: TelemetryServer;
  /** Set when the configured port was busy and the server took another one. */
  readonly portNote: string | null;
  /** The executor-role check, when the session was opened with `roleCheck`. */
  readonly roleWatch: ExecutorRoleWatch | null;
  close(reason: string): Promise<void>;
}

export async function openKeeperSession(options: KeeperSessionOptions): Promise<KeeperSession> {
  const { config, logger } = options;
  const journal = Journal.open(options.journalPath);
  // A journal in a shared database may have several keepers: one leads (signs, sends), the others stand by warm.
  const shared = journal.backend === "postgres";
  const metrics = new KeeperMetrics({ defaultLabels: { network: config.network } });
  const lease = config.journal.lease;
  const leadership = new Leadership({
    journal,
    leaseMs: lease.seconds * 1_000,
    refreshMs: lease.refreshSeconds * 1_000,
    logger: logger.child({ component: "lease" }),
    metrics,
  });
  try {
    // Before anything is read from the journal: is it this chain's, and this executor's?
    const remedy = shared ? FRESH_DATABASE_REMEDY : FRESH_JOURNAL_REMEDY;
    await bindJournalToChain(journal, { chainId: options.chainId, executor: options.executor }, options.provider, remedy);
    if (shared) leadership.tryAcquire();
    else await waitForLease(leadership, logger, journal.path, lease.refreshSeconds * 1_000);
    leadership.start();
  } catch (error) {
    leadership.stop();
    journal.close();
    throw error;
  }
  // Where instances share the journal, every send is fenced: lease held, journal and chain nonce agree. Alone on its
  // journal, a keeper still never sends a plan past its deadline block.
  const broadcaster =
    options.broadcaster === null
      ? null
      : shared
        ? fencedBroadcaster(options.broadcaster, { lease: leadership, journal, chain: options.provider })
        : deadlineFencedBroadcaster(options.broadcaster, sendPathHead(options));
  let assembled: AssembledKeeper | null = null;
  let server: TelemetryServer | null = null;
  try {
    // The config's targets; without any, the ALERT_* variables (targets-from-env.ts).
    const targets =
      config.alerts.targets.length > 0
        ? alertTargetsFromConfig(config.alerts.targets, options.setting)
        : alertTargetsFromSettings(options.setting);
    const alerts = new AlertDispatcher({
      keeper: `chimera-${config.network}`,
      targets,
      logger: logger.child({ component: "alerts" }),
      knownSecrets: options.knownSecrets,
      // The config's per-minute budget is the global cap; per-key cooldowns keep their default.
      rateLimits: { globalPerMinute: config.alerts.rateLimitPerMinute },
      journal,
    });
    leadership.reportOutagesTo(alerts);
    // Incidents a previous run opened stay resolvable after a restart.
    alerts.restoreOpenIncidents(journal.listSystemEvents({ kinds: ["alert"] }));
    const roleWatch = await checkRolesAtStartup(options, alerts);
    assembled = await assembleKeeper({
      config,
      book: options.book,
      chainId: options.chainId,
      executor: options.executor,
      provider: options.provider,
      signer: options.signer,
      broadcaster,
      journal,
      lockDirectory: shared ? null : path.dirname(journal.path),
      leadership,
      logger,
      metrics,
      // Always given: with no target, alerts are still logged, journaled and shown on the dashboard.
      alerts,
      oracleMode: options.oracleMode,
      streams: options.streams,
      liveViolations: options.liveViolations,
      headLag: options.headLag,
      hooks: options.hooks,
      simulateAs: options.simulateAs,
    });
    const engine = assembled.engine;
    const operations = attachOperationsFeed({
      engine,
      riskGate: assembled.risk.riskGate,
      execution: assembled.execution,
      markets: assembled.markets,
      journal,
      metrics,
      alerts,
      operatorBalanceFloorEth: config.operatorBalanceFloorEth,
      endpointHealth: options.endpointHealth,
    });
    const startedAtMs = Date.now();
    const runFigures = new RunSettlementCache(journal, startedAtMs);
    if (roleWatch !== null) engine.onTick((report) => void roleWatch.onBlocks(report.range));
    // A standby's keeper_nonce_blocked follows what the leader records, block by block, not only from its takeover on.
    const operator = assembled.execution.operator;
    if (shared && operator !== null) {
      const followNonceBlock = recordedNonceBlockFollower({ registry: metrics.registry, records: journal, signer: operator, logger });
      engine.onTick(() => {
        if (!leadership.isLeader) followNonceBlock();
      });
    }
    const serverOptions = {
      host: config.metrics.host,
      metrics,
      readiness: () => {
        const inputs = { ...engine.readiness(), ...options.readiness?.() };
        return roleWatch === null ? inputs : { ...inputs, extraChecks: [...(inputs.extraChecks ?? []), roleWatch.readiness()] };
      },
      status: () => sessionStatus(operations.status(), engine, runFigures, startedAtMs),
      publicValues: () => reconciledTransactionHashes(journal, engine),
      logger: logger.child({ component: "telemetry" }),
      knownSecrets: options.knownSecrets,
    };
    let portNote: string | null = null;
    try {
      server = await startTelemetryServer({ ...serverOptions, port: options.port });
    } catch (error) {
      if (options.onPortBusy === "fail" || !/already in use/.test((error as Error).message)) throw error;
      server = await startTelemetryServer({ ...serverOptions, port: 0 });
      portNote = `port ${config.metrics.host}:${options.port} is busy (set KEEPER_METRICS_PORT to choose another); serving on ${server.url} instead`;
      logger.warn({ url: server.url }, portNote);
    }
    const runningServer = server;
    const runningAssembly = assembled;
    let closed = false;
    return {
      engine,
      assembled,
      journal,
      metrics,
      server,
      portNote,
      roleWatch,
      close: async (reason: string) => {
        if (closed) return;
        closed = true;
        try {
          if (engine.head >= 0) engine.stop(reason);
        } finally {
          await runningServer.close();
          runningAssembly.close();
          leadership.stop();
          journal.close();
        }
      },
    };
  } catch (error) {
    await server?.close();
    assembled?.close();
    leadership.stop();
    journal.close();
    throw error;
  }
}

/** The start-up role check: refuses LIVE when the key cannot liquidate; in DRY the watch has said so loudly. */
async function checkRolesAtStartup(options: KeeperSessionOptions, alerts: AlertDispatcher | null): Promise<ExecutorRoleWatch | null> {
  const check = options.roleCheck;
  if (check === undefined) return null;
  const watch = new ExecutorRoleWatch({
    reader: options.provider as unknown as RoleEventReader,
    executorInterface: check.executorInterface,
    executor: options.executor,
    signer: check.signer,
    logger: options.logger.child({ component: "roles" }),
    alerts,
    print: check.print,
  });
  const problems = await watch.check("start-up");
  if (problems.length > 0 && check.refuseLive && options.config.mode === "LIVE") throw new ExecutorRoleError(problems);
  return watch;
}

/**
 * /status: the engine's view, plus what this process settled since it started (its own executions and
 * those it adopted from a crashed run), labelled against `today` (the risk gate's UTC day, every run on
 * this journal, net of gas), so the two figures never look like a contradiction.
 */
function sessionStatus(
  base: Record<string, unknown>,
  engine: KeeperEngine,
  runFigures: RunSettlementCache,
  startedAtMs: number,
): Record<string, unknown> {
  const startedAt = new Date(startedAtMs).toISOString();
  const round = (value: number) => Math.round(value * 100) / 100;
  let run: Record<string, unknown>;
  try {
    const settled = runFigures.current(adoptedPlanIds(engine));
    run = {
      startedAt,
      included: settled.included,
      adoptedFromEarlierRun: settled.adoptedIds.size,
      realisedProfitUsd: round(settled.realisedProfitUsd),
      gasCostUsd: round(settled.gasCostUsd),
      netProfitUsd: round(settled.netProfitUsd),
    };
  } catch (error) {
    // The run's figures live in the journal; everything else /status shows is in memory. A journal that cannot be
    // read (its database away, or a call that outlived a frozen process) must not take the role, head and breaker
    // an operator needs at that very moment down with it.
    run = { startedAt, unavailable: `the journal could not be read: ${errorMessage(error)}` };
  }
  return {
    ...base,
    run,
    notes: {
      today:
        "the risk gate's UTC day so far, every run on this journal, profit net of gas (the daily limits count it): compare with run.netProfitUsd",
      run: "settled by this process since startedAt, transactions adopted from a crashed earlier run included: the figures of the progress line and the run summary",
    },
  };
}

/** Executions a previous run left open and this one reconciled at start-up. */
export function adoptedPlanIds(engine: KeeperEngine): string[] {
  return engine.reconciled?.outcomes.map((outcome) => outcome.planId) ?? [];
}

/** Hashes of the transactions a crashed run left and this one reconciled: public, and named in /status's free text. */
function reconciledTransactionHashes(journal: Journal, engine: KeeperEngine): string[] {
  try {
    return (engine.reconciled?.outcomes ?? []).flatMap((outcome) => journal.txAttempts(outcome.planId).map((attempt) => attempt.txHash));
  } catch {
    // Unreadable journal: those hashes are redacted like any other 32-byte value until it answers again (the safe side).
    return [];
  }
}

/** The deadline fence's head: the heads the keeper hears by subscription when it has a stream, else the node. */
function sendPathHead(options: KeeperSessionOptions): Pick<NonceReader, "getBlockNumber"> {
  const heads = options.streams?.heads;
  if (heads === undefined || heads === null) return options.provider;
  return headFromHeardHeads(heads, options.provider, {
    blockTimeMs: nominalBlockTimeMs(options.config.network, options.config.blockTimeMs),
  });
}
