/**
 * reports/run-<timestamp>.json: everything a run did, for a person or a test to check afterwards —
 * every opportunity and the decision taken on it (with the skip reason), every execution with its
 * transactions, life cycle and realised profit, and the run's timing. Built from the journal (the
 * durable record) plus the recorder's timings, then passed through the same redaction as log lines:
 * a report is a file people attach to tickets. Its own transaction hashes are public and stay visible.
 *
 * The whole truth: executions a crashed earlier run left in flight and this run settled ("adopted" at
 * start-up by the intent reconciler) are in the report, marked `adopted: true`, and counted in its
 * totals, so the summary agrees with the progress line. Skips are counted both ways: decisions (a
 * position skipped in three blocks is three decisions) and distinct positions.
 */
import fs from "node:fs";
import path from "node:path";
import type { Journal } from "../journal/journal";
import type { ExecutionRecord, OpportunityRecord } from "../journal/records";
import { LIQUIDATION_PATHS, liquidationPathOfRule, type LiquidationPath } from "../oracles/liquidation-path";
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
  /** Executions of an earlier run this run reconciled at start-up (the engine's `reconciled` outcomes). */
  readonly adoptedPlanIds?: readonly string[];
  /** The risk gate's UTC-day totals at the end of the run (what /status shows as `today`). */
  readonly today?: { readonly day: string; readonly realisedProfitUsd: number; readonly executions: number };
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
    /** Skip decisions per reason (one position skipped in several blocks counts once per block). */
    readonly skipReasons: Readonly<Record<string, number>>;
    /** Distinct positions (market + borrower) skipped per reason. */
    readonly skippedPositions: Readonly<Record<string, number>>;
    /** LIVE executions per journal state. */
    readonly executions: Readonly<Record<string, number>>;
    /** Of the failed executions, those that failed their simulation before signing: no transaction, no gas.
     *  They are also the decisions skipped as "simulation-failed". The rest reverted on chain. */
    readonly failedBeforeSending: number;
    /** DRY: plans simulated and journaled, never sent. */
    readonly simulatedNotSent: number;
    /** Transactions this run signed and sent (originals, replacements, cancels). */
    readonly transactionsSent: number;
    /** Included executions, this run's own and adopted ones. */
    readonly included: number;
    /** Executions of a crashed earlier run that this run reconciled, and how many of them landed. */
    readonly adopted: { readonly executions: number; readonly included: number; readonly realisedProfitUsd: number };
    readonly includedInNextBlock: number;
    /** Profit the treasury received from the executions this run settled, adopted ones included. */
    readonly realisedProfitUsd: number;
    /** The risk gate's UTC day so far, every run on this journal: /status's `today`. Its profit is net of gas,
     *  so it compares with `netProfitUsd` (equal when this run is the day's only one). Null when not given. */
    readonly today: { readonly day: string; readonly realisedProfitUsd: number; readonly executions: number } | null;
    readonly gasCostUsd: number;
    readonly netProfitUsd: number;
    /** Per liquidation path (oev: through an OEV wrapper; open: the protocol's own call): plans, LIVE executions
     *  settled, included, and the profit they realised. */
    readonly byPath: Readonly<
      Record<
        LiquidationPath,
        { readonly planned: number; readonly executions: number; readonly included: number; readonly realisedProfitUsd: number }
      >
    >;
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

/** A run's executions (its own and those it adopted) and what they settled: shared by the report, /status and the progress line. */
export interface RunSettlement {
  readonly executions: readonly ExecutionRecord[];
  readonly adoptedIds: ReadonlySet<string>;
  readonly included: number;
  readonly adoptedIncluded: number;
  /** Paid to the treasury by the included executions, USD. */
  readonly realisedProfitUsd: number;
  readonly adoptedRealisedProfitUsd: number;
  /** Gas of every execution, USD (failed ones burn gas too). */
  readonly gasCostUsd: number;
  /** realised − gas: what the risk gate's `today` counts for the same executions. */
  readonly netProfitUsd: number;
}

