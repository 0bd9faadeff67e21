/**
 * The Compound v2 family plug-in (Moonwell on Base). Kept in memory: per market the collateral factor,
 * stored exchange rate, borrow index and oracle price; per borrower the markets entered with their
 * mToken balances and stored borrow balances. Liquidity is the comptroller's own arithmetic
 * (compound-math.ts), so "health factor below 1" means exactly "getAccountLiquidity reports a shortfall".
 *
 * Between full reads, a borrow balance follows its market's stored borrow index
 * (balance · index_now / index_at_read), which is what `borrowBalanceStored` does up to one wei of
 * rounding (the protocol keeps principal and the account's index privately).
 */
import {
  IChainlinkFeedProxy__factory,
  IERC20Metadata__factory,
  IMoonwellComptroller__factory,
  IMoonwellMToken__factory,
  IMoonwellOracle__factory,
} from "../../../typechain-types";
import type { Address, MoonwellDeployment } from "../../config/address-book";
import type { LiquidationCandidate, PositionKey, TrackedPosition } from "../../core/types";
import {
  decodeAddressWord,
  decodeIntWord,
  decodeUintWord,
  encodeAddressArgCall,
  GET_CURRENT_BLOCK_TIMESTAMP_SELECTOR,
  type MulticallCall,
  type MulticallResult,
} from "../../chain/multicall";
import { sizeMoonwellLiquidation } from "../../strategy/sizing/moonwell";
import type { SizingResult } from "../../strategy/sizing/sizing-result";
import { BorrowerDiscovery } from "../borrower-discovery";
import {
  SILENT_LOGGER,
  type BlockRef,
  type DiscoveryResult,
  type FeedAnswer,
  type FeedSubscription,
  type LendingMarket,
  type LiquidationPair,
  type MarketLogger,
  type MarketStats,
  type MarketUpdate,
  type PriceReaction,
  type ProtocolEvent,
  type ProtocolEventSubscription,
  type RawLog,
  type RefreshResult,
} from "../market";
import type { CommonMarketOptions, MarketDependencies } from "../market-dependencies";
import { lowerAddress, TrackedLendingMarket } from "../tracked-lending-market";
import {
  accountLiquidity,
  EXP_SCALE,
  projectAccrual,
  type MoonwellAccountAsset,
  type MoonwellAccrualState,
  type MoonwellMarketState,
} from "./moonwell-math";

/** Stands for the native asset of a market without `underlying()` (Compound's cEther shape). */
export const NATIVE_UNDERLYING: Address = "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";
const ZERO = "0x0000000000000000000000000000000000000000";

// Moonwell's ABI comes from contracts/interfaces/IMoonwell*.sol through TypeChain: one source of truth.
const MOONWELL_COMPTROLLER_ABI = IMoonwellComptroller__factory.createInterface();
const MOONWELL_MTOKEN_ABI = IMoonwellMToken__factory.createInterface();
const MOONWELL_ORACLE_ABI = IMoonwellOracle__factory.createInterface();
const ERC20_METADATA_ABI = IERC20Metadata__factory.createInterface();
const CHAINLINK_FEED_ABI = IChainlinkFeedProxy__factory.createInterface();

export interface MoonwellMarketOptions extends CommonMarketOptions {
  /** Defaults to `moonwell:<label>`. */
  readonly id?: string;
}

interface MarketInfo extends MoonwellMarketState {
  readonly underlying: Address;
  readonly underlyingDecimals: number;
  readonly borrowIndex: bigint;
  readonly protocolSeizeShareMantissa: bigint;
  readonly isListed: boolean;
  /** What accrueInterest reads, to project the exchange rate a liquidation will see. */
  readonly accrual: MoonwellAccrualState | undefined;
}

interface HeldAsset extends MoonwellAccountAsset {
  /** The market's borrow index when `borrowBalance` was read. */
  readonly borrowIndexAtRead: bigint;
}

interface BorrowerState {
  readonly assets: readonly HeldAsset[];
}

