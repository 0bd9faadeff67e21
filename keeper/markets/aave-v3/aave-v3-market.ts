/**
 * The Aave V3 market plug-in (any V3 deployment or fork, found from its PoolAddressesProvider).
 *
 * Kept in memory: every reserve's configuration, indexes and rates; every e-mode category a tracked
 * borrower uses; every oracle price; and per borrower the user-configuration bitmap, e-mode and
 * scaled balances. Health factors are recomputed from those with the pool's own integer math
 * (account-data.ts), so after a price update they are known without a single RPC call.
 */
import { AaveOracle__factory, Pool__factory, PoolAddressesProvider__factory } from "../../../typechain-types";
import type { AaveV3Market as AaveV3MarketConfig, Address } from "../../config/address-book";
import type { PositionKey, TrackedPosition } from "../../core/types";
import { decodeAddressWord, decodeUintWord, encodeAddressArgCall, type MulticallCall, type MulticallResult } from "../../chain/multicall";
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
import type { SizingRefusal, SizingResult } from "../sizing-result";
import type { AnswerPreview } from "../answer-preview";
import { lowerAddress, TrackedLendingMarket, type BorrowerRead, type PriceMove } from "../tracked-lending-market";
import {
  AaveEvaluationContext,
  calculateUserAccountData,
  type AaveAccountData,
  type AaveEModeCategory,
  type AaveReserve,
  type AaveUserState,
  highestBorrowRate,
  priceKeysOf,
} from "./account-data";
import { mathProfileForRevision, type AaveMathProfile } from "./aave-math";
import {
  aaveLiquidationRulesFamily,
  aaveLiquidationRulesForRevision,
  sizeAaveV3Liquidation,
  type AaveLiquidationRules,
  type AaveV3SizingInput,
} from "./liquidation-sizing";
import { aaveFeedSubscriptions, resolveAaveOracleFeeds, type FeedBinding } from "./oracle-sources";
import { findAuctionedPrices, labelAuctionedPrices, type AuctionedPrice } from "./oracle-auctions";
import { aaveEventSubscriptions } from "./protocol-events";
import { decodeReserveData, readEModeCategories, readLiquidationGracePeriods, readStableReserveIds } from "./reserve-data";
import { AavePositionReader } from "./position-reader";
import { hasAnyBorrow } from "./reserve-configuration";
import { ObservedPrices } from "../observed-prices";
import { AAVE_REVERT_ERRORS, AAVE_SELECTORS } from "./selectors";
import { aaveSizingInput } from "./sizing-input";
import { AAVE_V3 } from "./plugin";
import { growthAtYearlyRate, RateSinceEvaluation } from "../evaluation-schedule";

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

export interface AaveV3MarketOptions extends CommonMarketOptions {
  /** Defaults to `aaveV3:<label>`. */
  readonly id?: string;
  /**
   * Read positions straight from storage slots through eth_call state overrides once calibrated
   * (position-reader.ts); default true. Nodes without overrides fall back to Multicall3 getters.
   */
  readonly storageReads?: boolean;
}

export class AaveV3Market extends TrackedLendingMarket<AaveUserState> implements LendingMarket {
  private readonly poolIface = Pool__factory.createInterface();
  private readonly selectors = AAVE_SELECTORS;
  readonly revertErrors = AAVE_REVERT_ERRORS;

  private pool!: Address;
  private oracle!: Address;
  private configurator!: Address;
  private revision = 0;
  private profile: AaveMathProfile = "v3.0";
  private rules: AaveLiquidationRules = "v3.0";
  private reserves: (AaveReserve | undefined)[] = [];
  private readonly reserveByAsset = new Map<string, AaveReserve>();
  /** Reserve ids whose stable debt must be read per user (v3.0/v3.1 reserves with stable debt). */
  private stableReserveIds = new Set<number>();
  private readonly eModes = new Map<number, AaveEModeCategory>();
  /** Unix time until which each reserve (lower-case asset) refuses liquidations; absent = none. */
  private gracePeriods = new Map<string, bigint>();
  private readonly prices = new ObservedPrices(); // a late tick's read never undoes a newer feed update
  private baseCurrencyUnit = 10n ** 8n;
  private feeds = new Map<string, FeedBinding>();
  private auctioned = new Map<string, AuctionedPrice>();
  private reader!: AavePositionReader;
  private readonly storageReads: boolean;
  /** Highest borrow rate in force since the last block evaluation: what bounds interest drift. */
  private readonly rates = new RateSinceEvaluation();
  /** Highest v3.0 stable rate (ray) of any borrower read: a user's stable rate is fixed when it borrows. */
  private maxStableRate = 0n;

