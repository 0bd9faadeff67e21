/**
 * The Aave V3 market plug-in: one market per address-book deployment (found from its
 * PoolAddressesProvider), config section `markets.aaveV3`.
 */
import { z } from "zod";
import { DEFAULT_BATCH_SIZE, marketSectionSchema, type MarketPlugin } from "../market-plugin";

/** The config key, the `protocol` of its positions and the prefix of its market ids. */
export const AAVE_V3 = "aaveV3";

const section = marketSectionSchema({
  /**
   * The rule set (v3.0.x or v3.3+) the operator expects, in place of the address book's. The market sizes by
   * the rules of the pool's own POOL_REVISION either way and logs a warning when they disagree.
   */
  liquidationRules: z.enum(["v3.0", "v3.3"], { errorMap: () => ({ message: 'expected "v3.0" or "v3.3"' }) }).optional(),
});

export const aaveV3Plugin: MarketPlugin<z.infer<typeof section>> = {
  name: AAVE_V3,
  config: {
    schema: section,
    // No liquidationRules by default on any network: the address book declares the pool's (the sandbox's
    // declares those of the Aave version it built, v3.6 by default, v3.0.2 by name), and the market sizes
    // by the pool's POOL_REVISION either way.
    defaults: (network) => ({ enabled: true, batchSize: DEFAULT_BATCH_SIZE[network] }),
  },
  async create(book, config, deps) {
    if (!book.aaveV3) throw new Error(`markets.${AAVE_V3} is enabled but the "${book.network}" address book has no aaveV3 entry`);
    // Loaded here, not at the top: the config (and so every task) reads this table before the first
    // compile has generated the TypeChain bindings the market code imports.
    const { AaveV3Market } = await import("./aave-v3-market");
    const rules = config.liquidationRules;
    return [new AaveV3Market(rules === undefined ? book.aaveV3 : { ...book.aaveV3, liquidationRules: rules }, deps)];
  },
};
