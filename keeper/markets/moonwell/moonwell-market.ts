/**
 * The Moonwell market (Compound v2's design, on Base). Kept in memory: per market the collateral factor, stored
 * exchange rate, borrow index and oracle price (mtoken-markets.ts); per borrower the markets entered with their mToken
 * balances and stored borrow balances. Liquidity is the comptroller's own arithmetic (moonwell-math.ts), so "health
 * factor below 1" means exactly "getAccountLiquidity reports a shortfall". Between full reads, a borrow balance follows
 * its market's stored borrow index (balance · index_now / index_at_read), as `borrowBalanceStored` does (± 1 wei).
 *
 * OEV: where the oracle's feed is a Moonwell OEV wrapper, a new round of the feed it delays is the price the wrapper
 * will unlock. The market evaluates at it at once (the protocol shows the previous one for `maxRoundDelay` seconds)
 * and, while the round is hidden, sizes a liquidation whose collateral's feed is the wrapper as a "MoonwellOev" call
 * through it, counting only the liquidator's share; once the round is public, the plain call (docs/oev.md). Each call
 * is judged at the prices the comptroller will see when it runs (hidden-rounds.ts): a position liquidatable only at a
 * hidden debt price is refused until that round is public, then handed back to the engine at once.
 */
import type { Address, MoonwellDeployment } from "../../config/address-book";
import { ratioToNumber } from "../../core/fixed-point";
import type { PositionKey, TrackedPosition } from "../../core/types";
import { decodeAddressWord, decodeUintWord, encodeAddressArgCall, type MulticallCall } from "../../chain/multicall";
import type {
  BlockRef,
  FeedAnswer,
  FeedSubscription,
  LendingMarket,
  LiquidationPair,
  MarketUpdate,
  PriceReaction,
  ProtocolEventSubscription,
  RawLog,
} from "../market";
import type { CommonMarketOptions, MarketDependencies } from "../market-dependencies";
import { returnDataOf, returnedWord } from "../multicall-results";
import { lowerAddress, TrackedLendingMarket, type BorrowerRead } from "../tracked-lending-market";
import { sizeMoonwellLiquidation, throughOevWrapper, type MoonwellSizingResult } from "./liquidation-sizing";
import { COMPTROLLER, MTOKEN, ORACLE } from "./moonwell-abi";
import {
  accountLiquidity,
  EXP_SCALE,
  PRICE_SCALE,
  projectAccrual,
  type MoonwellAccountAsset,
  type MoonwellLiquidity,
} from "./moonwell-math";
import { MTokenMarkets } from "./mtoken-markets";
import { MoonwellCrossingModel, priceMovesSince, priceSnapshot } from "./crossing-model";
import { HiddenRounds } from "./hidden-rounds";
import { moonwellFeedSubscriptions, resolveMoonwellFeeds, type HiddenRound, type MoonwellFeeds } from "./oracle-feeds";
import type { OevWrapper } from "./oev-wrappers";
import { moonwellEventSubscriptions } from "./protocol-events";
import { MOONWELL } from "./plugin";

export interface MoonwellMarketOptions extends CommonMarketOptions {
  /** Defaults to `moonwell:<label>`. */
  readonly id?: string;
}

interface HeldAsset extends MoonwellAccountAsset {
  /** The market's borrow index when `borrowBalance` was read. */
  readonly borrowIndexAtRead: bigint;
}

interface BorrowerState {
  readonly assets: readonly HeldAsset[];
}

const NO_FEEDS: MoonwellFeeds = { models: new Map(), reread: new Map(), oev: new Map(), oevEmitters: new Map(), wrapped: [] };