  constructor(
    private readonly config: AaveV3MarketConfig,
    deps: MarketDependencies,
    options: AaveV3MarketOptions = {},
  ) {
    super({ protocol: AAVE_V3, label: config.label, discoveryStartBlock: config.deployBlock }, deps, options);
    this.storageReads = options.storageReads ?? true;
    // HF = Σ collateral·LT / Σ debt, each reserve priced by its own oracle answer (an e-mode price source is not modelled).
    this.indexCrossings({ keyOfToken: (token) => token, priceOfKey: (key) => this.prices.get(key) });
  }

  /* ───────────────────────────── configuration ───────────────────────────── */

  async init(): Promise<void> {
    const { multicall, provider } = this.deps;
    const providerIface = PoolAddressesProvider__factory.createInterface();
    const addressesProvider = this.config.addressesProvider;
    const head = await provider.getBlockNumber();
    const [poolData, oracleData, configuratorData] = await multicall.aggregate3Strict(
      ["getPool", "getPriceOracle", "getPoolConfigurator"].map((name) => ({
        target: addressesProvider,
        callData: providerIface.encodeFunctionData(name as "getPool"),
        label: `PoolAddressesProvider(${addressesProvider}).${name}()`,
      })),
      head,
    );
    this.pool = lowerAddress(decodeAddressWord(poolData));
    this.oracle = lowerAddress(decodeAddressWord(oracleData));
    this.configurator = lowerAddress(decodeAddressWord(configuratorData));
    if (this.pool === ZERO_ADDRESS) {
      throw new Error(`${this.id}: PoolAddressesProvider ${addressesProvider} has no pool (is it the right address on this chain?)`);
    }
    if (this.config.pool && lowerAddress(this.config.pool) !== this.pool) {
      this.logger.warn(
        { market: this.id, bookPool: this.config.pool, providerPool: this.pool },
        "address book pool differs from the provider's; using the provider's",
      );
    }

    const oracleIface = AaveOracle__factory.createInterface();
    const [revisionData, reservesData, unitData] = await multicall.aggregate3Strict(
      [
        { target: this.pool, callData: this.poolIface.encodeFunctionData("POOL_REVISION"), label: "Pool.POOL_REVISION()" },
        { target: this.pool, callData: this.poolIface.encodeFunctionData("getReservesList"), label: "Pool.getReservesList()" },
        { target: this.oracle, callData: oracleIface.encodeFunctionData("BASE_CURRENCY_UNIT"), label: "AaveOracle.BASE_CURRENCY_UNIT()" },
      ],
      head,
    );
    this.revision = Number(decodeUintWord(revisionData));
    this.profile = mathProfileForRevision(this.revision);
    // Close-factor/dust rules changed in v3.3 (POOL_REVISION 7), their rounding in v3.5 (9).
    this.rules = aaveLiquidationRulesForRevision(this.revision);
    if (this.config.liquidationRules !== aaveLiquidationRulesFamily(this.rules)) {
      this.logger.warn(
        { market: this.id, declared: this.config.liquidationRules, revision: this.revision, using: this.rules },
        "address book liquidationRules disagree with the pool's revision; sizing follows the revision",
      );
    }
    this.baseCurrencyUnit = decodeUintWord(unitData);
    const assets = (this.poolIface.decodeFunctionResult("getReservesList", reservesData)[0] as string[]).map(lowerAddress);

    await this.loadReserves(assets, head);
    await this.loadEModes(this.reserveEModeIds(), head, true);
    await this.readPrices(head);
    await this.resolveFeeds(head);

    await this.startDiscovery({
      checkpointKey: `${AAVE_V3}:${this.pool}:Borrow`,
      filter: { address: this.pool, topics: [this.poolIface.getEvent("Borrow").topicHash] },
      // Borrow(reserve indexed, user, onBehalfOf indexed, ...): the debt belongs to onBehalfOf (topic 2).
      borrowersOf: (log: RawLog) => (log.topics.length > 2 ? [decodeAddressWord(log.topics[2])] : []),
    });
    this.reader = new AavePositionReader(this.deps, this.pool, this.selectors, this.logger, this.storageReads);
    this.initialized = true;
    this.logger.info(
      { market: this.id, pool: this.pool, revision: this.revision, profile: this.profile, reserves: assets.length, feeds: this.feeds.size },
      "aave market initialised",
    );
  }

