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
 *   A. reaction: oracle answers → in-memory recompute → plan → gate → send (reaction-pipeline.ts).
 *      Nothing slower than what the decision needs runs before the transaction is signed (decision
 *      latency is measured from the moment the answer is seen to the signed transaction). An oracle log
 *      pushed by the subscription is reacted to as it arrives (the fast path), not at the next tick.
 *   B. bookkeeping: protocol events (first, so a receipt is judged against the liquidations that beat
 *      it: race-book.ts), receipts of in-flight transactions, re-reads of touched borrowers, the block's
 *      interest accrual, and a second reaction for what those made liquidatable; then the breaker's
 *      external observations, control requests, balances and metrics.
 *
 * Only the holder of the journal's leader lease reacts, sends, settles, applies control requests and
 * saves risk state (deps.leadership). A standby runs every tick's reads — prices, protocol events,
 * accrual, lenders' balances — so its health factors stay current, and on getting the lease it `lead`s:
 * the last leader's risk state, the chain's nonce, the breaker's causes re-read, the queue applied, open
 * intents reconciled, then a reaction to everything liquidatable.
 */
import { positionKeyId, type Address, type KeeperMode } from "../core/types";
import { BlockCollector, type NewHead } from "../collectors/block-collector";
import type { ProtocolEvent } from "../markets/market";
import type { Instant } from "../risk/instant";
import type { ReadinessInputs } from "../telemetry/http-server";
import type { SettlementReport } from "../execution/execution-stage";
import { reconcileOpenIntents, type ReconciliationReport } from "../execution/intent-reconciler";
import { applyControlsToEngine, type AppliedControl } from "./control-requests";
import type { DecisionRecord, KeeperEngineDeps, TickListener, TickReport } from "./engine-deps";
import type { PositionToPlan } from "./opportunity-planner";
import { curvePairsNear } from "./quote-curves";
import { RaceBook } from "./race-book";
import { ReactionPipeline, type ReactionHost } from "./reaction-pipeline";
import { RetryScheduler } from "./retry-scheduler";
import { ChainAnchor } from "../journal/chain-binding";
import { HeadReader } from "./head-reader";
import { chainHeadSeenAtMs, OperationsWatch } from "./operations-watch";
import { engineReadiness, engineStatus, type EngineSnapshot, type EngineTotals } from "./engine-status";
import { errorMessage } from "../core/error-message";

export type { EngineTotals } from "./engine-status";
export type { DecisionRecord, EngineChain, KeeperEngineDeps, TickListener, TickReport } from "./engine-deps";

/** What a standby's block settles: nothing (only the leader tracks transactions). */
const NO_SETTLEMENT: SettlementReport = { included: [], failed: [], replaced: [], lost: [] };

export class KeeperEngine {
  private readonly deps: KeeperEngineDeps;
  private readonly clock: () => number;
  private readonly latencyClock: () => number;
  private readonly heads: HeadReader;
  private readonly watch: OperationsWatch;
  private readonly anchor: ChainAnchor;
  private blocks: BlockCollector | null = null;
  private mode: KeeperMode;
  private headBlock = -1;
  private lastHeadAtMs: number | null = null;
  private readonly listeners: TickListener[] = [];
  private started = false;
  /** Whether this instance acts as the leader (it took the lease and has not lost it since). */
  private leading = false;
  /** Set by requestStop(): reactions end at their next chunk, so a stopping keeper is not held by a busy step. */
  private stopping = false;
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
  /** Positions whose last attempt ended for a reason that may pass, tried again with backoff. */
  private readonly retries: RetryScheduler;
  private readonly races: RaceBook;
  private readonly reaction: ReactionPipeline;
  /** Decisions made on the fast path since the last tick report, which carries them. */
  private pushedDecisions: DecisionRecord[] = [];

  constructor(deps: KeeperEngineDeps) {
    this.deps = deps;
    this.clock = deps.clock ?? Date.now;
    this.latencyClock = deps.latencyClock ?? (() => performance.now());
    this.heads = new HeadReader(deps.chain, deps.heads ?? null);
    this.retries = new RetryScheduler(deps.retryBackoffBlocks);
    this.races = new RaceBook(deps, this.totals);
    this.reaction = new ReactionPipeline(deps, this.reactionHost(), this.totals, this.retries, this.races);
    this.watch = new OperationsWatch(deps);
    this.anchor = new ChainAnchor(deps.journal, deps.chain, this.clock);
    this.mode = deps.initialMode;
    this.startedAtMs = this.clock();
    deps.metrics.setMode(this.mode);
  }

