/**
 * The keeper's operations picture: what the dashboard page (GET /) draws and `/status` carries under
 * `operations`, plus the Prometheus series that need the same bookkeeping (head freshness, decision
 * latency, blocks to inclusion, races, daily loss, endpoint demotion).
 *
 * Sources, so every number can be checked against something durable:
 *  - the journal for the funnel, executions, inclusion and P&L: read incrementally after each block
 *    (new opportunity rows by id, new executions by creation time, and a re-read of each execution
 *    still in flight), and once at start for the current UTC day, so a restart keeps the day;
 *  - the engine's tick reports for head and decision latency (measured in process, not journaled);
 *  - the markets' in-memory positions, the alert dispatcher's history, the metrics' operator balance.
 * Prometheus counters and histograms are fed only by what happens while this process runs (replaying
 * the day into them at start would show as a burst in rate()).
 */
import type { ExecutionRecord, OpportunityRecord } from "../journal/records";
import { isTerminalExecutionState } from "../journal/execution-lifecycle";
import type { AlertHistoryEntry } from "../alerts/alert-dispatcher";
import { LOST_RACE_PREFIX } from "../execution/race-ledger";
import type { KeeperMetrics } from "./metrics";
import { liquidationPathOfRule, type LiquidationPath } from "../oracles/liquidation-path";
import { ActivityTimeline, utcDayStart, type FunnelSeries } from "./activity-timeline";
import { DayLedger, type DayLedgerSnapshot } from "./day-ledger";
import { IntegerCounts, SampleWindow, type HistogramBin, type Summary } from "./distribution";
import { summarisePositions, type PositionSource, type PositionSummary } from "./position-summary";

/** Plan ids whose liquidation path is remembered until their execution settles (a day of busy planning). */
const MAX_PLAN_PATHS_KEPT = 50_000;

/** The journal reads the feed makes (the keeper's Journal satisfies it). */
export interface OperationsJournal {
  listOpportunities(range: { readonly fromMs?: number; readonly toMs?: number }): OpportunityRecord[];
  listExecutions(range: { readonly fromMs?: number; readonly toMs?: number }): ExecutionRecord[];
  getExecution(planId: string): ExecutionRecord | undefined;
}

export interface OperationsFeedOptions {
  readonly journal: OperationsJournal;
  readonly markets: readonly PositionSource[];
  readonly metrics: KeeperMetrics;
  readonly alerts: { recent(limit?: number): readonly AlertHistoryEntry[]; openIncidents(): string[] } | null;
  /** The operator key's address, when the keeper has one. */
  readonly operator: () => string | null;
  readonly operatorBalanceFloorEth: number;
  /** Today's realised loss and the limit in force, from the risk gate. */
  readonly dailyLoss: () => { readonly lossUsd: number; readonly limitUsd: number };
  /** Read endpoints of the failover pool, when there is one. */
  readonly endpointHealth?: () => readonly { readonly label: string; readonly demoted: boolean; readonly demotionReason: string | null }[];
  readonly clock?: () => number;
  /** Positions listed closest to liquidation. Default 10. */
  readonly nearestPositions?: number;
  /** Executions listed, newest first. Default 15. */
  readonly recentExecutions?: number;
  /** Alerts listed, newest first. Default 15. */
  readonly recentAlerts?: number;
}

/** What one processed block tells the feed. */
export interface HeadObservation {
  readonly block: number;
  /** Epoch ms the keeper processed it. */
  readonly seenAtMs: number;
  /** The block's own timestamp, epoch ms, when known. */
  readonly blockTimestampMs: number | null;
  /** Decision latency of every plan signed (or DRY-simulated) for this block, ms. */
  readonly decisionMs: readonly number[];
  /** Plans sent while this head was the newest: blocks to inclusion count from here (N). */
  readonly sentPlanIds?: readonly string[];
}

/**
 * won: included. lost: someone else's liquidation of the position landed first (the stage's race classification,
 * keeper/execution/race-ledger.ts). failed: sent, and reverted, replaced or dropped for any other reason.
 */
export type ExecutionOutcomeLabel = "won" | "lost" | "failed" | "pending" | "dry-run" | "not-sent" | "preparing";

export interface ExecutionRow {
  readonly planId: string;
  readonly at: number;
  readonly mode: string;
  readonly market: string;
  readonly borrower: string;
  readonly state: string;
  readonly outcome: ExecutionOutcomeLabel;
  readonly txHash: string | null;
  readonly detectedBlock: number;
  readonly includedBlock: number | null;
  readonly blocksToInclusion: number | null;
  readonly expectedProfitUsd: number;
  readonly realisedProfitUsd: number | null;
  readonly gasCostUsd: number | null;
  readonly error: string | null;
}

