/**
 * The composition root: from a validated config, an address book and the chain connections, builds
 * every pipeline stage and hands them to KeeperEngine's constructor. Sandbox and real networks differ
 * only in what the caller passes in (provider, key, broadcaster, oracle collection mode); the pipeline
 * is the same object graph everywhere.
 */
import { getAddress, type Provider, type TransactionRequest } from "ethers";
import type { Address, AddressBook } from "../config/address-book";
import type { KeeperConfig } from "../config/schema";
import { blockTimeMsFor } from "../config/block-time";
import {
  breakerThresholdsFromConfig,
  executionTimingFromConfig,
  riskLimitsFromConfig,
  strategySettingsFromConfig,
  type ExecutionTiming,
} from "../config/runtime-settings";
import { Multicall3Client } from "../chain/multicall";
import { OracleUpdateCollector, type OracleCollectionMode } from "../collectors/oracle-update-collector";
import type { HeadStream } from "../collectors/head-stream";
import type { OracleLogStream } from "../collectors/oracle-log-stream";
import { ProtocolEventCollector } from "../collectors/protocol-event-collector";
import type { AlertDispatcher } from "../alerts/alert-dispatcher";
import { nonceBlockReporter } from "../submit/nonce-block-report";
import type { Journal } from "../journal/journal";
import { createPluginContext } from "../core/plugin-context";
import { createMarkets } from "../markets/factory";
import type { LendingMarket } from "../markets/market";
import type { ChainReader } from "../markets/market-dependencies";
import { UsdPriceBook } from "../markets/usd-prices";
import { DEFAULT_FEE_POLICY } from "../submit/fee-policy";
import { NonceManager } from "../submit/nonce-manager";
import { TransactionPreparer, latestBlockBaseFee } from "../submit/transaction-preparer";
import { marketOfPositionId } from "../execution/race-ledger";
import type { KeeperMetrics } from "../telemetry/metrics";
import { componentLogger, type Logger } from "../telemetry/logger";
import type { SignedTxBroadcaster } from "../execution/broadcast";
import { ExecutionStage, type ExecutionHooks, type ExecutionPrices } from "../execution/execution-stage";
import { RaceLedger } from "../execution/race-ledger";
import { PlanSimulator, type SimulationProvider } from "../execution/plan-simulator";
import { ExternalConditionsReader } from "./external-conditions";
import { FlashLiquidity } from "./flash-liquidity";
import { JournalCheckpointStore } from "./journal-checkpoint-store";
import { KeeperEngine, type EngineChain } from "./keeper-engine";
import type { Leadership } from "./leadership";
import { OpportunityPlanner } from "./opportunity-planner";
import { PreparedPlans } from "./prepared-plans";
import { OwnSalesLedger } from "./own-sales";
import { RiskBookkeeper } from "./risk-bookkeeper";
import { createSwapQuoter } from "./swap-quoter";
import { QuoteCurves } from "./quote-curves";

/** The signing capability: an ethers Wallet. */
export interface KeeperSigner {
  getAddress(): Promise<string>;
  signTransaction(tx: TransactionRequest): Promise<string>;
}

export interface AssembleKeeperOptions {
  readonly config: KeeperConfig;
  readonly book: AddressBook;
  readonly chainId: number;
  readonly executor: Address;
  /** Reads (and simulations) go here: Hardhat's provider in-process, the failover pool elsewhere. */
  readonly provider: Provider;
  /** Null: no key (DRY only). */
  readonly signer: KeeperSigner | null;
  readonly broadcaster: SignedTxBroadcaster | null;
  readonly journal: Journal;
  /** The key lock lives here (the journal's directory); null when the journal's lease stands in for it. */
  readonly lockDirectory: string | null;
  /** This instance's hold on the journal's leader lease (only the leader sends). */
  readonly leadership?: Leadership;
  readonly logger: Logger;
  readonly metrics: KeeperMetrics;
  readonly alerts: AlertDispatcher | null;
  /** "poll" where feeds emit no AnswerUpdated (the sandbox's MockV3Aggregator), else "logs". */
  readonly oracleMode: OracleCollectionMode;
  /** Heads and oracle logs by subscription (network runs); absent: the chain is polled. */
  readonly streams?: { readonly heads: HeadStream | null; readonly oracleLogs: OracleLogStream | null };
  readonly liveViolations: () => readonly string[];
  readonly headLag?: () => readonly { readonly endpoint: string; readonly lagBlocks: number }[];
  readonly hooks?: ExecutionHooks;
  /** DRY without a key: the operator address simulations pretend to send from. */
  readonly simulateAs?: Address;
  readonly clock?: () => number;
}

