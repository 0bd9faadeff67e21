/**
 * What every lending-market plug-in does the same way: its identity (`<protocol>:<label>` ids), the
 * options every market takes, keeping positions in a PositionBook, discovering borrowers through a
 * BorrowerDiscovery that starts at the protocol's deployment block, the frame of a position refresh
 * (which borrowers, at which block, how many eth_calls), routing protocol events to re-reads, the
 * default collateral/debt pairs, and answering the engine's queries. A plug-in extends this and
 * supplies only its protocol's parts: reading positions (`readPositions`), the health-factor math
 * (`reevaluateAll`), what a market-parameter change means (`reloadMarketParameters`) and sizing.
 */
import type { Address } from "../config/address-book";
import type { LiquidationCandidate, MarketProtocol, TrackedPosition } from "../core/types";
import { decodeUintWord, GET_CURRENT_BLOCK_TIMESTAMP_SELECTOR, type MulticallCall, type MulticallResult } from "../chain/multicall";
import type { CrossingModel } from "./crossing-index";
import { DEFAULT_FULL_EVALUATION_SECONDS, EvaluationSchedule, NEAR_LEVEL } from "./evaluation-schedule";
import { WAD } from "../core/fixed-point";
import { BorrowerDiscovery, type BorrowerEventStream } from "./borrower-discovery";
import {
  SILENT_LOGGER,
  type BlockRange,
  type BlockRef,
  type DiscoveryResult,
  type LiquidationPair,
  type MarketLogger,
  type MarketStats,
  type MarketUpdate,
  type ProtocolEvent,
  type RefreshResult,
} from "./market";
import type { CommonMarketOptions, MarketDependencies } from "./market-dependencies";
import { returnDataOf } from "./multicall-results";
import { PositionBook } from "./position-book";
import { routeProtocolEvents } from "./protocol-event-routing";
import type { SizingResult } from "./sizing-result";

const NOTHING_CHANGED: MarketUpdate = { recomputed: 0, newlyLiquidatable: [] };

/** One borrower as a refresh read it: its protocol state and the price keys it is exposed to, or null without debt. */
export interface BorrowerRead<State> {
  readonly borrower: Address;
  readonly read: { readonly state: State; readonly priceKeys: readonly string[] } | null;
}

/** One price key's move, in the unit its market's CrossingModel reports prices in. */
export interface PriceMove {
  readonly key: string;
  readonly from: number;
  readonly to: number;
}

/** Who a market is: its plug-in's name, the deployment's label, and the first block worth scanning. */
export interface MarketIdentity {
  readonly protocol: MarketProtocol;
  readonly label: string;
  readonly discoveryStartBlock: number;
}

export abstract class TrackedLendingMarket<State> {
  /** `<protocol>:<label>` unless the options name another: the `market` of every PositionKey emitted. */
  readonly id: string;
  readonly protocol: MarketProtocol;
  readonly label: string;
  /** Discovery never scans before this block (the protocol's deployment). */
  readonly discoveryStartBlock: number;

  protected readonly logger: MarketLogger;
  protected readonly maxLogBlockSpan: number | undefined;
  /** Seconds past the latest block at which health is evaluated (0 = the pool's view at that block). */
  protected readonly lookaheadSeconds: number;
  private readonly crossingIndexWanted: boolean;
  /** Positions below 1 + NEAR_BAND are re-evaluated every block (evaluation-schedule.ts). */
  protected readonly book = new PositionBook<State>(NEAR_LEVEL);
  /** Which positions each block re-evaluates: the near ones, a rolling slice, or all. */
  protected readonly schedule: EvaluationSchedule;
  /** Set by `startDiscovery` in the plug-in's init(). */
  protected discovery!: BorrowerDiscovery;
  /** The block positions were last evaluated at; null until the first read. */
  protected evaluatedAt: BlockRef | null = null;
  protected initialized = false;
  private crossingSearchWarmed = false;

