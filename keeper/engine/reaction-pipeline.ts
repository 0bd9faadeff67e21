/**
 * The reaction: positions that went under → plan → rank → risk gate → execution, as a pipeline, because on a
 * 200 ms chain the first liquidation of a busy block must leave before the last one is even sized:
 *
 *   rank the positions (largest debt first); plan the first ONE alone so its transaction leaves at once;
 *   then chunks of REACTION_CHUNK, each planned while the previous one is simulated (its plans' calls all in
 *   flight at once), signed and sent; a chunk's plans that share a flash loan go as one liquidateBatch when
 *   that beats sending them one by one (execution-stage.ts). Positions sharing a price unlock (an OEV
 *   wrapper's hidden round) stay in the chunk of the first of them (reaction-chunks.ts).
 *
 * Reactions never interleave (`exclusively`): the fast path (an oracle log pushed by the subscription), a
 * tick's phase A and its follow-ups run one after another, so two never sign for the same nonce range or
 * plan the same position twice. Every decision is journaled, chunk by chunk.
 */
import { positionKeyId, type KeeperMode, type LiquidationPlan, type PlanDecision } from "../core/types";
import { saleRouteOf } from "../execution/batch-choice";
import { MAX_BATCH_MEMBERS } from "../execution/batch-first";
import type { NewHead } from "../collectors/block-collector";
import type { FeedAnswer, LendingMarket } from "../markets/market";
import type { Instant } from "../risk/instant";
import { comparePlans } from "../strategy/ranking";
import type { ExecutionContext, ExecutionReport, PriceTrigger } from "../execution/execution-stage";
import type { ReactionMarks } from "../execution/execution-context";
import type { DecisionRecord, KeeperEngineDeps } from "./engine-deps";
import type { EngineTotals } from "./engine-status";
import type { PositionToPlan } from "./opportunity-planner";
import type { RaceBook } from "./race-book";
import { reactionChunks, reactionOrder } from "./reaction-chunks";
import type { RetryScheduler } from "./retry-scheduler";

/**
 * Positions planned per chunk after the first one: one liquidateBatch's worth (batch-first.ts), so a chunk whose plans
 * share a flash loan is one batch simulation and one transaction. Chunks of six made the reaction bench's 100-position
 * busy steps 17 chunks of ~370 ms one after another (quotes, own-sales quotes, six single simulations, a batch's, the
 * sends), the last plan 6-8 s after the price. One chunk of 96 had its three batches simulated side by side on a node
 * that serves them one at a time: 1.2-1.8 s at load 7, past the plans' deadline (2 blocks from the block read beside the
 * probes) for all of them; a chunk each, every batch leaves as soon as its own simulation is done.
 */
export const REACTION_CHUNK = MAX_BATCH_MEMBERS;

/** What the pipeline reads of the engine's state at the moment it needs it. */
export interface ReactionHost {
  readonly mode: KeeperMode;
  /** The head the engine processed last. */
  readonly head: number;
  readonly baseFeePerGas: bigint;
  /** False for a standby, or a leader whose lease ran out: it reacts to nothing. */
  mayReact(): boolean;
  instant(): Instant;
}

export class ReactionPipeline {
  /** Reactions run one at a time (the fast path on a pushed log, a tick's phase A, follow-ups). */
  #queue: Promise<unknown> = Promise.resolve();
  /** The latency clock the execution stage measures decisions on (decision stages compare this clock's moments). */
  readonly #now: () => number;
  /** The refresh of the prepared plans in flight, and the newest head one was started for (`prepareAheadFor`). */
  #preparing: Promise<number> | null = null;
  #preparedFor = -1;
  /** Reactions to prices queued and not started yet: a follow-up yields to them at its next chunk (`yieldToPrices`). */
  #pricesWaiting = 0;
  /** Reactions running now (0 or 1: they never interleave); a pushed head's refresh waits for none (`prepareAheadFor`). */
  #reacting = 0;
  /** Reactions queued or running (`busy`). */
  #queued = 0;
  /** Plan id → debt (USD) of plans the risk gate approved whose execution has not reported yet: counted as spent. */
  readonly #approvedVolume = new Map<string, number>();

  constructor(
    private readonly deps: KeeperEngineDeps,
    private readonly host: ReactionHost,
    private readonly totals: EngineTotals,
    private readonly retries: RetryScheduler,
    private readonly races: RaceBook,
  ) {
    this.#now = deps.latencyClock ?? (() => performance.now());
  }