export class MoonwellMarket extends TrackedLendingMarket<BorrowerState> implements LendingMarket {
  private readonly comptroller: Address;
  private readonly markets: MTokenMarkets;
  private oracle!: Address;
  private closeFactorMantissa = 0n;
  private liquidationIncentiveMantissa = 0n;
  private feeds = NO_FEEDS;
  /** The fresh prices OEV wrappers still hide from the protocol, and what it shows meanwhile. */
  private readonly hiddenRounds = new HiddenRounds();
  /** How far the borrow indexes rose (and exchange rates fell) since the last block evaluation. */
  private indexGrowth = 1;
  /** The oracle price each market is evaluated at (the fresh one where a wrapper hides it). */
  private readonly priceOf = (market: string): bigint | undefined => this.markets.get(market)?.priceMantissa;
  /** Each market's price is a key of the crossing index: a price move re-evaluates only what it can carry across. */
  private readonly crossingModel = new MoonwellCrossingModel(this.priceOf);

  /**
   * Health follows getAccountLiquidity's stored balances (time alone does not move them); the
   * `lookaheadSeconds` option only projects the accrual a liquidation performs, for sizing.
   */
  constructor(
    private readonly config: MoonwellDeployment,
    deps: MarketDependencies,
    options: MoonwellMarketOptions = {},
  ) {
    super({ protocol: MOONWELL, label: config.label, discoveryStartBlock: config.deployBlock }, deps, options);
    this.comptroller = lowerAddress(config.comptroller);
    this.markets = new MTokenMarkets(this.comptroller, deps.multicall, deps.usdPrices);
    this.indexCrossings(this.crossingModel);
  }

  /* ───────────────────────────── configuration ───────────────────────────── */

  async init(): Promise<void> {
    const { multicall, provider } = this.deps;
    const head = await provider.getBlockNumber();
    const [oracleData, closeData, incentiveData, marketsData] = await multicall.aggregate3Strict(
      (["oracle", "closeFactorMantissa", "liquidationIncentiveMantissa", "getAllMarkets"] as const).map((name) => ({
        target: this.comptroller,
        callData: COMPTROLLER.encodeFunctionData(name as "oracle"),
        label: `Comptroller(${this.comptroller}).${name}()`,
      })),
      head,
    );
    this.oracle = lowerAddress(decodeAddressWord(oracleData));
    if (this.config.oracle && lowerAddress(this.config.oracle) !== this.oracle) {
      this.logger.warn(
        { market: this.id, bookOracle: this.config.oracle, comptrollerOracle: this.oracle },
        "address book oracle differs from the comptroller's; using the comptroller's",
      );
    }
    this.closeFactorMantissa = decodeUintWord(closeData);
    this.liquidationIncentiveMantissa = decodeUintWord(incentiveData);
    const listed = (COMPTROLLER.decodeFunctionResult("getAllMarkets", marketsData)[0] as string[]).map(lowerAddress);
    if (listed.length === 0) throw new Error(`${this.id}: comptroller ${this.comptroller} lists no markets`);
    await this.markets.load(listed, this.oracle, head);
    this.feeds = await resolveMoonwellFeeds(multicall, this.oracle, this.markets, head);
    this.hiddenRounds.reset(this.feeds.wrapped);
    if (this.feeds.oev.size > 0)
      this.logger.info({ market: this.id, oevWrapped: [...this.feeds.oev.keys()] }, "moonwell OEV wrappers found");

    await this.startDiscovery({
      checkpointKey: `${MOONWELL}:${this.comptroller}:Borrow`,
      filter: { address: [...this.markets.order], topics: [MTOKEN.getEvent("Borrow").topicHash] },
      // Borrow(address borrower, uint borrowAmount, uint accountBorrows, uint totalBorrows): nothing indexed.
      borrowersOf: (log: RawLog) => (log.data.length >= 66 ? [decodeAddressWord(log.data, 0)] : []),
    });
    this.initialized = true;
    this.logger.info({ market: this.id, comptroller: this.comptroller, markets: listed.length }, "moonwell market initialised");
  }

  /* ───────────────────────────── reads ───────────────────────────── */

