/**
 * What the Moonwell plug-in knows about each market (mToken) of the comptroller: the static facts
 * (underlying, decimals, seize share) read once, and the moving ones (collateral factor, exchange rate,
 * borrow index, oracle price, accrual inputs) read in one Multicall3 batch per block. Every price it
 * learns is also written to the shared USD price book.
 */
import { ObservedBlocks } from "../observed-prices";
import type { Address } from "../../config/address-book";
import { decodeAddressWord, decodeUintWord, type MulticallCall, type Multicall3Client, type MulticallResult } from "../../chain/multicall";
import { returnDataOf, returnedWord } from "../multicall-results";
import { lowerAddress } from "../tracked-lending-market";
import type { UsdPriceBook } from "../usd-prices";
import { COMPTROLLER, ERC20_METADATA, MTOKEN, ORACLE } from "./moonwell-abi";
import type { MoonwellAccrualState, MoonwellMarketState } from "./moonwell-math";

/** Stands for the native asset of a market without `underlying()` (Compound's cEther shape). */
export const NATIVE_UNDERLYING: Address = "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";

export interface MTokenMarket extends MoonwellMarketState {
  readonly market: Address;
  readonly underlying: Address;
  readonly underlyingDecimals: number;
  readonly borrowIndex: bigint;
  readonly protocolSeizeShareMantissa: bigint;
  readonly isListed: boolean;
  /** What accrueInterest reads, to project the exchange rate a liquidation will see. */
  readonly accrual: MoonwellAccrualState | undefined;
}