export interface OperationsSnapshot {
  readonly generatedAt: string;
  readonly head: {
    readonly block: number | null;
    readonly timestampMs: number | null;
    readonly seenAtMs: number | null;
    /** How long after its own timestamp the head reached the keeper. */
    readonly lagMs: number | null;
    /** How long ago the keeper processed it. */
    readonly ageMs: number | null;
  };
  readonly operator: {
    readonly address: string | null;
    readonly balanceEth: number | null;
    readonly floorEth: number;
    readonly belowFloor: boolean;
  };
  readonly dailyLoss: { readonly lossUsd: number; readonly limitUsd: number };
  readonly funnel: FunnelSeries;
  readonly inclusionBlocks: Summary & { readonly histogram: readonly HistogramBin[] };
  readonly decisionLatencyMs: Summary & { readonly histogram: readonly HistogramBin[] };
  readonly pnl: DayLedgerSnapshot;
  readonly positions: PositionSummary;
  readonly executions: readonly ExecutionRow[];
  readonly alerts: { readonly open: readonly string[]; readonly recent: readonly Omit<AlertHistoryEntry, "deliveries">[] };
  readonly endpoints: readonly { readonly name: string; readonly demoted: boolean; readonly reason: string | null }[];
}

/** Decision latency bins (ms upper bounds) for the page's histogram. */
export const DECISION_MS_BOUNDS = [5, 10, 20, 50, 100, 200, 500, 1_000, 2_000];
const DECISION_SAMPLES = 1_000;
/** A snapshot this young is served again: polling dashboards cost one summary per interval. */
const SNAPSHOT_TTL_MS = 500;
/** Executions kept for the recent list (the journal has them all). */
const MAX_EXECUTIONS_KEPT = 500;

export class OperationsFeed {
  private readonly clock: () => number;
  private readonly timeline: ActivityTimeline;
  private readonly ledger: DayLedger;
  private readonly inclusion = new IntegerCounts();
  private readonly decisions = new SampleWindow(DECISION_SAMPLES);
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly inFlight = new Set<string>();
  /** The head each plan was sent at (N), for blocks to inclusion; the journal's detectedBlock otherwise. */
  private readonly reactedAt = new Map<string, number>();
  /** In-flight executions already counted as sent. */
  private readonly sentCounted = new Set<string>();
  /** Plan id → the path its opportunity was sized for (oev / open), from the journaled sizing rule. */
  private readonly pathOf = new Map<string, LiquidationPath>();
  private opportunityCursor = { fromMs: 0, lastId: 0 };
  private executionCursor = { fromMs: 0, seen: new Set<string>() };
  private day: number;
  private head: { block: number; seenAtMs: number; blockTimestampMs: number | null } | null = null;
  private cached: { atMs: number; snapshot: OperationsSnapshot } | null = null;

  constructor(private readonly options: OperationsFeedOptions) {
    this.clock = options.clock ?? Date.now;
    const now = this.clock();
    this.timeline = new ActivityTimeline(now);
    this.ledger = new DayLedger(now);
    this.day = utcDayStart(now);
    options.metrics.operatorBalanceFloorEth.set(options.operatorBalanceFloorEth);
  }

  /** Loads the current UTC day from the journal (no metrics: those count this process only). */
  start(): void {
    const dayStart = utcDayStart(this.clock());
    this.opportunityCursor = { fromMs: dayStart, lastId: 0 };
    this.executionCursor = { fromMs: dayStart, seen: new Set() };
    this.sync(false);
    this.updateGauges();
  }

  /** After each processed block: head, decision latency, then the journal's news. */
  observeHead(observation: HeadObservation): void {
    const { metrics } = this.options;
    this.head = { block: observation.block, seenAtMs: observation.seenAtMs, blockTimestampMs: observation.blockTimestampMs };
    metrics.recordHead(observation.block, observation.seenAtMs, observation.blockTimestampMs);
    for (const planId of observation.sentPlanIds ?? []) this.reactedAt.set(planId, observation.block);
    for (const ms of observation.decisionMs) {
      this.decisions.add(ms);
      metrics.decisionLatency.observe(ms / 1_000);
    }
    this.sync(true);
    this.updateGauges();
    this.cached = null;
  }

