/**
 * Swap quotes for the reaction path without a round trip: per collateral → debt pair, every route's output sampled off
 * the reaction path after each block (`sample`, at amounts halving down from the largest collateral a near position
 * holds), and a quote on the reaction path read off those samples by linear interpolation.
 *
 * Why: a busy step's chunk of 96 positions had its quotes in ONE Multicall3 eth_call of ~300 QuoterV2 swaps (every
 * route of every position), and on the reaction bench's node that call alone took 1.4-2.2 s (PROFILE in the keeper's
 * log) before the chunk could be simulated.
 *
 * Why it is safe: a Uniswap V3 exact-input output (one hop or several) is concave in the amount sold: each unit sold
 * gets a worse price than the one before. Between two sampled points (and between 0 and the first) the chord lies
 * below the curve, so an interpolated quote is at most what the pool paid when it was sampled. A quote is only an
 * estimate anyway: it picks the route and ranks the plan, the simulation measures the real profit and sets the floor
 * from it, and the own-sales ledger quotes the route live. Two limits: an amount above the largest sample is quoted
 * live, and samples older than `maxAgeBlocks` are not used (the pools may have moved: within that age a price step's
 * own block can still move them, which the simulation measures). A pair never sampled is quoted live, as before. Plans
 * prepared ahead of the price are sent without a simulation, so they are planned on live quotes, never on samples.
 */
import type { Address } from "../config/address-book";
import type { SwapQuote, SwapVenue, TrackedPosition } from "../core/types";
import type { QuoteRequest, SwapQuoter } from "../venues/venue-plugin";

export interface QuoteCurveSettings {
  /** Samples per pair, the largest amount and each half of the one before. Default 10 (down to 1/512 of it). */
  readonly points?: number;
  /** `sampleWhenDue` samples again once the last samples are this many blocks old. Default 5. */
  readonly resampleBlocks?: number;
  /**
   * Samples taken more than this many blocks before the quote's block are not used. Default 10 (2 s on Base): samples
   * are taken after each tick, and a loaded machine's ticks fall behind 200 ms blocks (with 1 the reaction bench's busy
   * steps after the first found them all too old and quoted live again).
   */
  readonly maxAgeBlocks?: number;
}

/** A pair to sample and the largest amount of tokenIn a liquidation could sell on it. */
export interface CurvePair {
  readonly tokenIn: Address;
  readonly tokenOut: Address;
  readonly maxAmountIn: bigint;
}

interface Point {
  readonly amountIn: bigint;
  readonly amountOut: bigint;
  readonly gasEstimate: bigint;
}

interface RouteCurve {
  /** The route's quote at the largest sample: venue, router, path, pools (amounts are replaced). */
  readonly template: SwapQuote;
  /** Ascending amounts; only those the route quoted. */
  readonly points: readonly Point[];
}

interface PairCurve {
  readonly block: number;
  readonly maxAmountIn: bigint;
  readonly routes: readonly RouteCurve[];
}

export class QuoteCurves implements SwapQuoter {
  readonly #curves = new Map<string, PairCurve>();
  readonly #points: number;
  readonly #maxAgeBlocks: number;
  readonly #resampleBlocks: number;
  #sampling: Promise<void> | null = null;
  #sampledAt = -Infinity;
  /** Quotes answered from samples and quotes that went live, and samplings that failed, for the run's stats. */
  readonly counts = { fromCurve: 0, live: 0, failedSamplings: 0 };

