/**
 * The keeper pipeline, wired in one place (keeper/README.md draws it):
 *
 *   collectors (heads, oracle answers, protocol events)
 *     → markets (health factors in memory) → planner (sizing, flash source, route, economics)
 *     → risk gate (mode, limits, breaker) → execution stage (simulate, intent, sign, send, track)
 *     → journal, metrics, alerts
 *
 * Every dependency comes in through the constructor; the engine itself holds only the loop's state.
 * One `tick()` handles every block new since the last one, in two phases:
 *   A. reaction: oracle answers → in-memory recompute → plan → gate → send. Nothing slower than what
 *      the decision needs runs before the transaction is signed (decision latency is measured from the
 *      moment the answer is seen to the signed transaction).
 *   B. bookkeeping: receipts of in-flight transactions, protocol events (re-read touched borrowers),
 *      the block's interest accrual, and a second reaction for what those made liquidatable; then the
 *      breaker's external observations, control requests, balances and metrics.
 */
import { positionKeyId, type Address, type KeeperMode, type PlanDecision } from "../core/types";
import { BlockCollector, type BlockSource, type NewHead } from "../collectors/block-collector";
import type { HeadStream } from "../collectors/head-stream";
import type { OracleUpdateCollector } from "../collectors/oracle-update-collector";
import type { ProtocolEventCollector } from "../collectors/protocol-event-collector";
import type { AlertDispatcher } from "../alerts/alert-dispatcher";
import { checkOperatorBalance, operatorBalanceAlertKey } from "../alerts/operator-balance";
import type { Journal } from "../journal/journal";
import type { FeedAnswer, LendingMarket, ProtocolEvent } from "../markets/market";
import type { Instant } from "../risk/instant";
import { comparePlans } from "../strategy/ranking";
import type { KeeperMetrics } from "../telemetry/metrics";
import type { Logger } from "../telemetry/logger";
import type { ReadinessInputs } from "../telemetry/http-server";
import type { ExecutionContext, ExecutionReport, ExecutionStage, PriceTrigger, SettlementReport } from "../execution/execution-stage";
import { LOST_RACE_PREFIX, type LostRace, type RaceLedger } from "../execution/race-ledger";
import { reconcileOpenIntents, type ReconciliationChain, type ReconciliationReport } from "../execution/intent-reconciler";
import { applyPendingControlRequests, type AppliedControl } from "./control-requests";
import type { ExternalConditionsReader } from "./external-conditions";
import type { OpportunityPlanner, PositionToPlan } from "./opportunity-planner";
import type { OwnSalesLedger } from "./own-sales";
import type { RiskBookkeeper } from "./risk-bookkeeper";

/** Chain reads the engine makes itself; an ethers Provider satisfies them. */
export interface EngineChain extends ReconciliationChain {
  getBlockNumber(): Promise<number>;
  getBlock(blockTag: number): Promise<{ number: number; timestamp: number; baseFeePerGas: bigint | null } | null>;
  getBalance(address: string): Promise<bigint>;
}

