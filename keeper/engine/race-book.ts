/**
 * The engine's account of its races on a chain that does not wait for it: which oracle update a reaction
 * answers (block N, and its millisecond time), how long from that update to our liquidation's inclusion (in
 * blocks and chain milliseconds), the races lost before anything was sent, and how late this keeper learns of
 * each head. /status shows it; the run report and metrics count the same races from the journal.
 */
import type { HeadStream } from "../collectors/head-stream";
import type { NewHead } from "../collectors/block-collector";
import type { Journal } from "../journal/journal";
import type { KeeperMetrics } from "../telemetry/metrics";
import type { Logger } from "../telemetry/logger";
import type { PriceTrigger, SettlementReport } from "../execution/execution-stage";
import { LOST_RACE_PREFIX, type LostRace } from "../execution/race-ledger";
import type { EngineTotals } from "./engine-status";

/** Samples kept for /status. */
const SAMPLES_KEPT = 500;

export interface RaceBookDeps {
  readonly heads?: HeadStream | null;
  readonly journal: Journal;
  readonly metrics: KeeperMetrics;
  readonly logger: Logger;
}

export class RaceBook {
  /** Recent oracle-update-to-inclusion samples (blocks, chain ms). */
  readonly #inclusions: { readonly blocks: number; readonly ms?: number }[] = [];

  constructor(
    private readonly deps: RaceBookDeps,
    private readonly totals: EngineTotals,
  ) {}

  /** The oracle update a reaction answers: the newest answer's block and its millisecond time (Denim's timestampMs). */
  triggerOf(answers: readonly { blockNumber: number; blockTimestampMs?: number }[], head: NewHead | undefined): PriceTrigger | undefined {
    if (answers.length === 0) return undefined;
    const newest = answers.reduce((a, b) => (b.blockNumber > a.blockNumber ? b : a));
    const timestampMs =
      newest.blockTimestampMs ??
      this.deps.heads?.headAt(newest.blockNumber)?.timestampMs ??
      (head !== undefined && newest.blockNumber === head.number ? head.timestampMs : undefined);
    return { blockNumber: newest.blockNumber, timestampMs };
  }

  /** A settlement's races: positions included (a liquidateBatch lands several), lost races, price-to-inclusion samples. */
  countSettlement(settlement: SettlementReport): void {
    this.totals.included += settlement.included.reduce((sum, included) => sum + included.positions, 0);
    this.totals.failed += settlement.failed.length;
    this.totals.lostRaces += settlement.lost.length;
    for (const included of settlement.included) {
      this.totals.realisedProfitUsd += included.realisedProfitUsd;
      if (included.priceToInclusion === undefined) continue;
      this.#inclusions.push(included.priceToInclusion);
      if (this.#inclusions.length > SAMPLES_KEPT) this.#inclusions.shift();
    }
  }

  /** A plan never sent because a rival had already liquidated the position: a lost race, not a failure. */
  recordUnsentLoss(lost: LostRace): void {
    const detail = `${LOST_RACE_PREFIX}: ${lost.borrower} was liquidated by ${lost.rival.txHash} in block ${lost.rival.blockNumber} before plan ${lost.planId} could be sent (its simulation failed)`;
    this.deps.journal.recordSystemEvent({
      kind: "race_lost",
      actor: "keeper",
      detail,
      data: {
        planId: lost.planId,
        borrower: lost.borrower,
        rivalTx: lost.rival.txHash,
        rivalBlock: lost.rival.blockNumber,
        ours: lost.ours,
      },
    });
    this.deps.metrics.races.labels("lost").inc();
    this.totals.lostRaces += 1;
    this.deps.logger.info({ planId: lost.planId, rivalTx: lost.rival.txHash }, detail);
  }

  /** The head's own millisecond time (Denim's timestampMs) when the head stream has it, else null. */
  headTimestampMs(head: number): number | undefined {
    return this.deps.heads?.headAt(head)?.timestampMs;
  }

  /** /status: races won and lost, oracle update → inclusion, and the head's time and lag. */
  status(head: number): Record<string, unknown> {
    return {
      headTime: this.#headTime(head),
      races: { won: this.totals.included, lost: this.totals.lostRaces },
      priceToInclusion: summarizeInclusions(this.#inclusions),
    };
  }

  /** The head's own millisecond time and how late this keeper learned of it (null without a head stream). */
  #headTime(number: number): { timestampMs: number; receivedAt: string; lagMs: number; via: string } | null {
    const head = this.deps.heads?.headAt(number);
    if (head === undefined) return null;
    return {
      timestampMs: head.timestampMs,
      receivedAt: new Date(head.receivedAtMs).toISOString(),
      lagMs: Math.max(0, head.receivedAtMs - head.timestampMs),
      via: head.via,
    };
  }
}

/** Oracle update → inclusion, for /status: in blocks (1 = N+1) and in chain milliseconds. */
function summarizeInclusions(samples: readonly { readonly blocks: number; readonly ms?: number }[]): Record<string, unknown> {
  const blocks = samples.map((sample) => sample.blocks).sort((a, b) => a - b);
  const ms = samples.flatMap((sample) => (sample.ms === undefined ? [] : [sample.ms])).sort((a, b) => a - b);
  const at = (sorted: readonly number[], q: number) =>
    sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return {
    samples: samples.length,
    nextBlockShare: samples.length === 0 ? null : blocks.filter((b) => b <= 1).length / samples.length,
    blocks: { p50: at(blocks, 0.5), p90: at(blocks, 0.9), max: blocks.at(-1) ?? null },
    ms: { p50: at(ms, 0.5), p90: at(ms, 0.9), max: ms.at(-1) ?? null },
  };
}