  /** Two rounds at `block`: market state, timestamp and each borrower's markets; then their snapshots. */
  protected async readPositions(targets: readonly Address[], block: number): Promise<void> {
    const { multicall } = this.deps;
    const state = this.markets.stateCalls(this.oracle);
    const getAssetsIn = COMPTROLLER.getFunction("getAssetsIn").selector;
    const rounds = this.hiddenRounds.roundCalls();
    const round1: MulticallCall[] = [this.blockTimestampCall(), ...state.calls, ...rounds];
    for (const borrower of targets) round1.push({ target: this.comptroller, callData: encodeAddressArgCall(getAssetsIn, borrower) });
    const r1 = await multicall.aggregate3(round1, block);
    const timestamp = this.blockTimestampOf(r1[0]);
    const changedPrices = this.applyMarketState(() => state.apply(r1.slice(1, 1 + state.calls.length), block));
    this.hiddenRounds.observe(r1.slice(1 + state.calls.length, 1 + state.calls.length + rounds.length), block);
    for (const market of this.hiddenRounds.apply(this.markets, timestamp, block).changed) changedPrices.add(market);
    const base = 1 + state.calls.length + rounds.length;
    const entered = targets.map((borrower, i) =>
      (COMPTROLLER.decodeFunctionResult("getAssetsIn", returnDataOf(r1[base + i], `getAssetsIn(${borrower})`))[0] as string[]).map(
        lowerAddress,
      ),
    );

    const snapshot = MTOKEN.getFunction("getAccountSnapshot").selector;
    const round2: MulticallCall[] = [];
    targets.forEach((borrower, i) => {
      for (const market of entered[i]) round2.push({ target: market, callData: encodeAddressArgCall(snapshot, borrower) });
    });
    const r2 = await multicall.aggregate3(round2, block);
    let cursor = 0;
    const reads = targets.map((borrower, i): BorrowerRead<BorrowerState> => {
      const assets: HeldAsset[] = entered[i].map((market) => {
        const data = returnDataOf(r2[cursor++], `${market}.getAccountSnapshot(${borrower})`);
        const error = decodeUintWord(data, 0);
        if (error !== 0n) throw new Error(`${this.id}: ${market}.getAccountSnapshot(${borrower}) returned error code ${error}`);
        const info = this.markets.get(market);
        if (!info) throw new Error(`${this.id}: borrower ${borrower} entered ${market}, which getAllMarkets does not list`);
        return {
          market,
          mTokenBalance: decodeUintWord(data, 1),
          borrowBalance: decodeUintWord(data, 2),
          borrowIndexAtRead: info.borrowIndex,
        };
      });
      const hasDebt = assets.some((a) => a.borrowBalance > 0n);
      return { borrower, read: hasDebt ? { state: { assets }, priceKeys: assets.map((a) => a.market) } : null };
    });
    this.storeRead(reads, { number: block, timestamp }, changedPrices);
  }

  /* ───────────────────────────── in-memory evaluation ───────────────────────────── */

  /** The borrower's assets with borrow balances carried to the markets' current borrow index. */
  private currentAssets(state: BorrowerState): MoonwellAccountAsset[] {
    return state.assets.map((asset) => {
      const index = this.markets.get(asset.market)?.borrowIndex ?? 0n;
      const borrowBalance =
        asset.borrowBalance === 0n || index === 0n || asset.borrowIndexAtRead === 0n || index === asset.borrowIndexAtRead
          ? asset.borrowBalance
          : (asset.borrowBalance * index) / asset.borrowIndexAtRead;
      return { market: asset.market, mTokenBalance: asset.mTokenBalance, borrowBalance };
    });
  }

  /** getAccountLiquidity of a tracked borrower, from memory. */
  liquidityOf(borrower: Address): MoonwellLiquidity | undefined {
    const state = this.book.state(lowerAddress(borrower));
    return state ? accountLiquidity(this.currentAssets(state), this.markets.states) : undefined;
  }

