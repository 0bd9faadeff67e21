/**
 * One running keeper with its operations around it: journal, logger, metrics, alerts, the loopback
 * /healthz /readyz /status /metrics server, and the assembled pipeline. `close()` takes it all down in
 * the order that loses nothing: the engine journals its shutdown and saves risk state, the server
 * stops answering, the key lock is released, the journal is closed last.
 */
import path from "node:path";
import type { Provider } from "ethers";
import { AlertDispatcher } from "../alerts/alert-dispatcher";
import { alertTargetsFromConfig, alertTargetsFromSettings } from "../alerts/targets-from-env";
import type { Address, AddressBook } from "../config/address-book";
import type { KeeperConfig } from "../config/schema";
import type { OracleCollectionMode } from "../collectors/oracle-update-collector";
import type { AssembleKeeperOptions } from "../engine/assemble-keeper";
import { Journal } from "../journal/journal";
import { KeeperMetrics } from "../telemetry/metrics";
import { startTelemetryServer, type ReadinessInputs, type TelemetryServer } from "../telemetry/http-server";
import { attachOperationsFeed } from "../telemetry/attach-operations-feed";
import type { OperationsFeedOptions } from "../telemetry/operations-feed";
import type { Logger } from "../telemetry/logger";
import type { SignedTxBroadcaster } from "../execution/broadcast";
import type { ExecutionHooks } from "../execution/execution-stage";
import { assembleKeeper, type AssembledKeeper, type KeeperSigner } from "../engine/assemble-keeper";
import type { KeeperEngine } from "../engine/keeper-engine";

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
}

export interface KeeperSession {
  readonly engine: KeeperEngine;
  readonly assembled: AssembledKeeper;
  readonly journal: Journal;
  readonly metrics: KeeperMetrics;
  readonly server: TelemetryServer;
  /** Set when the configured port was busy and the server took another one. */
  readonly portNote: string | null;
  close(reason: string): Promise<void>;
}

export async function openKeeperSession(options: KeeperSessionOptions): Promise<KeeperSession> {
  const { config, logger } = options;
  const journal = Journal.open(options.journalPath);
  const metrics = new KeeperMetrics({ defaultLabels: { network: config.network } });
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
    // Incidents a previous run opened stay resolvable after a restart.
    alerts.restoreOpenIncidents(journal.listSystemEvents({ kinds: ["alert"] }));
    assembled = await assembleKeeper({
      config,
      book: options.book,
      chainId: options.chainId,
      executor: options.executor,
      provider: options.provider,
      signer: options.signer,
      broadcaster: options.broadcaster,
      journal,
      lockDirectory: path.dirname(journal.path),
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
    const serverOptions = {
      host: config.metrics.host,
      metrics,
      readiness: () => ({ ...engine.readiness(), ...options.readiness?.() }),
      status: () => operations.status(),
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
      close: async (reason: string) => {
        if (closed) return;
        closed = true;
        try {
          if (engine.head >= 0) engine.stop(reason);
        } finally {
          await runningServer.close();
          runningAssembly.close();
          journal.close();
        }
      },
    };
  } catch (error) {
    await server?.close();
    assembled?.close();
    journal.close();
    throw error;
  }
}