/** A feed whose answer is the market's price once scaled: price = answer · 10^(36 − feedDecimals − underlyingDecimals). */
interface FeedModel {
  readonly market: Address;
  readonly feed: Address;
  readonly scale: bigint;
}

function ok(result: MulticallResult | undefined): result is MulticallResult {
  return result !== undefined && result.success && result.returnData.length >= 66;
}

function requireSuccess(result: MulticallResult, what: string): string {
  if (!ok(result)) throw new Error(`moonwell: ${what} reverted or returned nothing`);
  return result.returnData;
}

export class MoonwellMarket extends TrackedLendingMarket<BorrowerState> implements LendingMarket {
  readonly id: string;
  readonly protocol = "moonwell" as const;
  readonly label: string;

  private readonly logger: MarketLogger;
  private readonly comptroller: Address;
  private readonly maxLogBlockSpan: number | undefined;
  private readonly lookaheadSeconds: number;

  private oracle!: Address;
  private closeFactorMantissa = 0n;
  private liquidationIncentiveMantissa = 0n;
  private markets = new Map<string, MarketInfo>();
  private marketOrder: Address[] = [];
  /** Lower-case emitter → the feed models it drives. */
  private feedModels = new Map<string, FeedModel[]>();
  /** Lower-case emitter → markets whose price must be re-read from the oracle when it updates. */
  private rereadFeeds = new Map<string, Address[]>();

  constructor(
    private readonly config: MoonwellDeployment,
    private readonly deps: MarketDependencies,
    options: MoonwellMarketOptions = {},
  ) {
    super();
    this.comptroller = lowerAddress(config.comptroller);
    this.id = options.id ?? `moonwell:${config.label}`;
    this.label = config.label;
    this.logger = deps.logger ?? SILENT_LOGGER;
    this.maxLogBlockSpan = options.maxLogBlockSpan;
    // Health follows getAccountLiquidity's stored balances (time alone does not move them); the
    // lookahead only projects the accrual a liquidation performs, for sizing.
    this.lookaheadSeconds = options.lookaheadSeconds ?? 0;
    if (!Number.isInteger(this.lookaheadSeconds) || this.lookaheadSeconds < 0) {
      throw new Error(`${this.id}: lookaheadSeconds must be a non-negative integer, got ${options.lookaheadSeconds}`);
    }
  }

  /* ───────────────────────────── configuration ───────────────────────────── */

