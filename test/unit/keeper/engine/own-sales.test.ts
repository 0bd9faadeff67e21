/**
 * The own-sales ledger books each plan's sale when it is approved (reaction-pipeline.ts) and prices a sale on top of the
 * sales booked before it: out(alone) − (out(before + mine) − out(before)). Every shortfall asked for in one turn of the
 * event loop on one route shares ONE quoteRoute call (one eth_call): a busy step's chunk paid a round trip per plan.
 * Double: a quoter pricing a route with a 1% impact per 100 units sold (out(x) = x − x²/10,000), counting its calls.
 */
import { expect } from "chai";
import type { LiquidationPlan, SwapQuote } from "../../../../keeper/core/types";
import type { SwapQuoter } from "../../../../keeper/venues/venue-plugin";
import { OwnSalesLedger } from "../../../../keeper/engine/own-sales";
import { makePlan } from "../journal/journal-fixtures";

const ROUTE = "0x00000000000000000000000000000000000000aa";
const OTHER_ROUTE = "0x00000000000000000000000000000000000000bb";
const out = (amount: bigint) => amount - (amount * amount) / 10_000n;

function selling(id: string, amountIn: bigint, route = ROUTE): LiquidationPlan {
  return {
    ...makePlan({ id }),
    swap: { venue: "uniswapV3", route, amountIn, amountOut: out(amountIn) },
  } as unknown as LiquidationPlan;
}

function countingQuoter(): { quoter: SwapQuoter; asked: { route: string; amounts: bigint[] }[] } {
  const asked: { route: string; amounts: bigint[] }[] = [];
  const quoter = {
    quoteRoute: async (_venue: string, route: string, amounts: readonly bigint[]) => {
      asked.push({ route, amounts: [...amounts] });
      return amounts.map(out);
    },
  } as unknown as SwapQuoter;
  return { quoter, asked };
}

/** Books `plan` and asks its shortfall as the execution stage does for a single plan (its own quote as its sale alone). */
function bookAndPrice(ledger: OwnSalesLedger, plan: LiquidationPlan, block: number): Promise<bigint> {
  const before = ledger.soldBefore(plan);
  ledger.record(plan);
  const swap = plan.swap as SwapQuote;
  return ledger.shortfall(swap, before, swap.amountIn, block, swap.amountOut);
}

