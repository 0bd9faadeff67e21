/**
 * The crossing index's model of a Moonwell comptroller (crossing-index.ts). The comptroller's
 * liquidity is Σ ⌊collateralFactor · exchangeRate · price · mTokens⌋ against Σ ⌊price · borrowBalance⌋
 * (moonwell-math.ts), every term priced by its own market's oracle price, so each market (mToken) is
 * one price key: one feed answer moves one market's price. The exposure the model reads is the
 * comptroller's own per-market terms (USD, from the 1e18-scaled integers) recorded as the position
 * is evaluated, with the collateral factor already applied: the model is off from the protocol only
 * by float rounding, which the index's search margin covers. A position whose terms were not
 * recorded is not modelled (the index returns it on every search of its keys).
 */
import type { TrackedPosition } from "../../core/types";
import type { PriceMove } from "../tracked-lending-market";
import type { CrossingModel, PositionExposure } from "../crossing-index";
import { EXP_SCALE } from "./moonwell-math";

const NOT_RECORDED: PositionExposure = { collaterals: [], debts: [] };
const SCALE = Number(EXP_SCALE);

export class MoonwellCrossingModel implements CrossingModel {
  /** The terms each evaluated position was computed from (dropped with the position). */
  private readonly exposures = new WeakMap<TrackedPosition, PositionExposure>();

  /** `priceOf(market)`: the oracle price (getUnderlyingPrice mantissa) the market evaluates at. */
  constructor(private readonly priceOf: (market: string) => bigint | undefined) {}

  /** Exposures name markets, not underlyings: a market is its own key. */
  keyOfToken(market: string): string {
    return market;
  }

  priceOfKey(market: string): bigint | undefined {
    return this.priceOf(market);
  }

  exposureOf(position: TrackedPosition): PositionExposure {
    return this.exposures.get(position) ?? NOT_RECORDED;
  }

  /**
   * Starts recording `markets`' terms (every market the borrower entered, in order, so each key
   * the book holds for it is explained even with nothing in it); `term(i, collateral, borrow)` is
   * accountLiquidity's per-market callback, and `record` ties the terms to the position built.
   */
  recorder(markets: readonly string[]): {
    readonly term: (index: number, collateral: bigint, borrow: bigint) => void;
    readonly record: (position: TrackedPosition) => void;
  } {
    const collaterals = markets.map((token) => ({ token, valueUsd: 0, liquidationThresholdBps: 10_000 }));
    const debts = markets.map((token) => ({ token, valueUsd: 0 }));
    return {
      term: (index, collateral, borrow) => {
        collaterals[index].valueUsd = Number(collateral) / SCALE;
        debts[index].valueUsd = Number(borrow) / SCALE;
      },
      record: (position) => this.exposures.set(position, { collaterals, debts }),
    };
  }
}

/** The markets' prices now, to compare after a read or an answer changed some (`priceMovesSince`). */
export function priceSnapshot(markets: readonly string[], priceOf: (market: string) => bigint | undefined): Map<string, bigint> {
  return new Map(markets.map((market) => [market, priceOf(market) ?? 0n]));
}

/** Each market whose price differs from `before`, as a move the crossing index answers (NaN from an unknown price). */
export function priceMovesSince(before: ReadonlyMap<string, bigint>, priceOf: (market: string) => bigint | undefined): PriceMove[] {
  const moves: PriceMove[] = [];
  for (const [market, was] of before) {
    const now = priceOf(market) ?? 0n;
    if (now !== was) moves.push({ key: market, from: was > 0n ? Number(was) : NaN, to: Number(now) });
  }
  return moves;
}