  snapshot(): OperationsSnapshot {
    const now = this.clock();
    if (this.cached !== null && now - this.cached.atMs < SNAPSHOT_TTL_MS) return this.cached.snapshot;
    const { options } = this;
    const operator = options.operator();
    const balanceEth = operator === null ? null : this.operatorBalance(operator);
    const head = this.head;
    const snapshot: OperationsSnapshot = {
      generatedAt: new Date(now).toISOString(),
      head: {
        block: head?.block ?? null,
        timestampMs: head?.blockTimestampMs ?? null,
        seenAtMs: head?.seenAtMs ?? null,
        lagMs: headLagMs(head),
        ageMs: head === null ? null : Math.max(0, now - head.seenAtMs),
      },
      operator: {
        address: operator,
        balanceEth,
        floorEth: options.operatorBalanceFloorEth,
        belowFloor: balanceEth !== null && balanceEth < options.operatorBalanceFloorEth,
      },
      dailyLoss: options.dailyLoss(),
      funnel: this.timeline.series(now),
      inclusionBlocks: {
        ...this.inclusion.summary(),
        histogram: this.inclusion.histogram([1, 2, 3, 4, 5], [[6, 10]], (low, high) =>
          high === null ? `N+${low}+` : low === high ? `N+${low}` : `N+${low}–${high}`,
        ),
      },
      decisionLatencyMs: {
        ...roundSummary(this.decisions.summary()),
        histogram: this.decisions.histogram(DECISION_MS_BOUNDS, (low, high) => (high === null ? `> ${low} ms` : `≤ ${high} ms`)),
      },
      pnl: this.ledger.snapshot(now),
      positions: summarisePositions(options.markets, options.nearestPositions ?? 10),
      executions: [...this.executions.values()]
        .sort((a, b) => b.createdAt - a.createdAt || b.planId.localeCompare(a.planId))
        .slice(0, options.recentExecutions ?? 15)
        .map((execution) => executionRow(execution, this.blocksToInclusion(execution))),
      alerts: {
        open: options.alerts?.openIncidents() ?? [],
        recent: (options.alerts?.recent(options.recentAlerts ?? 15) ?? []).map(({ deliveries: _deliveries, ...entry }) => entry),
      },
      endpoints: (options.endpointHealth?.() ?? []).map((e) => ({ name: e.label, demoted: e.demoted, reason: e.demotionReason })),
    };
    this.cached = { atMs: now, snapshot };
    return snapshot;
  }

  /** Reads what the journal gained since the last sync and accounts for it once. */
  private sync(live: boolean): void {
    const { journal } = this.options;
    const day = utcDayStart(this.clock());
    if (day > this.day) this.rollTo(day);
    for (const opportunity of journal.listOpportunities({ fromMs: this.opportunityCursor.fromMs })) {
      if (opportunity.id <= this.opportunityCursor.lastId) continue;
      this.timeline.record("opportunities", opportunity.createdAt);
      if (opportunity.decision === "planned") this.timeline.record("planned", opportunity.createdAt);
      if (opportunity.planId !== null && opportunity.sizingRule !== undefined) {
        this.pathOf.set(opportunity.planId, liquidationPathOfRule(opportunity.sizingRule));
        // Planned decisions that never became executions (risk refusals) are forgotten oldest first.
        if (this.pathOf.size > MAX_PLAN_PATHS_KEPT) this.pathOf.delete(this.pathOf.keys().next().value!);
      }
      this.opportunityCursor = { fromMs: opportunity.createdAt, lastId: opportunity.id };
    }
    const changed: ExecutionRecord[] = [];
    for (const planId of this.inFlight) {
      const current = journal.getExecution(planId);
      if (current !== undefined) changed.push(current);
    }
    // Oldest first: the cursor is (creation ms, plan ids already read at that ms).
    for (const execution of journal.listExecutions({ fromMs: this.executionCursor.fromMs })) {
      if (execution.createdAt === this.executionCursor.fromMs && this.executionCursor.seen.has(execution.planId)) continue;
      if (execution.createdAt > this.executionCursor.fromMs) this.executionCursor = { fromMs: execution.createdAt, seen: new Set() };
      this.executionCursor.seen.add(execution.planId);
      if (!this.inFlight.has(execution.planId)) changed.push(execution);
    }
    for (const execution of changed) this.account(execution, live);
    if (this.executions.size > MAX_EXECUTIONS_KEPT) {
      const oldest = [...this.executions.values()].filter((e) => !this.inFlight.has(e.planId)).sort((a, b) => a.createdAt - b.createdAt);
      for (const execution of oldest.slice(0, this.executions.size - MAX_EXECUTIONS_KEPT)) this.forget(execution.planId);
    }
  }