describe("keeper: own sales in a block, booked in rank order and quoted together", () => {
  it("prices a chunk's sales on one route in ONE quote call, each on top of the sales booked before it", async () => {
    const { quoter, asked } = countingQuoter();
    const ledger = new OwnSalesLedger(quoter);
    const shortfalls = await Promise.all([
      bookAndPrice(ledger, selling("a", 100n), 7),
      bookAndPrice(ledger, selling("b", 50n), 7),
      bookAndPrice(ledger, selling("c", 30n), 7),
    ]);
    // The first sale has nothing before it (no quote needed); the other two share one call.
    expect(asked).to.deep.equal([{ route: ROUTE, amounts: [150n, 100n, 180n, 150n] }]);
    expect(shortfalls).to.deep.equal([0n, out(50n) - (out(150n) - out(100n)), out(30n) - (out(180n) - out(150n))]);
    expect(ledger.hasSold(selling("d", 1n))).to.equal(true);
  });

  it("one call per route; a sale alone that is not known yet (a batch's summed sale) is quoted with the rest", async () => {
    const { quoter, asked } = countingQuoter();
    const ledger = new OwnSalesLedger(quoter);
    const sale = { venue: "uniswapV3", route: ROUTE };
    const [batch, other] = await Promise.all([
      ledger.shortfall(sale, 100n, 80n, 7),
      ledger.shortfall({ venue: "uniswapV3", route: OTHER_ROUTE }, 40n, 10n, 7),
    ]);
    expect(asked).to.deep.equal([
      { route: ROUTE, amounts: [180n, 100n, 80n] },
      { route: OTHER_ROUTE, amounts: [50n, 40n, 10n] },
    ]);
    expect(batch).to.equal(out(80n) - (out(180n) - out(100n)));
    expect(other).to.equal(out(10n) - (out(50n) - out(40n)));
  });

  it("a failed quote fails every shortfall that waited on it", async () => {
    const quoter = { quoteRoute: async () => Promise.reject(new Error("node down")) } as unknown as SwapQuoter;
    const ledger = new OwnSalesLedger(quoter);
    const results = await Promise.allSettled([
      ledger.shortfall({ venue: "uniswapV3", route: ROUTE }, 1n, 1n, 7),
      ledger.shortfall({ venue: "uniswapV3", route: ROUTE }, 2n, 1n, 7),
    ]);
    expect(results.map((r) => r.status)).to.deep.equal(["rejected", "rejected"]);
  });

  it("takes back the sale of a plan that did not leave, so the plans booked after it do not pay for it", async () => {
    const { quoter } = countingQuoter();
    const ledger = new OwnSalesLedger(quoter);
    const failed = selling("a", 100n);
    await bookAndPrice(ledger, failed, 7);
    expect(ledger.soldBefore(selling("b", 1n))).to.equal(100n);
    ledger.release(failed);
    expect(ledger.soldBefore(selling("b", 1n))).to.equal(0n);
    expect(ledger.hasSold(selling("b", 1n))).to.equal(false);
    // With the failed sale taken back, the next plan's floor has nothing before it to pay for.
    expect(await bookAndPrice(ledger, selling("b", 50n), 7)).to.equal(0n);
    // Releasing keeps what others booked: a sent plan's sale still counts, and a plan never booked takes nothing back.
    const sent = selling("c", 30n);
    await bookAndPrice(ledger, sent, 7);
    ledger.release(selling("d", 20n));
    expect(ledger.soldBefore(sent)).to.equal(80n);
  });

  it("stops pricing a sent sale once the chain's state holds its transaction (the key's nonce count at the quoted block)", async () => {
    const { quoter, asked } = countingQuoter();
    const ledger = new OwnSalesLedger(quoter);
    const [a, b, c] = [selling("a", 100n), selling("b", 50n), selling("c", 30n)];
    ledger.record(a);
    ledger.sent(a, 10);
    ledger.record(b);
    ledger.sent(b, 11);
    expect(ledger.awaitsLanding).to.equal(true);
    expect(ledger.soldBefore(c)).to.equal(150n);
    // Block 9's state holds nonce 10 (count 11): a's sale is in its pools, b's is not.
    ledger.landedBelow(11);
    expect(ledger.soldBefore(c)).to.equal(50n);
    expect(await bookAndPrice(ledger, c, 9)).to.equal(out(30n) - (out(80n) - out(50n)));
    expect(asked).to.deep.equal([{ route: ROUTE, amounts: [80n, 50n] }]);
    ledger.landedBelow(12);
    ledger.sent(c, 12);
    expect(ledger.soldBefore(selling("d", 1n))).to.equal(30n);
    ledger.landedBelow(13);
    expect(ledger.awaitsLanding).to.equal(false);
    expect(ledger.hasSold(selling("d", 1n))).to.equal(false);
  });
  it("prices on a block's own count: a sale mined after that block still counts though a newer count was read since", () => {
    const ledger = new OwnSalesLedger(countingQuoter().quoter);
    const [a, b, c] = [selling("a", 100n), selling("b", 50n), selling("c", 30n)];
    ledger.record(a);
    ledger.sent(a, 10);
    ledger.record(b);
    ledger.sent(b, 11);
    // A tick read the count at latest (12: both mined) while a chunk read 11 at the block it simulates on, whose pools
    // hold a's sale but not b's: b's sale must still be priced for that chunk.
    ledger.landedBelow(12);
    ledger.landedBelow(11);
    expect(ledger.soldBefore(c, 11)).to.equal(50n);
    expect(ledger.soldBefore(c)).to.equal(0n);
    expect(ledger.awaitsLanding).to.equal(false);
  });
  it("a new block forgets only the dry runs' sales: a booking in flight and a sale sent but not mined still count", () => {
    const ledger = new OwnSalesLedger(countingQuoter().quoter);
    const [inFlight, sent, dry] = [selling("a", 100n), selling("b", 50n), selling("c", 30n)];
    ledger.record(inFlight); // a chunk still simulating when the next block's tick arrives
    ledger.record(sent);
    ledger.sent(sent, 4);
    ledger.record(dry);
    ledger.dryRun(dry);
    expect(ledger.soldBefore(selling("d", 1n))).to.equal(180n);
    ledger.forgetDryRuns();
    expect(ledger.soldBefore(selling("d", 1n))).to.equal(150n);
    // The chunk's plan then leaves: its sale is tracked by nonce like the other until the chain holds both.
    ledger.sent(inFlight, 5);
    ledger.forgetDryRuns();
    expect(ledger.soldBefore(selling("d", 1n))).to.equal(150n);
    ledger.landedBelow(6);
    expect(ledger.hasSold(selling("d", 1n))).to.equal(false);
  });
});
