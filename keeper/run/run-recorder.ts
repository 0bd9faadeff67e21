/**
 * Watches a run from the engine's tick reports: which block the keeper reacted in for each plan, the
 * decision latency of each sent transaction, which block each one landed in. The journal holds the
 * durable record (opportunities, executions, transactions); this adds the timing the journal does
 * not keep, for the progress line, the summary and the run report.
 */
import type { DecisionRecord, KeeperEngine, TickReport } from "../engine/keeper-engine";

export interface PlanTiming {
  readonly planId: string;
  /** Head block when the keeper decided and sent. */
  readonly reactedAtBlock: number;
  readonly decisionMs: number;
  includedBlock?: number;
  /** Where the decision's time went, ms (plan, simulate, queue, journal, sign, send). */
  readonly stages?: Readonly<Record<string, number>>;
  /** A liquidateBatch's other borrowers. */
  readonly members?: readonly string[];
  /** Sent from a plan prepared ahead of the price (engine/prepared-plans.ts). */
  readonly prepared?: boolean;
  /** From the oracle update to inclusion: blocks (1 = N+1) and chain milliseconds, when it reacted to one. */
  priceToInclusion?: { readonly blocks: number; readonly ms?: number };
}

export class RunRecorder {
  readonly timings = new Map<string, PlanTiming>();
  readonly skipReasons = new Map<string, number>();
  readonly ticks: { head: number; priceUpdates: number; decisions: number; sent: number; included: number }[] = [];
  lastTick: TickReport | null = null;
  /** Decision latency of the first liquidation sent in each block (the others queue behind it). */
  readonly firstOfBlockMs: number[] = [];
  /** Decision latency of the last liquidation sent in each block that sent one: how long a busy step takes. */
  readonly lastOfBlockMs: number[] = [];
  /** Attempts that lost their race to someone else's liquidation. */
  lostRaces = 0;
  /** DRY: plans simulated and not sent, and the profit their plans expected (USD). */
  readonly dry = { simulated: 0, expectedProfitUsd: 0 };

  /** Subscribes to the engine. */
  attach(engine: KeeperEngine): this {
    engine.onTick((report) => this.record(report));
    return this;
  }

  /** Records decisions made outside a tick (the reaction at start-up). */
  recordDecisions(decisions: readonly DecisionRecord[]): void {
    for (const record of decisions) this.recordDecision(record);
  }

  record(report: TickReport): void {
    this.lastTick = report;
    for (const record of report.decisions) this.recordDecision(record);
    const first = report.decisions.find((record) => record.execution?.status === "sent" || record.execution?.status === "dry-run");
    if (first?.execution !== undefined && "decisionMs" in first.execution) this.firstOfBlockMs.push(first.execution.decisionMs);
    const last = [...report.decisions]
      .reverse()
      .find((record) => record.execution?.status === "sent" || record.execution?.status === "dry-run");
    if (last?.execution !== undefined && "decisionMs" in last.execution) this.lastOfBlockMs.push(last.execution.decisionMs);
    for (const included of report.settlement.included) {
      const timing = this.timings.get(included.planId);
      if (timing !== undefined) {
        timing.includedBlock = included.blockNumber;
        timing.priceToInclusion = included.priceToInclusion;
      }
    }
    this.lostRaces += report.settlement.lost.length;
    this.ticks.push({
      head: report.head,
      priceUpdates: report.priceUpdates,
      decisions: report.decisions.length,
      sent: report.decisions.filter((d) => d.execution?.status === "sent").length,
      included: report.settlement.included.length,
    });
  }

  private recordDecision(record: DecisionRecord): void {
    const { decision, execution } = record;
    if (decision.outcome === "skipped")
      this.skipReasons.set(decision.reason ?? "unknown", (this.skipReasons.get(decision.reason ?? "unknown") ?? 0) + 1);
    if (execution?.status === "dry-run") {
      this.dry.simulated += 1;
      this.dry.expectedProfitUsd += decision.plan?.expectedProfitUsd ?? 0;
    }
    // A batch member's report repeats its batch's transaction; the batch's own entry carries the timing.
    if ((execution?.status === "sent" || execution?.status === "dry-run") && execution.batchOf === undefined) {
      this.timings.set(execution.planId, {
        planId: execution.planId,
        reactedAtBlock: record.block,
        decisionMs: execution.decisionMs,
        stages: execution.status === "sent" ? execution.stages : undefined,
        members: execution.members,
        prepared: execution.status === "sent" && execution.prepared === true,
      });
    }
  }

  /** Decision latencies (price update seen → signed transaction) of every sent plan, ms. */
  decisionSamples(): number[] {
    return [...this.timings.values()].map((timing) => timing.decisionMs);
  }

  /** Oracle update to inclusion, for every plan that reacted to one and landed. */
  priceToInclusionSamples(): { readonly blocks: number; readonly ms?: number }[] {
    return [...this.timings.values()].flatMap((timing) => (timing.priceToInclusion === undefined ? [] : [timing.priceToInclusion]));
  }

  /** Blocks from the reaction to inclusion, for every plan that landed. */
  inclusionSamples(): number[] {
    return [...this.timings.values()].filter((t) => t.includedBlock !== undefined).map((t) => t.includedBlock! - t.reactedAtBlock);
  }
}

/** The q-quantile (0..1) of samples by the nearest-rank method; NaN for no samples. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}
