/**
 * The Morpho Blue plug-in: one instance per market (MarketParams), because every Morpho market is an
 * isolated loan with its own oracle, LLTV and liquidation. Kept in memory: the market's totals, the
 * IRM's borrow rate, the oracle price (modelled from its feeds when possible), and per borrower the
 * borrow shares and collateral. Health is Morpho's own `_isHealthy`, evaluated after the interest
 * `_accrueInterest` would add at the evaluation time (morpho-math.ts).
 */
import { AbiCoder, keccak256 } from "ethers";
import { EventsLib__factory, IERC20Metadata__factory, IIrm__factory, IOracle__factory, Morpho__factory } from "../../../typechain-types";
import type { Address, MorphoMarketParams } from "../../config/address-book";
import { tokenAmountToUsd, WAD } from "../../core/fixed-point";
import type { PositionKey, TrackedPosition } from "../../core/types";
import { decodeAddressWord, decodeUintWord, encodeStaticArgsCall, type MulticallCall, type MulticallResult } from "../../chain/multicall";
import type {
  BlockRef,
  FeedAnswer,
  FeedSubscription,
  LendingMarket,
  LiquidationPair,
  MarketStats,
  MarketUpdate,
  PriceReaction,
  ProtocolEventSubscription,
  RawLog,
} from "../market";
import type { CommonMarketOptions, MarketDependencies } from "../market-dependencies";
import { returnDataOf } from "../multicall-results";
import type { SizingResult } from "../sizing-result";
import { ObservedBlocks } from "../observed-prices";
import { lowerAddress, TrackedLendingMarket, type BorrowerRead } from "../tracked-lending-market";
import { sizeMorphoBlueLiquidation, type MorphoBlueSizingInput } from "./liquidation-sizing";
import { accruedTotalBorrowAssets, liquidationIncentiveFactor, morphoHealth, type MorphoMarketState } from "./morpho-math";
import { findOevWrappedFeeds, withoutHiddenRoundEmitters, type OevWrappedFeed } from "../../oracles/oev-wrapped-feeds";
import { feedEmitters, loadOracleModel, modelPrice, readOracleInputs, type OracleInputs, type OracleModel } from "./oracle-model";
import { MORPHO_BLUE } from "./plugin";
import { growthAtYearlyRate, RateSinceEvaluation } from "../evaluation-schedule";
import { morphoCrossingModel } from "./crossing-model";
import { morphoEventSubscriptions } from "./protocol-events";
import { findMorphoOevUnlock, MorphoHiddenRound, sizeThroughMorphoOevWrapper, type MorphoOevUnlock } from "./oev-unlock";

const SECONDS_PER_YEAR = 365 * 24 * 3600;

export interface MorphoBlueMarketOptions extends CommonMarketOptions {
  /** Defaults to `morphoBlue:<label>`. */
  readonly id?: string;
}

interface MorphoBorrowerState {
  readonly borrowShares: bigint;
  readonly collateral: bigint;
}

/** Morpho Blue's market id: keccak256(abi.encode(MarketParams)). */
export function morphoMarketIdOf(params: MorphoMarketParams): string {
  return keccak256(
    AbiCoder.defaultAbiCoder().encode(
      ["address", "address", "address", "address", "uint256"],
      [params.loanToken, params.collateralToken, params.oracle, params.irm, params.lltv],
    ),
  );
}

export class MorphoBlueMarket extends TrackedLendingMarket<MorphoBorrowerState> implements LendingMarket {
  /** keccak256 of the MarketParams. */
  readonly marketId: string;

  private readonly morphoIface = Morpho__factory.createInterface();
  private readonly eventsIface = EventsLib__factory.createInterface();
  private readonly irmIface = IIrm__factory.createInterface();
  private readonly oracleIface = IOracle__factory.createInterface();
  private readonly morpho: Address;
  private readonly params: MorphoMarketParams;

