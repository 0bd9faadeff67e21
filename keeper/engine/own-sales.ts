/**
 * Liquidations sent in the same block often sell the same collateral into the same pool. Each was
 * simulated on the block's state alone, so the later ones will meet a price the earlier ones have
 * already moved, and a profit floor set from their lone simulation would revert them. The ledger
 * remembers what this keeper sold into each route since the last block, and prices a new sale on top
 * of it with its venue's quoter — out(prior + mine) − out(prior) — so the plan's floor comes from what it will
 * actually receive. (Sales through different routes that share a pool are not netted: the haircut
 * absorbs those.)
 *
 * Every shortfall asked for in the same turn of the event loop on one route shares ONE quoteRoute call (one
 * Multicall3 eth_call): a busy step's chunk of dozens of plans on one route paid a round trip per plan before (each
 * with its own eth_call on a node that serves them one at a time: ~100 ms a chunk of six in the reaction bench).
 */
import type { LiquidationPlan, SwapVenue } from "../core/types";
import type { SwapQuoter } from "../venues/venue-plugin";
import { saleRouteOf } from "../execution/batch-choice";

export class OwnSalesLedger {
  /** Sales booked for plans not sent yet, by plan id: each is `sent`, `dryRun` or `release`d by the chunk that booked it. */
  #unsent = new Map<string, { route: string; amount: bigint }>();
  /** Sales of plans simulated in DRY mode: never made, they price this block's later plans as a live keeper's would. */
  #dry = new Map<string, { route: string; amount: bigint }>();
  /**
   * Sales sent, with the nonce of the transaction carrying them. Kept a while after they land (SENT_KEPT_NONCES): a chunk
   * simulated on an older block than the newest count asks with that block's count (`soldBefore(plan, landedCount)`).
   */
  #sent: { route: string; amount: bigint; nonce: number }[] = [];
  /** Nonces below this are mined in the state the next quotes read: their sales are in the pool already. */
  #landedBelow = 0;
  /** Quotes asked for in this turn of the event loop, per venue, route and block; sent together at its end. */
  #pending = new Map<string, PendingQuotes>();

  constructor(private readonly quoter: SwapQuoter) {}

  /**
   * A new block: the dry runs' sales are forgotten (they were never made). Nothing else is: a sent sale leaves when the
   * key's transaction count says the chain holds it (`landedBelow`), and a booking leaves with its chunk. Clearing
   * those here, as every tick once did, let a tick arriving during a busy reaction wipe the bookings of the chunk in
   * flight and the sales sent but not mined, so later chunks priced their floors without them.
   */
  forgetDryRuns(): void {
    this.#dry.clear();
  }

  /**
   * The key's transaction count, read before the next shortfalls are quoted (both at `latest`): the sales our
   * transactions below it carried are in the pools those quotes read, so pricing them again would count them twice. A busy step's reaction outlives
   * several blocks (no tick resets the ledger meanwhile), and its later chunks were refused as "does not cover" by
   * sales that had landed already (54-80 plans a run in the reaction bench).
   */
  landedBelow(nonceCount: number): void {
    this.#landedBelow = Math.max(this.#landedBelow, nonceCount);
    this.#sent = this.#sent.filter((sale) => sale.nonce >= this.#landedBelow - SENT_KEPT_NONCES);
  }

  /** Whether a sent sale may still be outside the chain's state (worth asking the key's transaction count). */
  get awaitsLanding(): boolean {
    return this.#sent.some((sale) => sale.nonce >= this.#landedBelow);
  }

  /** The plan was simulated in DRY mode: its booked sale counts until the next block (`forgetDryRuns`). */
  dryRun(plan: LiquidationPlan): void {
    const booked = this.#unsent.get(plan.id);
    if (booked === undefined) return;
    this.#unsent.delete(plan.id);
    this.#dry.set(plan.id, booked);
  }

  /** The plan's booked sale left in the transaction with `nonce`. */
  sent(plan: LiquidationPlan, nonce: number): void {
    const booked = this.#unsent.get(plan.id);
    if (booked === undefined) return;
    this.#unsent.delete(plan.id);
    this.#sent.push({ ...booked, nonce });
  }