  /** The borrower's position by the comptroller's arithmetic at the evaluation time. */
  private positionOf(borrower: Address, state: BorrowerState): TrackedPosition {
    const assets = this.currentAssets(state);
    const terms = this.book.indexesCrossings ? this.crossingModel.recorder(assets.map((a) => a.market)) : undefined;
    const liquidity = accountLiquidity(assets, this.markets.states, terms?.term);
    const key: PositionKey = { protocol: this.protocol, market: this.id, borrower };
    const bonusBps = Number(((this.liquidationIncentiveMantissa - EXP_SCALE) * 10_000n) / EXP_SCALE);
    const position: TrackedPosition = {
      key,
      collaterals: assets
        .filter((a) => a.mTokenBalance > 0n)
        .map((a) => {
          const info = this.markets.get(a.market)!;
          const amount = (a.mTokenBalance * info.exchangeRateMantissa) / EXP_SCALE;
          return {
            token: info.underlying,
            amount,
            valueUsd: ratioToNumber(amount * info.priceMantissa, PRICE_SCALE),
            liquidationThresholdBps: Number(info.collateralFactorMantissa / 10n ** 14n),
            liquidationBonusBps: Math.max(0, bonusBps),
          };
        }),
      debts: assets
        .filter((a) => a.borrowBalance > 0n)
        .map((a) => {
          const info = this.markets.get(a.market)!;
          return {
            token: info.underlying,
            amount: a.borrowBalance,
            valueUsd: ratioToNumber(a.borrowBalance * info.priceMantissa, PRICE_SCALE),
          };
        }),
      healthFactor: liquidity.healthFactor,
      updatedAtBlock: this.evaluatedAt!.number,
    };
    terms?.record(position);
    return position;
  }

  /** Stored balances do not move with time alone; only the reference block changes. */
  protected reevaluate(borrowers: Iterable<Address>): MarketUpdate {
    return this.book.reevaluate(borrowers, (borrower, state) => this.positionOf(borrower, state));
  }

  /* ───────────────────────────── reactions ───────────────────────────── */

  onPriceUpdate(update: FeedAnswer): PriceReaction {
    this.assertInitialized();
    const key = update.feed.toLowerCase();
    const models = this.feeds.models.get(key) ?? [];
    const wrapper = this.feeds.oevEmitters.get(key);
    // A wrapped feed's round: whether it is still hidden is read from the chain before anything is sized (hidden-rounds.ts).
    const needsChainRead = this.feeds.reread.has(key) || (models.length > 0 && update.answer <= 0n) || wrapper !== undefined;
    if (models.length === 0 || update.answer <= 0n) return { recomputed: 0, newlyLiquidatable: [], needsChainRead };
    const before = priceSnapshot(
      models.map((model) => model.market),
      this.priceOf,
    );
    const changed: Address[] = [];
    for (const model of models) {
      if (!this.markets.priceBlocks.accepts(model.market, update.blockNumber)) continue;
      const priceMantissa = update.answer * model.scale;
      if (wrapper) {
        // The wrapper shows this round only `maxRoundDelay` seconds after it was written, unless unlocked.
        const writtenAt = update.updatedAt ?? this.evaluatedAt?.timestamp ?? 0;
        const shown = this.markets.get(model.market)!.priceMantissa; // the wrapper shows the round before this one
        const round = { market: model.market, priceMantissa, publicAt: writtenAt + wrapper.maxRoundDelay };
        this.hiddenRounds.onNewRound(round, shown, update.blockNumber);
      }
      if (this.markets.setPrice(model.market, priceMantissa)) changed.push(model.market);
    }
    if (changed.length === 0 || !this.evaluatedAt) return { recomputed: 0, newlyLiquidatable: [], needsChainRead };
    return { ...this.reevaluateAfterPriceMoves(priceMovesSince(before, this.priceOf)), needsChainRead };
  }