  private loanDecimals = 18;
  private collateralDecimals = 18;
  private state!: MorphoMarketState;
  private borrowRate = 0n;
  /** Highest borrow rate in force since the last block evaluation: what bounds interest drift. */
  private readonly rates = new RateSinceEvaluation();
  private price = 0n;
  /** A read of an older block (a late tick) never undoes a newer feed update (observed-prices.ts). */
  private readonly priceBlock = new ObservedBlocks();
  private oracleModel!: OracleModel;
  private oracleInputs!: OracleInputs;
  /** Lower-case emitter → the model feed it updates. */
  private emitters = new Map<string, Address>();
  /** Oracle feeds behind a Moonwell OEV wrapper (keeper/oracles/oev-wrapped-feeds.ts): their hidden rounds never count. */
  private oevWrapped: readonly OevWrappedFeed[] = [];
  /** The wrapped feed this market can liquidate through (oev-unlock.ts), and the round it may be hiding. */
  private oevUnlock: MorphoOevUnlock | null = null;
  private readonly hiddenRound = new MorphoHiddenRound();

  constructor(
    morpho: Address,
    params: MorphoMarketParams,
    deps: MarketDependencies,
    deployBlock: number,
    options: MorphoBlueMarketOptions = {},
  ) {
    super({ protocol: MORPHO_BLUE, label: params.label, discoveryStartBlock: deployBlock }, deps, options);
    this.morpho = lowerAddress(morpho);
    this.params = params;
    this.marketId = morphoMarketIdOf(params);
    if (params.lltv <= 0n || params.lltv >= WAD) {
      throw new Error(`${this.id}: lltv must be in (0, 1e18), got ${params.lltv}`);
    }
    this.indexCrossings(morphoCrossingModel(this.marketId, params, () => ({ price: this.price, loanDecimals: this.loanDecimals })));
  }

  /* ───────────────────────────── configuration and reads ───────────────────────────── */

  async init(): Promise<void> {
    const { multicall, provider } = this.deps;
    const head = await provider.getBlockNumber();
    const erc20 = IERC20Metadata__factory.createInterface();
    const decimalsOf = (token: Address, role: string) => ({
      target: token,
      callData: erc20.encodeFunctionData("decimals"),
      label: `decimals() of ${role} token ${token}`,
    });
    const [loanDecimals, collateralDecimals] = await multicall.aggregate3Strict(
      [decimalsOf(this.params.loanToken, "loan"), decimalsOf(this.params.collateralToken, "collateral")],
      head,
    );
    this.loanDecimals = Number(decodeUintWord(loanDecimals));
    this.collateralDecimals = Number(decodeUintWord(collateralDecimals));
    const loaded = await loadOracleModel(multicall, lowerAddress(this.params.oracle), head);
    this.oracleModel = loaded.model;
    this.oracleInputs = loaded.inputs;
    this.price = loaded.price;
    if (!this.oracleModel.exact) {
      this.logger.warn(
        { market: this.id, oracle: this.params.oracle },
        "oracle formula not recognised: its feeds trigger a re-read of price()",
      );
    }
    const feeds = [...this.oracleModel.baseFeeds, ...this.oracleModel.quoteFeeds];
    this.oevWrapped = await findOevWrappedFeeds(multicall, feeds, head);
    this.emitters = withoutHiddenRoundEmitters(await feedEmitters(multicall, feeds, head), this.oevWrapped);
    const unlockArgs = { wrapped: this.oevWrapped, model: this.oracleModel, morpho: this.morpho, marketId: this.marketId, blockTag: head };
    this.oevUnlock = await findMorphoOevUnlock(multicall, unlockArgs, async (feed) => [
      ...(await feedEmitters(multicall, [feed], head)).keys(),
    ]);
    if (this.oevWrapped.length > 0) {
      this.logger.warn(
        { market: this.id, oracle: this.params.oracle, oevWrappedFeeds: this.oevWrapped },
        this.oevUnlock
          ? "oracle reads a Moonwell OEV wrapper: hidden rounds are liquidated through it (MoonwellMorphoOev)"
          : "oracle reads a Moonwell OEV wrapper it cannot liquidate through: this market is liquidated once the oracle shows its rounds",
      );
    }
    const read = await this.readMarketState(head);
    if (read.lastUpdate === 0n) {
      throw new Error(`${this.id}: Morpho ${this.morpho} has no market ${this.marketId} (MarketParams in the address book are wrong?)`);
    }

    await this.startDiscovery({
      checkpointKey: `${MORPHO_BLUE}:${this.morpho}:${this.marketId}:Borrow`,
      filter: { address: this.morpho, topics: [this.eventsIface.getEvent("Borrow").topicHash, this.marketId] },
      // Borrow(id indexed, caller, onBehalf indexed, receiver indexed, ...): the debt is onBehalf's (topic 2).
      borrowersOf: (log: RawLog) => (log.topics.length > 2 ? [decodeAddressWord(log.topics[2])] : []),
    });
    this.initialized = true;
    this.evaluatedAt = null;
    this.logger.info({ market: this.id, marketId: this.marketId, exactOracle: this.oracleModel.exact }, "morpho market initialised");
  }

