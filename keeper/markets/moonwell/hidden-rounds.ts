/**
 * The fresh prices Moonwell's OEV wrappers still hide, and what the protocol shows meanwhile.
 *
 * A wrapper's `latestRoundData()` answers the round before the feed's newest one for `maxRoundDelay`
 * seconds, unless someone calls its `updatePriceEarlyAndLiquidate`, which unlocks ONLY that wrapper's own
 * feed, and only when the liquidation's collateral is priced by it (the wrapper checks
 * `getFeed(collateral.symbol()) == address(this)`; docs/oev.md). So three price sets matter:
 * - the fresh one (every hidden round applied): what the market evaluates health at, so a position is
 *   found as soon as the feed moves;
 * - the shown one (the oracle's answers): what a plain `liquidateBorrow` is judged at;
 * - the one after unlocking the collateral's wrapper: fresh collateral price, every other price as shown.
 *   A liquidation through the wrapper is judged (and its seizure and split priced) at this one.
 * A position liquidatable only because of a hidden DEBT price cannot be liquidated by anyone before that
 * round is public; the market says so instead of planning a call that would revert, and hands the
 * position back to the engine in the block the round becomes public.
 *
 * Which rounds are hidden is read from the chain with every market read (`roundCalls` / `observe`:
 * the wrapper's round against the delayed feed's, keeper/oracles/oev-round-facts.ts), so a round already
 * hidden when the keeper starts is found by its first read, and a round whose log is processed after it
 * went public (the delay passed, or another liquidator unlocked it) is never taken for a hidden one. A
 * round log between reads is hidden provisionally (`onNewRound`) until the read the reaction makes.
 */
import type { Address } from "../../config/address-book";
import type { MulticallCall, MulticallResult } from "../../chain/multicall";
import { decodeOevRoundFacts, hiddenRoundOf, oevRoundCalls } from "../../oracles/oev-round-facts";
import { lowerAddress } from "../tracked-lending-market";
import { ObservedBlocks } from "../observed-prices";
import type { MTokenMarket, MTokenMarkets } from "./mtoken-markets";
import type { HiddenRound, WrappedMarket } from "./oracle-feeds";

export class HiddenRounds {
  private readonly rounds = new Map<Address, HiddenRound>();
  /** Market → the price the oracle shows while its round is hidden. */
  private readonly shown = new Map<Address, bigint>();
  /**
   * The block each market's round was last observed at (a round log or a read): a read of an older block, a tick
   * behind the pushed logs, neither releases a round that its own log hid nor takes its fresh price for the shown one.
   */
  private readonly observedAt = new ObservedBlocks();

  private wrapped: readonly WrappedMarket[] = [];

  /** Starts again with these wrapped markets, nothing hidden until the first read says so. */
  reset(wrapped: readonly WrappedMarket[]): void {
    this.wrapped = wrapped;
    this.rounds.clear();
    this.shown.clear();
  }

  /** The reads that decide which rounds are hidden: two per wrapper, to go in the same batch as the market's prices. */
  roundCalls(): MulticallCall[] {
    return this.wrapped.flatMap(({ wrapper }) => oevRoundCalls({ feed: wrapper.wrapper, priceFeed: wrapper.priceFeed }));
  }

  /**
   * The results of `roundCalls` at one block: each wrapped market's round is hidden exactly when its wrapper answers
   * another round than the delayed feed's newest. Returns the markets whose round this found public (released).
   */
  observe(results: readonly MulticallResult[], atBlock?: number | string): Address[] {
    const released: Address[] = [];
    this.wrapped.forEach(({ market, wrapper, scale }, i) => {
      if (!this.observedAt.accepts(market, atBlock)) return;
      const fact = hiddenRoundOf(decodeOevRoundFacts(results.slice(2 * i, 2 * i + 2)), wrapper.maxRoundDelay);
      if (fact !== null) {
        this.rounds.set(market, { market, priceMantissa: fact.answer * scale, publicAt: fact.publicAt });
      } else if (this.rounds.delete(market)) {
        this.shown.delete(market);
        released.push(market);
      }
    });
    return released;
  }

