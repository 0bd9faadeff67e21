/**
 * Quotes read off routes sampled after each block (keeper/engine/quote-curves.ts): a reaction's quotes cost no round
 * trip, and each is a lower bound of what the pool paid when sampled (a concave output's chord lies below it). Double: a
 * live quoter with two routes of concave outputs (out(x) = p·x − x²/k), counting the requests it is asked.
 */
import { expect } from "chai";
import type { Address, SwapQuote } from "../../../../keeper/core/types";
import type { QuoteRequest, SwapQuoter } from "../../../../keeper/venues/venue-plugin";
import { curvePairsNear, interpolate, QuoteCurves } from "../../../../keeper/engine/quote-curves";

const CBBTC = "0x00000000000000000000000000000000000000b1" as Address;
const USDC = "0x00000000000000000000000000000000000000d1" as Address;
const WETH = "0x00000000000000000000000000000000000000d2" as Address;
const ROUTES = { direct: "0xaaaa", viaWeth: "0xbbbb" } as const;
const out = (route: keyof typeof ROUTES, x: bigint) => (route === "direct" ? 90n * x - (x * x) / 1_000n : 88n * x - (x * x) / 5_000n);

function liveQuoter() {
  const asked: QuoteRequest[][] = [];
  const quoter: SwapQuoter = {
    quote: async (requests) => {
      asked.push([...requests]);
      return requests.map((request) =>
        (Object.keys(ROUTES) as (keyof typeof ROUTES)[]).map((route): SwapQuote => ({
          venue: "uniswapV3",
          executorVenue: "UniswapV3",
          router: USDC,
          tokenIn: request.tokenIn,
          tokenOut: request.tokenOut,
          amountIn: request.amountIn,
          amountOut: out(route, request.amountIn),
          route: ROUTES[route],
          gasEstimate: 100_000n + request.amountIn,
        })),
      );
    },
    quoteRoute: async (_venue, _route, amounts) => amounts.map(() => 0n),
  };
  return { quoter, asked };
}

describe("engine: quotes read off routes sampled after each block", () => {
  it("answers a sampled pair from its samples, every route, at most what the pool paid (no round trip)", async () => {
    const { quoter, asked } = liveQuoter();
    const curves = new QuoteCurves(quoter, { points: 6 });
    await curves.sample([{ tokenIn: CBBTC, tokenOut: USDC, maxAmountIn: 3_200n }], 50);
    expect(asked.length).to.equal(1);
    expect(asked[0]!.map((r) => r.amountIn)).to.deep.equal([3_200n, 1_600n, 800n, 400n, 200n, 100n]);

    for (const amountIn of [1n, 70n, 100n, 1_000n, 2_345n, 3_200n]) {
      const [quotes] = await curves.quote([{ tokenIn: CBBTC, tokenOut: USDC, amountIn }], 51);
      expect(quotes!.map((q) => q.route)).to.deep.equal([ROUTES.direct, ROUTES.viaWeth]);
      for (const quote of quotes!) {
        const truth = out(quote.route === ROUTES.direct ? "direct" : "viaWeth", amountIn);
        expect(quote.amountIn).to.equal(amountIn);
        expect(quote.amountOut <= truth, `${quote.route} at ${amountIn}: ${quote.amountOut} > ${truth}`).to.equal(true);
        // Close: within 2% between points a factor 2 apart on these curves (rounding down included).
        expect(Number(truth - quote.amountOut) / Number(truth)).to.be.lessThan(0.02);
      }
    }
    expect(asked.length, "the reaction's quotes asked the node nothing").to.equal(1);
  });

  it("quotes live, in one call, what the samples cannot answer: too old, above the largest sample, never sampled", async () => {
    const { quoter, asked } = liveQuoter();
    const curves = new QuoteCurves(quoter, { points: 4, maxAgeBlocks: 2 });
    await curves.sample([{ tokenIn: CBBTC, tokenOut: USDC, maxAmountIn: 800n }], 50);
    const requests: QuoteRequest[] = [
      { tokenIn: CBBTC, tokenOut: USDC, amountIn: 500n }, // from samples
      { tokenIn: CBBTC, tokenOut: USDC, amountIn: 801n }, // above the largest sample
      { tokenIn: WETH, tokenOut: USDC, amountIn: 5n }, // never sampled
    ];
    const quotes = await curves.quote(requests, 52);
    expect(asked.slice(1).map((call) => call.map((r) => r.amountIn))).to.deep.equal([[801n, 5n]]);
    expect(quotes[1]![0]!.amountOut).to.equal(out("direct", 801n));
    // Three blocks later the samples are too old: all live.
    await curves.quote([requests[0]!], 53);
    expect(asked.at(-1)!.map((r) => r.amountIn)).to.deep.equal([500n]);
  });

  it("interpolates on the chord, from 0 below the first sample, and answers nothing above the last", () => {
    const points = [
      { amountIn: 100n, amountOut: 1_000n, gasEstimate: 1n },
      { amountIn: 200n, amountOut: 1_800n, gasEstimate: 2n },
    ];
    expect(interpolate(points, 50n)).to.deep.equal({ amountOut: 500n, gasEstimate: 1n });
    expect(interpolate(points, 150n)).to.deep.equal({ amountOut: 1_400n, gasEstimate: 2n });
    expect(interpolate(points, 200n)).to.deep.equal({ amountOut: 1_800n, gasEstimate: 2n });
    expect(interpolate(points, 201n)).to.equal(null);
  });

  it("samples the pairs of positions near liquidation, up to the largest collateral among them", () => {
    const position = (hf: number, amount: bigint) => ({
      key: { protocol: "aave-v3", market: "m", borrower: USDC },
      collaterals: [{ token: CBBTC, amount, valueUsd: 0, liquidationThresholdBps: 0, liquidationBonusBps: 0 }],
      debts: [{ token: USDC, amount: 1n, valueUsd: 0 }],
      healthFactor: BigInt(Math.round(hf * 1e6)) * 10n ** 12n,
      updatedAtBlock: 1,
    });
    expect(curvePairsNear([position(1.02, 5n), position(1.05, 9n), position(1.5, 100n)] as never)).to.deep.equal([
      { tokenIn: CBBTC, tokenOut: USDC, maxAmountIn: 9n },
    ]);
  });
  it("lists the pairs only when a sampling is due (every resampleBlocks), and refuses settings it cannot use, naming them", async () => {
    const { quoter, asked } = liveQuoter();
    const curves = new QuoteCurves(quoter, { resampleBlocks: 5 });
    let listed = 0;
    const pairsOf = () => {
      listed += 1;
      return [{ tokenIn: CBBTC, tokenOut: USDC, maxAmountIn: 3_200n }];
    };
    curves.sampleWhenDue(pairsOf, 50);
    await new Promise((resolve) => setImmediate(resolve));
    for (const block of [51, 52, 53, 54]) curves.sampleWhenDue(pairsOf, block);
    expect(listed).to.equal(1);
    curves.sampleWhenDue(pairsOf, 55);
    expect(listed).to.equal(2);
    expect(asked.length).to.equal(2);

    expect(() => new QuoteCurves(quoter, { resampleBlocks: 0 })).to.throw(/resampleBlocks must be a positive integer, got 0/);
    expect(() => new QuoteCurves(quoter, { points: 0 })).to.throw(/points must be a positive integer, got 0/);
    expect(() => new QuoteCurves(quoter, { maxAgeBlocks: -1 })).to.throw(/maxAgeBlocks must be a non-negative integer, got -1/);
  });
});