  private marketCall(): MulticallCall {
    return { target: this.morpho, callData: encodeStaticArgsCall(this.morphoIface.getFunction("market").selector, [this.marketId]) };
  }

  private decodeMarket(data: string): MorphoMarketState {
    return {
      totalSupplyAssets: decodeUintWord(data, 0),
      totalSupplyShares: decodeUintWord(data, 1),
      totalBorrowAssets: decodeUintWord(data, 2),
      totalBorrowShares: decodeUintWord(data, 3),
      lastUpdate: decodeUintWord(data, 4),
      fee: decodeUintWord(data, 5),
    };
  }

  private priceCall(): MulticallCall {
    return { target: this.params.oracle, callData: this.oracleIface.encodeFunctionData("price") };
  }

  /** Reads market totals and oracle price; re-reads the IRM rate only when the totals moved. */
  private async readMarketState(blockTag: number, extra: MulticallCall[] = []): Promise<MorphoMarketState & { extra: MulticallResult[] }> {
    const rounds = MorphoHiddenRound.roundCalls(this.oevUnlock); // whether the wrapper hides a round, at this block
    const results = await this.deps.multicall.aggregate3([this.marketCall(), this.priceCall(), ...rounds, ...extra], blockTag);
    const state = this.decodeMarket(returnDataOf(results[0], `Morpho.market(${this.marketId})`));
    if (this.priceBlock.accepts(this.marketId, blockTag)) {
      this.price = decodeUintWord(returnDataOf(results[1], `oracle ${this.params.oracle}.price()`));
      this.hiddenRound.observe(results.slice(2, 2 + rounds.length), this.oevUnlock, (answer) => this.withWrappedAnswer(answer));
    }
    await this.applyMarketState(state, blockTag);
    return { ...state, extra: results.slice(2 + rounds.length) };
  }

  private async applyMarketState(state: MorphoMarketState, blockTag: number): Promise<void> {
    const previous = this.state;
    this.state = state;
    this.rates.note(this.yearlyBorrowRate());
    const changed =
      !previous ||
      previous.totalBorrowAssets !== state.totalBorrowAssets ||
      previous.totalSupplyAssets !== state.totalSupplyAssets ||
      previous.lastUpdate !== state.lastUpdate;
    if (!changed) return;
    if (lowerAddress(this.params.irm) === "0x0000000000000000000000000000000000000000") {
      this.borrowRate = 0n;
      return;
    }
    // IIrm.borrowRateView(MarketParams, Market): the rate _accrueInterest would use from this state.
    const callData = this.irmIface.encodeFunctionData("borrowRateView", [
      {
        loanToken: this.params.loanToken,
        collateralToken: this.params.collateralToken,
        oracle: this.params.oracle,
        irm: this.params.irm,
        lltv: this.params.lltv,
      },
      {
        totalSupplyAssets: state.totalSupplyAssets,
        totalSupplyShares: state.totalSupplyShares,
        totalBorrowAssets: state.totalBorrowAssets,
        totalBorrowShares: state.totalBorrowShares,
        lastUpdate: state.lastUpdate,
        fee: state.fee,
      },
    ]);
    const [rate] = await this.deps.multicall.aggregate3Strict(
      [{ target: this.params.irm, callData, label: `IRM ${this.params.irm}.borrowRateView` }],
      blockTag,
    );
    this.borrowRate = decodeUintWord(rate);
  }

  protected async readPositions(targets: readonly Address[], block: number): Promise<void> {
    const positionSelector = this.morphoIface.getFunction("position").selector;
    const calls: MulticallCall[] = [this.blockTimestampCall()];
    for (const borrower of targets) {
      calls.push({ target: this.morpho, callData: encodeStaticArgsCall(positionSelector, [this.marketId, borrower]) });
    }
    const read = await this.readMarketState(block, calls);
    this.price = this.hiddenRound.priceAt(this.price, this.blockTimestampOf(read.extra[0]));
    const reads = targets.map((borrower, i): BorrowerRead<MorphoBorrowerState> => {
      const data = returnDataOf(read.extra[1 + i], `Morpho.position(${this.marketId}, ${borrower})`);
      // position → (supplyShares, borrowShares, collateral)
      const state: MorphoBorrowerState = { borrowShares: decodeUintWord(data, 1), collateral: decodeUintWord(data, 2) };
      return { borrower, read: state.borrowShares === 0n ? null : { state, priceKeys: [this.marketId] } };
    });
    // One market, one price key: the totals and price just read move every tracked position.
    this.storeRead(reads, { number: block, timestamp: this.blockTimestampOf(read.extra[0]) }, [this.marketId]);
  }