  /**
   * A reaction is running or queued: positions may be about to be planned and decided, though nothing is in flight
   * yet. /status shows it (`reacting`), so a driver waiting for the keeper to be done (the sandbox race, the reaction
   * bench) does not take a reaction still sizing its chunk for a keeper with nothing left to do.
   */
  get busy(): boolean {
    return this.#queued > 0;
  }

  /** Runs `work` after every reaction already queued (reactions never interleave their sends). */
  exclusively<T>(work: () => Promise<T>): Promise<T> {
    this.#queued += 1;
    const counted = async () => {
      this.#reacting += 1;
      try {
        return await work();
      } finally {
        this.#reacting -= 1;
      }
    };
    const run = this.#queue.then(counted, counted);
    this.#queue = run.catch(() => undefined);
    void run
      .catch(() => undefined)
      .finally(() => {
        this.#queued -= 1;
      });
    return run;
  }

  /**
   * `exclusively`, for a reaction to prices: a follow-up reaction running meanwhile (`react` with `yieldToPrices`) stops
   * at its next chunk and leaves the rest to the next block, so the price's first transaction does not wait for all of
   * it. In the reaction bench a busy step's first plan waited 1,049-1,604 ms behind the retries of the step before's
   * leftovers (three and four chunks).
   */
  exclusivelyForPrices<T>(work: () => Promise<T>): Promise<T> {
    this.#pricesWaiting += 1;
    return this.exclusively(() => {
      this.#pricesWaiting -= 1;
      return work();
    });
  }

