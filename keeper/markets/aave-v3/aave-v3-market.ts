/**
 * The Aave V3 market plug-in (any V3 deployment or fork, found from its PoolAddressesProvider).
 *
 * Kept in memory: every reserve's configuration, indexes and rates; every e-mode category a tracked
 * borrower uses; every oracle price; and per borrower the user-configuration bitmap, e-mode and
 * scaled balances. Health factors are recomputed from those with the pool's own integer math
 * (account-data.ts), so after a price update they are known without a single RPC call.
 */
import { Interface } from "ethers";
import {
  AaveOracle__factory,
  AToken__factory,
  Pool__factory,
  PoolAddressesProvider__factory,
  PoolConfigurator__factory,
  StableDebtToken__factory,
} from "../../../typechain-types";
import type { AaveV3Market as AaveV3MarketConfig, Address } from "../../config/address-book";
import type { LiquidationCandidate, PositionKey, TrackedPosition } from "../../core/types";
import {
  decodeAddressWord,
  decodeUintWord,
  encodeAddressArgCall,
  GET_CURRENT_BLOCK_TIMESTAMP_SELECTOR,
  type MulticallCall,
  type MulticallResult,
} from "../../chain/multicall";
import { sizeAaveV3Liquidation, type AaveLiquidationRules } from "../../strategy/sizing/aave-v3";
import type { SizingResult } from "../../strategy/sizing/sizing-result";
import { BorrowerDiscovery } from "../borrower-discovery";
import type {
  BlockRef,
  DiscoveryResult,
  FeedAnswer,
  FeedSubscription,
  LendingMarket,
  LiquidationPair,
  MarketStats,
  MarketUpdate,
  PriceReaction,
  ProtocolEventSubscription,
  RawLog,
  RefreshResult,
} from "../market";
import { SILENT_LOGGER, type MarketLogger } from "../market";
import type { CommonMarketOptions, MarketDependencies } from "../market-dependencies";
import { lowerAddress, TrackedLendingMarket } from "../tracked-lending-market";
import {
  AaveEvaluationContext,
  calculateUserAccountData,
  type AaveAccountData,
  type AaveEModeCategory,
  type AaveReserve,
  type AaveUserState,
} from "./account-data";
import { mathProfileForRevision, type AaveMathProfile } from "./aave-math";
import { resolveAaveOracleFeeds, type FeedBinding } from "./oracle-sources";
import { AavePositionReader } from "./position-reader";
import { activeReserveIds, decodeReserveConfiguration } from "./reserve-configuration";

/**
 * E-mode getters added in Aave v3.2 (aave-dao/aave-v3-origin src/contracts/interfaces/IPool.sol); the
 * npm v3.0.2 artifacts the TypeChain bindings come from predate them.
 */
const POOL_V32_EMODE_ABI = new Interface([
  "function getEModeCategoryCollateralBitmap(uint8 id) view returns (uint128)",
  "function getEModeCategoryLtvzeroBitmap(uint8 id) view returns (uint128)",
]);

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

export interface AaveV3MarketOptions extends CommonMarketOptions {
  /** Defaults to `aave-v3:<label>`. */
  readonly id?: string;
  /**
   * Read positions straight from storage slots through eth_call state overrides once calibrated
   * (position-reader.ts); default true. Nodes without overrides fall back to Multicall3 getters.
   */
  readonly storageReads?: boolean;
}

/** Pool events that change one borrower's position, and which argument names the borrower. */
const POSITION_EVENTS: Readonly<Record<string, string>> = {
  Supply: "onBehalfOf",
  Withdraw: "user",
  Borrow: "onBehalfOf",
  Repay: "user",
  LiquidationCall: "user",
  ReserveUsedAsCollateralEnabled: "user",
  ReserveUsedAsCollateralDisabled: "user",
  UserEModeSet: "user",
  SwapBorrowRateMode: "user",
  RebalanceStableBorrowRate: "user",
};

interface Selectors {
  readonly getUserConfiguration: string;
  readonly getUserEMode: string;
  readonly getReserveData: string;
  readonly getAssetPrice: string;
  readonly scaledBalanceOf: string;
  readonly principalBalanceOf: string;
  readonly getUserStableRate: string;
  readonly getUserLastUpdated: string;
  readonly totalSupply: string;
}

/** The event a topic hash names in `iface`, if any. */
function eventName(iface: Interface, topic: string | undefined): string | undefined {
  if (!topic) return undefined;
  try {
    return iface.getEvent(topic)?.name;
  } catch {
    return undefined;
  }
}

