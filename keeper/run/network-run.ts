/**
 * `npx hardhat keeper --network <name>` on a real chain (or a local node running the sandbox): load
 * and validate the config (DRY unless told otherwise), check the LIVE safeguards, connect the read
 * failover pool, the subscription endpoint and the send endpoints, take the key lock, reconcile open
 * intents, then loop until Ctrl-C (SIGINT/SIGTERM), `--once` or `--blocks N`: each new head (pushed by
 * eth_subscribe, polled as the fallback) is one iteration. An iteration that fails is retried with
 * jittered back-off and told once ("keeper iterations down: cause" / "recovered after N s"), as every
 * endpoint outage is (keeper/rpc/outage-monitor.ts). Shutdown is clean: the engine journals it, the
 * telemetry server closes, the key lock is released, the journal is closed.
 */
import fs from "node:fs";
import path from "node:path";
import { Wallet, getAddress, type Provider } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { readSandboxAddressBook, sandboxAddressBookPath } from "../../sandbox/address-book-file";
import type { Address, AddressBook } from "../config/address-book";
import { checkLiveSafeguards, SIGNING_KEY_VARIABLE, RELAY_AUTH_KEY_VARIABLE } from "../config/live-safeguards";
import { blocksIn, nominalBlockTimeMs } from "../config/block-time";
import { BASE_ADDRESS_BOOK, MAINNET_ADDRESS_BOOK } from "../config/networks";
import { isRealNetwork, type KeeperConfig } from "../config/schema";
import { HeadStream, type RawRpc } from "../collectors/head-stream";
import { OracleLogStream } from "../collectors/oracle-log-stream";
import { backoffDelayMs } from "../rpc/backoff";
import { OutageLog } from "../rpc/outage-log";
import { RpcOutageMonitor } from "../rpc/outage-monitor";
import { ReadProviderPool } from "../rpc/read-provider-pool";
import { WsSubscriptionClient } from "../rpc/ws-subscription-client";
import { RawTxBroadcaster } from "../submit/raw-tx-broadcaster";
import { BundleSubmitter } from "../submit/bundle-submitter";
import { createLogger, type Logger } from "../telemetry/logger";
import { providerBroadcaster, type SignedTxBroadcaster } from "../execution/broadcast";
import { bundleBroadcaster } from "../execution/bundle-broadcaster";
import type { ExecutionHooks } from "../execution/execution-stage";
import { openKeeperSession } from "./keeper-session";
import { ProgressLine, type ProgressOutput } from "./progress-line";
import { RunRecorder } from "./run-recorder";
import { buildRunReport, writeRunReport } from "./run-report";
import { formatRunSummary } from "./summary-table";

/** Ignition's record of the executor deployment on a chain. */
const EXECUTOR_FUTURE_ID = "ChimeraExecutorModule#ChimeraExecutor";

export interface NetworkRunOptions {
  readonly hre: HardhatRuntimeEnvironment;
  readonly config: KeeperConfig;
  /** Settings: the environment, then Hardhat vars. */
  readonly setting: (name: string) => string | undefined;
  /** localhost: the sandbox address book written by `npx hardhat sandbox --network localhost`. */
  readonly addressBookFile?: string;
  readonly once?: boolean;
  readonly maxBlocks?: number;
  readonly journalPath?: string;
  /**
   * Longest wait for a new head before an iteration runs anyway (operator requests, the breaker's checks).
   * Default 1,000 ms. Heads themselves arrive by subscription, or by polling every half block time.
   */
  readonly idleIterationMs?: number;
  readonly output: ProgressOutput;
  readonly print: (line: string) => void;
  readonly logger?: Logger;
  readonly hooks?: ExecutionHooks;
  /** Resolves when the keeper should stop (the task wires SIGINT/SIGTERM to it). */
  readonly stopSignal: Promise<string>;
}

export interface NetworkRunResult {
  readonly reportPath: string;
  readonly journalPath: string;
  readonly blocks: number;
  readonly stopReason: string;
}