  /** Reads getReserveData for `assets` and rebuilds the reserve tables. */
  private async loadReserves(assets: readonly Address[], blockTag: number): Promise<void> {
    const results = await this.deps.multicall.aggregate3Strict(
      assets.map((asset) => ({
        target: this.pool,
        callData: encodeAddressArgCall(this.selectors.getReserveData, asset),
        label: `Pool.getReserveData(${asset})`,
      })),
      blockTag,
    );
    const reserves: (AaveReserve | undefined)[] = [];
    this.reserveByAsset.clear();
    assets.forEach((asset, i) => {
      const reserve = decodeReserveData(asset, results[i]);
      reserves[reserve.id] = reserve;
      this.reserveByAsset.set(asset, reserve);
    });
    this.reserves = reserves;
    this.gracePeriods = await readLiquidationGracePeriods(this.deps.multicall, this.pool, assets, this.revision, blockTag);

    this.stableReserveIds =
      this.profile === "v3.0"
        ? await readStableReserveIds(this.deps.multicall, [...this.reserveByAsset.values()], this.selectors.totalSupply, blockTag)
        : new Set();
  }

  private reserveEModeIds(): number[] {
    const ids = new Set<number>();
    for (const reserve of this.reserveByAsset.values()) if (reserve.params.eModeCategory !== 0) ids.add(reserve.params.eModeCategory);
    return [...ids];
  }

  /** Loads e-mode categories (`reload` re-reads ones already known). */
  private async loadEModes(ids: readonly number[], blockTag: number, reload = false): Promise<void> {
    const wanted = ids.filter((id) => id !== 0 && (reload || !this.eModes.has(id)));
    if (wanted.length === 0) return;
    const categories = await readEModeCategories(this.deps.multicall, this.pool, wanted, this.profile === "v3.0", blockTag);
    for (const category of categories) this.eModes.set(category.id, category);
  }

  /** Assets whose oracle price the health factors use: every reserve plus v3.0 e-mode price sources. */
  private pricedAssets(): Address[] {
    const assets = new Set<Address>(this.reserveByAsset.keys() as Iterable<Address>);
    for (const category of this.eModes.values()) if (category.priceSource) assets.add(category.priceSource);
    return [...assets];
  }

  private async resolveFeeds(blockTag: number): Promise<void> {
    const resolved = await resolveAaveOracleFeeds(this.deps.multicall, this.oracle, this.pricedAssets(), blockTag);
    this.feeds = new Map(resolved.feeds);
    this.auctioned = await findAuctionedPrices(this.deps.multicall, resolved, blockTag, (found) =>
      this.logger.warn(found, "SVR-priced reserves"),
    );
  }

  /* ───────────────────────────── reads ───────────────────────────── */

  private marketStateCalls(): { calls: MulticallCall[]; apply: (results: MulticallResult[], atBlock?: number) => Set<string> } {
    const reserves = [...this.reserveByAsset.values()];
    const assets = this.pricedAssets();
    const calls: MulticallCall[] = [
      ...reserves.map((r) => ({ target: this.pool, callData: encodeAddressArgCall(this.selectors.getReserveData, r.asset) })),
      ...assets.map((a) => ({ target: this.oracle, callData: encodeAddressArgCall(this.selectors.getAssetPrice, a) })),
    ];
    const apply = (results: MulticallResult[], atBlock?: number): Set<string> => {
      this.rates.note(highestBorrowRate(this.reserveByAsset.values(), this.maxStableRate));
      reserves.forEach((reserve, i) => {
        const updated = decodeReserveData(reserve.asset, returnDataOf(results[i], `Pool.getReserveData(${reserve.asset})`));
        this.reserves[updated.id] = updated;
        this.reserveByAsset.set(reserve.asset, updated);
      });
      return this.applyPrices(assets, results.slice(reserves.length), atBlock);
    };
    return { calls, apply };
  }