export interface AssembledKeeper {
  readonly engine: KeeperEngine;
  /** The risk gate and circuit breaker, with their journal bookkeeping. */
  readonly risk: RiskBookkeeper;
  readonly markets: readonly LendingMarket[];
  readonly execution: ExecutionStage;
  readonly usdPrices: UsdPriceBook;
  /** Every time setting in blocks, at the block time of the chain this keeper reads. */
  readonly timing: ExecutionTiming;
  readonly planner: OpportunityPlanner;
  /** Plans prepared ahead of the price (prepared-plans.ts). */
  readonly prepared: PreparedPlans;
  /** Releases the key lock (the journal is the caller's). */
  close(): void;
}

export async function assembleKeeper(options: AssembleKeeperOptions): Promise<AssembledKeeper> {
  const { config, provider, journal, logger, metrics } = options;
  const book = options.book;
  const clock = options.clock ?? Date.now;
  const reader = provider as unknown as ChainReader;
  const usdPrices = new UsdPriceBook();
  // The keeper's own reads (quotes, lender balances, feeds, breaker conditions): small batches.
  const multicall = new Multicall3Client(reader, book.multicall3);
  // Each plug-in's markets read with the batch size of its own config section.
  const markets = await createMarkets(book, config.markets, {
    provider: reader,
    checkpoints: new JournalCheckpointStore(journal),
    usdPrices,
    logger: componentLogger(logger, "markets"),
  });

  const plugins = createPluginContext(book, multicall);
  const quoter = await createSwapQuoter(plugins);
  const prices = priceLookup(book, usdPrices);
  const strategySettings = strategySettingsFromConfig(config);
  // The planner quotes from routes sampled after each block (one round trip fewer on the reaction path); the own-sales
  // ledger keeps quoting live.
  const curves = new QuoteCurves(quoter);
  const flash = await FlashLiquidity.create(plugins);
  const planner = new OpportunityPlanner({ quoter: curves, curves, flash, prices, settings: () => strategySettings });

  const head = await provider.getBlock("latest");
  if (head === null) throw new Error("the read endpoint returned no latest block");
  // Times become blocks at the block time of the chain actually read (a fork before Denim still runs 2 s blocks).
  const timing = executionTimingFromConfig(config, blockTimeMsFor(options.chainId, head.timestamp, config.blockTimeMs));
  const now = { timeMs: clock(), block: head.number };
  const risk = new RiskBookkeeper({
    journal,
    metrics,
    logger: componentLogger(logger, "risk"),
    alerts: options.alerts,
    limits: riskLimitsFromConfig(config),
    thresholds: breakerThresholdsFromConfig(config, timing.blockTimeMs),
    now,
  });

  let engineRef: KeeperEngine | null = null;
  const fallbackBaseFee = latestBlockBaseFee(provider as unknown as Parameters<typeof latestBlockBaseFee>[0]);
  let nonces: NonceManager | null = null;
  let preparer: TransactionPreparer | null = null;
  let operator: Address | null = null;
  if (options.signer !== null) {
    operator = getAddress(await options.signer.getAddress()) as Address;
    // One writer per key: a second keeper on this key stops here with the holder's pid.
    nonces = await NonceManager.open({
      address: operator,
      chainId: options.chainId,
      source: provider,
      claims: journal,
      lockDirectory: options.lockDirectory,
    });
    const { limits } = riskLimitsFromConfig(config);
    preparer = await TransactionPreparer.create({
      signer: options.signer,
      chainId: options.chainId,
      nonces,
      fees: {
        ...DEFAULT_FEE_POLICY,
        maxFeePerGasCap: limits.maxFeePerGasWei,
        maxPriorityFeePerGasCap: limits.maxPriorityFeePerGasWei,
        cancelMaxFeePerGasCeiling: limits.maxFeePerGasWei * 2n,
      },
      onNonceBlock: nonceBlockReporter({ registry: metrics.registry, logger, alerts: options.alerts }),
      nonceBlockRecords: journal,
      // The engine already read the head block: pricing a transaction costs no extra round trip.
      baseFee: { currentBaseFee: async () => engineRef?.baseFeePerGas ?? (await fallbackBaseFee.currentBaseFee()) },
    });
  }

  const simulator = new PlanSimulator({
    provider: provider as unknown as SimulationProvider,
    executor: options.executor,
    // Plans must come from an operator. Without a key (DRY), simulations run as the configured operator
    // address (KEEPER_OPERATOR_ADDRESS); with neither, they fail CallerNotOperator, which the journal shows.
    operator: operator ?? options.simulateAs ?? ("0x0000000000000000000000000000000000000000" as Address),
    minProfitHaircutBps: config.strategy.minProfitHaircutBps,
    deadlineBlocks: timing.planDeadlineBlocks,
    onMethodFallback: (reason) =>
      logger.warn({ reason }, "the read endpoint refused an eth_call state override; simulating with the revert probe from now on"),
    protocolErrors: markets.flatMap((market) => market.revertErrors ?? []),
  });

  const races = new RaceLedger();
  const heads = options.streams?.heads ?? null;
  const execution = new ExecutionStage({
    journal,
    simulator,
    preparer,
    broadcaster: preparer === null ? null : options.broadcaster,
    chain: provider as unknown as EngineChain,
    executor: options.executor,
    metrics,
    logger: componentLogger(logger, "execution"),
    prices,
    onOutcome: (outcome) => risk.record(outcome),
    clock,
    inclusionBlockBudget: timing.inclusionBlockBudget,
    hooks: options.hooks,
    races,
    blockTimestampMs: (block) => heads?.headAt(block)?.timestampMs,
    positionState: (positionId) => positionStateIn(markets, positionId),
  });

  // Prepared plans are sent without a simulation, their floor from their quote: they are planned on live quotes.
  const preparing = new OpportunityPlanner({ quoter, flash, prices, settings: () => strategySettings });
  const prepared = new PreparedPlans(preparing, { withinHealthFactor: config.strategy.preparePlansWithinHf });
  const engine = new KeeperEngine({
    network: config.network,
    chain: provider as unknown as EngineChain,
    markets,
    oracleCollector: new OracleUpdateCollector(reader, [], { mode: options.oracleMode, multicall, stream: options.streams?.oracleLogs }),
    heads,
    races,
    protocolCollector: new ProtocolEventCollector(reader, []),
    planner,
    ownSales: new OwnSalesLedger(quoter),
    prepared,
    risk,
    execution,
    journal,
    metrics,
    logger: componentLogger(logger, "engine"),
    conditions: new ExternalConditionsReader(multicall, options.executor, book.chainlink.sequencerUptime),
    alerts: options.alerts,
    initialMode: config.mode,
    liveViolations: () => (operator === null ? ["no signing key is configured (KEEPER_PRIVATE_KEY)"] : options.liveViolations()),
    operatorBalanceFloorWei: BigInt(Math.round(config.operatorBalanceFloorEth * 1e6)) * 10n ** 12n,
    headLag: options.headLag,
    staleHeadSeconds: config.breaker.staleHead.maxSeconds,
    retryBackoffBlocks: timing.retryBackoffBlocks,
    clock,
    leadership: options.leadership,
  });
  engineRef = engine;
  return {
    engine,
    risk,
    markets,
    execution,
    usdPrices,
    timing,
    planner,
    prepared,
    close: () => nonces?.close(),
  };
}

/** USD prices come from the markets' oracles (shared price book); decimals from the address book. */
function priceLookup(book: AddressBook, usdPrices: UsdPriceBook): ExecutionPrices {
  const decimals = new Map(Object.values(book.tokens).map((token) => [token.address.toLowerCase(), token.decimals]));
  return {
    usdPerToken: (token) => usdPrices.get(token),
    decimalsOf: (token) => {
      const known = decimals.get(token.toLowerCase());
      if (known === undefined) throw new Error(`token ${token} is not in the "${book.network}" address book; add it with its decimals`);
      return known;
    },
    nativeUsd: () => usdPrices.get(book.weth),
  };
}

/** A position as its market holds it now: no longer tracked (closed) or at HF >= 1 is not liquidatable. */
function positionStateIn(markets: readonly LendingMarket[], positionId: string): "liquidatable" | "not-liquidatable" | "unknown" {
  const market = markets.find((candidate) => candidate.id === marketOfPositionId(positionId));
  if (market === undefined) return "unknown";
  const position = market.position(positionId.slice(positionId.lastIndexOf(":") + 1) as Address);
  return position !== undefined && position.healthFactor < 10n ** 18n ? "liquidatable" : "not-liquidatable";
}
