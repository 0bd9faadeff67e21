import { expect } from "chai";
import type { SwapQuote } from "../../../../keeper/core/types";
import { chooseSwapRoute, type RouteRequest } from "../../../../keeper/strategy/route";
import { E18, E6, UNI_POOL_OTHER, UNI_POOL_WETH_USDC, USDC, WETH } from "./fixtures";

const AMOUNT_IN = 1n * E18;

function quote(
  venue: SwapQuote["venue"],
  amountOut: bigint,
  gasEstimate: bigint,
  pools: SwapQuote["pools"] = undefined,
  amountIn = AMOUNT_IN,
): SwapQuote {
  // The route choice never looks at the executor's venue member or router: any will do here.
  const onChain = { executorVenue: "UniswapV3", router: "0x2626664c2603336E57B271c5C0b26F421741e481" } as const;
  return { venue, ...onChain, tokenIn: WETH, tokenOut: USDC, amountIn, amountOut, route: `${venue}-${amountOut}`, gasEstimate, pools };
}

/** Gas at 1 gwei and ETH at $2,000: 100,000 gas costs $0.20. */
function request(quotes: SwapQuote[], extra: Partial<RouteRequest> = {}): RouteRequest {
  return {
    tokenIn: WETH,
    tokenOut: USDC,
    amountIn: AMOUNT_IN,
    quotes,
    tokenOutUsd: 1,
    tokenOutDecimals: 6,
    gasPriceWei: 10n ** 9n,
    nativeUsd: 2_000,
    ...extra,
  };
}

describe("route choice", function () {
  it("picks the largest output when gas is similar", function () {
    const decision = chooseSwapRoute(request([quote("uniswapV3", 1_990n * E6, 100_000n), quote("aerodrome", 1_995n * E6, 110_000n)]));
    expect(decision.ok && decision.swap?.venue).to.equal("aerodrome");
  });

  it("net of its own gas: $0.10 more output does not pay for $0.40 more gas", function () {
    const decision = chooseSwapRoute(request([quote("uniswapV3", 1_990_000_000n, 100_000n), quote("aerodrome", 1_990_100_000n, 300_000n)]));
    expect(decision.ok && decision.swap?.venue).to.equal("uniswapV3");
    // $1,990 - $0.20 of gas.
    expect(decision.ok && decision.netValueUsd).to.be.closeTo(1_989.8, 1e-9);
  });

  it("skips a route through the pool that lends the flash loan", function () {
    const decision = chooseSwapRoute(
      request(
        [quote("uniswapV3", 2_000n * E6, 100_000n, [UNI_POOL_WETH_USDC]), quote("uniswapV3", 1_980n * E6, 100_000n, [UNI_POOL_OTHER])],
        {
          avoidPools: [UNI_POOL_WETH_USDC],
        },
      ),
    );
    expect(decision.ok && decision.swap?.pools).to.deep.equal([UNI_POOL_OTHER]);
  });

  it("ignores quotes for another amount or pair, and zero outputs", function () {
    const decision = chooseSwapRoute(
      request([quote("uniswapV3", 2_000n * E6, 100_000n, undefined, 2n * E18), quote("aerodrome", 0n, 100_000n)]),
    );
    expect(decision).to.include({ ok: false, reason: "no-route" });
  });

  it("returns no-route when there are no quotes", function () {
    expect(chooseSwapRoute(request([]))).to.include({ ok: false, reason: "no-route" });
  });

  it("needs no swap when the collateral is the debt token (venue none)", function () {
    const decision = chooseSwapRoute(request([], { tokenIn: USDC, amountIn: 1_050n * E6 }));
    expect(decision).to.deep.equal({ ok: true, swap: null, netValueUsd: 1_050 });
  });
});