export async function runNetworkKeeper(options: NetworkRunOptions): Promise<NetworkRunResult> {
  const { hre, config, setting, print } = options;
  const network = hre.network.name;
  const book = addressBookFor(network, hre.config.paths.root, options.addressBookFile);

  const secrets: string[] = [];
  const readUrls = config.rpc.read.map((endpoint) => ({ label: endpoint.name, url: requiredSetting(setting, endpoint.urlEnv) }));
  const sendUrls = config.rpc.send.map((endpoint) => ({ label: endpoint.name, url: requiredSetting(setting, endpoint.urlEnv) }));
  const subscribeUrls = config.rpc.subscribe.map((endpoint) => ({ label: endpoint.name, url: requiredSetting(setting, endpoint.urlEnv) }));
  secrets.push(...readUrls.map((e) => e.url), ...sendUrls.map((e) => e.url), ...subscribeUrls.map((e) => e.url));
  const keyText = setting(SIGNING_KEY_VARIABLE);
  if (keyText !== undefined) secrets.push(keyText, keyText.replace(/^0x/i, ""));
  const logger = options.logger ?? createLogger({ knownSecrets: secrets, base: { network } });

  const outages = new RpcOutageMonitor({ readEndpoints: readUrls.map((e) => e.label), logger: logger.child({ component: "rpc" }) });
  const blockTimeMs = nominalBlockTimeMs(network, config.blockTimeMs);
  let pool: ReadProviderPool | null = null;
  let provider: Provider;
  if (readUrls.length > 0) {
    pool = new ReadProviderPool({
      chainId: book.chainId,
      endpoints: readUrls,
      callTimeoutMs: config.rpc.requestTimeoutMs,
      // The pool judges lag before any head is read: at the network's nominal block time.
      maxHeadLagBlocks: blocksIn(config.rpc.maxHeadLagMs, blockTimeMs, "rpc.maxHeadLagMs", 0),
      onHealthEvent: (event) => outages.onHealthEvent(event),
    });
    pool.startHeadPolling(2_000);
    provider = pool.provider;
  } else if (!isRealNetwork(network)) {
    provider = hre.ethers.provider;
  } else {
    throw new Error(`rpc.read lists no endpoint for ${network}; add one to the keeper config (see keeper/config/networks/)`);
  }

  let subscriber: WsSubscriptionClient | null = null;
  let heads: HeadStream | null = null;
  try {
    // Asked of the endpoint itself: the pool's provider has a static network and would just echo the config.
    const chainId = Number(
      BigInt(
        (await (provider as unknown as { send(method: string, params: unknown[]): Promise<string> }).send("eth_chainId", [])) as string,
      ),
    );
    if (chainId !== book.chainId) {
      throw new Error(`the read endpoints serve chain ${chainId}, but the ${book.network} address book is for chain ${book.chainId}`);
    }
    const signer = keyText === undefined ? null : new Wallet(keyText.startsWith("0x") ? keyText : `0x${keyText}`);
    if (config.mode === "LIVE" && signer === null) {
      throw new Error(`mode LIVE needs ${SIGNING_KEY_VARIABLE} (the operator key); it is not set`);
    }
    const executor = executorAddress(config, hre.config.paths.root, chainId, network);
    const broadcaster = await broadcasterFor({ config, setting, sendUrls, provider, chainId, signer });
    const journalPath = options.journalPath ?? path.resolve(hre.config.paths.root, config.journal.path);
    const usesRelay = config.relay !== undefined;

    // DRY without a key still simulates as the executor's operator, named by its (public) address.
    const simulateAs = signer === null ? operatorAddressSetting(setting) : undefined;
    if (signer === null && simulateAs === undefined) {
      logger.warn(
        {},
        `no ${SIGNING_KEY_VARIABLE} and no KEEPER_OPERATOR_ADDRESS: DRY simulations cannot run as an operator and will fail CallerNotOperator`,
      );
    }
    // Heads and oracle logs: pushed by eth_subscribe where a WebSocket endpoint is configured, polled otherwise.
    const oracleMode = config.oracleUpdates ?? (isRealNetwork(network) ? "logs" : "poll");
    const rpc = provider as unknown as RawRpc;
    const subscription = subscribeUrls[0];
    subscriber =
      subscription === undefined
        ? null
        : new WsSubscriptionClient({
            url: subscription.url,
            label: subscription.label,
            requestTimeoutMs: config.rpc.requestTimeoutMs,
            onStateChange: (event) => outages.onSubscriptionEvent(event),
          });
    heads = new HeadStream({
      rpc,
      subscriber,
      pollIntervalMs: Math.max(50, Math.floor(blockTimeMs / 2)),
      // Ten blocks without a pushed head: the subscription is stale even if its socket is open.
      staleAfterMs: Math.max(1_000, blockTimeMs * 10),
      onError: () => undefined, // the read pool's outage monitor reports endpoint failures
    });
    const oracleLogs = subscriber !== null && oracleMode === "logs" ? new OracleLogStream({ subscriber, rpc }) : null;
    if (subscriber !== null && !(await subscriber.start())) {
      logger.warn({ endpoint: subscriber.label }, `subscription endpoint ${subscriber.label} is not reachable yet; polling until it is`);
    }
    await heads.start();
    const session = await openKeeperSession({
      config,
      book,
      chainId,
      executor,
      provider,
      signer,
      broadcaster,
      journalPath,
      logger,
      knownSecrets: secrets,
      setting,
      oracleMode,
      streams: { heads, oracleLogs },
      readiness: () => outages.readiness(),
      liveViolations: () => (isRealNetwork(network) ? checkLiveSafeguards(envRecord(setting), { usesRelay }) : []),
      port: config.metrics.port,
      onPortBusy: "fail",
      headLag: pool === null ? undefined : () => pool!.health().map((h) => ({ endpoint: h.label, lagBlocks: h.headLagBlocks ?? 0 })),
      endpointHealth: pool === null ? undefined : () => pool!.health(),
      hooks: options.hooks,
      simulateAs,
    });
    const startedAtMs = Date.now();
    const recorder = new RunRecorder().attach(session.engine);
    const progress = new ProgressLine(options.output);
    let stopReason = "";
    let blocks = 0;
    let reportPath = "";
    try {
      print(`Keeper ${config.mode} on ${network} (executor ${executor}); telemetry on ${session.server.url}.`);
      await session.engine.start();
      const reconciled = session.engine.reconciled;
      if (reconciled !== null && reconciled.examined > 0)
        print(`Reconciled ${reconciled.examined} open intent(s) from the previous run before sending anything.`);
      let stopRequested: string | null = null;
      void options.stopSignal.then((reason) => {
        stopRequested = reason;
      });
      const idleMs = options.idleIterationMs ?? 1_000;
      // One bad iteration (an RPC outage beyond failover) must not kill the keeper, nor flood its log: the first
      // failure is told with its cause, the rest counted, the recovery told with how long it took.
      const iterations = new OutageLog("keeper iterations", logger);
      let failures = 0;
      for (;;) {
        if (stopRequested !== null) {
          stopReason = stopRequested;
          break;
        }
        let report;
        try {
          report = await session.engine.tick();
          failures = 0;
          iterations.recover();
        } catch (error) {
          failures += 1;
          iterations.fail(error instanceof Error ? error.message : String(error));
          report = null;
        }
        if (report !== null) {
          blocks += report.range.toBlock - report.range.fromBlock + 1;
          progress.update({
            block: report.head,
            tracked: report.tracked,
            liquidatable: report.liquidatable,
            executed: session.engine.totals.included,
            skipped: session.engine.totals.skipped,
            inFlight: session.assembled.execution.inFlightCount,
            profitUsd: session.engine.totals.realisedProfitUsd,
            note: session.engine.currentMode,
          });
        }
        if (options.once) {
          stopReason = "--once";
          break;
        }
        if (options.maxBlocks !== undefined && blocks >= options.maxBlocks) {
          stopReason = `--blocks ${options.maxBlocks}`;
          break;
        }
        const wait =
          failures > 0
            ? new Promise((resolve) => setTimeout(resolve, backoffDelayMs(failures, { initialMs: 250, maxMs: 30_000 })))
            : heads.waitForHeadAfter(session.engine.head, idleMs);
        await Promise.race([wait, options.stopSignal]);
      }
      progress.finish();
      const report = buildRunReport({
        journal: session.journal,
        recorder,
        startedAtMs,
        finishedAtMs: Date.now(),
        network,
        mode: session.engine.currentMode,
        executor,
        operator: signer === null ? null : getAddress(signer.address),
      });
      reportPath = writeRunReport(report, path.join(hre.config.paths.root, "reports"), secrets);
      const tracked = session.assembled.markets.reduce((n, m) => n + m.stats().tracked, 0);
      print(formatRunSummary(report, { tracked, reportPath, journalPath }));
    } finally {
      progress.finish();
      await session.close(`stopped: ${stopReason || "error"}`);
    }
    return { reportPath, journalPath, blocks, stopReason };
  } finally {
    heads?.stop();
    subscriber?.close();
    pool?.destroy();
  }
}

