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
import type { LiquidationCandidate, PositionKey, TrackedPosition } from "../../core/types";
import {
  decodeAddressWord,
  decodeUintWord,
  encodeStaticArgsCall,
  GET_CURRENT_BLOCK_TIMESTAMP_SELECTOR,
  type MulticallCall,
  type MulticallResult,
} from "../../chain/multicall";
import { morphoLiquidationIncentiveFactor, sizeMorphoBlueLiquidation } from "../../strategy/sizing/morpho-blue";
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
  type ProtocolEventSubscription,
  type RawLog,
  type RefreshResult,
} from "../market";
import type { CommonMarketOptions, MarketDependencies } from "../market-dependencies";
import { lowerAddress, TrackedLendingMarket } from "../tracked-lending-market";
import { amountToUsd } from "../usd-prices";
import { accruedTotalBorrowAssets, morphoHealth, WAD, type MorphoMarketState } from "./morpho-math";
import { feedEmitters, loadOracleModel, modelPrice, readOracleInputs, type OracleInputs, type OracleModel } from "./oracle-model";

export interface MorphoBlueMarketOptions extends CommonMarketOptions {
  /** Defaults to `morpho-blue:<label>`. */
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

function requireSuccess(result: MulticallResult, what: string): string {
  if (!result.success || result.returnData === "0x") throw new Error(`morpho: ${what} reverted or returned nothing`);
  return result.returnData;
}

/** Position-changing events and the argument naming the borrower (EventsLib.sol). */
const POSITION_EVENTS: Readonly<Record<string, string>> = {
  Borrow: "onBehalf",
  Repay: "onBehalf",
  SupplyCollateral: "onBehalf",
  WithdrawCollateral: "onBehalf",
  Liquidate: "borrower",
};

export class MorphoBlueMarket extends TrackedLendingMarket<MorphoBorrowerState> implements LendingMarket {
  readonly id: string;
  readonly protocol = "morphoBlue" as const;
  readonly label: string;
  /** keccak256 of the MarketParams. */
  readonly marketId: string;

  private readonly logger: MarketLogger;
  private readonly morphoIface = Morpho__factory.createInterface();
  private readonly eventsIface = EventsLib__factory.createInterface();
  private readonly irmIface = IIrm__factory.createInterface();
  private readonly oracleIface = IOracle__factory.createInterface();
  private readonly lookaheadSeconds: number;
  private readonly maxLogBlockSpan: number | undefined;
  private readonly morpho: Address;
  private readonly params: MorphoMarketParams;

  private loanDecimals = 18;
  private collateralDecimals = 18;
  private state!: MorphoMarketState;
  private borrowRate = 0n;
  private price = 0n;
  private oracleModel!: OracleModel;
  private oracleInputs!: OracleInputs;
  /** Lower-case emitter → the model feed it updates. */
  private emitters = new Map<string, Address>();

  constructor(
    morpho: Address,
    params: MorphoMarketParams,
    private readonly deps: MarketDependencies,
    private readonly deployBlock: number,
    options: MorphoBlueMarketOptions = {},
  ) {
    super();
    this.morpho = lowerAddress(morpho);
    this.params = params;
    this.marketId = morphoMarketIdOf(params);
    this.id = options.id ?? `morpho-blue:${params.label}`;
    this.label = params.label;
    this.logger = deps.logger ?? SILENT_LOGGER;
    this.lookaheadSeconds = options.lookaheadSeconds ?? 0;
    this.maxLogBlockSpan = options.maxLogBlockSpan;
    if (params.lltv <= 0n || params.lltv >= WAD) {
      throw new Error(`${this.id}: lltv must be in (0, 1e18), got ${params.lltv}`);
    }
  }

  /* ───────────────────────────── configuration and reads ───────────────────────────── */