export function runSettlement(journal: Journal, startedAtMs: number, adoptedPlanIds: readonly string[] = []): RunSettlement {
  const own = journal.listExecutions({ fromMs: startedAtMs });
  const adoptedIds = new Set(
    adoptedPlanIds.filter((planId) => {
      const execution = journal.getExecution(planId);
      return execution !== undefined && execution.createdAt < startedAtMs;
    }),
  );
  return settlementOf([...[...adoptedIds].map((planId) => journal.getExecution(planId)!), ...own], adoptedIds);
}

/** What `executions` (adopted ones first, then the run's own, oldest first) settled. */
export function settlementOf(executions: readonly ExecutionRecord[], adoptedIds: ReadonlySet<string>): RunSettlement {
  const included = executions.filter((e) => e.state === "included");
  const adoptedIncluded = included.filter((e) => adoptedIds.has(e.planId));
  const realisedProfitUsd = sum(included.map((e) => e.realisedProfitUsd ?? 0));
  const gasCostUsd = sum(executions.map((e) => e.gasCostUsd ?? 0));
  return {
    executions,
    adoptedIds,
    included: included.length,
    adoptedIncluded: adoptedIncluded.length,
    realisedProfitUsd,
    adoptedRealisedProfitUsd: sum(adoptedIncluded.map((e) => e.realisedProfitUsd ?? 0)),
    gasCostUsd,
    netProfitUsd: realisedProfitUsd - gasCostUsd,
  };
}

export function buildRunReport(input: RunReportInput): RunReport {
  const { journal, recorder } = input;
  const opportunities = journal.listOpportunities({ fromMs: input.startedAtMs });
  const settlement = runSettlement(journal, input.startedAtMs, input.adoptedPlanIds);
  const { executions, adoptedIds } = settlement;
  const skipReasons: Record<string, number> = {};
  const skippedPositionSets = new Map<string, Set<string>>();
  for (const opportunity of opportunities) {
    if (opportunity.decision !== "skipped") continue;
    const reason = opportunity.skipReason ?? "unknown";
    skipReasons[reason] = (skipReasons[reason] ?? 0) + 1;
    const positions = skippedPositionSets.get(reason) ?? new Set<string>();
    positions.add(`${opportunity.market}|${opportunity.borrower.toLowerCase()}`);
    skippedPositionSets.set(reason, positions);
  }
  // DRY executions are journaled as dropped ("dry-run: simulated and journaled, not sent"): counted apart.
  const states: Record<string, number> = {};
  for (const execution of executions) if (execution.mode !== "DRY") states[execution.state] = (states[execution.state] ?? 0) + 1;
  const decision = recorder.decisionSamples();
  const nextBlock = recorder.inclusionSamples().filter((blocks) => blocks === 1).length;
  const pathOf = new Map(opportunities.filter((o) => o.planId !== null).map((o) => [o.planId!, liquidationPathOfRule(o.sizingRule)]));
  const executionPath = (e: ExecutionRecord): LiquidationPath => pathOf.get(e.planId) ?? "open";
  const fromPrice = recorder.priceToInclusionSamples();
  const priceMs = fromPrice.flatMap((sample) => (sample.ms === undefined ? [] : [sample.ms]));
  // Positions liquidated: a liquidateBatch execution counts each position it carried.
  const includedPositions = executions
    .filter((e) => e.state === "included")
    .reduce((sum, e) => sum + 1 + (recorder.timings.get(e.planId)?.members?.length ?? 0), 0);
  const lostRaces = journal
    .listSystemEvents({ kinds: ["race_lost"] })
    .filter((event) => event.createdAt >= input.startedAtMs)
    .map((event) => event.data as { planId?: string; borrower?: string });
  const lostPlans = new Set(lostRaces.map((race) => race.planId));
  const sentThisRun = executions.flatMap((e) => journal.txAttempts(e.planId)).filter((attempt) => attempt.createdAt >= input.startedAtMs);
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
      skippedPositions: Object.fromEntries([...skippedPositionSets].map(([reason, positions]) => [reason, positions.size])),
      executions: states,
      failedBeforeSending: executions.filter((e) => e.mode !== "DRY" && e.state === "failed" && journal.txAttempts(e.planId).length === 0)
        .length,
      simulatedNotSent: executions.filter((e) => e.mode === "DRY").length,
      transactionsSent: sentThisRun.length,
      included: includedPositions,
      adopted: {
        executions: adoptedIds.size,
        included: settlement.adoptedIncluded,
        realisedProfitUsd: round2(settlement.adoptedRealisedProfitUsd),
      },
      includedInNextBlock: nextBlock,
      realisedProfitUsd: round2(settlement.realisedProfitUsd),
      gasCostUsd: round6(settlement.gasCostUsd),
      netProfitUsd: round2(settlement.netProfitUsd),
      today: input.today === undefined ? null : { ...input.today, realisedProfitUsd: round2(input.today.realisedProfitUsd) },
      byPath: pathSummary(opportunities, executions, executionPath),
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
    executions: executions.map((e) => ({
      ...executionEntry(e, journal, recorder, input.tagOf),
      path: executionPath(e),
      adopted: adoptedIds.has(e.planId),
      lostRace: lostPlans.has(e.planId),
    })),
    extra: input.extra ?? {},
  };
}

