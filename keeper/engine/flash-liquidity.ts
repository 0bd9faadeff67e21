/**
 * What each flash source can lend right now, as the strategy's FlashSourceOption list. Balances are
 * read in one Multicall3 batch per block and cached for that block: a lender's balance of the token is
 * what it can lend (Balancer and Morpho lend their own holdings; Aave lends the aToken's cash; a
 * Uniswap V3 pool lends its reserves). Fees: Balancer and Morpho 0, Aave its FLASHLOAN_PREMIUM_TOTAL
 * (read once), a Uniswap pool its swap fee.
 */
import { Interface } from "ethers";
import { Pool__factory } from "../../typechain-types";
import type { Address, AddressBook } from "../config/address-book";
import type { FlashSourceOption } from "../core/types";
import { decodeAddressWord, decodeUintWord, encodeAddressArgCall, type Multicall3Client } from "../chain/multicall";
import type { UniswapPoolDirectory } from "./uniswap-routes";

const erc20 = new Interface(["function balanceOf(address) view returns (uint256)"]);
const BALANCE_OF = erc20.getFunction("balanceOf")!.selector;
const poolInterface = Pool__factory.createInterface();

interface Lender {
  readonly kind: FlashSourceOption["kind"];
  readonly address: Address;
  /** Whose balance of the token is the lendable amount (the lender itself, or Aave's aToken). */
  readonly holder: Address;
  readonly feeBps: number;
}

export class FlashLiquidity {
  private cacheBlock = -1;
  private readonly cache = new Map<string, FlashSourceOption[]>();
  private aavePremiumBps: number | undefined;
  private readonly aTokens = new Map<string, Address | null>();

  constructor(
    private readonly book: AddressBook,
    private readonly pools: UniswapPoolDirectory,
    private readonly multicall: Multicall3Client,
  ) {}

  /**
   * Options for every token at `block`. Balances read at the previous block are still used: lenders'
   * balances barely move from one block to the next, the reaction path then makes no read at all
   * (the engine refreshes them after reacting, `refresh`), and the simulation proves the loan anyway.
   */
  async optionsFor(tokens: readonly Address[], block: number): Promise<Map<string, FlashSourceOption[]>> {
    if (block > this.cacheBlock + 1 || block < this.cacheBlock) {
      this.cache.clear();
      this.cacheBlock = block;
    }
    const missing = [...new Set(tokens.map((t) => t.toLowerCase() as Address))].filter((t) => !this.cache.has(t));
    if (missing.length > 0) await this.load(missing, block);
    return new Map(tokens.map((t) => [t.toLowerCase(), this.cache.get(t.toLowerCase()) ?? []]));
  }

  /** Re-reads the balances of every token seen so far (and `tokens`) at `block`, off the reaction path. */
  async refresh(block: number, tokens: readonly Address[] = []): Promise<void> {
    const known = [...new Set([...this.cache.keys(), ...tokens.map((t) => t.toLowerCase())])] as Address[];
    this.cache.clear();
    this.cacheBlock = block;
    if (known.length > 0) await this.load(known, block);
  }

  private async load(tokens: readonly Address[], block: number): Promise<void> {
    await this.loadAaveFacts(tokens, block);
    const jobs: { token: Address; lender: Lender }[] = [];
    for (const token of tokens) for (const lender of this.lendersOf(token)) jobs.push({ token, lender });
    const results = await this.multicall.aggregate3(
      jobs.map((job) => ({ target: job.token, callData: encodeAddressArgCall(BALANCE_OF, job.lender.holder) })),
      block,
    );
    for (const token of tokens) this.cache.set(token, []);
    results.forEach((result, index) => {
      if (!result.success || result.returnData.length < 66) return;
      const { token, lender } = jobs[index];
      this.cache.get(token)!.push({
        kind: lender.kind,
        address: lender.address,
        token,
        feeBps: lender.feeBps,
        availableLiquidity: decodeUintWord(result.returnData),
      });
    });
  }

  private lendersOf(token: Address): Lender[] {
    const { flash } = this.book;
    const lenders: Lender[] = [];
    if (flash.balancerVault) lenders.push({ kind: "balancer", address: flash.balancerVault, holder: flash.balancerVault, feeBps: 0 });
    if (flash.morphoBlue) lenders.push({ kind: "morphoBlue", address: flash.morphoBlue, holder: flash.morphoBlue, feeBps: 0 });
    const aToken = this.aTokens.get(token);
    if (flash.aaveV3Pool && aToken && this.aavePremiumBps !== undefined) {
      lenders.push({ kind: "aaveV3", address: flash.aaveV3Pool, holder: aToken, feeBps: this.aavePremiumBps });
    }
    for (const pool of this.pools.holding(token)) {
      // Uniswap fees are in hundredths of a bp; a 0.01% pool charges 1 bp.
      lenders.push({ kind: "uniswapV3", address: pool.pool, holder: pool.pool, feeBps: Math.ceil(pool.fee / 100) });
    }
    return lenders;
  }

  /** Aave's premium once, and each token's aToken once (a token Aave does not list has none). */
  private async loadAaveFacts(tokens: readonly Address[], block: number): Promise<void> {
    const pool = this.book.flash.aaveV3Pool;
    if (pool === undefined) return;
    const unknown = tokens.filter((token) => !this.aTokens.has(token));
    const calls = [
      ...(this.aavePremiumBps === undefined
        ? [{ target: pool, callData: poolInterface.encodeFunctionData("FLASHLOAN_PREMIUM_TOTAL") }]
        : []),
      ...unknown.map((token) => ({ target: pool, callData: poolInterface.encodeFunctionData("getReserveData", [token]) })),
    ];
    if (calls.length === 0) return;
    const results = await this.multicall.aggregate3(calls, block);
    let offset = 0;
    if (this.aavePremiumBps === undefined) {
      const premium = results[0];
      this.aavePremiumBps = premium.success ? Number(decodeUintWord(premium.returnData)) : undefined;
      offset = 1;
    }
    unknown.forEach((token, index) => {
      const result = results[offset + index];
      // ReserveData: configuration, liquidityIndex, currentLiquidityRate, variableBorrowIndex,
      // currentVariableBorrowRate, currentStableBorrowRate, lastUpdateTimestamp, id, aTokenAddress (word 8).
      const aToken = result.success && result.returnData.length >= 2 + 64 * 9 ? decodeAddressWord(result.returnData, 8) : null;
      this.aTokens.set(token, aToken === null || /^0x0{40}$/i.test(aToken) ? null : (aToken.toLowerCase() as Address));
    });
  }
}