  /* ───────────────────────────── in-memory evaluation ───────────────────────────── */

  /** Market totals after the interest Morpho would accrue at the evaluation time. */
  accruedTotals(): { totalBorrowAssets: bigint; totalBorrowShares: bigint; now: bigint } {
    if (!this.evaluatedAt) throw new Error(`${this.id}: no block evaluated yet; call refreshPositions or onBlock first`);
    const now = BigInt(this.evaluatedAt.timestamp + this.lookaheadSeconds);
    return {
      totalBorrowAssets: accruedTotalBorrowAssets(this.state, this.borrowRate, now),
      totalBorrowShares: this.state.totalBorrowShares,
      now,
    };
  }

  /** The oracle price the health factors currently use (loan units per collateral unit, 1e36-scaled). */
  collateralPrice(): bigint {
    return this.price;
  }

  /** One market, one price: a move of either reaches every position. */
  protected reevaluate(borrowers: Iterable<Address>): MarketUpdate {
    if (!this.evaluatedAt) return { recomputed: 0, newlyLiquidatable: [] };
    const totals = this.accruedTotals();
    return this.book.reevaluate(borrowers, (borrower, state) => this.toTrackedPosition(borrower, state, totals));
  }

  private usdPrices(): { loan: number | undefined; collateral: number | undefined } {
    const loan = this.deps.usdPrices.get(this.params.loanToken);
    let collateral = this.deps.usdPrices.get(this.params.collateralToken);
    if (collateral === undefined && loan !== undefined) {
      // The oracle prices one collateral unit in loan units (1e36-scaled): derive a USD price from it.
      const loanPerCollateralUnit = Number(this.price) / 1e36;
      collateral = loanPerCollateralUnit * 10 ** (this.collateralDecimals - this.loanDecimals) * loan;
    }
    return { loan, collateral };
  }

  private toTrackedPosition(
    borrower: Address,
    state: MorphoBorrowerState,
    totals: { totalBorrowAssets: bigint; totalBorrowShares: bigint },
  ): TrackedPosition {
    const health = morphoHealth(state, totals.totalBorrowAssets, totals.totalBorrowShares, this.price, this.params.lltv);
    const usd = this.usdPrices();
    const key: PositionKey = { protocol: this.protocol, market: this.id, borrower };
    const lif = liquidationIncentiveFactor(this.params.lltv);
    return {
      key,
      collaterals: [
        {
          token: lowerAddress(this.params.collateralToken),
          amount: state.collateral,
          valueUsd: tokenAmountToUsd(state.collateral, this.collateralDecimals, usd.collateral),
          liquidationThresholdBps: Number(this.params.lltv / 10n ** 14n),
          liquidationBonusBps: Number(((lif - WAD) * 10_000n) / WAD),
        },
      ],
      debts: [
        {
          token: lowerAddress(this.params.loanToken),
          amount: health.borrowed,
          valueUsd: tokenAmountToUsd(health.borrowed, this.loanDecimals, usd.loan),
        },
      ],
      healthFactor: health.healthFactor,
      updatedAtBlock: this.evaluatedAt!.number,
    };
  }

  /* ───────────────────────────── reactions ───────────────────────────── */

  onPriceUpdate(update: FeedAnswer): PriceReaction {
    this.assertInitialized();
    if (this.oevUnlock?.roundEmitters.includes(update.feed.toLowerCase())) return this.onHiddenRound(update, this.oevUnlock);
    const feed = this.emitters.get(update.feed.toLowerCase());
    if (!feed) return { recomputed: 0, newlyLiquidatable: [], needsChainRead: false };
    if (!this.oracleModel.exact) return { recomputed: 0, newlyLiquidatable: [], needsChainRead: true };
    if (!this.priceBlock.accepts(this.marketId, update.blockNumber)) return { recomputed: 0, newlyLiquidatable: [], needsChainRead: false };
    this.oracleInputs.answers.set(feed.toLowerCase(), update.answer);
    const price = modelPrice(this.oracleModel, this.oracleInputs);
    // A negative or missing answer makes the real oracle revert: nothing is liquidatable until the chain says so.
    if (price === undefined) return { recomputed: 0, newlyLiquidatable: [], needsChainRead: true };
    if (price === this.price) return { recomputed: 0, newlyLiquidatable: [], needsChainRead: false };
    return { ...this.movePrice(price), needsChainRead: false };
  }

