/**
 * Plans prepared ahead of the price. On a 200 ms chain the round trips of a fresh plan (swap quotes, then the
 * simulation's eth_call) are most of the decision; for a position a small step from liquidation they can be paid
 * BEFORE the price moves. Off the reaction path, after each block, every position whose health factor is at most
 * 1 + `withinHealthFactor` gets, per price feed of its collateral whose answer IS the protocol's price:
 *   - the crossing answer: the highest answer at which the position is liquidatable (found on the market's
 *     preview, answer-preview.ts, with the protocol's own integer formulas);
 *   - the plan the planner makes at that answer: size, pair, flash source, route, quote, hence the calldata.
 *
 * When the feed's own log arrives, its answer (from the event, no follow-up eth_call) is applied in memory as
 * always; a prepared plan is then used only if it is still what it was made for:
 *   - it was made on the newest block or the one before (`maxAgeBlocks`): quotes and flash balances are current;
 *   - the new answer is at or below the crossing answer, so the protocol seizes at least the prepared collateral
 *     for the same repayment and the sale yields at least the prepared proceeds: its profit floor stays safe;
 *   - the market, sizing the position afresh at the new answer, repays the same debt through the same call (same
 *     pair, same debtToCover, same executor call): the calldata is the one a fresh plan would carry; or, where interest
 *     accrued since, at most 1 ppm less by the same rule (coversFreshCall);
 *   - this keeper has sold nothing into its route yet in this block (else its floor needs a fresh quote).
 * Then only the risk gate, the journal's intent, the signature and the send remain (the execution stage signs it
 * without a simulation at the new state: the executor's profit floor still reverts it if the chain disagrees).
 * Anything else discards it and the position takes the normal path (plan, simulate, sign).
 */
import { positionKeyId, type Address, type LiquidationPlan, type TrackedPosition } from "../core/types";
import type { FeedAnswer, LendingMarket } from "../markets/market";
import { canPreviewAnswers, type AnswerPreview } from "../markets/answer-preview";
import type { PlanningHead, PositionToPlan } from "./opportunity-planner";

const WAD = 10n ** 18n;
/** The crossing answer is searched to this relative precision (1 ppm): a few dozen in-memory evaluations. */
const CROSSING_PRECISION_PPM = 1n;

export interface PreparedPlanSettings {
  /**
   * Positions with a health factor at most 1 + this get a plan prepared; 0 prepares none. Default 0.03: the reaction
   * bench's busy steps cross clusters that sit at HF 1.021-1.023 before their step (a 2.2% cbBTC move), which 0.02
   * left outside; `maxPlans` bounds the cost whatever the band.
   */
  readonly withinHealthFactor: number;
  /** A plan prepared more than this many blocks before the answer's block is stale. Default 1. */
  readonly maxAgeBlocks: number;
  /**
   * At most this many positions get a plan, the nearest of each collateral set in turn (takeTurnsByCollateral): they are
   * re-quoted every block, on the node the reactions need (the bench's 100-position clusters at once made its eth_calls
   * time out). Default 4: all their quotes share one Multicall eth_call each block, and with 16 it held the node for
   * 100-300 ms of every 200 ms block on a loaded machine (traced on the reaction bench), delaying the keeper's own send
   * behind it. A price move crosses the nearest positions first; the farther ones take the normal path.
   */
  readonly maxPlans: number;
}

export const DEFAULT_PREPARED_PLAN_SETTINGS: PreparedPlanSettings = { withinHealthFactor: 0.03, maxAgeBlocks: 1, maxPlans: 4 };

export interface PreparedPlan {
  readonly marketId: string;
  readonly borrower: Address;
  readonly feed: Address;
  /** The highest answer at which the position is liquidatable; the plan is sized at it. */
  readonly crossingAnswer: bigint;
  readonly plan: LiquidationPlan;
  readonly preparedAtBlock: number;
}

/** What the planner must offer: planning positions of any market-shaped view (the preview is one). */
export interface PreparingPlanner {
  plan(
    items: readonly {
      readonly market: Pick<LendingMarket, "liquidationPairs" | "sizeLiquidationWithReason">;
      readonly position: TrackedPosition;
    }[],
    head: PlanningHead,
  ): Promise<readonly { readonly plan: LiquidationPlan | null }[]>;
}