  async refreshPrices(blockTag?: number | string): Promise<MarketUpdate> {
    this.assertInitialized();
    const prices = this.markets.order.map((market) => ({
      target: this.oracle,
      callData: ORACLE.encodeFunctionData("getUnderlyingPrice", [market]),
    }));
    const results = await this.deps.multicall.aggregate3([...prices, ...this.hiddenRounds.roundCalls()], blockTag);
    const before = priceSnapshot(this.markets.order, this.priceOf);
    this.markets.order.forEach((market, i) => {
      this.markets.observePrice(market, returnedWord(results[i]) ? decodeUintWord(results[i].returnData) : 0n, blockTag);
    });
    this.hiddenRounds.observe(results.slice(prices.length), blockTag);
    if (this.evaluatedAt) this.hiddenRounds.apply(this.markets, this.evaluatedAt.timestamp, blockTag);
    // Net of hidden rounds: a wrapper's shown price read back over its fresh one is no move.
    const moves = priceMovesSince(before, this.priceOf);
    if (moves.length === 0 || !this.evaluatedAt) return { recomputed: 0, newlyLiquidatable: [] };
    return this.reevaluateAfterPriceMoves(moves);
  }

  /** The near positions, a rolling slice and the holders of a price the block moved (evaluation-schedule.ts). */
  async onBlock(block: BlockRef): Promise<MarketUpdate> {
    this.assertInitialized();
    const before = priceSnapshot(this.markets.order, this.priceOf);
    const state = this.markets.stateCalls(this.oracle);
    const results = await this.deps.multicall.aggregate3([...state.calls, ...this.hiddenRounds.roundCalls()], block.number);
    this.applyMarketState(() => state.apply(results.slice(0, state.calls.length), block.number));
    const madePublic = this.hiddenRounds.observe(results.slice(state.calls.length), block.number);
    const released = [...new Set([...madePublic, ...this.hiddenRounds.apply(this.markets, block.timestamp, block.number).released])];
    const update = this.evaluateBlockThenMoves(block, before, released);
    if (released.length === 0) return update;
    // A round just became public (or was unlocked): positions already liquidatable at it, which the plain
    // call could not reach until now, are handed to the engine again.
    const newly = new Map(update.newlyLiquidatable.map((p) => [p.key.borrower, p]));
    for (const borrower of this.book.holdersOf(released)) {
      const position = this.position(borrower);
      if (position && position.healthFactor < EXP_SCALE && !newly.has(position.key.borrower)) newly.set(position.key.borrower, position);
    }
    return { ...update, newlyLiquidatable: [...newly.values()] };
  }

  /**
   * A block's price read is a price move (net of hidden rounds): the block is evaluated at the prices
   * before it (near positions, rolling slice, holders of a released round, holders of a market with
   * no earlier price), then the crossing index answers the moves, as Morpho Blue does.
   */
  private evaluateBlockThenMoves(block: BlockRef, before: ReadonlyMap<string, bigint>, released: readonly Address[]): MarketUpdate {
    const moves = priceMovesSince(before, this.priceOf);
    const indexed = moves.filter((move) => Number.isFinite(move.from));
    const unpriced = moves.filter((move) => !Number.isFinite(move.from)).map((move) => move.key);
    const after = new Map(indexed.map((move) => [move.key, this.priceOf(move.key)!]));
    for (const move of indexed) this.markets.setPrice(move.key, before.get(move.key)!);
    const update = this.evaluateBlock(block, this.book.holdersOf([...released, ...unpriced]));
    for (const move of indexed) this.markets.setPrice(move.key, after.get(move.key)!);
    if (indexed.length === 0) return update;
    const reaction = this.reevaluateAfterPriceMoves(indexed);
    return {
      recomputed: update.recomputed + reaction.recomputed,
      newlyLiquidatable: [...update.newlyLiquidatable, ...reaction.newlyLiquidatable],
    };
  }

  /**
   * Balances are evaluated at the stored borrow indexes and exchange rates (what getAccountLiquidity reads), so time
   * moves a health factor only when a market accrues on chain: by at most the largest index rise × rate fall read.
   */
  protected accrualGrowth(): number {
    const growth = this.indexGrowth;
    this.indexGrowth = 1;
    return growth;
  }

