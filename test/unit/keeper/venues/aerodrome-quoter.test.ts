/**
 * Aerodrome quoting on the sandbox. The sandbox has no Aerodrome (Aerodrome ships no bytecode on npm), so the venue
 * is contracts/test/AerodromeRouterDouble.sol — a TEST DOUBLE of Aerodrome's v2 Router with the same
 * getAmountsOut / swapExactTokensForTokens ABI and Route layout, backed by its own constant-product reserves. What
 * is checked here is the keeper's side: the candidates it asks for, how it reads the answers, that the quote is what
 * the router then delivers, that venues are compared by the strategy, and the round-trip count.
 */
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { expect } from "chai";
import hre from "hardhat";
import { AerodromeRouterDouble__factory, type AerodromeRouterDouble } from "../../../../typechain-types";
import type { Address } from "../../../../keeper/config/address-book";
import type { SwapQuote } from "../../../../keeper/core/types";
import { Multicall3Client } from "../../../../keeper/chain/multicall";
import {
  AERODROME_EXTRA_HOP_GAS,
  AERODROME_FIRST_HOP_GAS,
  AerodromeQuoter,
  decodeAerodromeRoute,
} from "../../../../keeper/venues/aerodrome/quoter";
import { CompositeQuoter } from "../../../../keeper/engine/swap-quoter";
import { UniswapPoolDirectory } from "../../../../keeper/venues/uniswap-v3/pool-directory";
import { UniswapV3Quoter } from "../../../../keeper/venues/uniswap-v3/quoter";
import { chooseSwapRoute } from "../../../../keeper/strategy/route";
import { ensureDeployerHolds, type Sandbox } from "../../../../sandbox";
import { sandboxFixture } from "../../../shared/sandbox-fixture";

/** The router double only resolves routes naming this factory, as Aerodrome only accepts approved factories. */
const POOL_FACTORY = "0x420DD381b31aEf6683db6B902084cB0FFECe40Da" as Address;
const OTHER_FACTORY = "0x000000000000000000000000000000000000dEaD" as Address;
const e18 = 10n ** 18n;
const e6 = 10n ** 6n;

interface AerodromeVenue {
  readonly sandbox: Sandbox;
  readonly router: AerodromeRouterDouble;
  readonly tokens: { readonly WETH: Address; readonly USDC: Address; readonly cbETH: Address; readonly cbBTC: Address };
}

/**
 * Pools on the double: cbETH/USDC volatile at $3,300 (cbETH has no Uniswap pool in the sandbox) and WETH/USDC
 * volatile at $3,100 — a better price for selling WETH than Uniswap's $3,000, a worse one for buying it.
 * No cbBTC pool and no stable pools at all.
 */
async function aerodromeVenue(): Promise<AerodromeVenue> {
  const sandbox = await loadFixture(sandboxFixture);
  const router = await new AerodromeRouterDouble__factory(sandbox.deployer).deploy(POOL_FACTORY);
  const routerAddress = await router.getAddress();
  const tokens = {
    WETH: sandbox.book.tokens.WETH!.address,
    USDC: sandbox.book.tokens.USDC!.address,
    cbETH: sandbox.book.tokens.cbETH!.address,
    cbBTC: sandbox.book.tokens.cbBTC!.address,
  };
  await ensureDeployerHolds(hre, sandbox, "WETH", 1_000n * e18 + 10n * e18);
  await ensureDeployerHolds(hre, sandbox, "cbETH", 100n * e18 + 10n * e18);
  await ensureDeployerHolds(hre, sandbox, "USDC", 330_000n * e6 + 3_100_000n * e6);
  for (const symbol of ["WETH", "cbETH", "USDC"] as const) {
    await (await sandbox.tokens[symbol].connect(sandbox.deployer).approve(routerAddress, hre.ethers.MaxUint256)).wait();
  }
  await (await router.addLiquidity(tokens.cbETH, tokens.USDC, false, 100n * e18, 330_000n * e6)).wait();
  await (await router.addLiquidity(tokens.WETH, tokens.USDC, false, 1_000n * e18, 3_100_000n * e6)).wait();
  return { sandbox, router, tokens };
}

function aerodromeQuoter(venue: AerodromeVenue, multicall: Multicall3Client, poolFactory: Address = POOL_FACTORY): AerodromeQuoter {
  return new AerodromeQuoter({ router: venue.router.target as Address, poolFactory }, multicall, {
    connectors: [venue.tokens.WETH, venue.tokens.USDC],
  });
}