  async init(): Promise<void> {
    const { multicall, provider } = this.deps;
    const head = await provider.getBlockNumber();
    const c = MOONWELL_COMPTROLLER_ABI;
    const [oracleData, closeData, incentiveData, marketsData] = await multicall.aggregate3Strict(
      (["oracle", "closeFactorMantissa", "liquidationIncentiveMantissa", "getAllMarkets"] as const).map((name) => ({
        target: this.comptroller,
        callData: c.encodeFunctionData(name as "oracle"),
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
    this.marketOrder = (c.decodeFunctionResult("getAllMarkets", marketsData)[0] as string[]).map(lowerAddress);
    if (this.marketOrder.length === 0) throw new Error(`${this.id}: comptroller ${this.comptroller} lists no markets`);
    await this.loadMarkets(head);
    await this.resolveFeeds(head);

    const borrowTopic = MOONWELL_MTOKEN_ABI.getEvent("Borrow")!.topicHash;
    this.discovery = new BorrowerDiscovery(
      provider,
      this.deps.checkpoints,
      {
        checkpointKey: `moonwell:${this.comptroller}:Borrow`,
        filter: { address: this.marketOrder, topics: [borrowTopic] },
        // Borrow(address borrower, uint borrowAmount, uint accountBorrows, uint totalBorrows): nothing indexed.
        borrowersOf: (log: RawLog) => (log.data.length >= 66 ? [decodeAddressWord(log.data, 0)] : []),
      },
      { maxBlockSpan: this.maxLogBlockSpan },
    );
    await this.discovery.load();
    this.initialized = true;
    this.logger.info({ market: this.id, comptroller: this.comptroller, markets: this.marketOrder.length }, "compound market initialised");
  }

  /** Per-market static facts (underlying, decimals, seize share) plus the first read of the moving ones. */
  private async loadMarkets(blockTag: number): Promise<void> {
    const m = MOONWELL_MTOKEN_ABI;
    const calls: MulticallCall[] = this.marketOrder.flatMap((market) => [
      { target: market, callData: m.encodeFunctionData("underlying") },
      { target: market, callData: m.encodeFunctionData("protocolSeizeShareMantissa") },
    ]);
    const results = await this.deps.multicall.aggregate3(calls, blockTag);
    const underlyings = this.marketOrder.map((_, i) =>
      ok(results[2 * i]) ? lowerAddress(decodeAddressWord(results[2 * i].returnData)) : NATIVE_UNDERLYING,
    );
    const decimalsResults = await this.deps.multicall.aggregate3(
      underlyings.map((u) => ({
        target: u === NATIVE_UNDERLYING ? this.comptroller : u,
        callData: ERC20_METADATA_ABI.encodeFunctionData("decimals"),
      })),
      blockTag,
    );
    const fresh = new Map<string, MarketInfo>();
    this.marketOrder.forEach((market, i) => {
      const underlying = underlyings[i];
      const decimals =
        underlying === NATIVE_UNDERLYING ? 18 : Number(decodeUintWord(requireSuccess(decimalsResults[i], `decimals() of ${underlying}`)));
      fresh.set(market, {
        market,
        underlying,
        underlyingDecimals: decimals,
        protocolSeizeShareMantissa: ok(results[2 * i + 1]) ? decodeUintWord(results[2 * i + 1].returnData) : 0n,
        collateralFactorMantissa: 0n,
        exchangeRateMantissa: 0n,
        priceMantissa: 0n,
        borrowIndex: 0n,
        isListed: false,
        accrual: undefined,
      });
    });
    this.markets = fresh;
    const state = this.marketStateCalls();
    state.apply(await this.deps.multicall.aggregate3(state.calls, blockTag));
  }

  /** Collateral factor, exchange rate, borrow index, price and accrual inputs of every market: one batch. */
  private marketStateCalls(): { calls: MulticallCall[]; apply: (results: MulticallResult[]) => Set<string> } {
    const m = MOONWELL_MTOKEN_ABI;
    const perMarket = [
      "exchangeRateStored",
      "borrowIndex",
      "getCash",
      "totalBorrows",
      "totalReserves",
      "totalSupply",
      "reserveFactorMantissa",
      "borrowRatePerTimestamp",
      "accrualBlockTimestamp",
    ] as const;
    const stride = 2 + perMarket.length;
    const calls: MulticallCall[] = this.marketOrder.flatMap((market) => [
      { target: this.comptroller, callData: MOONWELL_COMPTROLLER_ABI.encodeFunctionData("markets", [market]) },
      { target: this.oracle, callData: MOONWELL_ORACLE_ABI.encodeFunctionData("getUnderlyingPrice", [market]) },
      ...perMarket.map((name) => ({ target: market, callData: m.encodeFunctionData(name as "getCash") })),
    ]);
    const apply = (results: MulticallResult[]): Set<string> => {
      const changedPrices = new Set<string>();
      this.marketOrder.forEach((market, i) => {
        const base = stride * i;
        const info = this.markets.get(market)!;
        const marketData = requireSuccess(results[base], `Comptroller.markets(${market})`);
        const price = ok(results[base + 1]) ? decodeUintWord(results[base + 1].returnData) : 0n;
        if (price !== info.priceMantissa) changedPrices.add(market);
        const word = (name: (typeof perMarket)[number]): bigint | undefined => {
          const result = results[base + 2 + perMarket.indexOf(name)];
          return ok(result) ? decodeUintWord(result.returnData) : undefined;
        };
        const exchangeRateMantissa = word("exchangeRateStored");
        if (exchangeRateMantissa === undefined) throw new Error(`moonwell: ${market}.exchangeRateStored() reverted`);
        const borrowIndex = word("borrowIndex") ?? 0n;
        const inputs = [
          word("getCash"),
          word("totalBorrows"),
          word("totalReserves"),
          word("totalSupply"),
          word("reserveFactorMantissa"),
          word("borrowRatePerTimestamp"),
          word("accrualBlockTimestamp"),
        ];
        // A market missing any accrual getter (a non-Moonwell fork) is sized on stored values instead.
        const accrual: MoonwellAccrualState | undefined = inputs.every((v) => v !== undefined)
          ? {
              cash: inputs[0]!,
              totalBorrows: inputs[1]!,
              totalReserves: inputs[2]!,
              totalSupply: inputs[3]!,
              reserveFactorMantissa: inputs[4]!,
              borrowRateMantissa: inputs[5]!,
              accrualTimestamp: inputs[6]!,
              borrowIndex,
              initialExchangeRateMantissa: exchangeRateMantissa,
            }
          : undefined;
        this.setMarket({
          ...info,
          isListed: decodeUintWord(marketData, 0) !== 0n,
          collateralFactorMantissa: decodeUintWord(marketData, 1),
          exchangeRateMantissa,
          borrowIndex,
          priceMantissa: price,
          accrual,
        });
      });
      return changedPrices;
    };
    return { calls, apply };
  }

  private setMarket(info: MarketInfo): void {
    this.markets.set(info.market, info);
    if (info.priceMantissa > 0n) {
      // priceMantissa is USD·1e18 per raw unit ·1e(18−decimals): USD per whole token = price / 1e(36−decimals).
      const usd = Number(info.priceMantissa) / 10 ** (36 - info.underlyingDecimals);
      if (info.underlying !== NATIVE_UNDERLYING) this.deps.usdPrices.set(info.underlying, usd);
    }
  }

  /**
   * Finds each market's Chainlink feed through the Moonwell oracle (`getFeed(symbol)`), and models the
   * price from the feed answer when that reproduces `getUnderlyingPrice` exactly; other markets re-read.
   */
  private async resolveFeeds(blockTag: number): Promise<void> {
    const { multicall } = this.deps;
    const symbolCalls: MulticallCall[] = this.marketOrder.map((market) => {
      const info = this.markets.get(market)!;
      const target = info.underlying === NATIVE_UNDERLYING ? market : info.underlying;
      return { target, callData: ERC20_METADATA_ABI.encodeFunctionData("symbol") };
    });
    const symbols = await multicall.aggregate3(symbolCalls, blockTag);
    const feedCalls: MulticallCall[] = this.marketOrder.flatMap((market, i) => {
      const symbol = ok(symbols[i]) ? (ERC20_METADATA_ABI.decodeFunctionResult("symbol", symbols[i].returnData)[0] as string) : "";
      const info = this.markets.get(market)!;
      return [
        { target: this.oracle, callData: MOONWELL_ORACLE_ABI.encodeFunctionData("getFeed", [symbol]) },
        {
          target: this.oracle,
          callData: MOONWELL_ORACLE_ABI.encodeFunctionData("assetPrices", [info.underlying === NATIVE_UNDERLYING ? ZERO : info.underlying]),
        },
      ];
    });
    const feeds = await multicall.aggregate3(feedCalls, blockTag);
    const feedOf = new Map<Address, Address>();
    this.marketOrder.forEach((market, i) => {
      const overridden = ok(feeds[2 * i + 1]) && decodeUintWord(feeds[2 * i + 1].returnData) !== 0n;
      if (overridden || !ok(feeds[2 * i])) return; // a posted price moves only by admin action (PricePosted)
      const feed = lowerAddress(decodeAddressWord(feeds[2 * i].returnData));
      if (feed !== ZERO) feedOf.set(market, feed);
    });
    const distinct = [...new Set(feedOf.values())];
    const details = await multicall.aggregate3(
      distinct.flatMap((feed) => [
        { target: feed, callData: CHAINLINK_FEED_ABI.encodeFunctionData("decimals") },
        { target: feed, callData: CHAINLINK_FEED_ABI.encodeFunctionData("latestRoundData") },
        { target: feed, callData: CHAINLINK_FEED_ABI.encodeFunctionData("aggregator") },
      ]),
      blockTag,
    );
    const feedDetails = new Map<string, { decimals?: number; answer?: bigint; aggregator?: Address }>();
    distinct.forEach((feed, i) => {
      const aggregator = ok(details[3 * i + 2]) ? lowerAddress(decodeAddressWord(details[3 * i + 2].returnData)) : undefined;
      feedDetails.set(feed, {
        decimals: ok(details[3 * i]) ? Number(decodeUintWord(details[3 * i].returnData)) : undefined,
        answer:
          ok(details[3 * i + 1]) && details[3 * i + 1].returnData.length >= 130
            ? decodeIntWord(details[3 * i + 1].returnData, 1)
            : undefined,
        aggregator: aggregator && aggregator !== ZERO ? aggregator : undefined,
      });
    });
    this.feedModels = new Map();
    this.rereadFeeds = new Map();
    const add = <T>(map: Map<string, T[]>, key: string, value: T): void => {
      const list = map.get(key.toLowerCase()) ?? [];
      list.push(value);
      map.set(key.toLowerCase(), list);
    };
    for (const [market, feed] of feedOf) {
      const info = this.markets.get(market)!;
      const detail = feedDetails.get(feed)!;
      const emitters = [feed, ...(detail.aggregator ? [detail.aggregator] : [])];
      // Moonwell's ChainlinkOracle: answer·10^(18−feedDecimals), then ·10^(18−underlyingDecimals) for ERC-20 markets.
      const exponent =
        detail.decimals === undefined
          ? undefined
          : 36 - detail.decimals - (info.underlying === NATIVE_UNDERLYING ? 18 : info.underlyingDecimals);
      const scale = exponent !== undefined && exponent >= 0 ? 10n ** BigInt(exponent) : undefined;
      const modelled = scale !== undefined && detail.answer !== undefined && detail.answer > 0n ? detail.answer * scale : undefined;
      for (const emitter of emitters) {
        if (modelled !== undefined && modelled === info.priceMantissa) add(this.feedModels, emitter, { market, feed, scale: scale! });
        else add(this.rereadFeeds, emitter, market);
      }
    }
  }

  /* ───────────────────────────── reads ───────────────────────────── */

  async discoverBorrowers(fromBlock: number, toBlock: number): Promise<DiscoveryResult> {
    this.assertInitialized();
    return this.discovery.discover(Math.max(fromBlock, this.config.deployBlock), toBlock);
  }

  async refreshPositions(borrowers?: readonly Address[], blockTag?: number): Promise<RefreshResult> {
    this.assertInitialized();
    const { multicall, provider } = this.deps;
    const rpcBefore = multicall.stats.rpcCalls;
    let extraRpc = 0;
    const targets = borrowers
      ? [...new Set(borrowers.map(lowerAddress))]
      : [...new Set([...this.discovery.borrowers(), ...this.book.borrowers()])];
    let block = blockTag;
    if (block === undefined) {
      block = await provider.getBlockNumber();
      extraRpc += 1;
    }
    const state = this.marketStateCalls();
    const getAssetsIn = MOONWELL_COMPTROLLER_ABI.getFunction("getAssetsIn")!.selector;
    const round1: MulticallCall[] = [{ target: multicall.address, callData: GET_CURRENT_BLOCK_TIMESTAMP_SELECTOR }, ...state.calls];
    for (const borrower of targets) round1.push({ target: this.comptroller, callData: encodeAddressArgCall(getAssetsIn, borrower) });
    const r1 = await multicall.aggregate3(round1, block);
    const timestamp = Number(decodeUintWord(requireSuccess(r1[0], "Multicall3.getCurrentBlockTimestamp()")));
    const changedPrices = state.apply(r1.slice(1, 1 + state.calls.length));
    const base = 1 + state.calls.length;
    const entered = targets.map((borrower, i) =>
      (
        MOONWELL_COMPTROLLER_ABI.decodeFunctionResult(
          "getAssetsIn",
          requireSuccess(r1[base + i], `getAssetsIn(${borrower})`),
        )[0] as string[]
      ).map(lowerAddress),
    );

    const snapshot = MOONWELL_MTOKEN_ABI.getFunction("getAccountSnapshot")!.selector;
    const round2: MulticallCall[] = [];
    targets.forEach((borrower, i) => {
      for (const market of entered[i]) round2.push({ target: market, callData: encodeAddressArgCall(snapshot, borrower) });
    });
    const r2 = await multicall.aggregate3(round2, block);
    let cursor = 0;
    const refreshed = new Set<Address>();
    const timeMoved = this.evaluatedAt === null || this.evaluatedAt.timestamp !== timestamp;
    this.evaluatedAt = { number: block, timestamp };
    const newly: TrackedPosition[] = [];
    targets.forEach((borrower, i) => {
      refreshed.add(borrower);
      const assets: HeldAsset[] = [];
      for (const market of entered[i]) {
        const data = requireSuccess(r2[cursor++], `${market}.getAccountSnapshot(${borrower})`);
        const error = decodeUintWord(data, 0);
        if (error !== 0n) throw new Error(`moonwell: ${market}.getAccountSnapshot(${borrower}) returned error code ${error}`);
        const info = this.markets.get(market);
        if (!info) throw new Error(`moonwell: borrower ${borrower} entered ${market}, which getAllMarkets does not list`);
        assets.push({
          market,
          mTokenBalance: decodeUintWord(data, 1),
          borrowBalance: decodeUintWord(data, 2),
          borrowIndexAtRead: info.borrowIndex,
        });
      }
      if (!assets.some((a) => a.borrowBalance > 0n)) {
        this.book.remove(borrower);
        return;
      }
      this.book.setState(
        borrower,
        { assets },
        assets.map((a) => a.market),
      );
      const position = this.recompute(borrower);
      if (position) newly.push(position);
    });
    const others = timeMoved ? this.book.borrowers() : [...this.book.holdersOf(changedPrices)];
    for (const borrower of others) if (!refreshed.has(borrower)) this.recompute(borrower);
    return {
      borrowers: targets.length,
      tracked: this.book.size,
      liquidatable: this.book.liquidatableCount,
      blockNumber: block,
      rpcCalls: multicall.stats.rpcCalls - rpcBefore + extraRpc,
    };
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
  liquidityOf(borrower: Address): ReturnType<typeof accountLiquidity> | undefined {
    const state = this.book.state(lowerAddress(borrower));
    return state ? accountLiquidity(this.currentAssets(state), this.markets) : undefined;
  }

  private recompute(borrower: Address): TrackedPosition | undefined {
    const position = this.positionOf(borrower, this.book.state(borrower)!);
    return this.book.setPosition(borrower, position) ? position : undefined;
  }

  /** The borrower's position by the comptroller's arithmetic at the evaluation time. */
  private positionOf(borrower: Address, state: BorrowerState): TrackedPosition {
    const assets = this.currentAssets(state);
    const liquidity = accountLiquidity(assets, this.markets);
    const key: PositionKey = { protocol: "moonwell", market: this.id, borrower };
    const bonusBps = Number(((this.liquidationIncentiveMantissa - EXP_SCALE) * 10_000n) / EXP_SCALE);
    return {
      key,
      collaterals: assets
        .filter((a) => a.mTokenBalance > 0n)
        .map((a) => {
          const info = this.markets.get(a.market)!;
          const amount = (a.mTokenBalance * info.exchangeRateMantissa) / EXP_SCALE;
          return {
            token: info.underlying,
            amount,
            valueUsd: Number((amount * info.priceMantissa) / EXP_SCALE) / 1e18,
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
            valueUsd: Number((a.borrowBalance * info.priceMantissa) / EXP_SCALE) / 1e18,
          };
        }),
      healthFactor: liquidity.healthFactor,
      updatedAtBlock: this.evaluatedAt!.number,
    };
  }

  private recomputeMany(borrowers: Iterable<Address>): MarketUpdate {
    return this.book.reevaluate(borrowers, (borrower, state) => this.positionOf(borrower, state));
  }

  /* ───────────────────────────── reactions ───────────────────────────── */

  onPriceUpdate(update: FeedAnswer): PriceReaction {
    this.assertInitialized();
    const key = update.feed.toLowerCase();
    const models = this.feedModels.get(key) ?? [];
    const needsChainRead = this.rereadFeeds.has(key) || (models.length > 0 && update.answer <= 0n);
    if (models.length === 0 || update.answer <= 0n) return { recomputed: 0, newlyLiquidatable: [], needsChainRead };
    const changed: string[] = [];
    for (const model of models) {
      const info = this.markets.get(model.market)!;
      const price = update.answer * model.scale;
      if (price === info.priceMantissa) continue;
      this.setMarket({ ...info, priceMantissa: price });
      changed.push(model.market);
    }
    if (changed.length === 0 || !this.evaluatedAt) return { recomputed: 0, newlyLiquidatable: [], needsChainRead };
    return { ...this.recomputeMany(this.book.holdersOf(changed)), needsChainRead };
  }

  async refreshPrices(blockTag?: number | string): Promise<MarketUpdate> {
    this.assertInitialized();
    const results = await this.deps.multicall.aggregate3(
      this.marketOrder.map((market) => ({
        target: this.oracle,
        callData: MOONWELL_ORACLE_ABI.encodeFunctionData("getUnderlyingPrice", [market]),
      })),
      blockTag,
    );
    const changed: string[] = [];
    this.marketOrder.forEach((market, i) => {
      const info = this.markets.get(market)!;
      const price = ok(results[i]) ? decodeUintWord(results[i].returnData) : 0n;
      if (price === info.priceMantissa) return;
      this.setMarket({ ...info, priceMantissa: price });
      changed.push(market);
    });
    if (changed.length === 0 || !this.evaluatedAt) return { recomputed: 0, newlyLiquidatable: [] };
    return this.recomputeMany(this.book.holdersOf(changed));
  }

  async onBlock(block: BlockRef): Promise<MarketUpdate> {
    this.assertInitialized();
    const state = this.marketStateCalls();
    state.apply(await this.deps.multicall.aggregate3(state.calls, block.number));
    this.evaluatedAt = { number: block.number, timestamp: block.timestamp };
    return this.recomputeMany(this.book.borrowers());
  }

  /** Stored balances do not move with time alone; only the reference block changes. */
  protected reevaluateAll(): MarketUpdate {
    return this.recomputeMany(this.book.borrowers());
  }

  /** A listing, collateral factor or incentive change: read the comptroller's markets afresh. */
  protected async reloadMarketParameters(): Promise<boolean> {
    await this.init();
    return true;
  }

  /* ───────────────────────────── queries ───────────────────────────── */

  /** The market (mToken) of an underlying token. */
  marketOf(underlying: Address): Address | undefined {
    for (const info of this.markets.values()) if (info.underlying === lowerAddress(underlying)) return info.market as Address;
    return undefined;
  }

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

  sizeLiquidationWithReason(position: TrackedPosition, pair?: LiquidationPair): SizingResult {
    this.assertInitialized();
    const chosen = pair ?? this.liquidationPairs(position)[0];
    if (!chosen) return { ok: false, reason: "not-liquidatable", detail: "no collateral/debt pair to liquidate" };
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
    const borrowedInfo = this.markets.get(borrowedMarket)!;
    const collateralInfo = this.markets.get(collateralMarket)!;
    // liquidateBorrow accrues the collateral market first: seize tokens follow the exchange rate after
    // accrual at the evaluation time. The repay is sized on the stored borrow balance (lower than the
    // accrued one), so it always fits the close factor.
    const now = BigInt(this.evaluatedAt!.timestamp + this.lookaheadSeconds);
    const exchangeRateMantissa = collateralInfo.accrual
      ? projectAccrual(collateralInfo.accrual, now).exchangeRateMantissa
      : collateralInfo.exchangeRateMantissa;
    return sizeMoonwellLiquidation({
      key: position.key,
      healthFactor: accountLiquidity(assets, this.markets).healthFactor,
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
  }

  sizeLiquidation(position: TrackedPosition, pair?: LiquidationPair): LiquidationCandidate | null {
    const result = this.sizeLiquidationWithReason(position, pair);
    return result.ok ? result.candidate : null;
  }

  priceFeeds(): FeedSubscription[] {
    this.assertInitialized();
    const out: FeedSubscription[] = [];
    for (const [emitter, models] of this.feedModels) {
      out.push({
        market: this.id,
        feed: emitter as Address,
        mode: "answer-is-price",
        affects: models.map((m) => m.market),
        description: `feed of ${models.map((m) => m.market).join(", ")}`,
      });
    }
    for (const [emitter, markets] of this.rereadFeeds) {
      if (this.feedModels.has(emitter)) continue;
      out.push({
        market: this.id,
        feed: emitter as Address,
        mode: "reread",
        affects: markets,
        description: `feed (re-read) of ${markets.join(", ")}`,
      });
    }
    return out;
  }

  protocolEventSubscriptions(): ProtocolEventSubscription[] {
    this.assertInitialized();
    const m = MOONWELL_MTOKEN_ABI;
    const c = MOONWELL_COMPTROLLER_ABI;
    const market = this.id;
    // Event → which data word or topic names the account(s).
    const marketEvents: Record<string, (log: RawLog) => Address[]> = {
      Borrow: (log) => [decodeAddressWord(log.data, 0)],
      RepayBorrow: (log) => [decodeAddressWord(log.data, 1)],
      Mint: (log) => [decodeAddressWord(log.data, 0)],
      Redeem: (log) => [decodeAddressWord(log.data, 0)],
      LiquidateBorrow: (log) => [decodeAddressWord(log.data, 1)],
      Transfer: (log) => (log.topics.length >= 3 ? [decodeAddressWord(log.topics[1]), decodeAddressWord(log.topics[2])] : []),
    };
    const marketTopics = new Map(
      Object.entries(marketEvents).map(([name, read]) => [m.getEvent(name as "Borrow").topicHash, { name, read }]),
    );
    const accountEvents: Record<string, (log: RawLog) => Address[]> = {
      MarketEntered: (log) => [decodeAddressWord(log.data, 1)],
      MarketExited: (log) => [decodeAddressWord(log.data, 1)],
    };
    const comptrollerTopics = new Map(
      Object.entries(accountEvents).map(([name, read]) => [c.getEvent(name as "MarketEntered").topicHash, { name, read }]),
    );
    const configTopics = new Map(
      ["NewCollateralFactor", "NewCloseFactor", "NewLiquidationIncentive", "NewPriceOracle"].map((name) => [
        c.getEvent(name as "NewCloseFactor").topicHash,
        name,
      ]),
    );
    const meta = (log: RawLog) => ({ market, blockNumber: log.blockNumber, logIndex: log.index, transactionHash: log.transactionHash });
    const positionEvents = (log: RawLog, name: string, accounts: Address[]): ProtocolEvent[] =>
      accounts
        .filter((a) => lowerAddress(a) !== ZERO && !this.markets.has(lowerAddress(a)))
        .map((account) => ({ ...meta(log), type: "position-changed", borrower: lowerAddress(account), action: name }));
    return [
      {
        market,
        addresses: [...this.marketOrder],
        topics: [...marketTopics.keys()],
        decode: (log) => {
          const known = marketTopics.get(log.topics[0]);
          return known ? positionEvents(log, known.name, known.read(log)) : [];
        },
      },
      {
        market,
        addresses: [this.comptroller],
        topics: [...comptrollerTopics.keys(), ...configTopics.keys()],
        decode: (log) => {
          const account = comptrollerTopics.get(log.topics[0]);
          if (account) return positionEvents(log, account.name, account.read(log));
          const config = configTopics.get(log.topics[0]);
          return config ? [{ ...meta(log), type: "market-changed", action: config }] : [];
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
}