/** Writes the report as reports/run-<timestamp>.json (redacted; its transaction hashes stay); returns the path. */
export function writeRunReport(report: RunReport, directory: string, knownSecrets: readonly string[]): string {
  fs.mkdirSync(directory, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, "-");
  let file = path.join(directory, `run-${stamp}.json`);
  for (let n = 2; fs.existsSync(file); n++) file = path.join(directory, `run-${stamp}-${n}.json`);
  const text = JSON.stringify(report, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value), 2);
  fs.writeFileSync(file, `${redactSecrets(text, { knownSecrets, publicValues: reportTransactionHashes(report) })}\n`);
  return file;
}

/** Every transaction hash the report's executions name: public by nature, wherever they appear (life-cycle details). */
export function reportTransactionHashes(report: RunReport): string[] {
  const hashes = new Set<string>();
  for (const execution of report.executions) {
    if (typeof execution.txHash === "string") hashes.add(execution.txHash);
    for (const attempt of (execution.transactions as readonly { txHash: string }[] | undefined) ?? []) hashes.add(attempt.txHash);
  }
  return [...hashes];
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
    path: liquidationPathOfRule(o.sizingRule),
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
    preparedAhead: timing?.prepared ?? false,
    batchMembers: timing?.members ?? [],
    error: e.error,
    transactions: journal
      .txAttempts(e.planId)
      .map((a) => ({ attempt: a.attempt, kind: a.kind, txHash: a.txHash, nonce: a.nonce, status: a.status })),
    lifeCycle: journal.executionTransitions(e.planId).map((t) => ({ to: t.toState, detail: t.detail })),
  };
}

function pathSummary(
  opportunities: readonly OpportunityRecord[],
  executions: readonly ExecutionRecord[],
  pathOf: (e: ExecutionRecord) => LiquidationPath,
): RunReport["summary"]["byPath"] {
  const entry = (path: LiquidationPath) => {
    const live = executions.filter((e) => e.mode !== "DRY" && pathOf(e) === path);
    const included = live.filter((e) => e.state === "included");
    return {
      planned: opportunities.filter((o) => o.decision === "planned" && liquidationPathOfRule(o.sizingRule) === path).length,
      executions: live.length,
      included: included.length,
      realisedProfitUsd: round2(sum(included.map((e) => e.realisedProfitUsd ?? 0))),
    };
  };
  return Object.fromEntries(LIQUIDATION_PATHS.map((path) => [path, entry(path)])) as RunReport["summary"]["byPath"];
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