/** Swaps through the double as the deployer and returns what `to` actually received. */
async function deliveredBySwap(venue: AerodromeVenue, quote: SwapQuote): Promise<bigint> {
  const { sandbox, router } = venue;
  const out = sandbox.tokens[symbolOf(venue, quote.tokenOut)];
  const before = await out.balanceOf(sandbox.deployer.address);
  const deadline = (await hre.ethers.provider.getBlock("latest"))!.timestamp + 600;
  await (
    await router.swapExactTokensForTokens(
      quote.amountIn,
      quote.amountOut,
      decodeAerodromeRoute(quote.route),
      sandbox.deployer.address,
      deadline,
    )
  ).wait();
  return (await out.balanceOf(sandbox.deployer.address)) - before;
}

function symbolOf(venue: AerodromeVenue, token: Address): "WETH" | "USDC" | "cbETH" | "cbBTC" {
  const entry = Object.entries(venue.tokens).find(([, address]) => address.toLowerCase() === token.toLowerCase());
  if (entry === undefined) throw new Error(`token ${token} is not one of the test's`);
  return entry[0] as "WETH" | "USDC" | "cbETH" | "cbBTC";
}

describe("engine: Aerodrome quotes (against AerodromeRouterDouble, a test double of Aerodrome's v2 Router)", function () {
  this.timeout(180_000);

  it("quotes a direct pool exactly what swapExactTokensForTokens then delivers", async () => {
    const venue = await aerodromeVenue();
    const aerodrome = aerodromeQuoter(venue, new Multicall3Client(hre.ethers.provider, venue.sandbox.book.multicall3));
    const [quotes] = await aerodrome.quote([{ tokenIn: venue.tokens.cbETH, tokenOut: venue.tokens.USDC, amountIn: 3n * e18 }]);
    // Of the ten candidates only the direct volatile pool exists (no stable pool, no cbETH/WETH leg).
    expect(quotes).to.have.length(1);
    const quote = quotes![0]!;
    expect(quote.venue).to.equal("aerodrome");
    // What the plan encoder copies: the executor's venue member and the router the sale goes through.
    expect([quote.executorVenue, quote.router]).to.deep.equal(["Aerodrome", venue.router.target]);
    expect(decodeAerodromeRoute(quote.route)).to.deep.equal([
      { from: venue.tokens.cbETH, to: venue.tokens.USDC, stable: false, factory: POOL_FACTORY },
    ]);
    expect(quote.gasEstimate).to.equal(AERODROME_FIRST_HOP_GAS);
    // Roughly 3 × $3,300 less the 0.3% fee and the curve: a sanity bound, the exact check is the swap below.
    expect(quote.amountOut > 9_500n * e6 && quote.amountOut < 9_900n * e6).to.equal(true);
    expect(await deliveredBySwap(venue, quote)).to.equal(quote.amountOut);
  });

  it("quotes two hops through a connector, and that quote too is what the router delivers", async () => {
    const venue = await aerodromeVenue();
    const aerodrome = aerodromeQuoter(venue, new Multicall3Client(hre.ethers.provider, venue.sandbox.book.multicall3));
    // cbETH → WETH: no direct pool; cbETH/USDC then USDC/WETH through the USDC connector.
    const [quotes] = await aerodrome.quote([{ tokenIn: venue.tokens.cbETH, tokenOut: venue.tokens.WETH, amountIn: 2n * e18 }]);
    expect(quotes).to.have.length(1);
    const quote = quotes![0]!;
    expect(decodeAerodromeRoute(quote.route).map((hop) => [hop.from, hop.to, hop.stable])).to.deep.equal([
      [venue.tokens.cbETH, venue.tokens.USDC, false],
      [venue.tokens.USDC, venue.tokens.WETH, false],
    ]);
    expect(quote.gasEstimate).to.equal(AERODROME_FIRST_HOP_GAS + AERODROME_EXTRA_HOP_GAS);
    const [again] = await aerodrome.quoteRoute("aerodrome", quote.route, [quote.amountIn]);
    expect(again).to.equal(quote.amountOut);
    expect(await deliveredBySwap(venue, quote)).to.equal(quote.amountOut);
  });

  it("gives no quote, not an error, where no pool exists or the factory is not the router's", async () => {
    const venue = await aerodromeVenue();
    const multicall = new Multicall3Client(hre.ethers.provider, venue.sandbox.book.multicall3);
    const aerodrome = aerodromeQuoter(venue, multicall);
    const quotes = await aerodrome.quote([
      { tokenIn: venue.tokens.cbBTC, tokenOut: venue.tokens.USDC, amountIn: 10n ** 8n },
      { tokenIn: venue.tokens.cbETH, tokenOut: venue.tokens.USDC, amountIn: e18 },
    ]);
    expect(quotes[0]).to.deep.equal([]);
    expect(quotes[1]!.length).to.be.greaterThan(0);
    const wrongFactory = aerodromeQuoter(venue, multicall, OTHER_FACTORY);
    expect(await wrongFactory.quote([{ tokenIn: venue.tokens.cbETH, tokenOut: venue.tokens.USDC, amountIn: e18 }])).to.deep.equal([[]]);
    // A route whose pool is missing re-quotes as 0 for every amount.
    const missing = quotes[1]![0]!.route.replace(venue.tokens.cbETH.slice(2).toLowerCase(), venue.tokens.cbBTC.slice(2).toLowerCase());
    expect(await aerodrome.quoteRoute("aerodrome", missing, [e18, 2n * e18])).to.deep.equal([0n, 0n]);
  });

  it("asks both venues in one eth_call for many requests, and the strategy picks the better net quote", async () => {
    const venue = await aerodromeVenue();
    const { sandbox, tokens } = venue;
    const multicall = new Multicall3Client(hre.ethers.provider, sandbox.book.multicall3);
    const directory = await UniswapPoolDirectory.load(sandbox.book, multicall);
    const uniswap = new UniswapV3Quoter(sandbox.book.uniswapV3!.quoterV2, sandbox.book.uniswapV3!.swapRouter02, directory, multicall);
    const aerodrome = aerodromeQuoter(venue, multicall);
    const composite = new CompositeQuoter([uniswap, aerodrome], multicall);

    const requests = [
      { tokenIn: tokens.WETH, tokenOut: tokens.USDC, amountIn: 5n * e18 }, // Aerodrome pays $3,100, Uniswap $3,000
      { tokenIn: tokens.USDC, tokenOut: tokens.WETH, amountIn: 15_000n * e6 }, // buying WETH: Uniswap is cheaper
      { tokenIn: tokens.cbETH, tokenOut: tokens.USDC, amountIn: e18 }, // Aerodrome only
      { tokenIn: tokens.cbBTC, tokenOut: tokens.USDC, amountIn: 10n ** 8n }, // Uniswap only
      { tokenIn: tokens.cbETH, tokenOut: tokens.WETH, amountIn: e18 },
      { tokenIn: tokens.WETH, tokenOut: tokens.cbETH, amountIn: e18 },
    ];
    const before = multicall.stats.rpcCalls;
    const quotes = await composite.quote(requests);
    expect(multicall.stats.rpcCalls - before).to.equal(1);

    const venuesOf = (list: readonly SwapQuote[]) => [...new Set(list.map((quote) => quote.venue))].sort();
    expect(venuesOf(quotes[0]!)).to.deep.equal(["aerodrome", "uniswapV3"]);
    expect(venuesOf(quotes[1]!)).to.deep.equal(["aerodrome", "uniswapV3"]);
    expect(venuesOf(quotes[2]!)).to.deep.equal(["aerodrome"]);
    expect(venuesOf(quotes[3]!)).to.deep.equal(["uniswapV3"]);
    const uniswapQuote = quotes[3]![0]!;
    expect([uniswapQuote.executorVenue, uniswapQuote.router]).to.deep.equal(["UniswapV3", sandbox.book.uniswapV3!.swapRouter02]);

    // The composite returns exactly what each venue returns alone, in venue order.
    const alone = [await uniswap.quote(requests), await aerodrome.quote(requests)];
    requests.forEach((_request, index) => expect(quotes[index]).to.deep.equal([...alone[0]![index]!, ...alone[1]![index]!]));

    const choose = (index: number, tokenOutUsd: number, tokenOutDecimals: number) =>
      chooseSwapRoute({
        ...requests[index]!,
        quotes: quotes[index]!,
        tokenOutUsd,
        tokenOutDecimals,
        gasPriceWei: 10n ** 9n,
        nativeUsd: 3_000,
      });
    const sellWeth = choose(0, 1, 6);
    const buyWeth = choose(1, 3_000, 18);
    expect(sellWeth.ok && sellWeth.swap?.venue).to.equal("aerodrome");
    expect(buyWeth.ok && buyWeth.swap?.venue).to.equal("uniswapV3");
    // The winner is the best of all offered quotes by output net of gas, not merely the first venue asked.
    const best = (index: number) => quotes[index]!.reduce((a, b) => (b.amountOut > a.amountOut ? b : a));
    expect(sellWeth.ok && sellWeth.swap).to.equal(best(0));
    expect(buyWeth.ok && buyWeth.swap).to.equal(best(1));

    // quoteRoute re-quotes through the venue the route belongs to.
    const aerodromeSell = quotes[0]!.find((quote) => quote.venue === "aerodrome")!;
    const uniswapSell = quotes[0]!.find((quote) => quote.venue === "uniswapV3")!;
    expect(await composite.quoteRoute("aerodrome", aerodromeSell.route, [aerodromeSell.amountIn])).to.deep.equal([aerodromeSell.amountOut]);
    expect(await composite.quoteRoute("uniswapV3", uniswapSell.route, [uniswapSell.amountIn])).to.deep.equal([uniswapSell.amountOut]);
  });
});