  /**
   * A round of the feed the wrapper delays: the fresh price it will unlock, evaluated at once (oev-unlock.ts); whether
   * it is still hidden is read from the chain (refreshPrices) before anything is sized.
   */
  private onHiddenRound(update: FeedAnswer, unlock: MorphoOevUnlock): PriceReaction {
    const fresh = this.withWrappedAnswer(update.answer);
    if (fresh === undefined || !this.evaluatedAt) return { recomputed: 0, newlyLiquidatable: [], needsChainRead: true };
    this.hiddenRound.onNewRound(fresh, (update.updatedAt ?? this.evaluatedAt.timestamp) + unlock.maxRoundDelay);
    return { ...(fresh === this.price ? { recomputed: 0, newlyLiquidatable: [] } : this.movePrice(fresh)), needsChainRead: true };
  }

  /** The oracle's price with the wrapper's feed answering `answer` (the round it hides), when the formula is modelled. */
  private withWrappedAnswer(answer: bigint): bigint | undefined {
    const answers = new Map(this.oracleInputs.answers).set(lowerAddress(this.oevUnlock!.feed), answer);
    return this.oracleModel.exact ? modelPrice(this.oracleModel, { ...this.oracleInputs, answers }) : undefined;
  }

  async refreshPrices(blockTag?: number | string): Promise<MarketUpdate> {
    this.assertInitialized();
    const block = typeof blockTag === "number" ? blockTag : await this.deps.provider.getBlockNumber();
    if (!this.priceBlock.accepts(this.marketId, block)) return { recomputed: 0, newlyLiquidatable: [] };
    const before = this.price;
    this.oracleInputs = await readOracleInputs(this.deps.multicall, this.oracleModel, block);
    const rounds = MorphoHiddenRound.roundCalls(this.oevUnlock);
    const [priceData, ...roundResults] = await this.deps.multicall.aggregate3([this.priceCall(), ...rounds], block);
    this.hiddenRound.observe(roundResults, this.oevUnlock, (answer) => this.withWrappedAnswer(answer));
    const shown = decodeUintWord(returnDataOf(priceData, `oracle ${this.params.oracle}.price()`));
    const price = this.hiddenRound.priceAt(shown, this.evaluatedAt?.timestamp ?? 0);
    if (price === before) return { recomputed: 0, newlyLiquidatable: [] };
    this.price = before;
    return this.movePrice(price);
  }

  /** The near positions and a rolling slice (evaluation-schedule.ts); every position when the price read moved. */
  async onBlock(block: BlockRef): Promise<MarketUpdate> {
    this.assertInitialized();
    const priceBefore = this.price;
    await this.readMarketState(block.number);
    this.price = this.hiddenRound.priceAt(this.price, block.timestamp);
    if ((this.oracleModel.baseVault || this.oracleModel.quoteVault) && this.priceBlock.accepts(this.marketId, block.number)) {
      // Vault conversion rates drift every block; keep the model's inputs current.
      this.oracleInputs = await readOracleInputs(this.deps.multicall, this.oracleModel, block.number);
    }
    if (this.price === priceBefore) return this.evaluateBlock(block, []);
    // The block's price read is a price move: the crossing index answers it after the block's evaluation.
    const moved = this.price;
    this.price = priceBefore;
    const update = this.evaluateBlock(block, []);
    const reaction = this.movePrice(moved);
    return {
      recomputed: update.recomputed + reaction.recomputed,
      newlyLiquidatable: [...update.newlyLiquidatable, ...reaction.newlyLiquidatable],
    };
  }

  /** Sets the oracle price and re-evaluates what the move can change (the crossing index's candidates). */
  private movePrice(price: bigint): MarketUpdate {
    const from = Number(this.price);
    this.price = price;
    if (!this.evaluatedAt) return { recomputed: 0, newlyLiquidatable: [] };
    return this.reevaluateAfterPriceMoves([{ key: this.marketId, from, to: Number(price) }]);
  }