  /** Oracle answers → in-memory recompute (a re-read where a market needs one) → plan and send what went under. */
  async reactToAnswers(answers: readonly FeedAnswer[], seenAtMs: number, out: DecisionRecord[], head?: NewHead): Promise<void> {
    if (answers.length === 0) return;
    const reacting = this.#now();
    const newest = Math.max(...answers.map((answer) => answer.blockNumber));
    const trigger = this.races.triggerOf(answers, head);
    // Positions already liquidatable before these answers (a failed or refused attempt waiting for its retry) go after
    // the ones these answers cross: the race is decided on the fresh crossings (reactionOrder).
    const before = new Set(this.deps.markets.flatMap((market) => market.liquidatable().map((position) => positionKeyId(position.key))));
    const touched = new Set<LendingMarket>();
    const rereads = new Set<LendingMarket>();
    for (const answer of answers) {
      for (const market of this.deps.markets) {
        const reaction = market.onPriceUpdate(answer);
        if (reaction.needsChainRead) rereads.add(market);
        if (reaction.recomputed > 0) touched.add(market);
      }
    }
    for (const market of rereads) {
      await market.refreshPrices(Math.max(newest, this.host.head));
      touched.add(market);
    }
    const repriced: PositionToPlan[] = [...touched].flatMap((market) => market.liquidatable().map((position) => ({ market, position })));
    const marks = { reacting, repriced: this.#now() };
    const { rest, sent } = await this.#sendPrepared(repriced, answers, seenAtMs, out, trigger, marks);
    await this.react(rest, seenAtMs, out, trigger, {
      firstAlone: !sent,
      crossedBefore: before,
      marks: { ...marks, preparedDone: this.#now() },
    });
  }

  /**
   * Off the reaction path: prepares the plans of positions near liquidation for the answer that would cross them
   * (prepared-plans.ts). It only reads (quotes, flash balances) and swaps its plans in at the end, so it runs beside
   * reactions, never ahead of them: a reaction never waits for it.
   */
  async prepareAhead(): Promise<number> {
    const prepared = this.deps.prepared;
    if (prepared === undefined || prepared === null || !this.host.mayReact()) return 0;
    const head = { number: this.currentHead(), baseFeePerGas: this.host.baseFeePerGas };
    return prepared.refresh(this.deps.markets, head, this.deps.execution.inFlightPositions());
  }

  /**
   * `prepareAhead` for a new head, called on every head the stream pushes as well as at the end of each tick: one
   * refresh at a time (a call while one runs gets that one), at most one per head. Only at the end of the tick, the
   * plans went stale whenever a tick was held by a long reaction (a busy step's chunks, the retries of its leftovers,
   * the re-read of its 100 liquidated borrowers): in the reaction bench the two prepared plans of every busy step after
   * such a tick were refused as "stale" and its first transaction was planned and simulated afresh (250-1,000 ms).
   * A pushed head (`pushed`) starts nothing while a reaction runs: its quotes would queue on the node behind, and
   * between, that reaction's simulations (the node serves one request at a time), and a refresh every head of a busy
   * step cost ~80 ms of node time each; the first head pushed after the reaction, or the tick's own call, refreshes.
   */
  prepareAheadFor(head: number, pushed = false): Promise<number> {
    if (this.#preparing !== null) return this.#preparing;
    if (pushed && this.#reacting > 0) return Promise.resolve(0);
    if (head <= this.#preparedFor) return Promise.resolve(0);
    this.#preparedFor = head;
    const refresh = this.prepareAhead().finally(() => {
      if (this.#preparing === refresh) this.#preparing = null;
    });
    this.#preparing = refresh;
    return refresh;
  }

  /**
   * The repriced positions whose prepared plan is still valid at the new answers go out at once (gate, journal,
   * sign, send: no planning, no simulation); the others are returned for the normal path.
   */
  async #sendPrepared(
    repriced: readonly PositionToPlan[],
    answers: readonly FeedAnswer[],
    seenAtMs: number,
    out: DecisionRecord[],
    trigger: PriceTrigger | undefined,
    marks: Pick<ReactionMarks, "reacting" | "repriced">,
  ): Promise<{ rest: readonly PositionToPlan[]; sent: boolean }> {
    const prepared = this.deps.prepared;
    if (prepared === undefined || prepared === null || prepared.size === 0 || !this.host.mayReact()) return { rest: repriced, sent: false };
    const head = this.currentHead();
    const inFlight = this.deps.execution.inFlightPositions();
    // Two prepared plans on one route: the second's floor would miss the first's sale, so it takes the normal path.
    const routes = new Set<string>();
    const soldOnRoute = (plan: LiquidationPlan) => this.deps.ownSales.hasSold(plan) || routes.has(saleRouteOf(plan) ?? "");
    const ready: PlanDecision[] = [];
    const items = new Map<string, PositionToPlan>();
    const rest = repriced.filter((item) => {
      if (inFlight.has(positionKeyId(item.position.key))) return true;
      const verdict = prepared.judge(item, answers, head, soldOnRoute);
      if (!verdict.use) return true;
      const plan = verdict.prepared.plan;
      const route = saleRouteOf(plan);
      if (route !== null) routes.add(route);
      ready.push({ candidate: plan.candidate, plan, outcome: "planned", detail: "prepared ahead of the price" });
      items.set(positionKeyId(item.position.key), item);
      return false;
    });
    const judged = this.#now();
    const preparedMarks = { ...marks, preparedDone: judged, earlierDone: judged, sized: judged };
    if (ready.length > 0) await this.#executeChunk(ready, items, seenAtMs, out, trigger, false, preparedMarks, true);
    return { rest, sent: ready.length > 0 };
  }

  /**
   * Plans, gates and executes the given positions (minus those with a transaction in flight): the first one
   * alone (unless `firstAlone` is false: a prepared plan already left for this price), then chunks, each planned while
   * the previous one is executed.
   */
  async react(
    items: readonly PositionToPlan[],
    seenAtMs: number,
    out: DecisionRecord[],
    trigger?: PriceTrigger,
    options: {
      readonly firstAlone?: boolean;
      readonly crossedBefore?: ReadonlySet<string>;
      /** How far the reaction got before these positions (reactToAnswers); a follow-up starts here. */
      readonly marks?: Pick<ReactionMarks, "reacting" | "repriced" | "preparedDone">;
      /**
       * A follow-up (retries, events): stop before any chunk after the first while a reaction to prices waits
       * (`exclusivelyForPrices`); the positions not attempted are due again at the next block (RetryScheduler.defer).
       */
      readonly yieldToPrices?: boolean;
    } = {},
  ): Promise<void> {
    const started = this.#now();
    if (!this.host.mayReact()) return;
    const inFlight = this.deps.execution.inFlightPositions();
    const unique = new Map<string, PositionToPlan>();
    for (const item of items) {
      const id = positionKeyId(item.position.key);
      if (!inFlight.has(id)) unique.set(id, item);
    }
    if (unique.size === 0) return;
    const ordered = reactionOrder(
      [...unique.values()],
      largestDebtUsd,
      (item) => options.crossedBefore?.has(positionKeyId(item.position.key)) ?? false,
    );
    const chunks = reactionChunks(ordered, (item) => item.market.sharedUnlock?.(item.position), REACTION_CHUNK, options);
    const plan = (chunk: readonly PositionToPlan[]) =>
      this.deps.planner
        .plan(chunk, { number: this.currentHead(), baseFeePerGas: this.host.baseFeePerGas })
        .then((decisions) => ({ decisions, plannedAt: this.#now() }));
    const reached = options.marks ?? { reacting: started, repriced: started, preparedDone: started };
    let earlierDone = reached.preparedDone;
    let next = plan(chunks[0]!);
    for (let index = 0; index < chunks.length; index++) {
      if (index > 0 && options.yieldToPrices === true && this.#pricesWaiting > 0) {
        const head = this.currentHead();
        for (const item of chunks.slice(index).flat()) this.retries.defer(positionKeyId(item.position.key), item, head);
        await next.catch(() => undefined);
        return;
      }
      const { decisions, plannedAt } = await next;
      const marks = { ...reached, earlierDone, sized: Math.max(plannedAt, earlierDone) };
      // The next chunk is sized (quotes, flash liquidity) while this one is simulated, signed and sent.
      if (index + 1 < chunks.length) next = plan(chunks[index + 1]!);
      // A lease lost mid-reaction stops here (the broadcaster's fence catches what is already signing).
      if (!this.host.mayReact()) {
        if (index + 1 < chunks.length) await next.catch(() => undefined);
        return;
      }
      // A lone first position goes as it is; any chunk of several may go as batches.
      await this.#executeChunk(decisions, unique, seenAtMs, out, trigger, chunks[index]!.length > 1, marks);
      earlierDone = this.#now();
    }
  }

  /** The newest head known: the engine's own, or a newer one the head stream has already seen. */
  currentHead(): number {
    return Math.max(this.host.head, this.deps.heads?.latest?.number ?? -1);
  }

  /**
   * Tells the own-sales ledger which of our sent sales the chain's state holds: the key's transaction count at
   * `stateBlock` (a block number), or at latest. Returns that count, null when nothing awaits landing or the node did
   * not answer. A fresh chunk reads it at the block its shortfall quotes and its simulations then read too
   * (`#executeChunk`), so a sale is either in that block's pools or priced on top of them, never both: read at latest
   * while the probes also read latest, a sale mined between the count and the probe was in the simulated pool AND in
   * the shortfall, and in the reaction bench whole 32-plan chunks were refused as "does not cover" by the batch sent
   * just before them. Each tick also calls it without waiting (at latest), so a prepared plan's one-sale-per-route check
   * (`#sendPrepared`) does not keep seeing a sale that landed blocks ago.
   */
  async catchUpLandedSales(stateBlock?: number): Promise<number | null> {
    const operator = this.deps.execution.operator;
    if (operator === null || !this.deps.ownSales.awaitsLanding) return null;
    const landed = await this.deps.chain.getTransactionCount(operator, stateBlock ?? "latest").catch(() => null);
    if (landed !== null) this.deps.ownSales.landedBelow(landed);
    return landed;
  }

  async #executeChunk(
    decisions: readonly PlanDecision[],
    unique: ReadonlyMap<string, PositionToPlan>,
    seenAtMs: number,
    out: DecisionRecord[],
    trigger: PriceTrigger | undefined,
    allowBatch: boolean,
    marks: ReactionMarks,
    prepared = false,
  ): Promise<void> {
    const { risk, execution, metrics, journal } = this.deps;
    // The newest head known, not the one the tick started with: a plan's deadline counts from the block it is
    // simulated on, and a reaction that took a while must not sign a plan already expired.
    const head = this.currentHead();
    metrics.opportunitiesDetected.inc(decisions.length);
    this.totals.detected += decisions.length;

    const planned = decisions.filter((decision) => decision.plan !== null).sort((a, b) => comparePlans(a.plan!, b.plan!));
    const records: DecisionRecord[] = decisions.filter((decision) => decision.plan === null).map((decision) => ({ decision, block: head }));
    // Our sales already mined are in the pools the shortfall quotes and the simulations read: they must not be priced
    // again (own-sales.ts). The count, the quotes and the probes all read ONE block, the newest head known (the node
    // holds it), so what the count calls landed is exactly what the simulated pools hold. Not for prepared plans:
    // nothing here prices them, and their path must not wait for a round trip.
    const stateBlock = prepared ? undefined : this.currentHead();
    const landedAt = stateBlock === undefined ? null : await this.catchUpLandedSales(stateBlock);
    // Nothing awaits landing (no sale of ours on the wire) or the count failed: quotes and probes read latest, and the
    // ledger's newest count (never newer than latest) can only over-count a sale (a lower floor), never miss one.
    const pinned = landedAt === null ? undefined : { stateBlock: stateBlock!, landedCount: landedAt };
    const approved: { decision: PlanDecision; context: ExecutionContext }[] = [];
    for (const decision of planned) {
      const plan = decision.plan!;
      const at = this.host.instant();
      let volumeUsd = 0;
      for (const debtUsd of this.#approvedVolume.values()) volumeUsd += debtUsd;
      const pending = { plans: this.#approvedVolume.size, volumeUsd };
      const verdict = risk.riskGate.evaluate(plan, { now: at, breaker: risk.breaker, pending });
      if (!verdict.approved) {
        records.push({ decision: { ...decision, outcome: "skipped", reason: verdict.reason, detail: verdict.detail }, block: head });
        continue;
      }
      // Booked when it is submitted; until its report comes back it counts against the rest of the chunk (the daily
      // volume, the throttle's one execution per window).
      this.#approvedVolume.set(plan.id, plan.candidate.debtToCoverUsd);
      // What this keeper's own earlier sales in the block take off this plan: earlier chunks', and this chunk's
      // plans before it — each plan is simulated alone on the head's state, so nothing else prices them in. Booked
      // as it is approved, so this chunk's later plans count it; released below if it does not leave. The quotes are
      // asked for by the execution stage beside its simulations (one call per route for the whole chunk), and a
      // liquidateBatch prices its members' summed sale after what was booked before its first member.
      const routeSoldBefore = this.deps.ownSales.soldBefore(plan, pinned?.landedCount);
      this.deps.ownSales.record(plan);
      const swap = plan.swap;
      const saleShortfall =
        swap === null
          ? undefined
          : (soldBefore: bigint, amountIn: bigint, aloneOut?: bigint) =>
              this.deps.ownSales.shortfall(swap, soldBefore, amountIn, pinned?.stateBlock ?? "latest", aloneOut);
      approved.push({
        decision,
        context: {
          mode: this.host.mode,
          headBlock: head,
          seenAtMs,
          at,
          trigger,
          prepared,
          routeSoldBefore,
          saleShortfall,
          marks,
          ...(pinned === undefined ? {} : { stateBlock: pinned.stateBlock }),
        },
      });
    }
    // Gating took time on a chain that did not wait: the deadline counts from the newest head.
    const simulatedOn = this.currentHead();
    let reports: ExecutionReport[];
    try {
      reports = await execution.executeMany(
        approved.map((item) => ({
          plan: item.decision.plan!,
          context: { ...item.context, headBlock: Math.max(item.context.headBlock, simulatedOn) },
        })),
        { batch: allowBatch },
      );
    } finally {
      // Sent ones are booked by now (`submitted`), the others never will be.
      for (const { decision } of approved) this.#approvedVolume.delete(decision.plan!.id);
    }
    approved.forEach(({ decision }, index) => {
      const plan = decision.plan!;
      const report = reports[index]!;
      // Its sale will not reach the pool: the next chunks of this block must not pay for it. A sent one is tracked by
      // its transaction's nonce until the chain's state holds it.
      if (report.status === "sent") this.deps.ownSales.sent(plan, report.nonce);
      else if (report.status === "dry-run") this.deps.ownSales.dryRun(plan);
      else this.deps.ownSales.release(plan);
      if (report.status === "simulation-failed") {
        // Maybe a rival took the position first: the race ledger decides once the next blocks' events are in.
        this.deps.races?.watchUnsent({
          planId: report.planId,
          market: plan.candidate.key.market,
          borrower: plan.candidate.key.borrower,
          fromBlock: trigger?.blockNumber ?? head,
        });
        records.push({
          decision: { ...decision, outcome: "skipped", reason: "simulation-failed", detail: report.detail },
          block: head,
          execution: report,
        });
      } else if (report.status === "dry-run") {
        records.push({ decision: { ...decision, detail: "DRY: simulated, not sent" }, block: head, execution: report });
      } else {
        records.push({ decision, block: head, execution: report });
      }
      if (report.status === "sent" && report.batchOf === undefined) this.totals.sent += 1;
    });
    for (const record of records) {
      if (record.decision.outcome === "planned") this.totals.planned += 1;
      else this.totals.skipped += 1;
      const id = positionKeyId(record.decision.candidate.key);
      this.retries.recordDecision(
        id,
        unique.get(id),
        { outcome: record.decision.outcome, reason: record.decision.reason, executionStatus: record.execution?.status },
        head,
      );
    }
    journal.recordDecisions(
      records.map((record) => record.decision),
      head,
    );
    out.push(...records);
  }
}

function largestDebtUsd(item: PositionToPlan): number {
  return item.position.debts.reduce((max, debt) => Math.max(max, debt.valueUsd), 0);
}
