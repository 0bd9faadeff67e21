import { expect } from "chai";
import { getAddress } from "ethers";
import type { Address } from "../../../../keeper/config/address-book";
import { UniswapPoolDirectory } from "../../../../keeper/venues/uniswap-v3/pool-directory";

const WETH = "0x4200000000000000000000000000000000000006" as Address;
const USDC = "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913" as Address;
const CBBTC = "0xcbb7c0000ab88b473b1f5afd9ef808440eed33bf" as Address;
const CBETH = "0x2ae3f1ec7f1f5012cfeab0185bfc7aa3cf0dec22" as Address;
const pool = (n: number) => `0x${n.toString(16).padStart(40, "0")}` as Address;

describe("engine: Uniswap V3 routes between the book's tokens", () => {
  const directory = UniswapPoolDirectory.fromPools(
    [
      { pool: pool(1), tokenA: WETH, tokenB: USDC, fee: 500 },
      { pool: pool(2), tokenA: USDC, tokenB: WETH, fee: 3000 },
      { pool: pool(3), tokenA: CBBTC, tokenB: WETH, fee: 3000 },
    ],
    [WETH, USDC],
  );

  it("offers every direct pool first, then two hops through a hub where both legs exist", () => {
    const routes = directory.routes(CBBTC, USDC);
    expect(routes.map((r) => r.pools)).to.deep.equal([
      [pool(3), pool(1)],
      [pool(3), pool(2)],
    ]);
    expect(routes[0]!.tokens).to.deep.equal([CBBTC, WETH, USDC]);
    // token (20 bytes) + fee (3 bytes) + token + fee + token: the packed path SwapRouter02 and QuoterV2 read.
    expect(routes[0]!.path).to.equal(`0x${CBBTC.slice(2)}000bb8${WETH.slice(2)}0001f4${USDC.slice(2)}`.toLowerCase());
    expect(directory.routes(WETH, USDC).map((r) => r.pools)).to.deep.equal([[pool(1)], [pool(2)]]);
  });

  it("has no route for a token no pool trades (the sandbox's cbETH), whatever the case of its address", () => {
    expect(directory.routes(CBETH, USDC)).to.deep.equal([]);
    expect(directory.routes(getAddress(CBETH) as Address, USDC)).to.deep.equal([]);
  });

  it("lists the pools holding a token as its Uniswap flash sources", () => {
    expect(
      directory
        .holding(WETH)
        .map((p) => p.pool)
        .sort(),
    ).to.deep.equal([pool(1), pool(2), pool(3)]);
    expect(directory.holding(CBETH)).to.deep.equal([]);
  });
});