export interface KeeperEngineDeps {
  readonly network: string;
  readonly chain: EngineChain;
  readonly markets: readonly LendingMarket[];
  /** Where each market's borrower discovery starts the first time (its deployment block). */
  readonly discoveryStartBlock: (market: LendingMarket) => number;
  readonly oracleCollector: OracleUpdateCollector;
  /** Heads pushed by subscription (with polling as its fallback); absent: the chain is polled for its head. */
  readonly heads?: HeadStream | null;
  /** Other liquidators' liquidations, fed from the protocol events (the execution stage judges lost races by it). */
  readonly races?: RaceLedger | null;
  readonly protocolCollector: ProtocolEventCollector;
  readonly planner: OpportunityPlanner;
  /** What this keeper already sold into each route this block, so later plans' floors account for it. */
  readonly ownSales: OwnSalesLedger;
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
  readonly retryBackoffBlocks?: { readonly initial: number; readonly max: number };
  readonly clock?: () => number;
  /** Monotonic clock for decision latency (must match the execution stage's). Default performance.now. */
  readonly latencyClock?: () => number;
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

export type TickListener = (report: TickReport) => void;

/** The block source the BlockCollector polls (a HeadStream's heads when there is one), remembering the head's base fee. */
class HeadReader {
  baseFeePerGas = 0n;
  timestamp = 0;
  private readonly source: BlockSource | null;
  constructor(
    private readonly chain: EngineChain,
    stream: HeadStream | null,
  ) {
    this.source = stream?.asBlockSource({ getBlockNumber: () => chain.getBlockNumber(), getBlock: (n) => chain.getBlock(n) }) ?? null;
  }
  getBlockNumber(): Promise<number> {
    return this.source?.getBlockNumber() ?? this.chain.getBlockNumber();
  }
  async getBlock(tag: number): Promise<{ number: number; timestamp: number; timestampMs?: number } | null> {
    const block = (await (this.source?.getBlock(tag) ?? this.chain.getBlock(tag))) as {
      number: number;
      timestamp: number;
      timestampMs?: number;
      baseFeePerGas?: bigint | null;
    } | null;
    if (block !== null) {
      this.baseFeePerGas = block.baseFeePerGas ?? 0n;
      this.timestamp = block.timestamp;
    }
    return block;
  }
}

export class KeeperEngine {
  private readonly deps: KeeperEngineDeps;
  private readonly clock: () => number;
  private readonly latencyClock: () => number;
  private readonly heads: HeadReader;
  private blocks: BlockCollector | null = null;
  private mode: KeeperMode;
  private operatorHaltReason: string | null = null;
  private headBlock = -1;
  private lastHeadAtMs: number | null = null;
  private readonly listeners: TickListener[] = [];
  private started = false;
  private readonly startedAtMs: number;
  readonly totals: EngineTotals = {
    detected: 0,
    planned: 0,
    skipped: 0,
    sent: 0,
    included: 0,
    failed: 0,
    lostRaces: 0,
    realisedProfitUsd: 0,
  };
  private reconciliation: ReconciliationReport | null = null;
  /** Reactions run one at a time (the fast path on a pushed log, a tick's phase A, follow-ups). */
  private reactionQueue: Promise<unknown> = Promise.resolve();
  /** Decisions made on the fast path since the last tick report, which carries them. */
  private pushedDecisions: DecisionRecord[] = [];
  /** Recent oracle-update-to-inclusion samples (blocks, chain ms), for /status. */
  private readonly inclusions: { readonly blocks: number; readonly ms?: number }[] = [];
  /**
   * Liquidatable positions whose last attempt ended for a reason that may pass (a failed simulation,
   * a refused send, a reverted or replaced transaction, a throttle or cooldown): tried again from
   * `dueBlock`, backing off while they keep failing. Reasoned strategy skips (dust, no route,
   * unprofitable) are not retried until a price or the position changes.
   */
  private readonly retry = new Map<
    string,
    { market: LendingMarket; borrower: Address; reason: string; dueBlock: number; failures: number }
  >();

  constructor(deps: KeeperEngineDeps) {
    this.deps = deps;
    this.clock = deps.clock ?? Date.now;
    this.latencyClock = deps.latencyClock ?? (() => performance.now());
    this.heads = new HeadReader(deps.chain, deps.heads ?? null);
    this.mode = deps.initialMode;
    this.startedAtMs = this.clock();
    deps.metrics.setMode(this.mode);
  }

  get currentMode(): KeeperMode {
    return this.mode;
  }

  get head(): number {
    return this.headBlock;
  }

  /**
   * The head block's own time (epoch ms), once a head has been read: Denim's millisecond timestampMs when the head
   * stream has it (five blocks share one seconds timestamp on Base), else the seconds timestamp.
   */
  get headTimestampMs(): number | null {
    if (this.headBlock < 0) return null;
    return this.deps.heads?.headAt(this.headBlock)?.timestampMs ?? this.heads.timestamp * 1_000;
  }