  /** Sets `asset`'s price as observed at `atBlock` ("latest" or none: current); false, unchanged, if that is older. */
  private setPrice(asset: string, price: bigint, atBlock?: number | string): boolean {
    if (!this.prices.set(asset, price, atBlock)) return false;
    if (this.baseCurrencyUnit > 0n) this.deps.usdPrices.set(asset, Number(price) / Number(this.baseCurrencyUnit));
    return true;
  }

  private async readPrices(blockTag: number | string | undefined): Promise<Set<string>> {
    const assets = this.pricedAssets();
    const calls = assets.map((a) => ({ target: this.oracle, callData: encodeAddressArgCall(this.selectors.getAssetPrice, a) }));
    const results = await this.deps.multicall.aggregate3(calls, blockTag);
    return this.applyPrices(assets, results, blockTag);
  }

  /** Applies AaveOracle.getAssetPrice answers read at `atBlock` (results[i] for assets[i]); returns the prices that moved. */
  private applyPrices(assets: readonly string[], results: readonly MulticallResult[], atBlock?: number | string): Set<string> {
    const changed = new Set<string>();
    assets.forEach((asset, i) => {
      const price = decodeUintWord(returnDataOf(results[i], `AaveOracle.getAssetPrice(${asset})`));
      const previous = this.prices.get(asset);
      if (this.setPrice(asset, price, atBlock) && previous !== price) changed.add(asset);
    });
    return changed;
  }

  protected async readPositions(targets: readonly Address[], block: number): Promise<void> {
    const { multicall } = this.deps;
    // The block's timestamp and the market state (one batch), alongside the borrowers' positions.
    const state = this.marketStateCalls();
    const [stateResults, reads] = await Promise.all([
      multicall.aggregate3([this.blockTimestampCall(), ...state.calls], block),
      this.reader.read(targets, block, {
        reserves: this.reserves,
        stableReserveIds: this.stableReserveIds,
        readEMode: this.eModeCanMatter(),
        hasAnyBorrow,
      }),
    ]);
    const timestamp = this.blockTimestampOf(stateResults[0]);
    const changedPrices = state.apply(stateResults.slice(1), block);
    await this.loadEModes([...new Set(reads.eModes)], block);

    for (const stable of reads.stable)
      for (const position of stable.values()) if (position.rate > this.maxStableRate) this.maxStableRate = position.rate;
    const borrowerReads = targets.map((borrower, b): BorrowerRead<AaveUserState> => {
      const config = reads.configs[b];
      if (!hasAnyBorrow(config)) return { borrower, read: null };
      const state: AaveUserState = {
        userConfig: config,
        eModeCategory: reads.eModes[b],
        scaledCollateral: reads.collateral[b],
        scaledVariableDebt: reads.variable[b],
        stableDebt: reads.stable[b],
      };
      return { borrower, read: { state, priceKeys: priceKeysOf(state, this.reserves, this.eModes) } };
    });
    this.storeRead(borrowerReads, { number: block, timestamp }, changedPrices);
  }

  /** Storage-slot reads are eth_calls of their own, next to the Multicall3 batches. */
  protected override rpcCallsSoFar(): number {
    return super.rpcCallsSoFar() + (this.reader?.storageStats.rpcCalls ?? 0);
  }

  /** How positions are read now: "storage" once the slot layout is calibrated, else "multicall". */
  get readMode(): "multicall" | "storage" {
    return this.reader.mode;
  }

  /**
   * Whether a user's e-mode can change their health factor. On v3.0/v3.1 a category only acts on
   * reserves assigned to it, so with no reserve in any category the per-user read is skipped (it is a
   * quarter of a rescan's sub-calls); from v3.2 categories are bitmaps and it is always read.
   */
  private eModeCanMatter(): boolean {
    return this.profile !== "v3.0" || this.reserveEModeIds().length > 0;
  }