  protected constructor(
    identity: MarketIdentity,
    protected readonly deps: MarketDependencies,
    options: CommonMarketOptions & { readonly id?: string },
  ) {
    this.protocol = identity.protocol;
    this.label = identity.label;
    this.id = options.id ?? `${identity.protocol}:${identity.label}`;
    this.discoveryStartBlock = identity.discoveryStartBlock;
    this.logger = deps.logger ?? SILENT_LOGGER;
    this.maxLogBlockSpan = options.maxLogBlockSpan;
    this.lookaheadSeconds = options.lookaheadSeconds ?? 0;
    this.crossingIndexWanted = options.crossingIndex ?? true;
    this.schedule = new EvaluationSchedule(options.fullEvaluationSeconds ?? DEFAULT_FULL_EVALUATION_SECONDS);
    if (!Number.isInteger(this.lookaheadSeconds) || this.lookaheadSeconds < 0) {
      throw new Error(`${this.id}: lookaheadSeconds must be a non-negative integer, got ${options.lookaheadSeconds}`);
    }
  }

  /** Reads `borrowers` (lower-case, deduplicated) at `block` into the book and re-evaluates positions. */
  protected abstract readPositions(borrowers: readonly Address[], block: number): Promise<void>;

  /** Re-evaluates `borrowers` from their stored state at `evaluatedAt` with the protocol's own math (no RPC). */
  protected abstract reevaluate(borrowers: Iterable<Address>): MarketUpdate;

  /**
   * The largest factor by which time alone (interest accruing between `from` and `to`, at every rate
   * in force since `from`) can have grown any tracked debt relative to its collateral: what bounds
   * how far a position outside the near band can have drifted (evaluation-schedule.ts). Called once
   * per block evaluation, with the market state of `to` already read.
   */
  protected abstract accrualGrowth(from: BlockRef, to: BlockRef): number;

  /**
   * Re-reads the market's own parameters after an event that changes them; returns false where the
   * protocol's parameters cannot change (then only the touched borrowers are re-read).
   */
  protected abstract reloadMarketParameters(blockTag: number): Promise<boolean>;

  abstract sizeLiquidationWithReason(position: TrackedPosition, pair?: LiquidationPair): SizingResult;

  /** Builds the borrow-event discovery (resuming from its stored checkpoint). Call from init(). */
  protected async startDiscovery(stream: BorrowerEventStream): Promise<void> {
    this.discovery = new BorrowerDiscovery(this.deps.provider, this.deps.checkpoints, stream, { maxBlockSpan: this.maxLogBlockSpan });
    await this.discovery.load();
  }

  async discoverBorrowers(fromBlock: number, toBlock: number): Promise<DiscoveryResult> {
    this.assertInitialized();
    return this.discovery.discover(Math.max(fromBlock, this.discoveryStartBlock), toBlock);
  }

  /** Re-reads positions (all known borrowers when `borrowers` is omitted) at one block. */
  async refreshPositions(borrowers?: readonly Address[], blockTag?: number): Promise<RefreshResult> {
    this.assertInitialized();
    const rpcBefore = this.rpcCallsSoFar();
    let headLookups = 0;
    const targets = borrowers
      ? [...new Set(borrowers.map(lowerAddress))]
      : [...new Set([...this.discovery.borrowers(), ...this.book.borrowers()])];
    let block = blockTag;
    if (block === undefined) {
      block = await this.deps.provider.getBlockNumber();
      headLookups += 1;
    }
    await this.readPositions(targets, block);
    return {
      borrowers: targets.length,
      tracked: this.book.size,
      liquidatable: this.book.liquidatableCount,
      blockNumber: block,
      rpcCalls: this.rpcCallsSoFar() - rpcBefore + headLookups,
    };
  }

  /**
   * Stores what a refresh read at `at`: re-read borrowers get their new state (one without debt leaves
   * the book) and are re-evaluated with the holders of a changed price, as a block's evaluation
   * (`evaluateBlock`: plus the near positions and the rolling pass; everything on the first read).
   */
  protected storeRead(reads: readonly BorrowerRead<State>[], at: BlockRef, changedPriceKeys: Iterable<string>): void {
    const reread = new Set<Address>();
    for (const { borrower, read } of reads) {
      if (read === null) {
        this.book.remove(borrower);
        continue;
      }
      this.book.setState(borrower, read.state, read.priceKeys);
      reread.add(borrower);
    }
    for (const borrower of this.book.holdersOf(changedPriceKeys)) reread.add(borrower);
    this.evaluateBlock(at, reread);
  }