function requireSuccess(result: MulticallResult, what: string): string {
  if (!result.success || result.returnData === "0x") throw new Error(`aave: ${what} reverted or returned nothing`);
  return result.returnData;
}

export class AaveV3Market extends TrackedLendingMarket<AaveUserState> implements LendingMarket {
  readonly id: string;
  readonly protocol = "aaveV3" as const;
  readonly label: string;

  private readonly logger: MarketLogger;
  private readonly poolIface = Pool__factory.createInterface();
  private readonly selectors: Selectors;
  private readonly lookaheadSeconds: number;
  private readonly maxLogBlockSpan: number | undefined;

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
  private readonly prices = new Map<string, bigint>();
  private baseCurrencyUnit = 10n ** 8n;
  private feeds = new Map<string, FeedBinding>();
  private reader!: AavePositionReader;
  private readonly storageReads: boolean;

  constructor(
    private readonly config: AaveV3MarketConfig,
    private readonly deps: MarketDependencies,
    options: AaveV3MarketOptions = {},
  ) {
    super();
    this.id = options.id ?? `aave-v3:${config.label}`;
    this.label = config.label;
    this.logger = deps.logger ?? SILENT_LOGGER;
    this.lookaheadSeconds = options.lookaheadSeconds ?? 0;
    if (!Number.isInteger(this.lookaheadSeconds) || this.lookaheadSeconds < 0) {
      throw new Error(`${this.id}: lookaheadSeconds must be a non-negative integer, got ${options.lookaheadSeconds}`);
    }
    this.maxLogBlockSpan = options.maxLogBlockSpan;
    this.storageReads = options.storageReads ?? true;
    const oracleIface = AaveOracle__factory.createInterface();
    const stableIface = StableDebtToken__factory.createInterface();
    this.selectors = {
      getUserConfiguration: this.poolIface.getFunction("getUserConfiguration").selector,
      getUserEMode: this.poolIface.getFunction("getUserEMode").selector,
      getReserveData: this.poolIface.getFunction("getReserveData").selector,
      getAssetPrice: oracleIface.getFunction("getAssetPrice").selector,
      scaledBalanceOf: AToken__factory.createInterface().getFunction("scaledBalanceOf").selector,
      principalBalanceOf: stableIface.getFunction("principalBalanceOf").selector,
      getUserStableRate: stableIface.getFunction("getUserStableRate").selector,
      getUserLastUpdated: stableIface.getFunction("getUserLastUpdated").selector,
      totalSupply: stableIface.getFunction("totalSupply").selector,
    };
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
    // Close-factor/dust rules changed in v3.3 (POOL_REVISION 7).
    this.rules = this.revision >= 7 ? "v3.3" : "v3.0";
    if (this.config.liquidationRules !== this.rules) {
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

    this.discovery = new BorrowerDiscovery(
      this.deps.provider,
      this.deps.checkpoints,
      {
        checkpointKey: `aaveV3:${this.pool}:Borrow`,
        filter: { address: this.pool, topics: [this.poolIface.getEvent("Borrow").topicHash] },
        // Borrow(reserve indexed, user, onBehalfOf indexed, ...): the debt belongs to onBehalfOf (topic 2).
        borrowersOf: (log: RawLog) => (log.topics.length > 2 ? [decodeAddressWord(log.topics[2])] : []),
      },
      { maxBlockSpan: this.maxLogBlockSpan },
    );
    await this.discovery.load();
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
      const reserve = this.decodeReserve(asset, results[i]);
      reserves[reserve.id] = reserve;
      this.reserveByAsset.set(asset, reserve);
    });
    this.reserves = reserves;