  /** The head block's base fee, once a head has been read. */
  get baseFeePerGas(): bigint | null {
    return this.headBlock < 0 ? null : this.heads.baseFeePerGas;
  }

  get reconciled(): ReconciliationReport | null {
    return this.reconciliation;
  }

  onTick(listener: TickListener): void {
    this.listeners.push(listener);
  }

  /**
   * Start-up, in the order that keeps it safe: markets read their configuration, discover borrowers
   * (resuming from checkpoints) and read every position; then every open intent of a previous run is
   * reconciled against the chain — all before the first tick can send anything.
   */
  async start(): Promise<void> {
    if (this.started) throw new Error("the keeper engine is already started");
    const { chain, markets, journal, logger } = this.deps;
    const head = await chain.getBlockNumber();
    await this.heads.getBlock(head);
    for (const market of markets) {
      await market.init();
      const discovery = await market.discoverBorrowers(this.deps.discoveryStartBlock(market), head);
      const refresh = await market.refreshPositions(undefined, head);
      logger.info(
        {
          market: market.id,
          borrowers: discovery.borrowers.length,
          tracked: refresh.tracked,
          liquidatable: refresh.liquidatable,
          block: head,
        },
        "market ready",
      );
    }
    this.deps.oracleCollector.setSubscriptions(markets.flatMap((market) => market.priceFeeds()));
    this.deps.protocolCollector.setSubscriptions(markets.flatMap((market) => market.protocolEventSubscriptions()));
    this.headBlock = head;
    this.lastHeadAtMs = this.clock();
    this.blocks = new BlockCollector(this.heads, head);

    this.reconciliation = await reconcileOpenIntents({
      journal,
      chain,
      stage: this.deps.execution,
      headBlock: head,
      at: this.instant(),
      logger,
    });
    if (this.reconciliation.examined > 0) {
      journal.recordSystemEvent({
        kind: "reconciliation",
        actor: "keeper",
        detail: `reconciled ${this.reconciliation.examined} open intent(s) before sending anything`,
        data: this.reconciliation.outcomes,
      });
    }
    journal.recordSystemEvent({
      kind: "startup",
      actor: "keeper",
      detail: `keeper started on ${this.deps.network} in ${this.mode} at block ${head}`,
      data: { network: this.deps.network, mode: this.mode, head, operator: this.deps.execution.operator },
    });
    this.started = true;
    // The fast path: an oracle log pushed by the subscription is reacted to as it arrives, not at the next tick.
    this.deps.oracleCollector.onPushed((answers, arrivedAtMs) => {
      const made: DecisionRecord[] = [];
      void this.exclusively(async () => {
        await this.reactToAnswers(answers, arrivedAtMs, made);
        this.pushedDecisions.push(...made);
      }).catch((error: unknown) =>
        this.deps.logger.warn({ error: messageOf(error) }, "reaction to a pushed oracle update failed; the next tick retries it"),
      );
    });
    // Positions already liquidatable at start are opportunities too.
    await this.react(
      markets.flatMap((market) => market.liquidatable().map((position) => ({ market, position }))),
      this.latencyClock(),
      [],
    );
  }

  /** Processes every block new since the last tick; null when the chain has not moved. */
  async tick(): Promise<TickReport | null> {
    if (!this.started || this.blocks === null) throw new Error("call start() before tick()");
    const newHead = await this.blocks.poll();
    if (newHead === null) {
      this.applyControls();
      return null;
    }
    const report = await this.process(newHead);
    for (const listener of this.listeners) listener(report);
    return report;
  }