function addressBookFor(network: string, root: string, file: string | undefined): AddressBook {
  if (file !== undefined) return readSandboxAddressBook(path.resolve(root, file));
  switch (network) {
    case "base":
      return BASE_ADDRESS_BOOK;
    case "mainnet":
      return MAINNET_ADDRESS_BOOK;
    case "localhost":
      return readSandboxAddressBook(sandboxAddressBookPath("localhost", root));
    default:
      throw new Error(
        `there is no address book for network "${network}"; pass --address-book <file> (keeper/config/address-book.ts describes the shape)`,
      );
  }
}

/**
 * The executor: the config's `executor`, else Ignition's deployment record. A local node runs chain
 * 8453 like Base, so its deployments carry the id "localhost" (never chain-8453, which is Base's).
 */
function executorAddress(config: KeeperConfig, root: string, chainId: number, network: string): Address {
  if (config.executor !== undefined) return getAddress(config.executor) as Address;
  const deploymentId = network === "localhost" ? "localhost" : `chain-${chainId}`;
  const file = path.join(root, "ignition", "deployments", deploymentId, "deployed_addresses.json");
  if (!fs.existsSync(file)) {
    throw new Error(
      `no executor address: set "executor" in the keeper config, or deploy it first with ` +
        `\`npx hardhat ignition deploy ignition/modules/ChimeraExecutorModule.ts --network ${network}` +
        `${network === "localhost" ? " --deployment-id localhost" : ""}\` (looked for ${file})`,
    );
  }
  const deployed = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, string>;
  const address = deployed[EXECUTOR_FUTURE_ID];
  if (address === undefined) throw new Error(`${file} has no ${EXECUTOR_FUTURE_ID}; deploy the executor module on chain ${chainId}`);
  return getAddress(address) as Address;
}

