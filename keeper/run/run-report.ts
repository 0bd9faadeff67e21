/**
 * reports/run-<timestamp>.json: everything a run did, for a person or a test to check afterwards —
 * every opportunity and the decision taken on it (with the skip reason), every execution with its
 * transactions, life cycle and realised profit, and the run's timing. Built from the journal (the
 * durable record) plus the recorder's timings, then passed through the same redaction as log lines:
 * a report is a file people attach to tickets.
 */
import fs from "node:fs";
import path from "node:path";
import type { Journal } from "../journal/journal";
import type { ExecutionRecord, OpportunityRecord } from "../journal/records";
import { redactSecrets } from "../telemetry/redact";
import { quantile, type RunRecorder } from "./run-recorder";

export interface RunReportInput {
  readonly journal: Journal;
  readonly recorder: RunRecorder;
  readonly startedAtMs: number;
  readonly finishedAtMs: number;
  readonly network: string;
  readonly mode: string;
  readonly executor: string;
  readonly operator: string | null;
  /** Scenario facts when the run played one (sandbox). */
  readonly scenario?: {
    readonly name: string;
    readonly description: string;
    readonly steps: readonly { readonly label: string; readonly priceBlock: number }[];
  };
  /** The scenario group a borrower was opened in, when known. */
  readonly tagOf?: (borrower: string) => string | undefined;
  readonly extra?: Readonly<Record<string, unknown>>;
}

export interface RunReport {
  readonly kind: "chimera-keeper-run";
  readonly network: string;
  readonly mode: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly executor: string;
  readonly operator: string | null;
  readonly scenario: RunReportInput["scenario"] | null;
  readonly summary: {
    readonly opportunities: number;
    readonly planned: number;
    readonly skipped: number;
    readonly skipReasons: Readonly<Record<string, number>>;
    readonly executions: Readonly<Record<string, number>>;
    readonly transactionsSent: number;
    readonly included: number;
    readonly includedInNextBlock: number;
    readonly realisedProfitUsd: number;
    readonly gasCostUsd: number;
    readonly netProfitUsd: number;
    /** Price update seen → signed transaction, for every liquidation (later ones in a block queue behind earlier ones). */
    readonly decisionMs: {
      readonly samples: number;
      readonly p50: number | null;
      readonly p99: number | null;
      readonly max: number | null;
    };
    /** The same for the first liquidation sent in each block: the keeper's reaction time itself. */
    readonly firstDecisionMs: LatencySummary;
    /** The same for the last liquidation sent in each block: how long a busy step's whole reaction took. */
    readonly lastDecisionMs: LatencySummary;
    /**
     * Races: won = our liquidation landed; lost = someone else's liquidation of the position landed first (ours
     * reverted or was cancelled). A lost race is competition, not a fault.
     */
    readonly races: { readonly won: number; readonly lost: number };
    /** From the oracle update's block N to the liquidation's block, for liquidations that reacted to one. */
    readonly priceToInclusion: {
      readonly samples: number;
      readonly nextBlock: number;
      readonly secondBlock: number;
      readonly later: number;
      /** Chain milliseconds (Denim's timestampMs) from the update's block to the liquidation's. */
      readonly ms: { readonly p50: number | null; readonly p99: number | null };
    };
  };
  readonly opportunities: readonly Record<string, unknown>[];
  readonly executions: readonly Record<string, unknown>[];
  readonly extra: Readonly<Record<string, unknown>>;
}

interface LatencySummary {
  readonly samples: number;
  readonly p50: number | null;
  readonly p99: number | null;
  readonly max: number | null;
}

export function buildRunReport(input: RunReportInput): RunReport {
  const { journal, recorder } = input;
  const opportunities = journal.listOpportunities({ fromMs: input.startedAtMs });
  const executions = journal.listExecutions({ fromMs: input.startedAtMs });
  const skipReasons: Record<string, number> = {};
  for (const opportunity of opportunities) {
    if (opportunity.decision === "skipped")
      skipReasons[opportunity.skipReason ?? "unknown"] = (skipReasons[opportunity.skipReason ?? "unknown"] ?? 0) + 1;
  }
  const states: Record<string, number> = {};
  for (const execution of executions) states[execution.state] = (states[execution.state] ?? 0) + 1;
  const included = executions.filter((e) => e.state === "included");
  const realisedProfitUsd = sum(included.map((e) => e.realisedProfitUsd ?? 0));
  const gasCostUsd = sum(executions.map((e) => e.gasCostUsd ?? 0));
  const decision = recorder.decisionSamples();
  const nextBlock = recorder.inclusionSamples().filter((blocks) => blocks === 1).length;
  const fromPrice = recorder.priceToInclusionSamples();
  const priceMs = fromPrice.flatMap((sample) => (sample.ms === undefined ? [] : [sample.ms]));
  // Positions liquidated: a liquidateBatch execution counts each position it carried.
  const includedPositions = included.reduce((sum, e) => sum + 1 + (recorder.timings.get(e.planId)?.members?.length ?? 0), 0);
  const lostRaces = journal
    .listSystemEvents({ kinds: ["race_lost"] })
    .filter((event) => event.createdAt >= input.startedAtMs)
    .map((event) => event.data as { planId?: string; borrower?: string });
  const lostPlans = new Set(lostRaces.map((race) => race.planId));
  return {
    kind: "chimera-keeper-run",
    network: input.network,
    mode: input.mode,
    startedAt: new Date(input.startedAtMs).toISOString(),
    finishedAt: new Date(input.finishedAtMs).toISOString(),
    durationMs: input.finishedAtMs - input.startedAtMs,
    executor: input.executor,
    operator: input.operator,
    scenario: input.scenario ?? null,
    summary: {
      opportunities: opportunities.length,
      planned: opportunities.filter((o) => o.decision === "planned").length,
      skipped: opportunities.filter((o) => o.decision === "skipped").length,
      skipReasons,
      executions: states,
      transactionsSent: sum(executions.map((e) => journal.txAttempts(e.planId).length)),
      included: includedPositions,
      includedInNextBlock: nextBlock,
      realisedProfitUsd: round2(realisedProfitUsd),
      gasCostUsd: round6(gasCostUsd),
      netProfitUsd: round2(realisedProfitUsd - gasCostUsd),
      decisionMs: latencySummary(decision),
      firstDecisionMs: latencySummary(recorder.firstOfBlockMs),
      lastDecisionMs: latencySummary(recorder.lastOfBlockMs),
      races: { won: includedPositions, lost: lostRaces.length },
      priceToInclusion: {
        samples: fromPrice.length,
        nextBlock: fromPrice.filter((sample) => sample.blocks <= 1).length,
        secondBlock: fromPrice.filter((sample) => sample.blocks === 2).length,
        later: fromPrice.filter((sample) => sample.blocks > 2).length,
        ms: {
          p50: priceMs.length === 0 ? null : round2(quantile(priceMs, 0.5)),
          p99: priceMs.length === 0 ? null : round2(quantile(priceMs, 0.99)),
        },
      },
    },
    opportunities: opportunities.map((o) => opportunityEntry(o, input.tagOf)),
    executions: executions.map((e) => ({ ...executionEntry(e, journal, recorder, input.tagOf), lostRace: lostPlans.has(e.planId) })),
    extra: input.extra ?? {},
  };
}