  private async process(newHead: NewHead): Promise<TickReport> {
    const { markets, oracleCollector, protocolCollector, execution } = this.deps;
    this.headBlock = newHead.number;
    this.lastHeadAtMs = this.clock();
    this.deps.ownSales.reset();
    // Operator commands first, so a resume or a mode change governs this block's reactions.
    const controls = this.applyControls();
    const decisions: DecisionRecord[] = [];

    // A. Reaction to price updates not already reacted to on the fast path: in memory, then plan and send.
    const answers = await oracleCollector.collect(newHead.range);
    const pushed = this.pushedDecisions;
    this.pushedDecisions = [];
    decisions.push(...pushed);
    if (answers.length > 0) await this.exclusively(() => this.reactToAnswers(answers, this.latencyClock(), decisions, newHead));

    // B. Bookkeeping: protocol events (first, so a receipt is judged against the liquidations that beat it),
    // receipts, interest, then what those made liquidatable.
    const events = await protocolCollector.collect(newHead.range);
    this.deps.races?.observe(events);
    this.deps.races?.prune(newHead.number);
    for (const lost of this.deps.races?.settleUnsent(newHead.number) ?? []) this.recordUnsentLoss(lost);
    const settlement = await execution.settle(newHead.number, this.instant());
    this.countSettlement(settlement);
    const followUp = new Map<string, PositionToPlan>();
    for (const market of markets) {
      const mine = events.filter((event) => event.market === market.id);
      if (mine.length > 0) {
        const update = await market.onProtocolEvents(mine, newHead.range);
        for (const position of update.newlyLiquidatable) followUp.set(positionKeyId(position.key), { market, position });
        for (const borrower of touchedBorrowers(mine)) {
          const position = market.position(borrower);
          if (position !== undefined && position.healthFactor < 10n ** 18n) followUp.set(positionKeyId(position.key), { market, position });
        }
      }
      const accrual = await market.onBlock(newHead);
      for (const position of accrual.newlyLiquidatable) followUp.set(positionKeyId(position.key), { market, position });
    }
    for (const failed of settlement.failed) this.scheduleRetry(failed.planId, `transaction ${failed.detail}`);
    for (const [id, entry] of this.retry) {
      if (entry.dueBlock > newHead.number || followUp.has(id)) continue;
      const position = entry.market.position(entry.borrower);
      if (position === undefined || position.healthFactor >= 10n ** 18n) {
        this.retry.delete(id);
        continue;
      }
      if (entry.reason === "breaker-halted" && (this.deps.risk.breaker.state === "HALTED" || this.operatorHaltReason !== null)) continue;
      followUp.set(id, { market: entry.market, position });
    }
    await this.exclusively(() => this.react([...followUp.values()], this.latencyClock(), decisions));

    await this.warmCaches(newHead.number);
    await this.observeOperations(newHead.number);
    this.deps.risk.persist();
    const stats = markets.map((market) => market.stats());
    return {
      head: newHead.number,
      range: newHead.range,
      priceUpdates: answers.length,
      protocolEvents: events.length,
      decisions,
      settlement,
      controls,
      tracked: stats.reduce((sum, s) => sum + s.tracked, 0),
      liquidatable: stats.reduce((sum, s) => sum + s.liquidatable, 0),
    };
  }

