/**
 * What each flash lender can lend right now, as the strategy's FlashSourceOption list. The lenders are
 * the plug-ins of keeper/flash/ the address book supports; each says where a token can be borrowed and
 * whose balance is lendable, and every balance is then read in ONE Multicall3 batch per block, cached
 * for that block (a lender's own start-up facts, such as Aave's premium, are read once by the lender).
 */
import { IERC20__factory } from "../../typechain-types";
import type { Address } from "../config/address-book";
import type { PluginContext } from "../core/plugin-context";
import type { FlashSourceOption } from "../core/types";
import { decodeUintWord, encodeAddressArgCall, type Multicall3Client } from "../chain/multicall";
import type { FlashLender, FlashLenderPlugin, LendingSource } from "../flash/flash-lender";
import { FLASH_LENDERS } from "../flash/registry";

const BALANCE_OF = IERC20__factory.createInterface().getFunction("balanceOf").selector;

interface ActiveLender {
  readonly plugin: FlashLenderPlugin;
  readonly lender: FlashLender;
}

export class FlashLiquidity {
  private cacheBlock = -1;
  private readonly cache = new Map<string, FlashSourceOption[]>();

  constructor(
    private readonly lenders: readonly ActiveLender[],
    private readonly multicall: Multicall3Client,
  ) {}

  /** Every lender in `plugins` the context's address book has. */
  static async create(context: PluginContext, plugins: readonly FlashLenderPlugin[] = FLASH_LENDERS): Promise<FlashLiquidity> {
    const lenders: ActiveLender[] = [];
    for (const plugin of plugins) {
      const lender = await plugin.create(context);
      if (lender !== null) lenders.push({ plugin, lender });
    }
    return new FlashLiquidity(lenders, context.multicall);
  }

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
    const perLender = await Promise.all(this.lenders.map((active) => active.lender.sources(tokens, block)));
    const jobs: { plugin: FlashLenderPlugin; source: LendingSource }[] = this.lenders.flatMap((active, index) =>
      perLender[index].map((source) => ({ plugin: active.plugin, source })),
    );
    const results = await this.multicall.aggregate3(
      jobs.map(({ source }) => ({ target: source.token, callData: encodeAddressArgCall(BALANCE_OF, source.holder) })),
      block,
    );
    for (const token of tokens) this.cache.set(token, []);
    results.forEach((result, index) => {
      if (!result.success || result.returnData.length < 66) return;
      const { plugin, source } = jobs[index];
      this.cache.get(source.token.toLowerCase())?.push({
        kind: plugin.name,
        executorSource: plugin.executorSource,
        feeRounding: plugin.feeRounding,
        preference: plugin.preference,
        address: source.lender,
        token: source.token,
        feeBps: source.feeBps,
        availableLiquidity: decodeUintWord(result.returnData),
      });
    });
  }
}