  /** A new round of a wrapped feed: hidden until `publicAt`; meanwhile the wrapper shows `shownPrice` (the round before). */
  onNewRound(round: HiddenRound, shownPrice: bigint, atBlock?: number): void {
    if (!this.observedAt.accepts(round.market, atBlock)) return;
    this.rounds.set(round.market, round);
    this.shown.set(round.market, shownPrice);
  }

  /**
   * Right after the markets' prices were read from the oracle (the shown prices): remembers them, puts the
   * fresh prices back, and forgets rounds that are public by `nowSeconds` or that the oracle already
   * answers (someone unlocked them). Returns the markets whose price it set and those it released.
   */
  apply(markets: MTokenMarkets, nowSeconds: number, atBlock?: number | string): { changed: Address[]; released: Address[] } {
    const changed: Address[] = [];
    const released: Address[] = [];
    for (const [market, round] of this.rounds) {
      // The prices were read at a block older than this round's: what the markets hold is not what the oracle shows.
      if (!this.observedAt.accepts(market, atBlock)) continue;
      const shown = markets.get(market)?.priceMantissa;
      if (shown === undefined || nowSeconds >= round.publicAt || shown === round.priceMantissa) {
        this.rounds.delete(market);
        this.shown.delete(market);
        released.push(market);
        continue;
      }
      this.shown.set(market, shown);
      if (markets.setPrice(market, round.priceMantissa)) changed.push(market);
    }
    return { changed, released };
  }

  /** The round `market`'s wrapper hides at `nowSeconds`, if any. */
  hiddenAt(market: Address, nowSeconds: number): HiddenRound | undefined {
    const round = this.rounds.get(market);
    return round && nowSeconds < round.publicAt ? round : undefined;
  }

  /** Markets with a round hidden at `nowSeconds`. */
  hiddenMarkets(nowSeconds: number): Address[] {
    return [...this.rounds.values()].filter((round) => nowSeconds < round.publicAt).map((round) => round.market);
  }

  /**
   * The hidden round a liquidation of a position holding (or owing) `markets` depends on, as a key every such position
   * shares (`<scope>:oev:<market>`): the first liquidation through that market's wrapper makes the round public for
   * everyone, the rival that waits for public prices included. Undefined when none of `markets` is hidden at `nowSeconds`.
   */
  sharedUnlockOf(scope: string, markets: readonly (Address | undefined)[], nowSeconds: number): string | undefined {
    const hidden = new Set(this.hiddenMarkets(nowSeconds));
    const market = markets.find((candidate) => candidate !== undefined && hidden.has(lowerAddress(candidate)));
    return market === undefined ? undefined : `${scope}:oev:${lowerAddress(market)}`;
  }

  /**
   * The market states as the comptroller will see them once `unlocked`'s wrapper has unlocked its round
   * (null: nothing unlocked, the plain call): every other hidden market at the price the oracle shows.
   */
  statesAfterUnlocking(
    states: ReadonlyMap<string, MTokenMarket>,
    unlocked: Address | null,
    nowSeconds: number,
  ): ReadonlyMap<string, MTokenMarket> {
    const stillHidden = this.hiddenMarkets(nowSeconds).filter((market) => market !== unlocked && this.shown.has(market));
    if (stillHidden.length === 0) return states;
    const seen = new Map(states);
    for (const market of stillHidden) {
      const state = seen.get(market);
      if (state) seen.set(market, { ...state, priceMantissa: this.shown.get(market)! });
    }
    return seen;
  }

  /**
   * Why a position liquidatable at the fresh prices cannot be liquidated yet through `collateralMarket`: the prices
   * that make it so are hidden by wrappers other than the one this call unlocks (`unlocked`), and when they go public.
   */
  refusalWhileHidden(collateralMarket: Address, unlocked: Address | null, nowSeconds: number): string {
    const waiting = this.hiddenMarkets(nowSeconds).filter((market) => market !== unlocked);
    const publicAt = Math.min(...waiting.map((market) => this.rounds.get(market)!.publicAt));
    return (
      `liquidatable only at the price(s) OEV wrappers still hide for ${waiting.join(", ")}, which no wrapper call on ` +
      `collateral ${collateralMarket} can unlock; public at ${publicAt} (unix s)`
    );
  }
}
