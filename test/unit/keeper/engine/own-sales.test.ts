/**
 * The own-sales ledger books each plan's sale when it is approved and prices it on top of the sales booked before it.
 * A chunk books its plans in rank order and awaits their quotes together (reaction-pipeline.ts): every quote is on
 * the wire before the first answers, instead of one round trip after another ahead of the chunk's simulation.
 * Double: a quoter whose answers the test releases, pricing a route linearly with a 1% impact per 100 units sold
 * (out(x) = x − x²/10,000), which is what the ledger's out(prior + mine) − out(prior) reads.
 */
import { expect } from "chai";
import type { LiquidationPlan } from "../../../../keeper/core/types";
import type { SwapQuoter } from "../../../../keeper/venues/venue-plugin";
import { OwnSalesLedger } from "../../../../keeper/engine/own-sales";
import { makePlan } from "../journal/journal-fixtures";

const ROUTE = "0x00000000000000000000000000000000000000aa";
const out = (amount: bigint) => amount - (amount * amount) / 10_000n;

function selling(id: string, amountIn: bigint): LiquidationPlan {
  return {
    ...makePlan({ id }),
    swap: { venue: "uniswapV3", route: ROUTE, amountIn, amountOut: out(amountIn) },
  } as unknown as LiquidationPlan;
}

describe("keeper: own sales in a block, booked in rank order and quoted together", () => {
  it("has every plan's quote in flight before any answers, each priced on top of the sales booked before it", async () => {
    const asked: bigint[][] = [];
    const answers: (() => void)[] = [];
    const quoter = {
      quoteRoute: (_venue: string, _route: string, amounts: readonly bigint[]) =>
        new Promise<bigint[]>((resolve) => {
          asked.push([...amounts]);
          answers.push(() => resolve(amounts.map(out)));
        }),
    } as unknown as SwapQuoter;
    const ledger = new OwnSalesLedger(quoter);

    const first = ledger.book(selling("a", 100n), 7);
    const second = ledger.book(selling("b", 50n), 7);
    const third = ledger.book(selling("c", 30n), 7);
    await Promise.resolve();
    // The first sale has nothing before it (no quote needed); the other two are both asked for already.
    expect(asked).to.deep.equal([
      [150n, 100n],
      [180n, 150n],
    ]);
    answers.forEach((answer) => answer());
    const shortfalls = await Promise.all([first, second, third]);
    // Each shortfall = lone quote − (out(prior + mine) − out(prior)).
    expect(shortfalls).to.deep.equal([0n, out(50n) - (out(150n) - out(100n)), out(30n) - (out(180n) - out(150n))]);
    expect(ledger.hasSold(selling("d", 1n))).to.equal(true);
  });

  it("takes back the sale of a plan that did not leave, so the plans booked after it do not pay for it", async () => {
    const quoter = {
      quoteRoute: async (_venue: string, _route: string, amounts: readonly bigint[]) => amounts.map(out),
    } as unknown as SwapQuoter;
    const ledger = new OwnSalesLedger(quoter);
    const failed = selling("a", 100n);
    await ledger.book(failed, 7);
    expect(ledger.soldBefore(selling("b", 1n))).to.equal(100n);
    ledger.release(failed);
    expect(ledger.soldBefore(selling("b", 1n))).to.equal(0n);
    expect(ledger.hasSold(selling("b", 1n))).to.equal(false);
    // With the failed sale taken back, the next plan's floor has nothing before it to pay for.
    expect(await ledger.book(selling("b", 50n), 7)).to.equal(0n);
    // Releasing keeps what others booked: a sent plan's sale still counts.
    const sent = selling("c", 30n);
    await ledger.book(sent, 7);
    ledger.release(selling("d", 20n));
    expect(ledger.soldBefore(sent)).to.equal(60n);
  });
});
