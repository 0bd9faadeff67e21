/**
 * What the engine tells the outside world about itself: the inputs of /readyz (head fresh, journal
 * writable, breaker not HALTED) and the body of /status (mode, head, breaker, limits, today's totals,
 * markets, transactions in flight, restart reconciliation). Pure functions of a snapshot the engine
 * takes, so neither can change the loop's state. Nothing in them is secret: addresses and hashes are
 * public, and the telemetry server redacts the body once more on its way out.
 */
import type { KeeperMode } from "../core/types";
import type { Journal } from "../journal/journal";
import type { LendingMarket } from "../markets/market";
import type { ReadinessInputs } from "../telemetry/http-server";
import type { ExecutionStage } from "../execution/execution-stage";
import type { ReconciliationReport } from "../execution/intent-reconciler";
import type { NonceBlock } from "../submit/transaction-preparer";
import type { Leadership } from "./leadership";
import type { RiskBookkeeper } from "./risk-bookkeeper";

export interface EngineTotals {
  detected: number;
  planned: number;
  skipped: number;
  sent: number;
  included: number;
  failed: number;
  /** Attempts that found the position liquidated by someone else first (counted in `failed` too). */
  lostRaces: number;
  realisedProfitUsd: number;
}

/** The loop's state at one moment. */
export interface EngineSnapshot {
  readonly network: string;
  readonly mode: KeeperMode;
  readonly started: boolean;
  readonly startedAtMs: number;
  readonly nowMs: number;
  readonly head: number;
  readonly lastHeadAtMs: number | null;
  readonly staleHeadSeconds: number;
  readonly totals: EngineTotals;
  readonly reconciliation: ReconciliationReport | null;
  /** Whether this instance acts as the leader (the only one that sends). */
  readonly leading: boolean;
  readonly leadership: Leadership | undefined;
  /** Races, oracle-update-to-inclusion and head time (keeper/engine/race-book.ts). */
  readonly race: Readonly<Record<string, unknown>>;
  /** A reaction is running or queued (ReactionPipeline.busy). */
  readonly reacting: boolean;
}

export interface EngineParts {
  readonly journal: Journal;
  readonly risk: RiskBookkeeper;
  readonly markets: readonly LendingMarket[];
  readonly execution: ExecutionStage;
}

/** /readyz inputs: head fresh, journal writable, breaker not HALTED. */
export function engineReadiness(snapshot: EngineSnapshot, parts: EngineParts): ReadinessInputs {
  const ageSeconds = snapshot.lastHeadAtMs === null ? Infinity : (snapshot.nowMs - snapshot.lastHeadAtMs) / 1_000;
  const writable = parts.journal.checkWritable();
  return {
    rpcHeadFresh: snapshot.started && ageSeconds <= snapshot.staleHeadSeconds,
    rpcHeadDetail: snapshot.started
      ? `head ${snapshot.head} seen ${ageSeconds.toFixed(1)} s ago (limit ${snapshot.staleHeadSeconds} s)`
      : "the keeper is still starting (markets loading, intents reconciling)",
    journalWritable: writable.ok,
    journalDetail: writable.ok ? `journal ${parts.journal.path} is writable` : `journal not writable: ${writable.error}`,
    breakerState: parts.risk.breaker.state,
  };
}

/** /status: what the keeper is doing. */
export function engineStatus(snapshot: EngineSnapshot, parts: EngineParts): Record<string, unknown> {
  const { markets, risk, execution } = parts;
  return {
    network: snapshot.network,
    mode: snapshot.mode,
    started: snapshot.started,
    uptimeSeconds: Math.round((snapshot.nowMs - snapshot.startedAtMs) / 1_000),
    head: snapshot.head,
    lastHeadAt: snapshot.lastHeadAtMs === null ? null : new Date(snapshot.lastHeadAtMs).toISOString(),
    ...snapshot.race,
    operator: execution.operator,
    leadership: leadershipStatus(snapshot),
    breaker: risk.breaker.describe(),
    // A nonce no cancel within the fee ceiling can replace: nothing new is sent until it is mined.
    nonceBlocked: nonceBlockStatus(nonceBlockShown(snapshot, parts)),
    limits: { label: risk.riskGate.limitsLabel, ...stringifyBigints(risk.riskGate.limits) },
    today: risk.riskGate.totalsAt({ timeMs: snapshot.nowMs, block: Math.max(0, snapshot.head) }),
    markets: markets.map((market) => ({ id: market.id, label: market.label, ...market.stats() })),
    inFlight: execution.inFlight().map((tracked) => ({
      planId: tracked.planId,
      txHashes: tracked.attempts.map((attempt) => attempt.hash),
      nonce: tracked.attempts[0]?.prepared.nonce,
      sentAtBlock: tracked.sentAtBlock,
    })),
    totals: { ...snapshot.totals },
    reacting: snapshot.reacting,
    reconciliation:
      snapshot.reconciliation === null ? null : { examined: snapshot.reconciliation.examined, outcomes: snapshot.reconciliation.outcomes },
  };
}

/** Who leads the journal and since when (database clock), as this instance last saw the lease. */
function leadershipStatus(snapshot: EngineSnapshot): Record<string, unknown> {
  const { leadership } = snapshot;
  if (leadership === undefined) return { role: "leader", shared: false };
  const lease = leadership.lease;
  return {
    role: snapshot.leading ? "leader" : "standby",
    instance: leadership.holderInfo,
    leader: lease === undefined ? null : lease.holderInfo,
    leaderSince: lease === undefined ? null : new Date(lease.acquiredAt).toISOString(),
    epoch: lease?.epoch ?? null,
    leaseExpiresAt: lease === undefined ? null : new Date(lease.expiresAt).toISOString(),
  };
}

/**
 * The key's blocked nonce. The leader's own preparer knows it first hand; a standby's knows only what it read at
 * start-up (it re-reads at takeover), so a standby shows the journal's, as the leader recorded it, and falls back to
 * its own when the journal cannot be read.
 */
function nonceBlockShown(snapshot: EngineSnapshot, parts: EngineParts): NonceBlock | null {
  const { execution, journal } = parts;
  if (snapshot.leading || execution.operator === null) return execution.nonceBlock;
  try {
    return journal.nonceBlock(execution.operator);
  } catch {
    return execution.nonceBlock;
  }
}

function nonceBlockStatus(block: NonceBlock | null): Record<string, unknown> | null {
  if (block === null) return null;
  return { ...stringifyBigints(block), since: new Date(block.sinceMs).toISOString() };
}

function stringifyBigints(value: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, typeof v === "bigint" ? v.toString() : v]));
}