  /* ───────────────────────────── in-memory evaluation ───────────────────────────── */

  private evaluationContext(prices: ReadonlyMap<string, bigint> = this.prices.values): AaveEvaluationContext {
    if (!this.evaluatedAt) throw new Error(`${this.id}: no block evaluated yet; call refreshPositions or onBlock first`);
    return new AaveEvaluationContext(
      this.profile,
      this.reserves,
      this.eModes,
      prices,
      BigInt(this.evaluatedAt.timestamp + this.lookaheadSeconds),
    );
  }

  /** The borrower's full account data at the current evaluation time (for tests and sizing). */
  accountData(borrower: Address, at = this.evaluationContext()): AaveAccountData | undefined {
    const state = this.book.state(lowerAddress(borrower));
    return state && calculateUserAccountData(at, state);
  }

  private positionAt(borrower: Address, at: AaveEvaluationContext): TrackedPosition | undefined {
    const data = this.accountData(borrower, at);
    return data && this.toTrackedPosition(borrower, data);
  }

  private toTrackedPosition(borrower: Address, data: AaveAccountData): TrackedPosition {
    const unit = Number(this.baseCurrencyUnit);
    const key: PositionKey = { protocol: this.protocol, market: this.id, borrower };
    return {
      key,
      collaterals: data.exposures
        .filter((e) => e.countsAsCollateral && e.collateralBalance > 0n)
        .map((e) => ({
          token: e.reserve.asset,
          amount: e.collateralBalance,
          valueUsd: Number(e.collateralBase) / unit,
          liquidationThresholdBps: e.liquidationThreshold,
          liquidationBonusBps: Math.max(0, e.liquidationBonus - 10_000),
        })),
      debts: data.exposures
        .filter((e) => e.isBorrowed && e.debtBalance > 0n)
        .map((e) => ({ token: e.reserve.asset, amount: e.debtBalance, valueUsd: Number(e.debtBase) / unit })),
      healthFactor: data.healthFactor,
      updatedAtBlock: this.evaluatedAt!.number,
    };
  }

  protected reevaluate(borrowers: Iterable<Address>): MarketUpdate {
    const ctx = this.evaluationContext();
    return this.book.reevaluate(borrowers, (borrower, state) => this.toTrackedPosition(borrower, calculateUserAccountData(ctx, state)));
  }

  /* ───────────────────────────── reactions ───────────────────────────── */

  onPriceUpdate(update: FeedAnswer): PriceReaction {
    this.assertInitialized();
    const binding = this.feeds.get(update.feed.toLowerCase());
    if (!binding) return { recomputed: 0, newlyLiquidatable: [], needsChainRead: false };
    // A non-positive answer sends AaveOracle to its fallback oracle: only the chain knows that price.
    if (binding.mode === "reread" || update.answer <= 0n) {
      return { recomputed: 0, newlyLiquidatable: [], needsChainRead: true };
    }
    const moves: PriceMove[] = [];
    for (const asset of binding.assets) {
      const previous = this.prices.get(asset);
      if (previous === update.answer || !this.setPrice(asset, update.answer, update.blockNumber)) continue;
      moves.push({ key: asset, from: previous === undefined ? NaN : Number(previous), to: Number(update.answer) });
    }
    if (moves.length === 0 || !this.evaluatedAt) return { recomputed: 0, newlyLiquidatable: [], needsChainRead: false };
    return { ...this.reevaluateAfterPriceMoves(moves), needsChainRead: false };
  }

  async refreshPrices(blockTag?: number | string): Promise<MarketUpdate> {
    this.assertInitialized();
    const changed = await this.readPrices(blockTag);
    if (changed.size === 0 || !this.evaluatedAt) return { recomputed: 0, newlyLiquidatable: [] };
    return this.reevaluate(this.book.holdersOf(changed));
  }

  /** Near positions, a rolling slice and holders of a re-read price are re-evaluated (evaluation-schedule.ts). */
  async onBlock(block: BlockRef): Promise<MarketUpdate> {
    this.assertInitialized();
    const state = this.marketStateCalls();
    const results = await this.deps.multicall.aggregate3(state.calls, block.number);
    const changedPrices = state.apply(results, block.number);
    return this.evaluateBlock(block, this.book.holdersOf(changedPrices));
  }