  constructor(
    private readonly live: SwapQuoter,
    settings: QuoteCurveSettings = {},
  ) {
    this.#points = settings.points ?? 10;
    this.#maxAgeBlocks = settings.maxAgeBlocks ?? 10;
    this.#resampleBlocks = settings.resampleBlocks ?? 5;
    if (!Number.isInteger(this.#points) || this.#points < 1) throw new Error(`points must be a positive integer, got ${this.#points}`);
    if (!Number.isInteger(this.#maxAgeBlocks) || this.#maxAgeBlocks < 0)
      throw new Error(`maxAgeBlocks must be a non-negative integer, got ${this.#maxAgeBlocks}`);
    if (!Number.isInteger(this.#resampleBlocks) || this.#resampleBlocks < 1)
      throw new Error(`resampleBlocks must be a positive integer, got ${this.#resampleBlocks}`);
  }

  /**
   * Off the reaction path and off the tick: starts a sampling at `block` unless one is running or the last is younger
   * than `resampleBlocks`, and does not wait for it. Each sampling is one eth_call of points × routes QuoterV2 swaps on
   * the node the reactions need; taken every block, and awaited by the tick, it delayed the refresh of prepared plans
   * behind it and the reaction bench's single crossings found them stale (8 of 30 prepared instead of 30 at load 8).
   */
  sampleWhenDue(pairsOf: () => readonly CurvePair[], block: number): void {
    if (this.#sampling !== null || block - this.#sampledAt < this.#resampleBlocks) return;
    // Listed only when a sampling is due: it walks every tracked position.
    const pairs = pairsOf();
    if (pairs.length === 0) return;
    this.#sampledAt = block;
    this.#sampling = this.sample(pairs, block)
      .catch(() => {
        this.counts.failedSamplings += 1; // the reactions quote live meanwhile
      })
      .finally(() => {
        this.#sampling = null;
      });
  }

  /** Samples every pair's routes at `block` in one live call, replacing older samples. */
  async sample(pairs: readonly CurvePair[], block: number): Promise<void> {
    const largest = new Map<string, CurvePair>();
    for (const pair of pairs) {
      const key = pairKey(pair.tokenIn, pair.tokenOut);
      if (pair.maxAmountIn > (largest.get(key)?.maxAmountIn ?? 0n) && pair.tokenIn.toLowerCase() !== pair.tokenOut.toLowerCase())
        largest.set(key, pair);
    }
    const wanted = [...largest.values()];
    const requests: QuoteRequest[] = wanted.flatMap((pair) =>
      Array.from({ length: this.#points }, (_, k) => ({
        tokenIn: pair.tokenIn,
        tokenOut: pair.tokenOut,
        amountIn: pair.maxAmountIn >> BigInt(k),
      })).filter((request) => request.amountIn > 0n),
    );
    if (requests.length === 0) return;
    const quotes = await this.live.quote(requests, block);
    let at = 0;
    for (const pair of wanted) {
      const routes = new Map<string, { template: SwapQuote; points: Point[] }>();
      for (; at < requests.length && sameRequestPair(requests[at]!, pair); at++) {
        for (const quote of quotes[at]!) {
          const key = routeKey(quote.venue, quote.route);
          const entry = routes.get(key) ?? { template: quote, points: [] };
          entry.points.push({ amountIn: quote.amountIn, amountOut: quote.amountOut, gasEstimate: quote.gasEstimate });
          routes.set(key, entry);
        }
      }
      this.#curves.set(pairKey(pair.tokenIn, pair.tokenOut), {
        block,
        maxAmountIn: pair.maxAmountIn,
        routes: [...routes.values()].map(({ template, points }) => ({
          template,
          points: points.sort((a, b) => (a.amountIn < b.amountIn ? -1 : a.amountIn > b.amountIn ? 1 : 0)),
        })),
      });
    }
  }

  /** Each request from its pair's samples when they are fresh and reach its amount; the others in one live call. */
  async quote(requests: readonly QuoteRequest[], blockTag?: number | string): Promise<SwapQuote[][]> {
    const out: (SwapQuote[] | null)[] = requests.map((request) => this.#fromCurve(request, blockTag));
    const misses = out.flatMap((quotes, index) => (quotes === null ? [index] : []));
    this.counts.fromCurve += requests.length - misses.length;
    this.counts.live += misses.length;
    if (misses.length > 0) {
      const live = await this.live.quote(
        misses.map((index) => requests[index]!),
        blockTag,
      );
      misses.forEach((index, i) => (out[index] = live[i]!));
    }
    return out.map((quotes) => quotes!);
  }

  quoteRoute(venue: SwapVenue, route: string, amounts: readonly bigint[], blockTag?: number | string): Promise<bigint[]> {
    return this.live.quoteRoute(venue, route, amounts, blockTag);
  }

  #fromCurve(request: QuoteRequest, blockTag: number | string | undefined): SwapQuote[] | null {
    const curve = this.#curves.get(pairKey(request.tokenIn, request.tokenOut));
    if (curve === undefined || typeof blockTag !== "number" || request.amountIn <= 0n || request.amountIn > curve.maxAmountIn) return null;
    if (blockTag - curve.block > this.#maxAgeBlocks || blockTag < curve.block) return null;
    return curve.routes.flatMap((route) => {
      const quote = interpolate(route.points, request.amountIn);
      return quote === null
        ? []
        : [{ ...route.template, amountIn: request.amountIn, amountOut: quote.amountOut, gasEstimate: quote.gasEstimate }];
    });
  }
}

/**
 * The chord below a concave curve at `amountIn`: between the sampled points around it (0 → 0 below the first), rounded
 * down; null above the route's largest sample (it did not quote there). Gas: the larger sample's (it crosses at least as
 * many ticks).
 */
export function interpolate(points: readonly Point[], amountIn: bigint): { amountOut: bigint; gasEstimate: bigint } | null {
  let low: Point = { amountIn: 0n, amountOut: 0n, gasEstimate: 0n };
  for (const point of points) {
    if (point.amountIn === amountIn) return { amountOut: point.amountOut, gasEstimate: point.gasEstimate };
    if (point.amountIn > amountIn) {
      const amountOut = low.amountOut + ((point.amountOut - low.amountOut) * (amountIn - low.amountIn)) / (point.amountIn - low.amountIn);
      return amountOut > 0n ? { amountOut, gasEstimate: point.gasEstimate } : null;
    }
    low = point;
  }
  return null;
}

/** Health factors at most this (WAD) count as near: their pairs are sampled. */
const NEAR_HEALTH_FACTOR = 11n * 10n ** 17n;

/**
 * The pairs worth sampling: each collateral → debt pair of the positions at HF below 1.1 (the next price updates may
 * cross them), with the largest collateral balance among them (no liquidation sells more than the position holds).
 */
export function curvePairsNear(positions: Iterable<TrackedPosition>): CurvePair[] {
  const pairs = new Map<string, CurvePair>();
  for (const position of positions) {
    if (position.healthFactor > NEAR_HEALTH_FACTOR) continue;
    for (const collateral of position.collaterals)
      for (const debt of position.debts) {
        const key = pairKey(collateral.token, debt.token);
        if (collateral.amount > (pairs.get(key)?.maxAmountIn ?? 0n))
          pairs.set(key, { tokenIn: collateral.token, tokenOut: debt.token, maxAmountIn: collateral.amount });
      }
  }
  return [...pairs.values()];
}

function pairKey(tokenIn: Address, tokenOut: Address): string {
  return `${tokenIn.toLowerCase()}>${tokenOut.toLowerCase()}`;
}

function routeKey(venue: SwapVenue, route: string): string {
  return `${venue}:${route.toLowerCase()}`;
}

function sameRequestPair(request: QuoteRequest, pair: CurvePair): boolean {
  return pairKey(request.tokenIn, request.tokenOut) === pairKey(pair.tokenIn, pair.tokenOut);
}
