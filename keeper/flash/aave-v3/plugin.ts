/**
 * Aave V3's pool: lends a reserve's cash (the underlying its aToken holds) for FLASHLOAN_PREMIUM_TOTAL,
 * rounded by PercentageMath.percentMul (half up). The premium is read once; each token's aToken once
 * (a token Aave does not list has none and is not offered). Callback: executeOperation.
 */
import { Pool__factory } from "../../../typechain-types";
import type { Address } from "../../config/address-book";
import { decodeAddressWord, decodeUintWord, type Multicall3Client } from "../../chain/multicall";
import type { FlashLender, FlashLenderPlugin, LendingSource } from "../flash-lender";

const poolInterface = Pool__factory.createInterface();
const NO_ATOKEN = /^0x0{40}$/i;

class AaveV3FlashLender implements FlashLender {
  private premiumBps: number | undefined;
  private readonly aTokens = new Map<string, Address | null>();

  constructor(
    private readonly pool: Address,
    private readonly multicall: Multicall3Client,
  ) {}

  async sources(tokens: readonly Address[], block: number): Promise<LendingSource[]> {
    await this.loadFacts(tokens, block);
    if (this.premiumBps === undefined) return [];
    const sources: LendingSource[] = [];
    for (const token of tokens) {
      const aToken = this.aTokens.get(token);
      if (aToken) sources.push({ token, lender: this.pool, holder: aToken, feeBps: this.premiumBps });
    }
    return sources;
  }

  /** The premium once, and each new token's aToken: one Multicall3 call, none when nothing is new. */
  private async loadFacts(tokens: readonly Address[], block: number): Promise<void> {
    const unknown = tokens.filter((token) => !this.aTokens.has(token));
    const readPremium = this.premiumBps === undefined;
    const calls = [
      ...(readPremium ? [{ target: this.pool, callData: poolInterface.encodeFunctionData("FLASHLOAN_PREMIUM_TOTAL") }] : []),
      ...unknown.map((token) => ({ target: this.pool, callData: poolInterface.encodeFunctionData("getReserveData", [token]) })),
    ];
    if (calls.length === 0) return;
    const results = await this.multicall.aggregate3(calls, block);
    if (readPremium) {
      const premium = results[0];
      this.premiumBps = premium.success ? Number(decodeUintWord(premium.returnData)) : undefined;
    }
    const offset = readPremium ? 1 : 0;
    unknown.forEach((token, index) => {
      const result = results[offset + index];
      // ReserveData: configuration, liquidityIndex, currentLiquidityRate, variableBorrowIndex,
      // currentVariableBorrowRate, currentStableBorrowRate, lastUpdateTimestamp, id, aTokenAddress (word 8).
      const aToken = result.success && result.returnData.length >= 2 + 64 * 9 ? decodeAddressWord(result.returnData, 8) : null;
      this.aTokens.set(token, aToken === null || NO_ATOKEN.test(aToken) ? null : (aToken.toLowerCase() as Address));
    });
  }
}

export const aaveV3Lender: FlashLenderPlugin = {
  name: "aaveV3",
  executorSource: "AaveV3",
  feeRounding: "half-up",
  preference: 3,
  async create({ book, multicall }) {
    return book.flash.aaveV3Pool === undefined ? null : new AaveV3FlashLender(book.flash.aaveV3Pool, multicall);
  },
};