  /**
   * What `amountIn` sold on `sale`'s route after `soldBefore` already went through it yields less than sold alone:
   * out(amountIn) − (out(soldBefore + amountIn) − out(soldBefore)), never below 0. `aloneOut` is out(amountIn) when
   * it is already known (a plan's own quote); else it is quoted with the rest. A liquidateBatch asks with its members'
   * summed sale on the route: its simulation prices their sales one after another, so only the sales before it count.
   */
  shortfall(sale: SaleRoute, soldBefore: bigint, amountIn: bigint, blockTag: number | "latest", aloneOut?: bigint): Promise<bigint> {
    if (soldBefore === 0n || amountIn === 0n) return Promise.resolve(0n);
    const key = `${sale.venue}:${sale.route.toLowerCase()}:${blockTag}`;
    let batch = this.#pending.get(key);
    if (batch === undefined) {
      batch = { venue: sale.venue, route: sale.route, blockTag, amounts: [], waiters: [] };
      this.#pending.set(key, batch);
      const flushing = batch;
      setImmediate(() => this.#flush(key, flushing));
    }
    const at = batch.amounts.length;
    batch.amounts.push(soldBefore + amountIn, soldBefore, ...(aloneOut === undefined ? [amountIn] : []));
    return new Promise<bigint>((resolve, reject) => {
      batch.waiters.push({
        reject,
        resolve: (outs) => {
          const [withMine, priorOnly, alone] = [outs[at]!, outs[at + 1]!, aloneOut ?? outs[at + 2]!];
          const marginal = withMine > priorOnly ? withMine - priorOnly : 0n;
          resolve(alone > marginal ? alone - marginal : 0n);
        },
      });
    });
  }

  #flush(key: string, batch: PendingQuotes): void {
    if (this.#pending.get(key) === batch) this.#pending.delete(key);
    this.quoter.quoteRoute(batch.venue, batch.route, batch.amounts, batch.blockTag).then(
      (outs) => batch.waiters.forEach((waiter) => waiter.resolve(outs)),
      (error: unknown) => batch.waiters.forEach((waiter) => waiter.reject(error)),
    );
  }

  /**
   * What this keeper has booked into the plan's sale route and may not be in the pools yet (0 when it sells nothing).
   * `landedCount`: the key's transaction count at the block the caller's quotes and simulation read (sales of lower
   * nonces are in that block's pools); default the newest count seen, which only suits reads at latest.
   */
  soldBefore(plan: LiquidationPlan, landedCount: number = this.#landedBelow): bigint {
    const route = saleRouteOf(plan);
    if (route === null) return 0n;
    let sold = 0n;
    for (const sale of [...this.#unsent.values(), ...this.#dry.values()]) if (sale.route === route) sold += sale.amount;
    for (const sale of this.#sent) if (sale.route === route && sale.nonce >= landedCount) sold += sale.amount;
    return sold;
  }

  /**
   * Takes back the sale of a booked plan that did not leave (failed simulation, not sent, a duplicate): the
   * pool will not see it, so plans booked after it in this block must not pay for it. A plan whose simulation
   * failed because a rival took the position first sells nothing either.
   */
  release(plan: LiquidationPlan): void {
    this.#unsent.delete(plan.id);
  }

  /** Whether a sale of this keeper on the plan's route may not be in the pools yet (booked, dry-run this block, or sent and not mined). */
  hasSold(plan: LiquidationPlan): boolean {
    return this.soldBefore(plan) > 0n;
  }

  /** Books a plan's sale (not sent yet: `sent` or `release` follows). */
  record(plan: LiquidationPlan): void {
    const route = saleRouteOf(plan);
    if (plan.swap === null || route === null) return;
    this.#unsent.set(plan.id, { route, amount: plan.swap.amountIn });
  }
}

/**
 * Sent sales kept this many nonces below the newest landed count: a chunk reads its count at the block it simulates on,
 * which may be older than the newest count a tick read meanwhile, and must still find the sales mined after it.
 */
const SENT_KEPT_NONCES = 256;

/** The venue and route a sale goes through (a plan's SwapQuote is one). */
export interface SaleRoute {
  readonly venue: SwapVenue;
  readonly route: string;
}

/** The shortfall quotes asked for on one route and block in one turn of the event loop, answered by one call. */
interface PendingQuotes {
  readonly venue: SwapVenue;
  readonly route: string;
  readonly blockTag: number | "latest";
  readonly amounts: bigint[];
  readonly waiters: Waiter[];
}

interface Waiter {
  resolve(outs: readonly bigint[]): void;
  reject(error: unknown): void;
}