  /**
   * Plans the given positions (minus those with a transaction in flight), ranks the plans, gates each
   * and executes the approved ones in rank order, then journals every decision in one write.
   */
  /**
   * Plans, gates and executes the given positions (minus those with a transaction in flight), as a pipeline:
   * rank them (largest debt first), plan the first ONE alone so its transaction leaves before the rest are even
   * sized, then chunks of REACTION_CHUNK — each chunk planned while the previous one is simulated (its plans' calls all
   * in flight at once), signed and sent, and a chunk's plans that share a flash loan going as one liquidateBatch
   * when that beats sending them one by one. Every decision is journaled, chunk by chunk.
   */
  private async react(items: readonly PositionToPlan[], seenAtMs: number, out: DecisionRecord[], trigger?: PriceTrigger): Promise<void> {
    const inFlight = this.deps.execution.inFlightPositions();
    const unique = new Map<string, PositionToPlan>();
    for (const item of items) {
      const id = positionKeyId(item.position.key);
      if (!inFlight.has(id)) unique.set(id, item);
    }
    if (unique.size === 0) return;
    const ordered = [...unique.values()].sort((a, b) => largestDebtUsd(b) - largestDebtUsd(a));
    const chunks: PositionToPlan[][] = [ordered.slice(0, 1)];
    for (let start = 1; start < ordered.length; start += REACTION_CHUNK) chunks.push(ordered.slice(start, start + REACTION_CHUNK));
    const plan = (chunk: readonly PositionToPlan[]) => {
      const head = this.currentHead();
      return this.deps.planner
        .plan(chunk, { number: head, baseFeePerGas: this.heads.baseFeePerGas })
        .then((decisions) => ({ decisions, head }));
    };
    let next = plan(chunks[0]!);
    for (let index = 0; index < chunks.length; index++) {
      const planned = await next;
      // The next chunk is sized (quotes, flash liquidity) while this one is simulated, signed and sent.
      if (index + 1 < chunks.length) next = plan(chunks[index + 1]!);
      await this.executeChunk(planned.decisions, unique, seenAtMs, out, trigger, index > 0);
    }
  }

