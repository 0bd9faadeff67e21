/**
 * `npx hardhat keeper --network <name>` on a real chain (or a local node running the sandbox): load
 * and validate the config (DRY unless told otherwise), check the LIVE safeguards, connect the read
 * failover pool, the subscription endpoint and the send endpoints, take the key lock, reconcile open
 * intents, then loop until Ctrl-C (SIGINT/SIGTERM), `--once` or `--blocks N`: each new head (pushed by
 * eth_subscribe, polled as the fallback) is one iteration (run-loop.ts). Every endpoint outage is told
 * once, with its cause, and its recovery (keeper/rpc/outage-monitor.ts). Shutdown is clean: the engine
 * journals it, the telemetry server closes, the key lock is released, the journal is closed.
 */
import fs from "node:fs";
import path from "node:path";
import { Wallet, getAddress, type Provider } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { readSandboxAddressBook, sandboxAddressBookPath } from "../../sandbox/address-book-file";
import { ChimeraExecutor__factory } from "../../typechain-types";
import type { Address, AddressBook } from "../config/address-book";
import {
  knownSecretValues,
  readPrivateKeySetting,
  type ParsedPrivateKey,
  RELAY_AUTH_KEY_VARIABLE,
  SIGNING_KEY_VARIABLE,
} from "../config/key-settings";
import { checkLiveSafeguards } from "../config/live-safeguards";
import { blocksIn, nominalBlockTimeMs } from "../config/block-time";
import { BASE_ADDRESS_BOOK, MAINNET_ADDRESS_BOOK } from "../config/networks";
import { telemetryExposureWarning } from "../config/cross-field-checks";
import { isRealNetwork, type KeeperConfig } from "../config/schema";
import { HeadStream, type RawRpc } from "../collectors/head-stream";
import { OracleLogStream } from "../collectors/oracle-log-stream";
import { RpcOutageMonitor } from "../rpc/outage-monitor";
import { ReadProviderPool } from "../rpc/read-provider-pool";
import { WsSubscriptionClient } from "../rpc/ws-subscription-client";
import { RawTxBroadcaster } from "../submit/raw-tx-broadcaster";
import { BundleSubmitter } from "../submit/bundle-submitter";
import type { Logger } from "../telemetry/logger";
import { providerBroadcaster, type SignedTxBroadcaster } from "../execution/broadcast";
import { bundleBroadcaster } from "../execution/bundle-broadcaster";
import type { ExecutionHooks } from "../execution/execution-stage";
import { checkChainHoldsBook } from "./chain-identity";
import { adoptedPlanIds, openKeeperSession } from "./keeper-session";
import { morphoMarketIdOf } from "../markets/morpho-blue/morpho-blue-market";
import { keeperConsole } from "./keeper-console";
import type { ProgressOutput } from "./progress-line";
import { runKeeperLoop } from "./run-loop";
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
  /** After this long without a new block, say so (default 30 s). */
  readonly idleNoticeMs?: number;
  /** The console: human lines on a terminal, JSON lines otherwise (keeper-console.ts). */
  readonly output: ProgressOutput;
  /** Overrides the console's logger (tests). */
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
  const { hre, config, setting } = options;
  const network = hre.network.name;
  const book = addressBookFor(network, hre.config.paths.root, options.addressBookFile);

  // Keys are parsed before anything connects or logs: a malformed one stops here, named, never echoed.
  const signingKey = readPrivateKeySetting(setting, SIGNING_KEY_VARIABLE);
  const relayKey = config.relay === undefined ? undefined : readPrivateKeySetting(setting, RELAY_AUTH_KEY_VARIABLE);
  const readUrls = config.rpc.read.map((endpoint) => ({ label: endpoint.name, url: requiredSetting(setting, endpoint.urlEnv) }));
  const sendUrls = config.rpc.send.map((endpoint) => ({ label: endpoint.name, url: requiredSetting(setting, endpoint.urlEnv) }));
  const subscribeUrls = config.rpc.subscribe.map((endpoint) => ({ label: endpoint.name, url: requiredSetting(setting, endpoint.urlEnv) }));
  const secrets = [
    ...readUrls.map((e) => e.url),
    ...sendUrls.map((e) => e.url),
    ...subscribeUrls.map((e) => e.url),
    ...knownSecretValues(setting, configuredVariables(config)),
  ];
  // Public 32-byte values the logs may name in free text: market ids, and (once the journal is open) the
  // hashes of the transactions a previous run left for this one to reconcile.
  const publicValues = new Set(publicIdsOf(book));
  const out = keeperConsole(options.output, { knownSecrets: secrets, publicValues: () => [...publicValues], base: { network } });
  const logger = options.logger ?? out.logger;
  const print = (line: string) => out.print(line);

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
    const endpoint =
      readUrls.length > 0 ? `the read endpoint(s) in ${config.rpc.read.map((e) => e.urlEnv).join(", ")}` : `the ${network} node`;
    await checkChainHoldsBook(provider, book, endpoint, !isRealNetwork(network));
    const signer = signingKey === undefined ? null : new Wallet(signingKey.privateKey);
    if (config.mode === "LIVE" && signer === null) throw new Error(missingSigningKeyMessage(network));
    const executor = executorAddress(config, hre.config.paths.root, chainId, network);
    const broadcaster = await broadcasterFor({ config, setting, sendUrls, provider, chainId, signer, relayKey });
    const journalPath = options.journalPath ?? path.resolve(hre.config.paths.root, config.journal.path);
    const usesRelay = config.relay !== undefined;

    // keeper:mode live is refused while the key cannot liquidate (set once the role watch exists).
    let roleProblems: () => readonly string[] = () => [];
    // DRY without a key still simulates as the executor's operator, named by its (public) address.
    const simulateAs = signer === null ? operatorAddressSetting(setting) : undefined;
    if (signer === null && simulateAs === undefined) {
      logger.warn(
        {},
        `no ${SIGNING_KEY_VARIABLE} and no KEEPER_OPERATOR_ADDRESS: DRY simulations cannot run as an operator and will fail CallerNotOperator`,
      );
    }
    // Heads and oracle logs: pushed by eth_subscribe where a WebSocket endpoint is configured, polled otherwise.
    // The sandbox's feeds (a local node's too) are polled by default; real feeds are followed through their logs.
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
    const headStream = heads;
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
      liveViolations: () => [...(isRealNetwork(network) ? checkLiveSafeguards(envRecord(setting), { usesRelay }) : []), ...roleProblems()],
      port: config.metrics.port,
      onPortBusy: "fail",
      headLag: pool === null ? undefined : () => pool!.health().map((h) => ({ endpoint: h.label, lagBlocks: h.headLagBlocks ?? 0 })),
      endpointHealth: pool === null ? undefined : () => pool!.health(),
      hooks: options.hooks,
      simulateAs,
      roleCheck: {
        executorInterface: ChimeraExecutor__factory.createInterface(),
        signer: signer?.address ?? simulateAs ?? null,
        refuseLive: true,
        print: (line) => print(config.mode === "DRY" ? `${line} (DRY: nothing is sent; LIVE would refuse to start)` : line),
      },
    });
    roleProblems = () => session.roleWatch?.problems ?? [];
    for (const intent of session.journal.openIntents()) for (const attempt of intent.attempts) publicValues.add(attempt.txHash);
    const startedAtMs = Date.now();
    const recorder = new RunRecorder().attach(session.engine);
    let stopReason = "";
    let blocks = 0;
    let reportPath = "";
    try {
      print(`Keeper ${config.mode} on ${network} (executor ${executor}); telemetry on ${session.server.url}.`);
      const exposure = telemetryExposureWarning(config);
      if (exposure !== null) print(exposure);
      await session.engine.start();
      const reconciled = session.engine.reconciled;
      if (reconciled !== null && reconciled.examined > 0)
        print(`Reconciled ${reconciled.examined} open intent(s) from the previous run before sending anything; they count as adopted.`);
      print(watchingLine(network, session.engine.head, options));
      ({ blocks, stopReason } = await runKeeperLoop({
        session,
        console: out,
        recorder,
        once: options.once,
        maxBlocks: options.maxBlocks,
        stopSignal: options.stopSignal,
        waitForHead: (afterBlock) => headStream.waitForHeadAfter(afterBlock, options.idleIterationMs ?? 1_000),
        idleNoticeMs: options.idleNoticeMs,
        idleAdvice: idleAdvice(network),
        startedAtMs,
      }));
      out.finish();
      const report = buildRunReport({
        journal: session.journal,
        recorder,
        startedAtMs,
        finishedAtMs: Date.now(),
        network,
        mode: session.engine.currentMode,
        executor,
        operator: signer === null ? null : getAddress(signer.address),
        adoptedPlanIds: adoptedPlanIds(session.engine),
        today: session.assembled.risk.riskGate.totalsAt({ timeMs: Date.now(), block: Math.max(0, session.engine.head) }),
      });
      reportPath = writeRunReport(report, path.join(hre.config.paths.root, "reports"), secrets);
      const tracked = session.assembled.markets.reduce((n, m) => n + m.stats().tracked, 0);
      out.summary(formatRunSummary(report, { tracked, reportPath, journalPath }), { ...report.summary, reportPath, journalPath });
    } finally {
      out.finish();
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
  relayKey: ParsedPrivateKey | undefined;
}): Promise<SignedTxBroadcaster | null> {
  const { config, setting, sendUrls, provider, chainId, signer, relayKey } = args;
  if (signer === null) return null;
  if (config.relay !== undefined) {
    if (relayKey === undefined)
      throw new Error(`${RELAY_AUTH_KEY_VARIABLE} is not set (npx hardhat vars set ${RELAY_AUTH_KEY_VARIABLE}, or see .env.example)`);
    const submitter = await BundleSubmitter.create({
      relayUrl: requiredSetting(setting, config.relay.urlEnv),
      authSigner: new Wallet(relayKey.privateKey),
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

/** Public 32-byte ids the logs name (Morpho market ids), which redaction would otherwise take for keys. */
function publicIdsOf(book: AddressBook): string[] {
  return (book.morphoBlue?.markets ?? []).map((market) => morphoMarketIdOf(market));
}

/** Where the keeper starts watching, and what --blocks means on this chain. */
function watchingLine(network: string, head: number, options: NetworkRunOptions): string {
  const stop = options.once
    ? "one iteration (--once)"
    : options.maxBlocks === undefined
      ? "Ctrl-C"
      : `${options.maxBlocks} new block(s) (--blocks)`;
  const automine = network === "localhost" ? "; a local node with automine makes a block only when a transaction arrives" : "";
  return `Watching from block ${head} until ${stop}${automine}.`;
}

function idleAdvice(network: string): string {
  if (network === "localhost") {
    return (
      "A local node with automine mines only when a transaction arrives: move a sandbox price " +
      "(`npx hardhat sandbox:price --network localhost --symbol WETH --change -10`, one block) or send any transaction."
    );
  }
  return "Check the read endpoints (`npx hardhat status`; /readyz shows the head's age).";
}

/** Every variable this config names (endpoint URLs, relay, alert targets): their values are secrets too. */
function configuredVariables(config: KeeperConfig): string[] {
  return [
    ...config.rpc.read.map((endpoint) => endpoint.urlEnv),
    ...config.rpc.send.map((endpoint) => endpoint.urlEnv),
    ...(config.relay === undefined ? [] : [config.relay.urlEnv]),
    ...config.alerts.targets.flatMap((target) => [target.urlEnv, ...(target.chatIdEnv === undefined ? [] : [target.chatIdEnv])]),
  ];
}

/** LIVE without a key. On a local node the operator is one of the node's public test accounts. */
function missingSigningKeyMessage(network: string): string {
  const base = `mode LIVE needs ${SIGNING_KEY_VARIABLE} (the operator key); it is not set`;
  if (network !== "localhost") return `${base}. Run with --dry-run to simulate without a key.`;
  return (
    `${base}. On a local node the operator in ignition/parameters/localhost.json is account #2 (0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC): ` +
    `export its key, which \`npx hardhat node\` prints at start-up (a public test key), as ${SIGNING_KEY_VARIABLE}, or run with --dry-run.`
  );
}

/** The settings as the plain record the safeguard checks take. */
function envRecord(setting: (name: string) => string | undefined): Record<string, string | undefined> {
  return new Proxy({}, { get: (_target, name) => (typeof name === "string" ? setting(name) : undefined) }) as Record<
    string,
    string | undefined
  >;
}