  /**
   * Evaluates the market at `at` (its state already read): `required` plus what the schedule says
   * time can have moved (the near positions and a slice of the rolling pass), or every position
   * when a full pass is due (the first evaluation, or interest outgrowing the near band).
   */
  protected evaluateBlock(at: BlockRef, required: Iterable<Address>): MarketUpdate {
    const previous = this.evaluatedAt;
    const growth = previous === null ? Infinity : this.accrualGrowth(previous, at);
    this.evaluatedAt = { number: at.number, timestamp: at.timestamp };
    const targets = this.schedule.targets(this.book, at, growth, required);
    if (targets === "all") {
      if (previous !== null && this.schedule.forcedFullPasses > 0) {
        this.logger.debug({ market: this.id, growth, block: at.number }, "interest outgrew the near band: full evaluation");
      }
      return this.reevaluateAll();
    }
    return this.reevaluate(targets);
  }

  /** Re-evaluates every tracked position in memory at `evaluatedAt` (no RPC); the rolling pass starts over. */
  protected reevaluateAll(): MarketUpdate {
    const update = this.reevaluate(this.book.borrowers());
    // After the first full pass, before any price move is answered: the first search is then not the
    // one that sorts the lanes and runs unoptimised code (crossingSearchMs's tail, bench/scale.ts).
    // (An empty book warms nothing: the next full pass tries again.)
    if (!this.crossingSearchWarmed && this.book.indexesCrossings) this.crossingSearchWarmed = this.book.warmCrossingSearch() > 0;
    this.book.restartSweep();
    if (this.evaluatedAt) this.schedule.fullPassDone(this.evaluatedAt);
    return update;
  }

  /**
   * A plug-in whose health factor is collateral × threshold over debt, each holding priced by one key
   * of `model`, calls this (unless the options turned the index off) so `reevaluateAfterPriceMoves`
   * searches the crossing index instead of re-evaluating every holder.
   */
  protected indexCrossings(model: CrossingModel): void {
    if (this.crossingIndexWanted) this.book.indexCrossings(model);
  }

  /**
   * Re-evaluates what price moves (already applied to the market's prices) can change. With a
   * crossing index (`book.indexCrossings`), each key's move in turn re-evaluates only the positions
   * whose crossing of the near level lies between its old and new price, the near holders, and the
   * holders left stale by a move of another of their keys (`book.crossingCandidates`; the ones a
   * later key of the same update leaves stale are found by that key's turn): the others stay on
   * their side of the near level, and their stored position is computed again when it is read
   * (`position`, `positions`) or by the rolling pass. Without the index, or with a price the model
   * cannot place (an unknown old price), every holder of a moved key is re-evaluated.
   */
  protected reevaluateAfterPriceMoves(moves: readonly PriceMove[]): MarketUpdate {
    const indexAnswers = this.book.indexesCrossings && moves.every((move) => Number.isFinite(move.from) && move.from > 0);
    if (!indexAnswers) return this.reevaluate(this.book.holdersOf(moves.map((move) => move.key)));
    if (moves.length === 1) {
      this.book.noteIndexedMove(moves[0].key);
      return this.reevaluate(this.book.crossingCandidates(moves[0].key, moves[0].from, moves[0].to));
    }
    const liquidatableBefore = new Set(this.book.liquidatable().map((position) => position.key.borrower));
    let recomputed = 0;
    const newly = new Set<Address>();
    // Each key's turn sees the keys answered before it at their new price, the others at their old one.
    const pendingFrom = new Map(moves.map((move) => [move.key, move.from]));
    for (const move of moves) {
      this.book.noteIndexedMove(move.key);
      pendingFrom.delete(move.key);
      const update = this.reevaluate(this.book.crossingCandidates(move.key, move.from, move.to, pendingFrom));
      recomputed += update.recomputed;
      for (const position of update.newlyLiquidatable) newly.add(position.key.borrower);
    }
    // Newly liquidatable over the whole update: not before it, still after every key's turn.
    const newlyLiquidatable: TrackedPosition[] = [];
    for (const borrower of newly) {
      const position = this.book.position(borrower);
      if (position !== undefined && position.healthFactor < WAD && !liquidatableBefore.has(borrower)) newlyLiquidatable.push(position);
    }
    return { recomputed, newlyLiquidatable };
  }