  private async executeChunk(
    decisions: readonly PlanDecision[],
    unique: ReadonlyMap<string, PositionToPlan>,
    seenAtMs: number,
    out: DecisionRecord[],
    trigger: PriceTrigger | undefined,
    allowBatch: boolean,
  ): Promise<void> {
    const { risk, execution, metrics, journal } = this.deps;
    // The newest head known, not the one this tick started with: a plan's deadline counts from the block it is
    // simulated on, and a reaction that took a while must not sign a plan already expired.
    const head = this.currentHead();
    metrics.opportunitiesDetected.inc(decisions.length);
    this.totals.detected += decisions.length;

    const planned = decisions.filter((decision) => decision.plan !== null).sort((a, b) => comparePlans(a.plan!, b.plan!));
    const records: DecisionRecord[] = decisions.filter((decision) => decision.plan === null).map((decision) => ({ decision, block: head }));
    const approved: { decision: PlanDecision; context: ExecutionContext }[] = [];
    for (const decision of planned) {
      const plan = decision.plan!;
      const at = this.instant();
      const verdict =
        this.operatorHaltReason !== null
          ? ({ approved: false, reason: "breaker-halted", detail: `operator halt: ${this.operatorHaltReason}` } as const)
          : risk.riskGate.evaluate(plan, { now: at, breaker: risk.breaker });
      if (!verdict.approved) {
        records.push({ decision: { ...decision, outcome: "skipped", reason: verdict.reason, detail: verdict.detail }, block: head });
        continue;
      }
      // What this keeper's own sales of EARLIER chunks will take off this plan; within the chunk, the batched
      // simulation already runs each plan after the ones before it.
      const profitShortfall = await this.deps.ownSales.shortfall(plan, head);
      approved.push({ decision, context: { mode: this.mode, headBlock: head, seenAtMs, at, profitShortfall, trigger } });
    }
    // Gating and own-sales quotes took time on a chain that did not wait: the deadline counts from the newest head.
    const simulatedOn = this.currentHead();
    const reports = await execution.executeMany(
      approved.map((item) => ({
        plan: item.decision.plan!,
        context: { ...item.context, headBlock: Math.max(item.context.headBlock, simulatedOn) },
      })),
      { batch: allowBatch },
    );
    approved.forEach(({ decision }, index) => {
      const plan = decision.plan!;
      const report = reports[index]!;
      if (report.status === "sent") this.deps.ownSales.record(plan);
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
      const item = unique.get(id);
      const status = record.execution?.status;
      if (status === "sent" || status === "dry-run") {
        this.retry.delete(id);
      } else if (
        item !== undefined &&
        (status === "simulation-failed" || status === "not-sent" || RETRYABLE_REFUSALS.has(record.decision.reason ?? ""))
      ) {
        this.noteRetry(id, item, record.decision.reason ?? status ?? "unknown");
      } else if (record.decision.outcome === "skipped") {
        this.retry.delete(id);
      }
    }
    journal.recordDecisions(
      records.map((record) => record.decision),
      head,
    );
    out.push(...records);
  }

  /** Runs `work` after every reaction already queued (reactions never interleave their sends). */
  private exclusively<T>(work: () => Promise<T>): Promise<T> {
    const run = this.reactionQueue.then(work, work);
    this.reactionQueue = run.catch(() => undefined);
    return run;
  }

  /** Oracle answers → in-memory recompute (a re-read where a market needs one) → plan and send what went under. */
  private async reactToAnswers(answers: readonly FeedAnswer[], seenAtMs: number, out: DecisionRecord[], head?: NewHead): Promise<void> {
    const { markets } = this.deps;
    const newest = Math.max(...answers.map((answer) => answer.blockNumber));
    const trigger = this.triggerOf(
      answers,
      head ?? { number: newest, timestamp: 0, timestampMs: 0, type: "block", range: { fromBlock: newest, toBlock: newest } },
    );
    const touched = new Set<LendingMarket>();
    const rereads = new Set<LendingMarket>();
    for (const answer of answers) {
      for (const market of markets) {
        const reaction = market.onPriceUpdate(answer);
        if (reaction.needsChainRead) rereads.add(market);
        if (reaction.recomputed > 0) touched.add(market);
      }
    }
    for (const market of rereads) {
      await market.refreshPrices(Math.max(newest, this.headBlock));
      touched.add(market);
    }
    const repriced: PositionToPlan[] = [...touched].flatMap((market) => market.liquidatable().map((position) => ({ market, position })));
    await this.react(repriced, seenAtMs, out, trigger);
  }

  /** The newest head known: the engine's own, or a newer one the head stream has already seen. */
  private currentHead(): number {
    return Math.max(this.headBlock, this.deps.heads?.latest?.number ?? -1);
  }

  /** Lenders' balances for every debt token the markets hold, read now so the next reaction reads none. */
  private async warmCaches(head: number): Promise<void> {
    const debtTokens = new Set<Address>();
    for (const market of this.deps.markets)
      for (const position of market.positions()) for (const debt of position.debts) debtTokens.add(debt.token);
    try {
      await this.deps.planner.warm({ number: head, baseFeePerGas: this.heads.baseFeePerGas }, [...debtTokens]);
    } catch (error) {
      this.deps.logger.warn({ error: messageOf(error) }, "could not refresh flash liquidity; the next reaction reads it itself");
    }
  }

  private noteRetry(id: string, item: PositionToPlan, reason: string): void {
    const previous = this.retry.get(id);
    const failures = (previous?.failures ?? 0) + 1;
    // initial, doubling up to max (config execution.retryBackoff, in blocks): a plan that keeps failing costs a
    // simulation every max blocks, not one a block.
    const backoff = this.deps.retryBackoffBlocks ?? { initial: 1, max: 32 };
    const wait = Math.min(backoff.max, backoff.initial * 2 ** (failures - 1));
    this.retry.set(id, { market: item.market, borrower: item.position.key.borrower, reason, dueBlock: this.headBlock + wait, failures });
  }

  /** A sent transaction that did not land (reverted, replaced): its position is worth another attempt. */
  private scheduleRetry(planId: string, reason: string): void {
    const execution = this.deps.journal.getExecution(planId);
    if (execution === undefined) return;
    const market = this.deps.markets.find((candidate) => candidate.id === execution.market);
    const position = market?.position(execution.borrower);
    if (market === undefined || position === undefined) return;
    this.noteRetry(positionKeyId(position.key), { market, position }, reason);
  }

  /** A plan never sent because a rival had already liquidated the position: a lost race, not a failure. */
  private recordUnsentLoss(lost: LostRace): void {
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

  private countSettlement(settlement: SettlementReport): void {
    // Positions, not transactions: a liquidateBatch lands several at once.
    this.totals.included += settlement.included.reduce((sum, included) => sum + included.positions, 0);
    this.totals.failed += settlement.failed.length;
    this.totals.lostRaces += settlement.lost.length;
    for (const included of settlement.included) {
      if (included.priceToInclusion === undefined) continue;
      this.inclusions.push(included.priceToInclusion);
      if (this.inclusions.length > 500) this.inclusions.shift();
    }
    for (const included of settlement.included) this.totals.realisedProfitUsd += included.realisedProfitUsd;
  }

  /** The breaker's external triggers, the operator's balance, head lag. */
  private async observeOperations(head: number): Promise<void> {
    const { conditions, risk, metrics, chain, execution, alerts, logger } = this.deps;
    let external = {};
    try {
      external = conditions === null ? {} : await conditions.read(head);
    } catch (error) {
      logger.warn({ error: messageOf(error) }, "could not read the sequencer feed / executor pause state");
    }
    risk.observe({ at: this.instant(), lastHeadAtMs: this.lastHeadAtMs ?? undefined, ...external });
    const operator = execution.operator;
    if (operator !== null) {
      try {
        const balance = await chain.getBalance(operator);
        metrics.setOperatorBalanceWei(operator, balance);
        // Raised while under the floor, resolved (PagerDuty incident closed) once topped up.
        void alerts?.track(operatorBalanceAlertKey(operator), checkOperatorBalance(balance, this.deps.operatorBalanceFloorWei, operator));
      } catch (error) {
        logger.warn({ error: messageOf(error) }, "could not read the operator balance");
      }
    }
    for (const { endpoint, lagBlocks } of this.deps.headLag?.() ?? [{ endpoint: "default", lagBlocks: 0 }]) {
      metrics.rpcHeadLag.labels(endpoint).set(lagBlocks);
    }
  }

  private applyControls(): AppliedControl[] {
    const { journal, risk, metrics, logger } = this.deps;
    const stateBefore = risk.breaker.state;
    const applied = applyPendingControlRequests(
      {
        journal,
        breaker: risk.breaker,
        riskGate: risk.riskGate,
        getMode: () => this.mode,
        setMode: (mode) => {
          this.mode = mode;
          metrics.setMode(mode);
        },
        liveViolations: () => this.deps.liveViolations(),
        setOperatorHalt: (reason) => {
          this.operatorHaltReason = reason;
        },
        operatorHalt: () => this.operatorHaltReason,
      },
      this.instant(),
    );
    if (applied.length > 0) {
      for (const control of applied) logger.info({ control }, `control request #${control.id} (${control.kind}) ${control.outcome}`);
      if (risk.breaker.state !== stateBefore || applied.some((c) => c.kind === "tier" && c.outcome === "applied")) risk.noteTransition();
      risk.persist(true);
    }
    return applied;
  }

  /** /readyz inputs: head fresh, journal writable, breaker not HALTED. */
  readiness(): ReadinessInputs {
    const ageSeconds = this.lastHeadAtMs === null ? Infinity : (this.clock() - this.lastHeadAtMs) / 1_000;
    const writable = this.deps.journal.checkWritable();
    const breakerState = this.operatorHaltReason !== null ? "HALTED" : this.deps.risk.breaker.state;
    return {
      rpcHeadFresh: this.started && ageSeconds <= this.deps.staleHeadSeconds,
      rpcHeadDetail: this.started
        ? `head ${this.headBlock} seen ${ageSeconds.toFixed(1)} s ago (limit ${this.deps.staleHeadSeconds} s)`
        : "the keeper is still starting (markets loading, intents reconciling)",
      journalWritable: writable.ok,
      journalDetail: writable.ok ? `journal ${this.deps.journal.path} is writable` : `journal not writable: ${writable.error}`,
      breakerState,
    };
  }

  /** /status: what the keeper is doing, with no secret in it (addresses and hashes are public). */
  status(): Record<string, unknown> {
    const { markets, risk, execution } = this.deps;
    return {
      network: this.deps.network,
      mode: this.mode,
      started: this.started,
      uptimeSeconds: Math.round((this.clock() - this.startedAtMs) / 1_000),
      head: this.headBlock,
      lastHeadAt: this.lastHeadAtMs === null ? null : new Date(this.lastHeadAtMs).toISOString(),
      headTime: this.headTime(),
      races: { won: this.totals.included, lost: this.totals.lostRaces },
      priceToInclusion: summarizeInclusions(this.inclusions),
      operator: execution.operator,
      operatorHalt: this.operatorHaltReason,
      breaker: risk.breaker.describe(),
      limits: { label: risk.riskGate.limitsLabel, ...stringifyBigints(risk.riskGate.limits) },
      today: risk.riskGate.totalsAt(this.instant()),
      markets: markets.map((market) => ({ id: market.id, label: market.label, ...market.stats() })),
      inFlight: execution.inFlight().map((tracked) => ({
        planId: tracked.planId,
        txHashes: tracked.attempts.map((attempt) => attempt.hash),
        nonce: tracked.attempts[0]?.prepared.nonce,
        sentAtBlock: tracked.sentAtBlock,
      })),
      totals: { ...this.totals },
      reconciliation:
        this.reconciliation === null ? null : { examined: this.reconciliation.examined, outcomes: this.reconciliation.outcomes },
    };
  }

  /** Journals the shutdown and saves risk state; the caller closes the journal, server and lock. */
  stop(reason: string): void {
    this.deps.risk.persist(true);
    this.deps.journal.recordSystemEvent({
      kind: "shutdown",
      actor: "keeper",
      detail: reason,
      data: { head: this.headBlock, totals: this.totals },
    });
  }

  /** The oracle update a reaction answers: the newest answer's block and its millisecond time (Denim's timestampMs). */
  private triggerOf(answers: readonly { blockNumber: number; blockTimestampMs?: number }[], head: NewHead): PriceTrigger | undefined {
    if (answers.length === 0) return undefined;
    const newest = answers.reduce((a, b) => (b.blockNumber > a.blockNumber ? b : a));
    const timestampMs =
      newest.blockTimestampMs ??
      this.deps.heads?.headAt(newest.blockNumber)?.timestampMs ??
      (newest.blockNumber === head.number ? head.timestampMs : undefined);
    return { blockNumber: newest.blockNumber, timestampMs };
  }

  /** The head's own millisecond time and how late this keeper learned of it (null without a head stream). */
  private headTime(): { timestampMs: number; receivedAt: string; lagMs: number; via: string } | null {
    const head = this.deps.heads?.headAt(this.headBlock);
    if (head === undefined) return null;
    return {
      timestampMs: head.timestampMs,
      receivedAt: new Date(head.receivedAtMs).toISOString(),
      lagMs: Math.max(0, head.receivedAtMs - head.timestampMs),
      via: head.via,
    };
  }

  private instant(): Instant {
    return { timeMs: this.clock(), block: Math.max(0, this.headBlock) };
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

/** Positions planned per batch within one reaction. */
const REACTION_CHUNK = 6;

function largestDebtUsd(item: PositionToPlan): number {
  return item.position.debts.reduce((max, debt) => Math.max(max, debt.valueUsd), 0);
}

/** Risk refusals that pass with time (the next block, a resume): the position is tried again. */
const RETRYABLE_REFUSALS: ReadonlySet<string> = new Set([
  "borrower-cooldown",
  "breaker-throttled",
  "breaker-halted",
  "daily-volume-exceeded",
  "priority-fee-cap",
  "simulation-failed",
]);

function touchedBorrowers(events: readonly ProtocolEvent[]): Address[] {
  const out = new Set<Address>();
  for (const event of events) if (event.type === "position-changed") out.add(event.borrower.toLowerCase() as Address);
  return [...out];
}

function stringifyBigints(value: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, typeof v === "bigint" ? v.toString() : v]));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