async function broadcasterFor(args: {
  config: KeeperConfig;
  setting: (name: string) => string | undefined;
  sendUrls: { label: string; url: string }[];
  provider: Provider;
  chainId: number;
  signer: Wallet | null;
}): Promise<SignedTxBroadcaster | null> {
  const { config, setting, sendUrls, provider, chainId, signer } = args;
  if (signer === null) return null;
  if (config.relay !== undefined) {
    const authKey = requiredSetting(setting, RELAY_AUTH_KEY_VARIABLE);
    const submitter = await BundleSubmitter.create({
      relayUrl: requiredSetting(setting, config.relay.urlEnv),
      authSigner: new Wallet(authKey.startsWith("0x") ? authKey : `0x${authKey}`),
      transactionSignerAddress: signer.address,
      provider,
      chainId,
    });
    // A liquidation's gas may cost at most its fee cap times the executor's gas fallback.
    const maxGasFeesWei = BigInt(Math.round(config.limits.maxFeePerGasGwei * 1e9)) * BigInt(config.strategy.gasUnitsFallback) * 2n;
    return bundleBroadcaster({ submitter, chain: provider, maxGasFeesWei });
  }
  if (sendUrls.length > 0) return new RawTxBroadcaster({ chainId, endpoints: sendUrls, receipts: provider });
  const sender = provider as unknown as Parameters<typeof providerBroadcaster>[0];
  if (typeof (sender as { send?: unknown }).send !== "function")
    throw new Error("rpc.send lists no endpoint and the read provider cannot send");
  return providerBroadcaster(sender, "read endpoint");
}

/** KEEPER_OPERATOR_ADDRESS: an operator's address (public), for DRY runs without the key. */
function operatorAddressSetting(setting: (name: string) => string | undefined): Address | undefined {
  const value = setting("KEEPER_OPERATOR_ADDRESS");
  if (value === undefined || value.trim() === "") return undefined;
  try {
    return getAddress(value.trim()) as Address;
  } catch {
    throw new Error(`KEEPER_OPERATOR_ADDRESS is not an address: expected 0x followed by 40 hex digits`);
  }
}

function requiredSetting(setting: (name: string) => string | undefined, name: string): string {
  const value = setting(name);
  if (value === undefined || value.trim() === "") throw new Error(`${name} is not set (npx hardhat vars set ${name}, or see .env.example)`);
  return value.trim();
}

/** The settings as the plain record the safeguard checks take. */
function envRecord(setting: (name: string) => string | undefined): Record<string, string | undefined> {
  return new Proxy({}, { get: (_target, name) => (typeof name === "string" ? setting(name) : undefined) }) as Record<
    string,
    string | undefined
  >;
}
