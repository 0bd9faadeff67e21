/**
 * Wires an OperationsFeed to a running keeper: the engine's tick reports feed it heads and decision
 * latencies, the risk gate its daily loss, and `/status` gains its snapshot under `operations`
 * (every field the keeper already served stays as it was).
 */
import type { AlertDispatcher } from "../alerts/alert-dispatcher";
import type { TickReport } from "../engine/keeper-engine";
import type { LendingMarket } from "../markets/market";
import type { KeeperMetrics } from "./metrics";
import { OperationsFeed, type OperationsFeedOptions, type OperationsJournal } from "./operations-feed";

/** The parts of a running keeper the feed reads (KeeperEngine, RiskGate and ExecutionStage satisfy them). */
export interface FeedSources {
  readonly engine: {
    onTick(listener: (report: TickReport) => void): void;
    readonly headTimestampMs: number | null;
    status(): Record<string, unknown>;
  };
  readonly riskGate: {
    totalsAt(now: { timeMs: number; block: number }): { readonly lossUsd: number };
    readonly limits: { readonly maxDailyLossUsd: number };
  };
  readonly execution: { readonly operator: string | null };
  readonly markets: readonly LendingMarket[];
  readonly journal: OperationsJournal;
  readonly metrics: KeeperMetrics;
  readonly alerts: AlertDispatcher | null;
  readonly operatorBalanceFloorEth: number;
  readonly endpointHealth?: OperationsFeedOptions["endpointHealth"];
  readonly clock?: () => number;
}

export interface AttachedFeed {
  readonly feed: OperationsFeed;
  /** The engine's /status with `operations` added. */
  status(): Record<string, unknown>;
}

export function attachOperationsFeed(sources: FeedSources): AttachedFeed {
  const clock = sources.clock ?? Date.now;
  const feed = new OperationsFeed({
    journal: sources.journal,
    markets: sources.markets,
    metrics: sources.metrics,
    alerts: sources.alerts,
    operator: () => sources.execution.operator,
    operatorBalanceFloorEth: sources.operatorBalanceFloorEth,
    dailyLoss: () => ({
      lossUsd: sources.riskGate.totalsAt({ timeMs: clock(), block: 0 }).lossUsd,
      limitUsd: sources.riskGate.limits.maxDailyLossUsd,
    }),
    endpointHealth: sources.endpointHealth,
    clock,
  });
  feed.start();
  sources.engine.onTick((report) =>
    feed.observeHead({
      block: report.head,
      seenAtMs: clock(),
      blockTimestampMs: sources.engine.headTimestampMs,
      decisionMs: report.decisions.flatMap((record) => {
        const execution = record.execution;
        return execution !== undefined && (execution.status === "sent" || execution.status === "dry-run") ? [execution.decisionMs] : [];
      }),
      sentPlanIds: report.decisions.flatMap((record) => (record.execution?.status === "sent" ? [record.execution.planId] : [])),
    }),
  );
  return { feed, status: () => ({ ...sources.engine.status(), operations: feed.snapshot() }) };
}