/** Writes the report as reports/run-<timestamp>.json (redacted); returns the path. */
export function writeRunReport(report: RunReport, directory: string, knownSecrets: readonly string[]): string {
  fs.mkdirSync(directory, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, "-");
  let file = path.join(directory, `run-${stamp}.json`);
  for (let n = 2; fs.existsSync(file); n++) file = path.join(directory, `run-${stamp}-${n}.json`);
  const text = JSON.stringify(report, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value), 2);
  fs.writeFileSync(file, `${redactSecrets(text, { knownSecrets })}\n`);
  return file;
}

function opportunityEntry(o: OpportunityRecord, tagOf: RunReportInput["tagOf"]): Record<string, unknown> {
  return {
    block: o.blockNumber,
    protocol: o.protocol,
    market: o.market,
    borrower: o.borrower,
    group: tagOf?.(o.borrower) ?? null,
    collateralToken: o.collateralToken,
    debtToken: o.debtToken,
    healthFactor: formatWad(o.healthFactor),
    debtToCover: o.debtToCover,
    debtToCoverUsd: round2(o.debtToCoverUsd),
    sizingRule: o.sizingRule,
    decision: o.decision,
    skipReason: o.skipReason,
    detail: o.detail,
    planId: o.planId,
    expectedProfitUsd: o.expectedProfitUsd === null ? null : round2(o.expectedProfitUsd),
    netProfitUsd: o.netProfitUsd === null ? null : round2(o.netProfitUsd),
  };
}

function executionEntry(
  e: ExecutionRecord,
  journal: Journal,
  recorder: RunRecorder,
  tagOf: RunReportInput["tagOf"],
): Record<string, unknown> {
  const timing = recorder.timings.get(e.planId);
  return {
    planId: e.planId,
    mode: e.mode,
    state: e.state,
    protocol: e.protocol,
    borrower: e.borrower,
    group: tagOf?.(e.borrower) ?? null,
    collateralToken: e.collateralToken,
    debtToken: e.debtToken,
    debtToCover: e.debtToCover,
    flash: { kind: e.flashKind, source: e.flashSource, amount: e.flashAmount, fee: e.flashFee },
    expectedProfit: e.expectedProfit,
    expectedProfitUsd: round2(e.expectedProfitUsd),
    realisedProfit: e.realisedProfit,
    realisedProfitUsd: e.realisedProfitUsd === null ? null : round2(e.realisedProfitUsd),
    gasUsed: e.gasUsed,
    gasCostUsd: e.gasCostUsd,
    nonce: e.nonce,
    txHash: e.txHash,
    reactedAtBlock: timing?.reactedAtBlock ?? null,
    includedBlock: e.includedBlock,
    blocksToInclusion: timing?.reactedAtBlock !== undefined && e.includedBlock !== null ? e.includedBlock - timing.reactedAtBlock : null,
    priceToInclusion: timing?.priceToInclusion ?? null,
    decisionMs: timing === undefined ? null : round2(timing.decisionMs),
    decisionStages: timing?.stages ?? null,
    batchMembers: timing?.members ?? [],
    error: e.error,
    transactions: journal
      .txAttempts(e.planId)
      .map((a) => ({ attempt: a.attempt, kind: a.kind, txHash: a.txHash, nonce: a.nonce, status: a.status })),
    lifeCycle: journal.executionTransitions(e.planId).map((t) => ({ to: t.toState, detail: t.detail })),
  };
}

function latencySummary(samples: readonly number[]): LatencySummary {
  if (samples.length === 0) return { samples: 0, p50: null, p99: null, max: null };
  return {
    samples: samples.length,
    p50: round2(quantile(samples, 0.5)),
    p99: round2(quantile(samples, 0.99)),
    max: round2(Math.max(...samples)),
  };
}

function formatWad(value: bigint): string {
  const whole = value / 10n ** 18n;
  const fraction = (value % 10n ** 18n).toString().padStart(18, "0").slice(0, 4);
  return `${whole}.${fraction}`;
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