  /** eth_calls this market has sent so far (a plug-in with another read path adds its own). */
  protected rpcCallsSoFar(): number {
    return this.deps.multicall.stats.rpcCalls;
  }

  /** A Multicall3 sub-call reporting the timestamp of the block a batch is read at. */
  protected blockTimestampCall(): MulticallCall {
    return { target: this.deps.multicall.address, callData: GET_CURRENT_BLOCK_TIMESTAMP_SELECTOR };
  }

  protected blockTimestampOf(result: MulticallResult): number {
    return Number(decodeUintWord(returnDataOf(result, "Multicall3.getCurrentBlockTimestamp()")));
  }

  evaluateAt(block: BlockRef): MarketUpdate {
    this.assertInitialized();
    this.evaluatedAt = { number: block.number, timestamp: block.timestamp };
    return this.reevaluateAll();
  }

  async onProtocolEvents(events: readonly ProtocolEvent[], range: BlockRange): Promise<MarketUpdate> {
    this.assertInitialized();
    const { touched, borrowed, marketChanged } = routeProtocolEvents(
      events,
      this.id,
      (borrower) => this.book.has(borrower) || this.discovery.has(borrower),
    );
    await this.discovery.recordLive(range, borrowed);
    // After a parameter change every position may have moved, so all are re-read, not just the touched.
    const reloaded = marketChanged && (await this.reloadMarketParameters(range.toBlock));
    if (touched.size === 0 && !reloaded) return NOTHING_CHANGED;
    return this.book.measureUpdate(() => this.refreshPositions(reloaded ? undefined : [...touched], range.toBlock));
  }

  /**
   * Every collateral the protocol would seize (a liquidation threshold above 0) against every debt,
   * largest first by min(collateral, debt) in USD.
   */
  liquidationPairs(position: TrackedPosition): LiquidationPair[] {
    const pairs: LiquidationPair[] = [];
    for (const collateral of position.collaterals) {
      if (collateral.liquidationThresholdBps === 0) continue;
      for (const debt of position.debts) {
        pairs.push({ collateralToken: collateral.token, debtToken: debt.token, sizeUsd: Math.min(collateral.valueUsd, debt.valueUsd) });
      }
    }
    return pairs.sort((a, b) => b.sizeUsd - a.sizeUsd);
  }

  sizeLiquidation(position: TrackedPosition, pair?: LiquidationPair): LiquidationCandidate | null {
    const result = this.sizeLiquidationWithReason(position, pair);
    return result.ok ? result.candidate : null;
  }

  liquidatable(): TrackedPosition[] {
    return this.book.liquidatable();
  }

  /** A position left stale by an indexed price move is computed again before it is handed out. */
  position(borrower: Address): TrackedPosition | undefined {
    const key = lowerAddress(borrower);
    if (this.book.isStale(key)) this.reevaluate([key]);
    return this.book.position(key);
  }

  positions(): TrackedPosition[] {
    const stale = this.book.staleBorrowers();
    if (stale.length > 0) this.reevaluate(stale);
    return this.book.positions();
  }

  borrowers(): readonly Address[] {
    return this.discovery ? this.discovery.borrowers() : [];
  }

  stats(): MarketStats {
    return {
      borrowers: this.discovery ? this.discovery.borrowers().length : 0,
      tracked: this.book.size,
      liquidatable: this.book.liquidatableCount,
      recomputations: this.book.recomputations,
      evaluatedAt: this.evaluatedAt,
    };
  }

  protected assertInitialized(): void {
    if (!this.initialized) throw new Error(`${this.id}: call init() before using the market`);
  }
}

/** Markets key borrowers by lower-case address, whatever case the chain or a caller used. */
export function lowerAddress(address: string): Address {
  return address.toLowerCase() as Address;
}