  async init(): Promise<void> {
    const { multicall, provider } = this.deps;
    const head = await provider.getBlockNumber();
    const erc20 = IERC20Metadata__factory.createInterface();
    const [loanDecimals, collateralDecimals] = await multicall.aggregate3Strict(
      [
        {
          target: this.params.loanToken,
          callData: erc20.encodeFunctionData("decimals"),
          label: `decimals() of loan token ${this.params.loanToken}`,
        },
        {
          target: this.params.collateralToken,
          callData: erc20.encodeFunctionData("decimals"),
          label: `decimals() of collateral token ${this.params.collateralToken}`,
        },
      ],
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
    this.emitters = await feedEmitters(multicall, [...this.oracleModel.baseFeeds, ...this.oracleModel.quoteFeeds], head);
    const read = await this.readMarketState(head);
    if (read.lastUpdate === 0n) {
      throw new Error(`${this.id}: Morpho ${this.morpho} has no market ${this.marketId} (MarketParams in the address book are wrong?)`);
    }

    const borrowTopic = this.eventsIface.getEvent("Borrow").topicHash;
    this.discovery = new BorrowerDiscovery(
      provider,
      this.deps.checkpoints,
      {
        checkpointKey: `morphoBlue:${this.morpho}:${this.marketId}:Borrow`,
        filter: { address: this.morpho, topics: [borrowTopic, this.marketId] },
        // Borrow(id indexed, caller, onBehalf indexed, receiver indexed, ...): the debt is onBehalf's (topic 2).
        borrowersOf: (log: RawLog) => (log.topics.length > 2 ? [decodeAddressWord(log.topics[2])] : []),
      },
      { maxBlockSpan: this.maxLogBlockSpan },
    );
    await this.discovery.load();
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
    const results = await this.deps.multicall.aggregate3([this.marketCall(), this.priceCall(), ...extra], blockTag);
    const state = this.decodeMarket(requireSuccess(results[0], `Morpho.market(${this.marketId})`));
    this.price = decodeUintWord(requireSuccess(results[1], `oracle ${this.params.oracle}.price()`));
    await this.applyMarketState(state, blockTag);
    return { ...state, extra: results.slice(2) };
  }

  private async applyMarketState(state: MorphoMarketState, blockTag: number): Promise<void> {
    const previous = this.state;
    this.state = state;
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

  async discoverBorrowers(fromBlock: number, toBlock: number): Promise<DiscoveryResult> {
    this.assertInitialized();
    return this.discovery.discover(Math.max(fromBlock, this.deployBlock), toBlock);
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
    const positionSelector = this.morphoIface.getFunction("position").selector;
    const calls: MulticallCall[] = [{ target: multicall.address, callData: GET_CURRENT_BLOCK_TIMESTAMP_SELECTOR }];
    for (const borrower of targets) {
      calls.push({ target: this.morpho, callData: encodeStaticArgsCall(positionSelector, [this.marketId, borrower]) });
    }
    const read = await this.readMarketState(block, calls);
    const timestamp = Number(decodeUintWord(requireSuccess(read.extra[0], "Multicall3.getCurrentBlockTimestamp()")));
    this.evaluatedAt = { number: block, timestamp };
    const refreshed = new Set<Address>();
    targets.forEach((borrower, i) => {
      refreshed.add(borrower);
      const data = requireSuccess(read.extra[1 + i], `Morpho.position(${this.marketId}, ${borrower})`);
      // position → (supplyShares, borrowShares, collateral)
      const state: MorphoBorrowerState = { borrowShares: decodeUintWord(data, 1), collateral: decodeUintWord(data, 2) };
      if (state.borrowShares === 0n) this.book.remove(borrower);
      else this.book.setState(borrower, state, [this.marketId]);
    });
    // One market, one price: every tracked position is re-evaluated at the new state.
    this.recomputeAll();
    return {
      borrowers: targets.length,
      tracked: this.book.size,
      liquidatable: this.book.liquidatableCount,
      blockNumber: block,
      rpcCalls: multicall.stats.rpcCalls - rpcBefore + extraRpc,
    };
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

  private recomputeAll(): MarketUpdate {
    if (!this.evaluatedAt) return { recomputed: 0, newlyLiquidatable: [] };
    const totals = this.accruedTotals();
    return this.book.reevaluate(this.book.borrowers(), (borrower, state) => this.toTrackedPosition(borrower, state, totals));
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
    const key: PositionKey = { protocol: "morphoBlue", market: this.id, borrower };
    const lif = morphoLiquidationIncentiveFactor(this.params.lltv);
    return {
      key,
      collaterals: [
        {
          token: lowerAddress(this.params.collateralToken),
          amount: state.collateral,
          valueUsd: amountToUsd(state.collateral, this.collateralDecimals, usd.collateral),
          liquidationThresholdBps: Number(this.params.lltv / 10n ** 14n),
          liquidationBonusBps: Number(((lif - WAD) * 10_000n) / WAD),
        },
      ],
      debts: [
        {
          token: lowerAddress(this.params.loanToken),
          amount: health.borrowed,
          valueUsd: amountToUsd(health.borrowed, this.loanDecimals, usd.loan),
        },
      ],
      healthFactor: health.healthFactor,
      updatedAtBlock: this.evaluatedAt!.number,
    };
  }

  /* ───────────────────────────── reactions ───────────────────────────── */

  onPriceUpdate(update: FeedAnswer): PriceReaction {
    this.assertInitialized();
    const feed = this.emitters.get(update.feed.toLowerCase());
    if (!feed) return { recomputed: 0, newlyLiquidatable: [], needsChainRead: false };
    if (!this.oracleModel.exact) return { recomputed: 0, newlyLiquidatable: [], needsChainRead: true };
    this.oracleInputs.answers.set(feed.toLowerCase(), update.answer);
    const price = modelPrice(this.oracleModel, this.oracleInputs);
    // A negative or missing answer makes the real oracle revert: nothing is liquidatable until the chain says so.
    if (price === undefined) return { recomputed: 0, newlyLiquidatable: [], needsChainRead: true };
    if (price === this.price) return { recomputed: 0, newlyLiquidatable: [], needsChainRead: false };
    this.price = price;
    return { ...this.recomputeAll(), needsChainRead: false };
  }

  async refreshPrices(blockTag?: number | string): Promise<MarketUpdate> {
    this.assertInitialized();
    const block = typeof blockTag === "number" ? blockTag : await this.deps.provider.getBlockNumber();
    const before = this.price;
    this.oracleInputs = await readOracleInputs(this.deps.multicall, this.oracleModel, block);
    const [priceData] = await this.deps.multicall.aggregate3Strict(
      [{ ...this.priceCall(), label: `oracle ${this.params.oracle}.price()` }],
      block,
    );
    this.price = decodeUintWord(priceData);
    return this.price === before ? { recomputed: 0, newlyLiquidatable: [] } : this.recomputeAll();
  }

  async onBlock(block: BlockRef): Promise<MarketUpdate> {
    this.assertInitialized();
    await this.readMarketState(block.number);
    if (this.oracleModel.baseVault || this.oracleModel.quoteVault) {
      // Vault conversion rates drift every block; keep the model's inputs current.
      this.oracleInputs = await readOracleInputs(this.deps.multicall, this.oracleModel, block.number);
    }
    this.evaluatedAt = { number: block.number, timestamp: block.timestamp };
    return this.recomputeAll();
  }

  protected reevaluateAll(): MarketUpdate {
    return this.recomputeAll();
  }

  /** A Morpho market's parameters are immutable: nothing to re-read. */
  protected async reloadMarketParameters(): Promise<boolean> {
    return false;
  }

  /* ───────────────────────────── queries ───────────────────────────── */

  liquidationPairs(position: TrackedPosition): LiquidationPair[] {
    const collateral = position.collaterals[0];
    const debt = position.debts[0];
    if (!collateral || !debt) return [];
    return [{ collateralToken: collateral.token, debtToken: debt.token, sizeUsd: Math.min(collateral.valueUsd, debt.valueUsd) }];
  }

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
    return sizeMorphoBlueLiquidation({
      key: position.key,
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

  sizeLiquidation(position: TrackedPosition, pair?: LiquidationPair): LiquidationCandidate | null {
    const result = this.sizeLiquidationWithReason(position, pair);
    return result.ok ? result.candidate : null;
  }

  priceFeeds(): FeedSubscription[] {
    this.assertInitialized();
    return [...this.emitters.entries()].map(([emitter, feed]) => ({
      market: this.id,
      feed: emitter as Address,
      mode: this.oracleModel.exact ? ("answer-is-price" as const) : ("reread" as const),
      affects: [this.marketId],
      description: emitter === feed.toLowerCase() ? `feed ${feed} of oracle ${this.params.oracle}` : `aggregator behind feed ${feed}`,
    }));
  }

  protocolEventSubscriptions(): ProtocolEventSubscription[] {
    this.assertInitialized();
    const iface = this.eventsIface;
    const topics = new Map<string, { name: string; argument: string }>();
    for (const [name, argument] of Object.entries(POSITION_EVENTS)) {
      topics.set(iface.getEvent(name as "Borrow").topicHash, { name, argument });
    }
    const marketId = this.marketId.toLowerCase();
    const market = this.id;
    return [
      {
        market,
        addresses: [this.morpho],
        topics: [...topics.keys()],
        decode: (log) => {
          const known = topics.get(log.topics[0]);
          // Morpho is one contract for every market: keep this market's events only (topic 1 = id).
          if (!known || log.topics[1]?.toLowerCase() !== marketId) return [];
          const parsed = iface.parseLog({ topics: [...log.topics], data: log.data });
          if (!parsed) return [];
          return [
            {
              type: "position-changed",
              market,
              borrower: lowerAddress(parsed.args[known.argument] as string),
              action: known.name,
              blockNumber: log.blockNumber,
              logIndex: log.index,
              transactionHash: log.transactionHash,
            },
          ];
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