  /** Runs `apply` (a market-state read) and records the index moves it made. */
  private applyMarketState(apply: () => Set<string>): Set<string> {
    const before = this.markets.order.map((market) => this.markets.get(market)!);
    const changed = apply();
    let debtGrowth = 1;
    let collateralFall = 1;
    this.markets.order.forEach((market, i) => {
      const { borrowIndex, exchangeRateMantissa } = this.markets.get(market)!;
      const was = before[i];
      if (was.borrowIndex > 0n) debtGrowth = Math.max(debtGrowth, Number(borrowIndex) / Number(was.borrowIndex));
      if (exchangeRateMantissa > 0n)
        collateralFall = Math.max(collateralFall, Number(was.exchangeRateMantissa) / Number(exchangeRateMantissa));
    });
    this.indexGrowth *= debtGrowth * collateralFall;
    return changed;
  }

  /** Market (mToken) → the OEV wrapper its oracle feed is, as read at init. */
  oevWrappers(): ReadonlyMap<string, OevWrapper> {
    this.assertInitialized();
    return this.feeds.oev;
  }

  /** The round `market`'s wrapper hides at the evaluation time, if its feed is a wrapper and one is hidden. */
  hiddenRound(market: Address): HiddenRound | undefined {
    return this.evaluatedAt ? this.hiddenRounds.hiddenAt(lowerAddress(market), this.evaluatedAt.timestamp) : undefined;
  }

  /** LendingMarket.sharedUnlock: the hidden round the position's liquidation depends on (hidden-rounds.ts). */
  sharedUnlock(position: TrackedPosition): string | undefined {
    const markets = [...position.collaterals, ...position.debts].map((holding) => this.marketOf(holding.token));
    return this.evaluatedAt ? this.hiddenRounds.sharedUnlockOf(this.id, markets, this.evaluatedAt.timestamp) : undefined;
  }

  /** A listing, collateral factor or incentive change: read the comptroller's markets afresh. */
  protected async reloadMarketParameters(): Promise<boolean> {
    await this.init();
    return true;
  }

  /* ───────────────────────────── queries ───────────────────────────── */

  /** The market (mToken) of an underlying token. */
  marketOf(underlying: Address): Address | undefined {
    return this.markets.marketOf(underlying);
  }

  /**
   * Sizes `pair`, or else the largest pair; when that one is liquidatable only at a price a wrapper still hides
   * that its own collateral's wrapper cannot unlock, a smaller pair whose collateral sits behind a hiding wrapper
   * is sized instead (the unlock is the wrapper of the collateral seized). A same-market pair (collateral held in
   * the borrowed market) is not tried: whether a wrapper accepts it depends on its version (docs/oev.md).
   */
  sizeLiquidationWithReason(position: TrackedPosition, pair?: LiquidationPair): MoonwellSizingResult {
    this.assertInitialized();
    if (pair !== undefined) return this.sizePair(position, pair);
    const [largest, ...others] = this.liquidationPairs(position);
    if (!largest) return { ok: false, reason: "not-liquidatable", detail: "no collateral/debt pair to liquidate" };
    const first = this.sizePair(position, largest);
    if (first.ok || this.hiddenRounds.hiddenMarkets(this.evaluatedAt!.timestamp).length === 0) return first;
    for (const other of others) {
      const unlocking = this.marketOf(other.collateralToken);
      if (unlocking === undefined || this.hiddenRound(unlocking) === undefined || unlocking === this.marketOf(other.debtToken)) continue;
      const sized = this.sizePair(position, other);
      if (sized.ok) return sized;
    }
    return first;
  }