  /** Debt grows at most at the highest variable (or v3.0 stable) rate in force; collateral only grows. */
  protected accrualGrowth(from: BlockRef, to: BlockRef): number {
    const highest = highestBorrowRate(this.reserveByAsset.values(), this.maxStableRate);
    return growthAtYearlyRate(this.rates.take(highest), to.timestamp - from.timestamp);
  }

  /** A reserve, e-mode or oracle-source change: re-read them all, then every position. */
  protected async reloadMarketParameters(blockTag: number): Promise<boolean> {
    const assets = [...this.reserveByAsset.keys()] as Address[];
    await this.loadReserves(assets, blockTag);
    await this.loadEModes([...this.eModes.keys(), ...this.reserveEModeIds()], blockTag, true);
    await this.resolveFeeds(blockTag);
    return true;
  }

  /* ───────────────────────────── queries ───────────────────────────── */

  sizeLiquidationWithReason(position: TrackedPosition, pair?: LiquidationPair, at?: AaveEvaluationContext): SizingResult {
    const input = this.sizingInput(position, pair, at);
    return labelAuctionedPrices("ok" in input ? input : sizeAaveV3Liquidation(input), this.auctioned);
  }

  override stats(): MarketStats {
    return { ...super.stats(), auctionedPrices: [...this.auctioned.values()] };
  }

  /** The market if `feed` answered `answer`, unchanged (answer-preview.ts); null where the answer is not the price. */
  previewAnswer(feed: Address, answer: bigint): AnswerPreview | null {
    const binding = this.feeds.get(feed.toLowerCase());
    if (!binding || binding.mode === "reread" || answer <= 0n || !this.evaluatedAt) return null;
    const at = this.evaluationContext(new Map([...this.prices.values, ...binding.assets.map((asset) => [asset, answer] as const)]));
    return {
      currentAnswer: this.prices.get(binding.assets[0]!) ?? 0n,
      position: (borrower) => this.positionAt(borrower, at),
      liquidationPairs: (position) => this.liquidationPairs(position),
      sizeLiquidationWithReason: (position, pair) => this.sizeLiquidationWithReason(position, pair, at),
    };
  }

  /** What the sizing of `pair` (default: the largest) starts from, as of the current evaluation time. */
  sizingInput(position: TrackedPosition, pair?: LiquidationPair, at?: AaveEvaluationContext): AaveV3SizingInput | SizingRefusal {
    this.assertInitialized();
    const chosen = pair ?? this.liquidationPairs(position)[0];
    if (!chosen) return { ok: false, reason: "not-liquidatable", detail: "no collateral/debt pair to liquidate" };
    const borrower = lowerAddress(position.key.borrower);
    const state = this.book.state(borrower);
    if (!state) return { ok: false, reason: "not-liquidatable", detail: `borrower ${position.key.borrower} is not tracked` };
    const ctx = at ?? this.evaluationContext();
    return aaveSizingInput({
      key: position.key,
      pool: this.pool,
      pair: chosen,
      rules: this.rules,
      data: calculateUserAccountData(ctx, state),
      state,
      ctx,
      gracePeriods: this.gracePeriods,
      detectedAtBlock: this.evaluatedAt!.number,
      baseCurrencyUnit: this.baseCurrencyUnit,
    });
  }

  priceFeeds(): FeedSubscription[] {
    return aaveFeedSubscriptions(this.id, this.feeds);
  }

  protocolEventSubscriptions(): ProtocolEventSubscription[] {
    this.assertInitialized();
    const aTokens = [...this.reserveByAsset.values()].map((r) => r.aToken);
    return aaveEventSubscriptions(this.id, { pool: this.pool, oracle: this.oracle, configurator: this.configurator, aTokens });
  }

  /** The pool's arithmetic profile and revision, for logs and tests. */
  describe(): { pool: Address; oracle: Address; revision: number; profile: AaveMathProfile; rules: AaveLiquidationRules } {
    this.assertInitialized();
    return { pool: this.pool, oracle: this.oracle, revision: this.revision, profile: this.profile, rules: this.rules };
  }
}