/** The getters read per market each block, in this order after `markets()` and the oracle price. */
const STATE_GETTERS = [
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

export class MTokenMarkets {
  private byMarket = new Map<string, MTokenMarket>();
  private ordered: Address[] = [];
  /** The block each market's price was observed at: an older read never undoes a newer feed update (observed-prices.ts). */
  readonly priceBlocks = new ObservedBlocks();

  constructor(
    private readonly comptroller: Address,
    private readonly multicall: Multicall3Client,
    private readonly usdPrices: UsdPriceBook,
  ) {}

  /** The comptroller's markets in listing order. */
  get order(): readonly Address[] {
    return this.ordered;
  }

  /** Keyed by lower-case mToken address: what the liquidity math reads. */
  get states(): ReadonlyMap<string, MTokenMarket> {
    return this.byMarket;
  }

  get(market: string): MTokenMarket | undefined {
    return this.byMarket.get(market);
  }

  has(address: string): boolean {
    return this.byMarket.has(lowerAddress(address));
  }

  /** The market (mToken) of an underlying token. */
  marketOf(underlying: Address): Address | undefined {
    for (const info of this.byMarket.values()) if (info.underlying === lowerAddress(underlying)) return info.market;
    return undefined;
  }

  /** Static facts of every market plus the first read of the moving ones. */
  async load(markets: readonly Address[], oracle: Address, blockTag: number): Promise<void> {
    this.ordered = [...markets];
    const results = await this.multicall.aggregate3(
      markets.flatMap((market) => [
        { target: market, callData: MTOKEN.encodeFunctionData("underlying") },
        { target: market, callData: MTOKEN.encodeFunctionData("protocolSeizeShareMantissa") },
      ]),
      blockTag,
    );
    const underlyings = markets.map((_, i) =>
      returnedWord(results[2 * i]) ? lowerAddress(decodeAddressWord(results[2 * i].returnData)) : NATIVE_UNDERLYING,
    );
    const decimalsResults = await this.multicall.aggregate3(
      underlyings.map((u) => ({
        target: u === NATIVE_UNDERLYING ? this.comptroller : u,
        callData: ERC20_METADATA.encodeFunctionData("decimals"),
      })),
      blockTag,
    );
    this.byMarket = new Map();
    markets.forEach((market, i) => {
      const underlying = underlyings[i];
      const decimals =
        underlying === NATIVE_UNDERLYING ? 18 : Number(decodeUintWord(returnDataOf(decimalsResults[i], `decimals() of ${underlying}`)));
      this.byMarket.set(market, {
        market,
        underlying,
        underlyingDecimals: decimals,
        protocolSeizeShareMantissa: returnedWord(results[2 * i + 1]) ? decodeUintWord(results[2 * i + 1].returnData) : 0n,
        collateralFactorMantissa: 0n,
        exchangeRateMantissa: 0n,
        priceMantissa: 0n,
        borrowIndex: 0n,
        isListed: false,
        accrual: undefined,
      });
    });
    const state = this.stateCalls(oracle);
    state.apply(await this.multicall.aggregate3(state.calls, blockTag));
  }

  /** Collateral factor, exchange rate, borrow index, price and accrual inputs of every market: one batch. */
  stateCalls(oracle: Address): { calls: MulticallCall[]; apply: (results: readonly MulticallResult[], atBlock?: number) => Set<string> } {
    const stride = 2 + STATE_GETTERS.length;
    const calls: MulticallCall[] = this.ordered.flatMap((market) => [
      { target: this.comptroller, callData: COMPTROLLER.encodeFunctionData("markets", [market]) },
      { target: oracle, callData: ORACLE.encodeFunctionData("getUnderlyingPrice", [market]) },
      ...STATE_GETTERS.map((name) => ({ target: market, callData: MTOKEN.encodeFunctionData(name as "getCash") })),
    ]);
    const apply = (results: readonly MulticallResult[], atBlock?: number): Set<string> => {
      const changedPrices = new Set<string>();
      this.ordered.forEach((market, i) => {
        const base = stride * i;
        const info = this.byMarket.get(market)!;
        const marketData = returnDataOf(results[base], `Comptroller.markets(${market})`);
        const read = returnedWord(results[base + 1]) ? decodeUintWord(results[base + 1].returnData) : 0n;
        const price = this.priceBlocks.accepts(market, atBlock) ? read : info.priceMantissa;
        if (price !== info.priceMantissa) changedPrices.add(market);
        const word = (name: (typeof STATE_GETTERS)[number]): bigint | undefined => {
          const result = results[base + 2 + STATE_GETTERS.indexOf(name)];
          return returnedWord(result) ? decodeUintWord(result.returnData) : undefined;
        };
        const exchangeRateMantissa = word("exchangeRateStored");
        if (exchangeRateMantissa === undefined) throw new Error(`${market}.exchangeRateStored() reverted`);
        const borrowIndex = word("borrowIndex") ?? 0n;
        const inputs = STATE_GETTERS.slice(2).map(word);
        // A market missing any accrual getter (a non-Moonwell fork) is sized on stored values instead.
        const [cash, totalBorrows, totalReserves, totalSupply, reserveFactorMantissa, borrowRateMantissa, accrualTimestamp] = inputs;
        const accrual: MoonwellAccrualState | undefined = inputs.every((v) => v !== undefined)
          ? {
              cash: cash!,
              totalBorrows: totalBorrows!,
              totalReserves: totalReserves!,
              totalSupply: totalSupply!,
              reserveFactorMantissa: reserveFactorMantissa!,
              borrowRateMantissa: borrowRateMantissa!,
              accrualTimestamp: accrualTimestamp!,
              borrowIndex,
              initialExchangeRateMantissa: exchangeRateMantissa,
            }
          : undefined;
        this.set({
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

  /** Sets a market's oracle price as read at `blockTag`, unless a later block's is held; returns whether it changed. */
  observePrice(market: string, priceMantissa: bigint, blockTag?: number | string): boolean {
    return this.priceBlocks.accepts(market, blockTag) && this.setPrice(market, priceMantissa);
  }

  /** Sets a market's oracle price; returns whether it changed. */
  setPrice(market: string, priceMantissa: bigint): boolean {
    const info = this.byMarket.get(market)!;
    if (info.priceMantissa === priceMantissa) return false;
    this.set({ ...info, priceMantissa });
    return true;
  }

  private set(info: MTokenMarket): void {
    this.byMarket.set(info.market, info);
    if (info.priceMantissa > 0n && info.underlying !== NATIVE_UNDERLYING) {
      // priceMantissa is USD·1e18 per raw unit ·1e(18−decimals): USD per whole token = price / 1e(36−decimals).
      this.usdPrices.set(info.underlying, Number(info.priceMantissa) / 10 ** (36 - info.underlyingDecimals));
    }
  }
}