  private sizePair(position: TrackedPosition, chosen: LiquidationPair): MoonwellSizingResult {
    const state = this.book.state(lowerAddress(position.key.borrower));
    if (!state) return { ok: false, reason: "not-liquidatable", detail: `borrower ${position.key.borrower} is not tracked` };
    const borrowedMarket = this.marketOf(chosen.debtToken);
    const collateralMarket = this.marketOf(chosen.collateralToken);
    if (!borrowedMarket || !collateralMarket) {
      return { ok: false, reason: "not-liquidatable", detail: `no market for ${chosen.debtToken} or ${chosen.collateralToken}` };
    }
    const assets = this.currentAssets(state);
    const borrowedAsset = assets.find((a) => a.market === borrowedMarket);
    const collateralAsset = assets.find((a) => a.market === collateralMarket);
    if (!borrowedAsset || !collateralAsset) {
      return { ok: false, reason: "not-liquidatable", detail: `borrower has not entered ${borrowedMarket} and ${collateralMarket}` };
    }
    // The prices the comptroller will judge the call at: the collateral's fresh price if its wrapper hides
    // one (the call unlocks it), every other hidden price as the oracle still shows it.
    const wrapper = this.feeds.oev.get(collateralMarket);
    const throughWrapper = wrapper !== undefined && this.hiddenRound(collateralMarket) !== undefined;
    const seen = this.hiddenRounds.statesAfterUnlocking(
      this.markets.states,
      throughWrapper ? collateralMarket : null,
      this.evaluatedAt!.timestamp,
    );
    const healthFactor = accountLiquidity(assets, seen).healthFactor;
    if (healthFactor >= EXP_SCALE && position.healthFactor < EXP_SCALE) {
      const unlocked = throughWrapper ? collateralMarket : null;
      const detail = this.hiddenRounds.refusalWhileHidden(collateralMarket, unlocked, this.evaluatedAt!.timestamp);
      return { ok: false, reason: "not-liquidatable", detail };
    }
    const borrowedInfo = seen.get(borrowedMarket)!;
    const collateralInfo = seen.get(collateralMarket)!;
    // liquidateBorrow accrues the collateral market first: seize tokens follow the exchange rate after
    // accrual at the evaluation time. The repay is sized on the stored borrow balance (lower than the
    // accrued one), so it always fits the close factor.
    const now = BigInt(this.evaluatedAt!.timestamp + this.lookaheadSeconds);
    const exchangeRateMantissa = collateralInfo.accrual
      ? projectAccrual(collateralInfo.accrual, now).exchangeRateMantissa
      : collateralInfo.exchangeRateMantissa;
    const plain = sizeMoonwellLiquidation({
      key: position.key,
      healthFactor,
      detectedAtBlock: this.evaluatedAt!.number,
      closeFactorMantissa: this.closeFactorMantissa,
      liquidationIncentiveMantissa: this.liquidationIncentiveMantissa,
      protocolSeizeShareMantissa: collateralInfo.protocolSeizeShareMantissa,
      borrowed: {
        market: borrowedMarket,
        underlying: borrowedInfo.underlying,
        priceMantissa: borrowedInfo.priceMantissa,
        borrowBalance: borrowedAsset.borrowBalance,
      },
      collateral: {
        market: collateralMarket,
        underlying: collateralInfo.underlying,
        priceMantissa: collateralInfo.priceMantissa,
        exchangeRateMantissa,
        marketTokenBalance: collateralAsset.mTokenBalance,
      },
    });
    // While the collateral's wrapper hides the price this was sized at, only the wrapper can liquidate at it.
    if (!plain.ok || !throughWrapper) return plain;
    return throughOevWrapper(plain, {
      wrapper,
      borrowedPriceMantissa: borrowedInfo.priceMantissa,
      collateralPriceMantissa: collateralInfo.priceMantissa,
    });
  }

  priceFeeds(): FeedSubscription[] {
    this.assertInitialized();
    return moonwellFeedSubscriptions(this.id, this.feeds);
  }

  protocolEventSubscriptions(): ProtocolEventSubscription[] {
    this.assertInitialized();
    return moonwellEventSubscriptions(this.id, this.comptroller, this.markets.order, (address) => this.markets.has(address));
  }
}