/** The verdict on one repriced position at an answer's arrival. */
export type PreparedVerdict =
  | { readonly use: true; readonly prepared: PreparedPlan }
  | { readonly use: false; readonly reason: "none" | "stale" | "answer-above-crossing" | "resized" | "own-sale-on-route" };

export class PreparedPlans {
  readonly #plans = new Map<string, PreparedPlan>();
  readonly #settings: PreparedPlanSettings;
  /** Counts of prepared plans used and discarded (by reason), for the run report and metrics. */
  readonly counts = { prepared: 0, used: 0, discarded: new Map<string, number>() };

  constructor(
    private readonly planner: PreparingPlanner,
    settings: Partial<PreparedPlanSettings> = {},
  ) {
    this.#settings = {
      withinHealthFactor: settings.withinHealthFactor ?? DEFAULT_PREPARED_PLAN_SETTINGS.withinHealthFactor,
      maxAgeBlocks: settings.maxAgeBlocks ?? DEFAULT_PREPARED_PLAN_SETTINGS.maxAgeBlocks,
      maxPlans: settings.maxPlans ?? DEFAULT_PREPARED_PLAN_SETTINGS.maxPlans,
    };
    const { withinHealthFactor, maxAgeBlocks, maxPlans } = this.#settings;
    if (!Number.isInteger(maxPlans) || maxPlans < 0) throw new Error(`maxPlans must be a non-negative integer, got ${maxPlans}`);
    if (!Number.isFinite(withinHealthFactor) || withinHealthFactor < 0 || withinHealthFactor > 1)
      throw new Error(`strategy.preparePlansWithinHf must be between 0 and 1, got ${withinHealthFactor}`);
    if (!Number.isInteger(maxAgeBlocks) || maxAgeBlocks < 0)
      throw new Error(`maxAgeBlocks must be a non-negative integer, got ${maxAgeBlocks}`);
  }

  get size(): number {
    return this.#plans.size;
  }

  /** The plan prepared for a position, if any. */
  get(marketId: string, borrower: Address): PreparedPlan | undefined {
    return this.#plans.get(`${marketId}:${borrower.toLowerCase()}`);
  }

  /**
   * Re-prepares every near position's plan at `head` (the old ones are dropped: state moved). Positions in
   * `skip` (a transaction in flight) get none. Returns how many plans are ready.
   */
  async refresh(markets: readonly LendingMarket[], head: PlanningHead, skip: ReadonlySet<string> = new Set()): Promise<number> {
    // The old plans stay usable until the new ones are ready: a refresh runs beside reactions (it is not on their
    // lock, so an oracle log arriving meanwhile is acted on at once), and a reaction judging while the quotes are on
    // the wire must find the previous block's plans, not an empty book. They are replaced in one step at the end.
    const next = new Map<string, PreparedPlan>();
    const swap = () => {
      this.#plans.clear();
      for (const [key, plan] of next) this.#plans.set(key, plan);
      return this.#plans.size;
    };
    if (this.#settings.withinHealthFactor === 0) return swap();
    const ceiling = WAD + BigInt(Math.round(this.#settings.withinHealthFactor * 1e6)) * 10n ** 12n;
    const wanted: { view: AnswerPreview; position: TrackedPosition; market: LendingMarket; feed: Address; crossing: bigint }[] = [];
    const near = markets
      .filter(canPreviewAnswers)
      .flatMap((market) =>
        market
          .positions()
          .filter((p) => p.healthFactor >= WAD && p.healthFactor <= ceiling && !skip.has(positionKeyId(p.key)))
          .map((position) => ({ market, position })),
      )
      .sort(byHealthFactor);
    const nearest = takeTurnsByCollateral(near, this.#settings.maxPlans);
    for (const market of new Set(nearest.map((n) => n.market))) {
      const near = nearest.filter((n) => n.market === market).map((n) => n.position);
      for (const feed of market.priceFeeds()) {
        if (feed.mode !== "answer-is-price") continue;
        const affects = new Set(feed.affects.map((a) => a.toLowerCase()));
        const current = market.previewAnswer(feed.feed, 1n)?.currentAnswer ?? 0n;
        if (current <= 0n) continue;
        for (const position of near) {
          if (!position.collaterals.some((c) => affects.has(c.token.toLowerCase()))) continue;
          if (wanted.some((w) => w.market === market && w.position.key.borrower === position.key.borrower)) continue;
          const crossing = crossingAnswer(market, feed.feed, position.key.borrower, current);
          if (crossing === null) continue;
          const view = market.previewAnswer(feed.feed, crossing)!;
          const moved = view.position(position.key.borrower);
          if (moved !== undefined) wanted.push({ view, position: moved, market, feed: feed.feed, crossing });
        }
      }
    }
    if (wanted.length === 0) return swap();
    const decisions = await this.planner.plan(
      wanted.map((w) => ({ market: w.view, position: w.position })),
      head,
    );
    decisions.forEach((decision, index) => {
      const w = wanted[index]!;
      const plan = decision.plan === null ? null : saleAtCrossing(decision.plan, w.crossing, w.view.currentAnswer);
      if (plan === null) return;
      next.set(keyOf(w.market.id, w.position.key.borrower), {
        marketId: w.market.id,
        borrower: w.position.key.borrower,
        feed: w.feed,
        crossingAnswer: w.crossing,
        plan,
        preparedAtBlock: head.number,
      });
    });
    this.counts.prepared += next.size;
    return swap();
  }

  /**
   * At an answer's arrival (already applied to the markets): whether the prepared plan of `item` is still valid.
   * A prepared plan is used once; an invalid one is discarded.
   */
  judge(
    item: PositionToPlan,
    answers: readonly FeedAnswer[],
    headBlock: number,
    soldOnRoute: (plan: LiquidationPlan) => boolean,
  ): PreparedVerdict {
    const key = keyOf(item.market.id, item.position.key.borrower);
    const prepared = this.#plans.get(key);
    const answer = prepared && answers.filter((a) => a.feed.toLowerCase() === prepared.feed.toLowerCase()).at(-1);
    if (prepared === undefined || answer === undefined) return { use: false, reason: "none" };
    this.#plans.delete(key);
    const verdict = this.#verdict(prepared, item, answer, headBlock, soldOnRoute);
    if (verdict.use) this.counts.used += 1;
    else this.counts.discarded.set(verdict.reason, (this.counts.discarded.get(verdict.reason) ?? 0) + 1);
    return verdict;
  }

  #verdict(
    prepared: PreparedPlan,
    item: PositionToPlan,
    answer: FeedAnswer,
    headBlock: number,
    soldOnRoute: (plan: LiquidationPlan) => boolean,
  ): PreparedVerdict {
    if (Math.max(headBlock, answer.blockNumber) - prepared.preparedAtBlock > this.#settings.maxAgeBlocks)
      return { use: false, reason: "stale" };
    if (answer.answer > prepared.crossingAnswer) return { use: false, reason: "answer-above-crossing" };
    const { candidate } = prepared.plan;
    const pair = item.market
      .liquidationPairs(item.position)
      .find(
        (p) =>
          p.collateralToken.toLowerCase() === candidate.collateralToken.toLowerCase() &&
          p.debtToken.toLowerCase() === candidate.debtToken.toLowerCase(),
      );
    const fresh = pair && item.market.sizeLiquidationWithReason(item.position, pair);
    if (fresh === undefined || !fresh.ok || !coversFreshCall(fresh.candidate, candidate)) return { use: false, reason: "resized" };
    if (soldOnRoute(prepared.plan)) return { use: false, reason: "own-sale-on-route" };
    return { use: true, prepared };
  }
}

/**
 * The plan with its sale valued at the crossing answer. The planner quoted the pools as they are now, at the current
 * price, but the collateral seized at the crossing answer is priced for pools that have moved with it (on Base the
 * pools move first and the oracle follows): selling it at today's pool price would overstate the proceeds by
 * current/crossing and set the floor above what the chain pays. Scaled by crossing/current, the sale is worth what
 * the repayment plus bonus is worth, as it will be. Null when the profit is not taken in the token the sale yields.
 */
function saleAtCrossing(plan: LiquidationPlan, crossing: bigint, current: bigint): LiquidationPlan | null {
  const swap = plan.swap;
  if (swap === null || swap.venue === "none") return plan;
  if (swap.tokenOut.toLowerCase() !== plan.profitToken.toLowerCase() || current <= 0n || crossing > current) return null;
  const amountOut = (swap.amountOut * crossing) / current;
  const expectedProfit = plan.expectedProfit - (swap.amountOut - amountOut);
  if (expectedProfit <= 0n) return null;
  return { ...plan, swap: { ...swap, amountOut }, expectedProfit };
}

/**
 * At most `max` of the positions (nearest first), the collaterals taking turns: the nearest of each collateral set, then
 * the second nearest of each, and so on. A price update moves one feed, and crosses the nearest positions OF THAT FEED;
 * the nearest overall may all hang on another one. In the reaction bench the four plans all went to the WETH ladder's
 * next rungs (HF 1.001-1.02 after each WETH step), and no busy cbBTC step found its first position prepared.
 */
export function takeTurnsByCollateral<T extends { readonly position: TrackedPosition }>(nearestFirst: readonly T[], max: number): T[] {
  const queues = new Map<string, T[]>();
  for (const item of nearestFirst) {
    const key = item.position.collaterals
      .map((c) => c.token.toLowerCase())
      .sort()
      .join(",");
    queues.set(key, [...(queues.get(key) ?? []), item]);
  }
  const taken: T[] = [];
  for (let turn = 0; taken.length < max; turn++) {
    const round = [...queues.values()].flatMap((queue) => (turn < queue.length ? [queue[turn]!] : [])).sort(byHealthFactor);
    if (round.length === 0) break;
    taken.push(...round.slice(0, max - taken.length));
  }
  return taken;
}

/** Lowest health factor first. */
function byHealthFactor(a: { readonly position: TrackedPosition }, b: { readonly position: TrackedPosition }): number {
  return a.position.healthFactor < b.position.healthFactor ? -1 : a.position.healthFactor > b.position.healthFactor ? 1 : 0;
}

function keyOf(marketId: string, borrower: Address): string {
  return `${marketId}:${borrower.toLowerCase()}`;
}

/**
 * Whether the prepared call still does what a fresh plan at the new answer would: the same repayment through the same
 * executor call, or the same call repaying at most ACCRUED_PPM less, by the same sizing rule, where the market names
 * the amount itself (not `poolDecidesSize`). Interest accrues between the plan's preparation and the answer: in the
 * reaction bench one busy step in three found its prepared plans refused as "resized" for 1-6 wei of a $4-9k repayment
 * (a 50% close factor of a debt that grew), and planned its first transaction afresh (55-65 ms instead of ~10). Repaying
 * a hair less than the rule allows is what the protocol takes as asked, and at an answer at or below the crossing one
 * it seizes at least the prepared collateral for it, so the prepared floor still holds.
 */
export function coversFreshCall(fresh: LiquidationPlan["candidate"], prepared: LiquidationPlan["candidate"]): boolean {
  if (fresh.debtToCover === prepared.debtToCover && canonical(fresh.call) === canonical(prepared.call)) return true;
  const shortBy = fresh.debtToCover - prepared.debtToCover;
  if (shortBy < 0n || shortBy * 1_000_000n > prepared.debtToCover * ACCRUED_PPM || fresh.sizingRule !== prepared.sizingRule) return false;
  if (fresh.call === undefined || prepared.call === undefined || fresh.call.poolDecidesSize || prepared.call.poolDecidesSize) return false;
  // The calls differ only in the amount (which is the candidate's own, as the market named it).
  return (
    prepared.call.debtToCover === prepared.debtToCover &&
    canonical({ ...fresh.call, debtToCover: 0n }) === canonical({ ...prepared.call, debtToCover: 0n })
  );
}

/** How much less than a fresh sizing a prepared repayment may be (interest accrued since), in parts per million. */
const ACCRUED_PPM = 1n;

function canonical(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) => (typeof v === "bigint" ? `${v}n` : typeof v === "string" ? v.toLowerCase() : v));
}

/**
 * The highest answer below `current` at which the position is liquidatable (HF < 1), to 1 ppm, searched on the
 * market's preview; null when no lower answer of this feed makes it liquidatable (its debt, not this collateral,
 * decides) or it already is.
 */
function crossingAnswer(
  market: { previewAnswer(feed: Address, answer: bigint): AnswerPreview | null },
  feed: Address,
  borrower: Address,
  current: bigint,
): bigint | null {
  const liquidatableAt = (answer: bigint) => {
    const hf = market.previewAnswer(feed, answer)?.position(borrower)?.healthFactor;
    return hf !== undefined && hf < WAD;
  };
  let low = 1n; // liquidatable (checked below)
  let high = current; // not liquidatable (the position is near, not under)
  if (!liquidatableAt(low) || liquidatableAt(high)) return null;
  while (high - low > (high * CROSSING_PRECISION_PPM) / 1_000_000n + 1n) {
    const mid = (low + high) / 2n;
    if (liquidatableAt(mid)) low = mid;
    else high = mid;
  }
  return low;
}