  /** Debt grows at the IRM's rate (Taylor-compounded: below exp); collateral does not accrue. */
  protected accrualGrowth(from: BlockRef, to: BlockRef): number {
    return growthAtYearlyRate(this.rates.take(this.yearlyBorrowRate()), to.timestamp - from.timestamp);
  }

  private yearlyBorrowRate(): number {
    return (Number(this.borrowRate) / 1e18) * SECONDS_PER_YEAR;
  }

  /** A Morpho market's parameters are immutable: nothing to re-read. */
  protected async reloadMarketParameters(): Promise<boolean> {
    return false;
  }

  /* ───────────────────────────── queries ───────────────────────────── */

  sizeLiquidationWithReason(position: TrackedPosition, pair?: LiquidationPair): SizingResult {
    this.assertInitialized();
    if (
      pair &&
      (lowerAddress(pair.collateralToken) !== lowerAddress(this.params.collateralToken) ||
        lowerAddress(pair.debtToken) !== lowerAddress(this.params.loanToken))
    ) {
      return {
        ok: false,
        reason: "not-liquidatable",
        detail: `${this.id} only has the pair ${this.params.collateralToken}/${this.params.loanToken}`,
      };
    }
    const state = this.book.state(lowerAddress(position.key.borrower));
    if (!state) return { ok: false, reason: "not-liquidatable", detail: `borrower ${position.key.borrower} is not tracked` };
    const totals = this.accruedTotals();
    const health = morphoHealth(state, totals.totalBorrowAssets, totals.totalBorrowShares, this.price, this.params.lltv);
    const usd = this.usdPrices();
    const through = this.oevUnlock !== null && this.hiddenRound.hiddenAt(this.evaluatedAt!.timestamp) ? this.oevUnlock : null;
    const size = through ? (input: MorphoBlueSizingInput) => sizeThroughMorphoOevWrapper(input, through) : sizeMorphoBlueLiquidation;
    return size({
      key: position.key,
      morpho: this.morpho,
      oracle: lowerAddress(this.params.oracle),
      irm: lowerAddress(this.params.irm),
      healthFactor: health.healthFactor,
      detectedAtBlock: this.evaluatedAt!.number,
      loanToken: { address: lowerAddress(this.params.loanToken), decimals: this.loanDecimals, usdPrice: usd.loan ?? 0 },
      collateralToken: {
        address: lowerAddress(this.params.collateralToken),
        decimals: this.collateralDecimals,
        usdPrice: usd.collateral ?? 0,
      },
      lltv: this.params.lltv,
      oraclePrice: this.price,
      borrowShares: state.borrowShares,
      collateral: state.collateral,
      totalBorrowAssets: totals.totalBorrowAssets,
      totalBorrowShares: totals.totalBorrowShares,
    });
  }

  override stats(): MarketStats {
    return this.oevWrapped.length === 0 ? super.stats() : { ...super.stats(), oevWrappedFeeds: this.oevWrapped };
  }

  /** LendingMarket.sharedUnlock: while the wrapper hides a round, every position liquidated through it shares it. */
  sharedUnlock(): string | undefined {
    const hidden = this.oevUnlock !== null && this.evaluatedAt !== null && this.hiddenRound.hiddenAt(this.evaluatedAt.timestamp);
    return hidden ? `oev:${lowerAddress(this.oevUnlock!.feed)}` : undefined;
  }

  priceFeeds(): FeedSubscription[] {
    this.assertInitialized();
    const rounds = (this.oevUnlock?.roundEmitters ?? []).map((emitter) => ({
      market: this.id,
      feed: emitter as Address,
      mode: "answer-is-price" as const,
      affects: [this.marketId],
      description: `rounds the OEV wrapper ${this.oevUnlock!.feed} hides`,
    }));
    return [
      ...rounds,
      ...[...this.emitters.entries()].map(([emitter, feed]) => ({
        market: this.id,
        feed: emitter as Address,
        mode: this.oracleModel.exact ? ("answer-is-price" as const) : ("reread" as const),
        affects: [this.marketId],
        description: emitter === feed.toLowerCase() ? `feed ${feed} of oracle ${this.params.oracle}` : `aggregator behind feed ${feed}`,
      })),
    ];
  }

  protocolEventSubscriptions(): ProtocolEventSubscription[] {
    this.assertInitialized();
    return morphoEventSubscriptions(this.id, this.morpho, this.marketId);
  }
}
