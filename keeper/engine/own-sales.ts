/**
 * Liquidations sent in the same block often sell the same collateral into the same pool. Each was
 * simulated on the block's state alone, so the later ones will meet a price the earlier ones have
 * already moved, and a profit floor set from their lone simulation would revert them. The ledger
 * remembers what this keeper sold into each route since the last block, and prices a new sale on top
 * of it with its venue's quoter — out(prior + mine) − out(prior) — so the plan's floor comes from what it will
 * actually receive. (Sales through different routes that share a pool are not netted: the haircut
 * absorbs those.)
 */
import type { LiquidationPlan } from "../core/types";
import type { SwapQuoter } from "../venues/venue-plugin";
import { saleRouteOf } from "../execution/batch-choice";

export class OwnSalesLedger {
  private sold = new Map<string, bigint>();

  constructor(private readonly quoter: SwapQuoter) {}

  /** A new block: earlier sales are in it (or gone); prices start fresh. */
  reset(): void {
    this.sold.clear();
  }

  /**
   * Books the plan's sale and resolves with the debt-token units by which its proceeds fall short of its lone quote,
   * given this block's sales booked before it (0 when there were none). The booking happens at the call, the quote
   * after: a chunk books its plans in rank order and awaits all their quotes at once, instead of one round trip
   * after another before its first simulation.
   */
  book(plan: LiquidationPlan, blockTag: number): Promise<bigint> {
    const route = saleRouteOf(plan);
    const prior = route === null ? 0n : (this.sold.get(route) ?? 0n);
    this.record(plan);
    return this.#shortfallAfter(plan, prior, blockTag);
  }

  async #shortfallAfter(plan: LiquidationPlan, prior: bigint, blockTag: number): Promise<bigint> {
    const swap = plan.swap;
    if (swap === null || prior === 0n) return 0n;
    const [withMine, priorOnly] = await this.quoter.quoteRoute(swap.venue, swap.route, [prior + swap.amountIn, prior], blockTag);
    const marginal = withMine! > priorOnly! ? withMine! - priorOnly! : 0n;
    return swap.amountOut > marginal ? swap.amountOut - marginal : 0n;
  }

  /** What this keeper has booked into the plan's sale route since the last block (0 when it sells nothing). */
  soldBefore(plan: LiquidationPlan): bigint {
    const route = saleRouteOf(plan);
    return route === null ? 0n : (this.sold.get(route) ?? 0n);
  }

  /**
   * Takes back the sale of a booked plan that did not leave (failed simulation, not sent, a duplicate): the
   * pool will not see it, so plans booked after it in this block must not pay for it. A plan whose simulation
   * failed because a rival took the position first sells nothing either.
   */
  release(plan: LiquidationPlan): void {
    const route = saleRouteOf(plan);
    if (plan.swap === null || route === null) return;
    const left = (this.sold.get(route) ?? 0n) - plan.swap.amountIn;
    if (left > 0n) this.sold.set(route, left);
    else this.sold.delete(route);
  }

  /** Whether this keeper already sold into the plan's route since the last block. */
  hasSold(plan: LiquidationPlan): boolean {
    const route = saleRouteOf(plan);
    return route !== null && (this.sold.get(route) ?? 0n) > 0n;
  }

  /** Books a sent plan's sale. */
  record(plan: LiquidationPlan): void {
    const route = saleRouteOf(plan);
    if (plan.swap === null || route === null) return;
    this.sold.set(route, (this.sold.get(route) ?? 0n) + plan.swap.amountIn);
  }
}