    this.stableReserveIds = new Set();
    if (this.profile === "v3.0") {
      const withStable = [...this.reserveByAsset.values()].filter((r) => r.stableDebtToken !== ZERO_ADDRESS);
      const supplies = await this.deps.multicall.aggregate3(
        withStable.map((r) => ({ target: r.stableDebtToken, callData: this.selectors.totalSupply })),
        blockTag,
      );
      withStable.forEach((reserve, i) => {
        const hasSupply = supplies[i].success && supplies[i].returnData.length >= 66 && decodeUintWord(supplies[i].returnData) > 0n;
        if (hasSupply || reserve.params.stableBorrowingEnabled) this.stableReserveIds.add(reserve.id);
      });
    }
  }

  /** getReserveData's struct is all static words: configuration, indexes, rates, timestamp, id, token addresses. */
  private decodeReserve(asset: Address, data: string): AaveReserve {
    const configuration = decodeUintWord(data, 0);
    return {
      asset,
      id: Number(decodeUintWord(data, 7)),
      params: decodeReserveConfiguration(configuration),
      index: {
        liquidityIndex: decodeUintWord(data, 1),
        currentLiquidityRate: decodeUintWord(data, 2),
        variableBorrowIndex: decodeUintWord(data, 3),
        currentVariableBorrowRate: decodeUintWord(data, 4),
        lastUpdateTimestamp: decodeUintWord(data, 6),
      },
      aToken: lowerAddress(decodeAddressWord(data, 8)),
      stableDebtToken: lowerAddress(decodeAddressWord(data, 9)),
      variableDebtToken: lowerAddress(decodeAddressWord(data, 10)),
    };
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
    const legacy = this.profile === "v3.0";
    const calls: MulticallCall[] = [];
    for (const id of wanted) {
      calls.push({ target: this.pool, callData: this.poolIface.encodeFunctionData("getEModeCategoryData", [id]) });
      if (!legacy) {
        calls.push({ target: this.pool, callData: POOL_V32_EMODE_ABI.encodeFunctionData("getEModeCategoryCollateralBitmap", [id]) });
        calls.push({ target: this.pool, callData: POOL_V32_EMODE_ABI.encodeFunctionData("getEModeCategoryLtvzeroBitmap", [id]) });
      }
    }
    const results = await this.deps.multicall.aggregate3(calls, blockTag);
    const stride = legacy ? 1 : 3;
    wanted.forEach((id, i) => {
      const data = requireSuccess(results[i * stride], `Pool.getEModeCategoryData(${id})`);
      const category = this.poolIface.decodeFunctionResult("getEModeCategoryData", data)[0];
      const priceSource = lowerAddress(category.priceSource as string);
      let collateralBitmap = 0n;
      let ltvzeroBitmap = 0n;
      if (!legacy) {
        collateralBitmap = decodeUintWord(requireSuccess(results[i * stride + 1], `Pool.getEModeCategoryCollateralBitmap(${id})`));
        // Only v3.6+ pools have the LTV-zero bitmap; older ones revert, which means "none".
        const ltvzero = results[i * stride + 2];
        ltvzeroBitmap = ltvzero.success && ltvzero.returnData.length >= 66 ? decodeUintWord(ltvzero.returnData) : 0n;
      }
      this.eModes.set(id, {
        id,
        ltv: Number(category.ltv),
        liquidationThreshold: Number(category.liquidationThreshold),
        liquidationBonus: Number(category.liquidationBonus),
        priceSource: legacy && priceSource !== ZERO_ADDRESS ? priceSource : null,
        collateralBitmap,
        ltvzeroBitmap,
      });
    });
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
  }

  /* ───────────────────────────── reads ───────────────────────────── */

  private marketStateCalls(): { calls: MulticallCall[]; apply: (results: MulticallResult[]) => Set<string> } {
    const reserves = [...this.reserveByAsset.values()];
    const assets = this.pricedAssets();
    const calls: MulticallCall[] = [
      ...reserves.map((r) => ({ target: this.pool, callData: encodeAddressArgCall(this.selectors.getReserveData, r.asset) })),
      ...assets.map((a) => ({ target: this.oracle, callData: encodeAddressArgCall(this.selectors.getAssetPrice, a) })),
    ];
    const apply = (results: MulticallResult[]): Set<string> => {
      const changedPrices = new Set<string>();
      reserves.forEach((reserve, i) => {
        const updated = this.decodeReserve(reserve.asset, requireSuccess(results[i], `Pool.getReserveData(${reserve.asset})`));
        this.reserves[updated.id] = updated;
        this.reserveByAsset.set(reserve.asset, updated);
      });
      assets.forEach((asset, i) => {
        const price = decodeUintWord(requireSuccess(results[reserves.length + i], `AaveOracle.getAssetPrice(${asset})`));
        if (this.prices.get(asset) !== price) changedPrices.add(asset);
        this.setPrice(asset, price);
      });
      return changedPrices;
    };
    return { calls, apply };
  }

  private setPrice(asset: string, price: bigint): void {
    this.prices.set(asset, price);
    if (this.baseCurrencyUnit > 0n) this.deps.usdPrices.set(asset, Number(price) / Number(this.baseCurrencyUnit));
  }

  private async readPrices(blockTag: number | string | undefined): Promise<Set<string>> {
    const assets = this.pricedAssets();
    const results = await this.deps.multicall.aggregate3(
      assets.map((a) => ({ target: this.oracle, callData: encodeAddressArgCall(this.selectors.getAssetPrice, a) })),
      blockTag,
    );
    const changed = new Set<string>();
    assets.forEach((asset, i) => {
      const price = decodeUintWord(requireSuccess(results[i], `AaveOracle.getAssetPrice(${asset})`));
      if (this.prices.get(asset) !== price) changed.add(asset);
      this.setPrice(asset, price);
    });
    return changed;
  }

  async discoverBorrowers(fromBlock: number, toBlock: number): Promise<DiscoveryResult> {
    this.assertInitialized();
    return this.discovery.discover(fromBlock, toBlock);
  }

  async refreshPositions(borrowers?: readonly Address[], blockTag?: number): Promise<RefreshResult> {
    this.assertInitialized();
    const { multicall, provider } = this.deps;
    const rpcBefore = multicall.stats.rpcCalls + this.reader.storageStats.rpcCalls;
    let extraRpc = 0;
    const targets = borrowers
      ? [...new Set(borrowers.map(lowerAddress))]
      : [...new Set([...this.discovery.borrowers(), ...this.book.borrowers()])];
    let block = blockTag;
    if (block === undefined) {
      block = await provider.getBlockNumber();
      extraRpc += 1;
    }

    // The block's timestamp and the market state (one batch), alongside the borrowers' positions.
    const state = this.marketStateCalls();
    const [stateResults, reads] = await Promise.all([
      multicall.aggregate3([{ target: multicall.address, callData: GET_CURRENT_BLOCK_TIMESTAMP_SELECTOR }, ...state.calls], block),
      this.reader.read(targets, block, {
        reserves: this.reserves,
        stableReserveIds: this.stableReserveIds,
        readEMode: this.eModeCanMatter(),
        hasAnyBorrow: (config) => this.hasAnyBorrow(config),
      }),
    ]);
    const timestamp = Number(decodeUintWord(requireSuccess(stateResults[0], "Multicall3.getCurrentBlockTimestamp()")));
    const changedPrices = state.apply(stateResults.slice(1));
    await this.loadEModes([...new Set(reads.eModes)], block);

    const timeMoved = this.evaluatedAt === null || this.evaluatedAt.timestamp !== timestamp;
    this.evaluatedAt = { number: block, timestamp };
    const ctx = this.evaluationContext();
    const newly: TrackedPosition[] = [];
    const refreshed = new Set<Address>();
    targets.forEach((borrower, b) => {
      refreshed.add(borrower);
      const config = reads.configs[b];
      if (!this.hasAnyBorrow(config)) {
        this.book.remove(borrower);
        return;
      }
      const userState: AaveUserState = {
        userConfig: config,
        eModeCategory: reads.eModes[b],
        scaledCollateral: reads.collateral[b],
        scaledVariableDebt: reads.variable[b],
        stableDebt: reads.stable[b],
      };
      this.book.setState(borrower, userState, this.priceKeys(userState));
      const position = this.recompute(borrower, ctx);
      if (position) newly.push(position);
    });
    // Positions not re-read still need the new prices/time applied.
    const others = timeMoved ? this.book.borrowers() : [...this.book.holdersOf(changedPrices)];
    for (const borrower of others) {
      if (refreshed.has(borrower)) continue;
      const position = this.recompute(borrower, ctx);
      if (position) newly.push(position);
    }

    return {
      borrowers: targets.length,
      tracked: this.book.size,
      liquidatable: this.book.liquidatableCount,
      blockNumber: block,
      rpcCalls: multicall.stats.rpcCalls + this.reader.storageStats.rpcCalls - rpcBefore + extraRpc,
    };
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

  private hasAnyBorrow(config: bigint): boolean {
    // Borrow flags sit on even bits.
    const BORROW_BITS = 0x5555555555555555555555555555555555555555555555555555555555555555n;
    return (config & BORROW_BITS) !== 0n;
  }

  private priceKeys(user: AaveUserState): string[] {
    const keys: string[] = [];
    for (const id of activeReserveIds(user.userConfig)) {
      const reserve = this.reserves[id];
      if (reserve) keys.push(reserve.asset);
    }
    const source = user.eModeCategory !== 0 ? this.eModes.get(user.eModeCategory)?.priceSource : null;
    if (source) keys.push(source);
    return keys;
  }

  /* ───────────────────────────── in-memory evaluation ───────────────────────────── */

  private evaluationContext(): AaveEvaluationContext {
    if (!this.evaluatedAt) throw new Error(`${this.id}: no block evaluated yet; call refreshPositions or onBlock first`);
    return new AaveEvaluationContext(
      this.profile,
      this.reserves,
      this.eModes,
      this.prices,
      BigInt(this.evaluatedAt.timestamp + this.lookaheadSeconds),
    );
  }

  /** The borrower's full account data at the current evaluation time (for tests and sizing). */
  accountData(borrower: Address): AaveAccountData | undefined {
    const state = this.book.state(lowerAddress(borrower));
    if (!state) return undefined;
    return calculateUserAccountData(this.evaluationContext(), state);
  }

  /** Recomputes one borrower; returns the position when it just became liquidatable. */
  private recompute(borrower: Address, ctx: AaveEvaluationContext): TrackedPosition | undefined {
    const state = this.book.state(borrower)!;
    const data = calculateUserAccountData(ctx, state);
    const position = this.toTrackedPosition(borrower, data);
    return this.book.setPosition(borrower, position) ? position : undefined;
  }

  private toTrackedPosition(borrower: Address, data: AaveAccountData): TrackedPosition {
    const unit = Number(this.baseCurrencyUnit);
    const key: PositionKey = { protocol: "aaveV3", market: this.id, borrower };
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

  private recomputeMany(borrowers: Iterable<Address>): MarketUpdate {
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
    const changed: string[] = [];
    for (const asset of binding.assets) {
      if (this.prices.get(asset) === update.answer) continue;
      this.setPrice(asset, update.answer);
      changed.push(asset);
    }
    if (changed.length === 0 || !this.evaluatedAt) return { recomputed: 0, newlyLiquidatable: [], needsChainRead: false };
    return { ...this.recomputeMany(this.book.holdersOf(changed)), needsChainRead: false };
  }

  async refreshPrices(blockTag?: number | string): Promise<MarketUpdate> {
    this.assertInitialized();
    const changed = await this.readPrices(blockTag);
    if (changed.size === 0 || !this.evaluatedAt) return { recomputed: 0, newlyLiquidatable: [] };
    return this.recomputeMany(this.book.holdersOf(changed));
  }

  async onBlock(block: BlockRef): Promise<MarketUpdate> {
    this.assertInitialized();
    const state = this.marketStateCalls();
    const results = await this.deps.multicall.aggregate3(state.calls, block.number);
    state.apply(results);
    this.evaluatedAt = { number: block.number, timestamp: block.timestamp };
    // Every index moves with time, so every position is re-evaluated; it is arithmetic only.
    return this.recomputeMany(this.book.borrowers());
  }

  protected reevaluateAll(): MarketUpdate {
    return this.recomputeMany(this.book.borrowers());
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

  liquidationPairs(position: TrackedPosition): LiquidationPair[] {
    const pairs: LiquidationPair[] = [];
    for (const collateral of position.collaterals) {
      // A reserve with LT 0 cannot be seized (ValidationLogic.validateLiquidationCall).
      if (collateral.liquidationThresholdBps === 0) continue;
      for (const debt of position.debts) {
        pairs.push({ collateralToken: collateral.token, debtToken: debt.token, sizeUsd: Math.min(collateral.valueUsd, debt.valueUsd) });
      }
    }
    return pairs.sort((a, b) => b.sizeUsd - a.sizeUsd);
  }

  sizeLiquidationWithReason(position: TrackedPosition, pair?: LiquidationPair): SizingResult {
    this.assertInitialized();
    const chosen = pair ?? this.liquidationPairs(position)[0];
    if (!chosen) return { ok: false, reason: "not-liquidatable", detail: "no collateral/debt pair to liquidate" };
    const data = this.accountData(position.key.borrower);
    if (!data) return { ok: false, reason: "not-liquidatable", detail: `borrower ${position.key.borrower} is not tracked` };
    const collateral = data.exposures.find((e) => e.reserve.asset === lowerAddress(chosen.collateralToken) && e.countsAsCollateral);
    const debt = data.exposures.find((e) => e.reserve.asset === lowerAddress(chosen.debtToken) && e.isBorrowed);
    if (!collateral || !debt) {
      return {
        ok: false,
        reason: "not-liquidatable",
        detail: `pair ${chosen.collateralToken}/${chosen.debtToken} is not held by the borrower`,
      };
    }
    return sizeAaveV3Liquidation({
      rules: this.rules,
      key: position.key,
      healthFactor: data.healthFactor,
      detectedAtBlock: this.evaluatedAt!.number,
      debt: {
        token: debt.reserve.asset,
        decimals: debt.reserve.params.decimals,
        priceBase: debt.price,
        userDebt: debt.debtBalance,
      },
      collateral: {
        token: collateral.reserve.asset,
        decimals: collateral.reserve.params.decimals,
        priceBase: collateral.price,
        userBalance: collateral.collateralBalance,
        liquidationBonusBps: Math.max(0, collateral.liquidationBonus - 10_000),
        liquidationProtocolFeeBps: collateral.reserve.params.liquidationProtocolFee,
      },
      totalDebtBase: data.totalDebtBase,
      totalCollateralBase: data.totalCollateralBase,
      baseCurrencyUnit: this.baseCurrencyUnit,
    });
  }

  sizeLiquidation(position: TrackedPosition, pair?: LiquidationPair): LiquidationCandidate | null {
    const result = this.sizeLiquidationWithReason(position, pair);
    return result.ok ? result.candidate : null;
  }

  priceFeeds(): FeedSubscription[] {
    return [...this.feeds.values()].map((binding) => ({
      market: this.id,
      feed: binding.feed,
      mode: binding.mode,
      affects: [...binding.assets],
      description: binding.description,
    }));
  }

  protocolEventSubscriptions(): ProtocolEventSubscription[] {
    this.assertInitialized();
    const poolIface = this.poolIface;
    const positionTopics = new Map<string, { name: string; argument: string }>();
    for (const [name, argument] of Object.entries(POSITION_EVENTS)) {
      const event = (poolIface as Interface).getEvent(name);
      if (event) positionTopics.set(event.topicHash, { name, argument });
    }
    const aTokenIface = AToken__factory.createInterface();
    const balanceTransfer = aTokenIface.getEvent("BalanceTransfer");
    const oracleIface = AaveOracle__factory.createInterface();
    const sourceUpdated = oracleIface.getEvent("AssetSourceUpdated");
    const configuratorIface = PoolConfigurator__factory.createInterface();
    const market = this.id;
    const base = (log: RawLog) => ({
      market,
      blockNumber: log.blockNumber,
      logIndex: log.index,
      transactionHash: log.transactionHash,
    });
    return [
      {
        market,
        addresses: [this.pool],
        topics: [...positionTopics.keys()],
        decode: (log) => {
          const known = positionTopics.get(log.topics[0]);
          if (!known) return [];
          const parsed = poolIface.parseLog({ topics: [...log.topics], data: log.data });
          if (!parsed) return [];
          return [
            { ...base(log), type: "position-changed", borrower: lowerAddress(parsed.args[known.argument] as string), action: known.name },
          ];
        },
      },
      {
        // aToken transfers move collateral between two users without a pool event.
        market,
        addresses: [...this.reserveByAsset.values()].map((r) => r.aToken),
        topics: [balanceTransfer.topicHash],
        decode: (log) => {
          if (log.topics[0] !== balanceTransfer.topicHash || log.topics.length < 3) return [];
          return [decodeAddressWord(log.topics[1]), decodeAddressWord(log.topics[2])].map((borrower) => ({
            ...base(log),
            type: "position-changed" as const,
            borrower: lowerAddress(borrower),
            action: "BalanceTransfer",
          }));
        },
      },
      {
        // Oracle source changes and any configurator action (thresholds, e-mode) change every position's inputs.
        market,
        addresses: [this.oracle, this.configurator],
        topics: [],
        decode: (log) => {
          if (lowerAddress(log.address) === this.oracle && log.topics[0] !== sourceUpdated.topicHash) return [];
          const name =
            lowerAddress(log.address) === this.oracle
              ? "AssetSourceUpdated"
              : (eventName(configuratorIface, log.topics[0]) ?? "PoolConfiguratorEvent");
          return [{ ...base(log), type: "market-changed", action: name }];
        },
      },
    ];
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

  /** The pool's arithmetic profile and revision, for logs and tests. */
  describe(): { pool: Address; oracle: Address; revision: number; profile: AaveMathProfile; rules: AaveLiquidationRules } {
    this.assertInitialized();
    return { pool: this.pool, oracle: this.oracle, revision: this.revision, profile: this.profile, rules: this.rules };
  }
}