  /** Each execution is accounted once when first seen sent and once when it settles. */
  private account(execution: ExecutionRecord, live: boolean): void {
    const { metrics } = this.options;
    this.executions.set(execution.planId, execution);
    if (execution.sentAt !== null && !this.sentCounted.has(execution.planId)) {
      this.sentCounted.add(execution.planId);
      this.timeline.record("sent", execution.sentAt);
    }
    if (!isTerminalExecutionState(execution.state)) {
      this.inFlight.add(execution.planId);
      return;
    }
    this.inFlight.delete(execution.planId);
    this.sentCounted.delete(execution.planId);
    const settledAt = execution.settledAt ?? execution.updatedAt;
    const blocks = this.blocksToInclusion(execution);
    if (blocks !== null) {
      this.timeline.record("included", settledAt);
      if (settledAt >= this.day) this.inclusion.add(blocks);
      if (live) metrics.inclusionBlocks.observe(blocks);
    }
    // Races are classified, and races_total counted, by the execution stage (settlement.ts) as they settle; the
    // timeline shows the same classification.
    const outcome = outcomeOf(execution);
    if (outcome === "won" || outcome === "lost") this.timeline.record(outcome, settledAt);
    // liquidations_total counts every sent liquidation by path: lost there is any sent one not included (a race
    // lost to a rival or a revert), so the per-path totals add up to what was sent.
    if (live && execution.sentAt !== null) {
      const result = execution.state === "included" ? "won" : "lost";
      metrics.recordLiquidation(this.pathOf.get(execution.planId) ?? "open", result, execution.realisedProfitUsd);
    }
    this.ledger.add(execution);
  }

  /** A new UTC day: yesterday's executions leave the list (those still in flight stay). */
  private rollTo(day: number): void {
    this.day = day;
    this.inclusion.clear();
    for (const [planId, execution] of this.executions) {
      if (!this.inFlight.has(planId) && (execution.settledAt ?? execution.updatedAt) < day) this.forget(planId);
    }
  }

  private forget(planId: string): void {
    this.executions.delete(planId);
    this.reactedAt.delete(planId);
    this.pathOf.delete(planId);
  }

  /** Included block minus N, the head the plan was sent at (the block its price update arrived in). */
  private blocksToInclusion(execution: ExecutionRecord): number | null {
    if (execution.includedBlock === null) return null;
    return execution.includedBlock - (this.reactedAt.get(execution.planId) ?? execution.detectedBlock);
  }

  private updateGauges(): void {
    const { metrics, dailyLoss, endpointHealth } = this.options;
    const loss = dailyLoss();
    metrics.dailyLossUsd.set(loss.lossUsd);
    metrics.dailyLossLimitUsd.set(loss.limitUsd);
    for (const endpoint of endpointHealth?.() ?? []) metrics.endpointDemoted.labels(endpoint.label).set(endpoint.demoted ? 1 : 0);
  }

  /** The engine reads the operator's balance after each block and sets the gauge. */
  private operatorBalance(operator: string): number | null {
    return this.options.metrics.operatorBalanceEthOf(operator) ?? null;
  }
}

export function outcomeOf(execution: ExecutionRecord): ExecutionOutcomeLabel {
  if (!isTerminalExecutionState(execution.state)) return execution.sentAt === null ? "preparing" : "pending";
  if (execution.state === "included") return "won";
  if (execution.sentAt !== null) return execution.error?.startsWith(LOST_RACE_PREFIX) ? "lost" : "failed";
  return execution.mode === "DRY" && execution.state === "dropped" ? "dry-run" : "not-sent";
}

/**
 * How late after its own timestamp the head arrived. Null when unknown, or when the block claims a
 * time more than a second ahead of this machine's clock (skew, or a sandbox that moved its time):
 * a lag of 0 there would be a lie. Base's timestamps are whole seconds, so up to 1 s ahead is normal.
 */
function headLagMs(head: { seenAtMs: number; blockTimestampMs: number | null } | null): number | null {
  if (head === null || head.blockTimestampMs === null) return null;
  const lag = head.seenAtMs - head.blockTimestampMs;
  return lag < -1_000 ? null : Math.max(0, lag);
}

function executionRow(execution: ExecutionRecord, blocksToInclusion: number | null): ExecutionRow {
  return {
    planId: execution.planId,
    at: execution.settledAt ?? execution.sentAt ?? execution.createdAt,
    mode: execution.mode,
    market: execution.market,
    borrower: execution.borrower,
    state: execution.state,
    outcome: outcomeOf(execution),
    txHash: execution.txHash,
    detectedBlock: execution.detectedBlock,
    includedBlock: execution.includedBlock,
    blocksToInclusion,
    expectedProfitUsd: round2(execution.expectedProfitUsd),
    realisedProfitUsd: execution.realisedProfitUsd === null ? null : round2(execution.realisedProfitUsd),
    gasCostUsd: execution.gasCostUsd === null ? null : round2(execution.gasCostUsd),
    error: execution.error,
  };
}

function roundSummary(summary: Summary): Summary {
  const r = (v: number | null) => (v === null ? null : Math.round(v * 100) / 100);
  return { count: summary.count, p50: r(summary.p50), p90: r(summary.p90), p99: r(summary.p99), max: r(summary.max) };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