  /**
   * The operator asked the keeper to stop (SIGINT): a reaction in progress ends at its next chunk (what is signed is
   * sent and tracked; nothing new is planned), so the loop's iteration ends and the run report is written. A busy
   * step on a loaded machine could otherwise hold the keeper past its stop deadline and lose the report.
   */
  requestStop(): void {
    this.stopping = true;
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
    return this.races.headTimestampMs(this.headBlock) ?? this.heads.timestamp * 1_000;
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
   * Start-up: markets read their configuration, discover borrowers (resuming from checkpoints) and read
   * every position; then, if this instance holds the journal's lease, it leads (`lead`: breaker causes
   * re-read, queued requests applied, open intents reconciled) before the first tick can send anything.
   */
  async start(): Promise<void> {
    if (this.started) throw new Error("the keeper engine is already started");
    const { chain, markets, journal, logger } = this.deps;
    const head = await chain.getBlockNumber();
    await this.heads.getBlock(head);
    for (const market of markets) {
      await market.init();
      const discovery = await market.discoverBorrowers(market.discoveryStartBlock, head);
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
    journal.recordSystemEvent({
      kind: "startup",
      actor: "keeper",
      detail: `keeper started on ${this.deps.network} in ${this.mode} at block ${head}${this.mayLead ? "" : " as a standby"}`,
      data: { network: this.deps.network, mode: this.mode, head, operator: this.deps.execution.operator },
    });
    this.started = true;
    // Prepared plans also follow the pushed heads, not only the ticks a long reaction can hold (prepareAheadFor).
    this.deps.heads?.onHead((pushed) => void (this.leading ? this.prepareAhead(pushed.number, true) : undefined));
    // The fast path: an oracle log pushed by the subscription is reacted to as it arrives, not at the next tick.
    this.deps.oracleCollector.onPushed((answers, arrivedAtMs) => {
      const made: DecisionRecord[] = [];
      void this.reaction
        .exclusivelyForPrices(async () => {
          await this.reaction.reactToAnswers(answers, arrivedAtMs, made);
          this.pushedDecisions.push(...made);
        })
        .catch((error: unknown) =>
          logger.warn({ error: errorMessage(error) }, "reaction to a pushed oracle update failed; the next tick retries it"),
        );
    });
    if (this.mayLead) await this.lead("start");
    else logger.info({ lease: this.deps.leadership?.lease }, "standing by: another keeper holds the journal's leader lease");
  }

  /** Whether this instance may send now: it holds the journal's leader lease (always, without one). */
  private get mayLead(): boolean {
    return this.deps.leadership?.isLeader ?? true;
  }

  /**
   * Becomes the instance that sends, at start or taking over from a leader that stopped, in the order
   * that keeps it safe: the risk state the last leader saved (takeover); the breaker's external triggers
   * re-read BEFORE queued control requests are applied (a request queued while no keeper ran is judged
   * against the chain as it is now); every open intent reconciled against the chain, then the key's next
   * nonce read again (chain `latest` and the journal's open claims); only then a reaction to whatever is
   * liquidatable.
   */
  private async lead(occasion: "start" | "takeover"): Promise<void> {
    this.leading = true;
    try {
      await this.takeCharge(occasion);
    } catch (error) {
      // Half a takeover is none (a read timed out on a loaded machine): stand back, forget what it began tracking,
      // and let the next tick start it again from the top. Counting itself leader here would leave what is already
      // liquidatable unreacted to for good: only new prices and events trigger reactions after the takeover's own.
      this.leading = false;
      this.deps.execution.forgetInFlight();
      throw error;
    }
  }

  private async takeCharge(occasion: "start" | "takeover"): Promise<void> {
    const { journal, chain, execution, logger, risk, leadership } = this.deps;
    if (occasion === "takeover") risk.reload(this.instant());
    await this.watch.observeConditions(this.headBlock, this.instant(), this.headSeenAtMs());
    this.applyControls();
    this.reconciliation = await reconcileOpenIntents({
      journal,
      chain,
      stage: execution,
      headBlock: this.headBlock,
      at: this.instant(),
      logger,
    });
    // The key's next nonce once every open intent is settled: the chain's latest count and the journal's claims
    // that are still open (an intent reconciled as never sent frees its nonce; one still on the wire keeps it).
    await execution.resyncNonces();
    if (this.reconciliation.examined > 0) {
      journal.recordSystemEvent({
        kind: "reconciliation",
        actor: "keeper",
        detail: `reconciled ${this.reconciliation.examined} open intent(s) before sending anything`,
        data: this.reconciliation.outcomes,
      });
    }
    if (leadership !== undefined) {
      const lease = leadership.lease;
      const detail = `${leadership.holderInfo} leads from block ${this.headBlock} (lease epoch ${lease?.epoch ?? "?"}${occasion === "takeover" ? ", taken over" : ""})`;
      journal.recordSystemEvent({
        kind: "leadership",
        actor: "keeper",
        detail,
        data: { instance: leadership.instanceId, epoch: lease?.epoch, occasion },
      });
      logger.info({ epoch: lease?.epoch, occasion }, detail);
    }
    await this.followAnchor(this.headBlock, true);
    // Positions already liquidatable are opportunities too.
    const markets = this.deps.markets;
    const items = markets.flatMap((market) => market.liquidatable().map((position) => ({ market, position })));
    await this.reaction.exclusively(() => this.reaction.react(items, this.latencyClock(), []));
  }

  /** Lost the lease: stops sending and tracking at once; the new leader reconciles what was in flight. */
  private standDown(): void {
    this.leading = false;
    const inFlight = this.deps.execution.forgetInFlight();
    this.deps.logger.warn(
      { inFlight, lease: this.deps.leadership?.lease },
      "lost the journal's leader lease: sending stopped, standing by (the new leader reconciles what was in flight)",
    );
  }

  /** Processes every block new since the last tick; null when the chain has not moved. */
  async tick(): Promise<TickReport | null> {
    if (!this.started || this.blocks === null) throw new Error("call start() before tick()");
    const leader = this.mayLead;
    if (leader && !this.leading) await this.lead("takeover");
    else if (!leader && this.leading) this.standDown();
    const newHead = await this.blocks.poll();
    if (newHead === null) {
      if (this.leading) this.applyControls();
      return null;
    }
    const report = await this.process(newHead);
    for (const listener of this.listeners) listener(report);
    return report;
  }

  private async process(newHead: NewHead): Promise<TickReport> {
    const { markets, oracleCollector, protocolCollector, execution, races } = this.deps;
    this.headBlock = newHead.number;
    this.lastHeadAtMs = this.clock();
    // A new block: dry runs' sales were never made; our sent ones leave the ledger once the chain holds them (not awaited).
    this.deps.ownSales.forgetDryRuns();
    if (this.leading) void this.reaction.catchUpLandedSales().catch(() => undefined);
    // Operator commands first, so a resume or a mode change governs this block's reactions.
    const controls = this.leading ? this.applyControls() : [];
    const decisions: DecisionRecord[] = [];

    // A. Reaction to price updates not already reacted to on the fast path: in memory, then plan and send.
    const answers = await oracleCollector.collect(newHead.range);
    decisions.push(...this.pushedDecisions);
    this.pushedDecisions = [];
    const seenAtMs = this.latencyClock();
    await this.reaction.exclusivelyForPrices(() => this.reaction.reactToAnswers(answers, seenAtMs, decisions, newHead));

    // B. Bookkeeping: protocol events (first, so a receipt is judged against the liquidations that beat it),
    // receipts, interest, then what those made liquidatable.
    const events = await protocolCollector.collect(newHead.range);
    races?.observe(events);
    races?.prune(newHead.number);
    for (const lost of races?.settleUnsent(newHead.number) ?? []) this.races.recordUnsentLoss(lost);
    const settlement = this.leading ? await execution.settle(newHead.number, this.instant()) : NO_SETTLEMENT;
    this.races.countSettlement(settlement);
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
    if (this.leading) {
      const halted = this.deps.risk.breaker.state === "HALTED";
      for (const [id, item] of this.retries.due(newHead.number, { halted, except: new Set(followUp.keys()) })) followUp.set(id, item);
    }
    const followUpAtMs = this.latencyClock();
    const followUpOptions = { yieldToPrices: true };
    await this.reaction.exclusively(() => this.reaction.react([...followUp.values()], followUpAtMs, decisions, undefined, followUpOptions));

    await this.warmCaches(newHead.number);
    if (this.leading) await this.prepareAhead(newHead.number);
    // Routes sampled for the next reactions' quotes (quote-curves.ts): after the prepared plans, and not awaited.
    if (this.leading) this.deps.planner.sampleRoutes(newHead.number, () => curvePairsNear(markets.flatMap((market) => market.positions())));
    if (this.leading) await this.watch.observeConditions(newHead.number, this.instant(), this.headSeenAtMs());
    await this.watch.observeBalanceAndLag(this.deps.execution.operator);
    if (this.leading) {
      this.deps.risk.persist();
      await this.followAnchor(newHead.number);
    }
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

  /** Lenders' balances for every debt token the markets hold, read now so the next reaction reads none. */
  private async warmCaches(head: number): Promise<void> {
    const debtTokens = new Set<Address>();
    for (const market of this.deps.markets)
      for (const position of market.positions()) for (const debt of position.debts) debtTokens.add(debt.token);
    try {
      await this.deps.planner.warm({ number: head, baseFeePerGas: this.heads.baseFeePerGas }, [...debtTokens]);
    } catch (error) {
      this.deps.logger.warn({ error: errorMessage(error) }, "could not refresh flash liquidity; the next reaction reads it itself");
    }
  }

  /**
   * Plans for the positions near liquidation, ready before the price that crosses them (prepared-plans.ts). Not on
   * the reactions' lock: its quotes take round trips, and an oracle log arriving meanwhile must be acted on at once
   * (it finds the previous block's plans until the new ones replace them in one step).
   */
  private async prepareAhead(head: number, pushed = false): Promise<void> {
    try {
      await this.reaction.prepareAheadFor(head, pushed);
    } catch (error) {
      this.deps.logger.warn({ error: errorMessage(error) }, "could not prepare plans ahead of the price; reactions plan afresh");
    }
  }

  /** A sent transaction that did not land (reverted, replaced): its position is worth another attempt. */
  private scheduleRetry(planId: string, reason: string): void {
    const execution = this.deps.journal.getExecution(planId);
    if (execution === undefined) return;
    const market = this.deps.markets.find((candidate) => candidate.id === execution.market);
    const position = market?.position(execution.borrower);
    if (market === undefined || position === undefined) return;
    this.retries.noteFailure(positionKeyId(position.key), { market, position }, reason, this.headBlock);
  }

  private applyControls(): AppliedControl[] {
    const { journal, risk, metrics, logger } = this.deps;
    const engine = {
      journal,
      risk,
      metrics,
      logger,
      liveViolations: () => this.deps.liveViolations(),
      getMode: () => this.mode,
      setMode: (mode: KeeperMode) => void (this.mode = mode),
    };
    return applyControlsToEngine(engine, this.instant());
  }

  /** /readyz inputs: head fresh, journal writable, breaker not HALTED. */
  readiness(): ReadinessInputs {
    return engineReadiness(this.snapshot(), this.deps);
  }

  /** /status: what the keeper is doing, with no secret in it (addresses and hashes are public). */
  status(): Record<string, unknown> {
    return engineStatus(this.snapshot(), this.deps);
  }

  private snapshot(): EngineSnapshot {
    return {
      network: this.deps.network,
      mode: this.mode,
      started: this.started,
      startedAtMs: this.startedAtMs,
      nowMs: this.clock(),
      head: this.headBlock,
      lastHeadAtMs: this.headSeenAtMs(),
      staleHeadSeconds: this.deps.staleHeadSeconds,
      totals: this.totals,
      reconciliation: this.reconciliation,
      leading: this.leading,
      leadership: this.deps.leadership,
      race: this.races.status(this.headBlock),
      reacting: this.reaction.busy,
    };
  }

  /** Journals the shutdown and saves risk state; the caller closes the journal, server and lock. */
  stop(reason: string): void {
    if (this.leading) this.deps.risk.persist(true);
    this.deps.journal.recordSystemEvent({
      kind: "shutdown",
      actor: "keeper",
      detail: reason,
      data: { head: this.headBlock, totals: this.totals },
    });
  }

  /** The journal's chain anchor (keeper/journal/chain-binding.ts); a failed read only delays it. */
  private async followAnchor(head: number, force = false): Promise<void> {
    try {
      await this.anchor.follow(head, force);
    } catch (error) {
      this.deps.logger.warn({ error: errorMessage(error) }, "could not read the block for the journal's chain anchor; trying again later");
    }
  }

  /** The engine's state as the reaction pipeline reads it, at the moment it reads it. */
  private reactionHost(): ReactionHost {
    const read = {
      mode: () => this.mode,
      head: () => this.headBlock,
      baseFee: () => this.heads.baseFeePerGas,
    };
    return {
      get mode() {
        return read.mode();
      },
      get head() {
        return read.head();
      },
      get baseFeePerGas() {
        return read.baseFee();
      },
      mayReact: () => this.leading && this.mayLead && !this.stopping,
      instant: () => this.instant(),
    };
  }

  /** The chain's liveness for the breaker: the head stream's newest arrival, not when a long tick began (operations-watch.ts). */
  private headSeenAtMs(): number | null {
    return chainHeadSeenAtMs({ number: this.headBlock, takenAtMs: this.lastHeadAtMs }, this.deps.heads?.latest);
  }

  private instant(): Instant {
    return { timeMs: this.clock(), block: Math.max(0, this.headBlock) };
  }
}

function touchedBorrowers(events: readonly ProtocolEvent[]): Address[] {
  const out = new Set<Address>();
  for (const event of events) if (event.type === "position-changed") out.add(event.borrower.toLowerCase() as Address);
  return [...out];
}
