/**
 * What the keeper engine is built from and what it reports: its constructor's dependencies (every
 * pipeline stage, wired in engine/assemble-keeper.ts) and the report of one tick.
 */
import type { KeeperMode, PlanDecision } from "../core/types";
import type { HeadStream } from "../collectors/head-stream";
import type { OracleUpdateCollector } from "../collectors/oracle-update-collector";
import type { ProtocolEventCollector } from "../collectors/protocol-event-collector";
import type { AlertDispatcher } from "../alerts/alert-dispatcher";
import type { Journal } from "../journal/journal";
import type { LendingMarket } from "../markets/market";
import type { KeeperMetrics } from "../telemetry/metrics";
import type { Logger } from "../telemetry/logger";
import type { ExecutionReport, ExecutionStage, SettlementReport } from "../execution/execution-stage";
import type { ReconciliationChain } from "../execution/intent-reconciler";
import type { RaceLedger } from "../execution/race-ledger";
import type { AppliedControl } from "./control-requests";
import type { ExternalConditionsReader } from "./external-conditions";
import type { Leadership } from "./leadership";
import type { OpportunityPlanner } from "./opportunity-planner";
import type { OwnSalesLedger } from "./own-sales";
import type { PreparedPlans } from "./prepared-plans";
import type { RetryBackoffBlocks } from "./retry-scheduler";
import type { RiskBookkeeper } from "./risk-bookkeeper";

/** Chain reads the engine makes itself; an ethers Provider satisfies them. */
export interface EngineChain extends ReconciliationChain {
  getBlockNumber(): Promise<number>;
  getBlock(blockTag: number): Promise<{ number: number; timestamp: number; baseFeePerGas: bigint | null; hash: string | null } | null>;
  getBalance(address: string): Promise<bigint>;
  /** At a block number too: a chunk reads the key's landed count at the block it simulates on (reaction-pipeline.ts). */
  getTransactionCount(address: string, blockTag: "latest" | number): Promise<number>;
}

export interface KeeperEngineDeps {
  readonly network: string;
  readonly chain: EngineChain;
  readonly markets: readonly LendingMarket[];
  readonly oracleCollector: OracleUpdateCollector;
  /** Heads pushed by subscription (with polling as its fallback); absent: the chain is polled for its head. */
  readonly heads?: HeadStream | null;
  /** Other liquidators' liquidations, fed from the protocol events (the execution stage judges lost races by it). */
  readonly races?: RaceLedger | null;
  readonly protocolCollector: ProtocolEventCollector;
  readonly planner: OpportunityPlanner;
  /** What this keeper already sold into each route this block, so later plans' floors account for it. */
  readonly ownSales: OwnSalesLedger;
  /** Plans prepared ahead of the price for positions near liquidation; absent or null: every plan is made fresh. */
  readonly prepared?: PreparedPlans | null;
  readonly risk: RiskBookkeeper;
  readonly execution: ExecutionStage;
  readonly journal: Journal;
  readonly metrics: KeeperMetrics;
  readonly logger: Logger;
  readonly conditions: ExternalConditionsReader | null;
  readonly alerts: AlertDispatcher | null;
  readonly initialMode: KeeperMode;
  /** Why LIVE is not allowed right now (safeguards, no key); empty = allowed. */
  readonly liveViolations: () => readonly string[];
  readonly operatorBalanceFloorWei: bigint;
  /** Per-endpoint head lag, when reads go through a failover pool. */
  readonly headLag?: () => readonly { readonly endpoint: string; readonly lagBlocks: number }[];
  /** A head older than this is not "fresh" for /readyz. */
  readonly staleHeadSeconds: number;
  /** Retry back-off in blocks (execution.retryBackoff at the chain's block time). Default 1 doubling to 32. */
  readonly retryBackoffBlocks?: RetryBackoffBlocks;
  readonly clock?: () => number;
  /** Monotonic clock for decision latency (must match the execution stage's). Default performance.now. */
  readonly latencyClock?: () => number;
  /**
   * This instance's hold on the journal's leader lease: only the leader reacts, sends, settles and
   * applies control requests; a standby keeps its markets warm and takes over when it gets the lease.
   * Absent: always the leader (an engine that shares its journal with no one).
   */
  readonly leadership?: Leadership;
}

export interface DecisionRecord {
  readonly decision: PlanDecision;
  readonly block: number;
  readonly execution?: ExecutionReport;
}

export interface TickReport {
  readonly head: number;
  readonly range: { readonly fromBlock: number; readonly toBlock: number };
  readonly priceUpdates: number;
  readonly protocolEvents: number;
  readonly decisions: readonly DecisionRecord[];
  readonly settlement: SettlementReport;
  readonly controls: readonly AppliedControl[];
  readonly tracked: number;
  readonly liquidatable: number;
}

export type TickListener = (report: TickReport) => void;
