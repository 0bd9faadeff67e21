/**
 * The Moonwell market plug-in: one market per comptroller in the address book (its mTokens are listed
 * at runtime), config section `markets.moonwell`. Moonwell is a Compound v2 design, so its liquidations
 * use the executor's CompoundV2 call (liquidation-sizing.ts says so, once).
 */
import type { z } from "zod";
import { DEFAULT_BATCH_SIZE, marketSectionSchema, type MarketPlugin } from "../market-plugin";

/** The config key, the `protocol` of its positions and the prefix of its market ids. */
export const MOONWELL = "moonwell";

const section = marketSectionSchema({});

export const moonwellPlugin: MarketPlugin<z.infer<typeof section>> = {
  name: MOONWELL,
  config: {
    schema: section,
    // Moonwell runs on Base (and Base Sepolia), not on Ethereum mainnet. The sandbox's Moonwell (test doubles) exists
    // only when a scenario adds it, which then switches this on (keeper/scenarios/scenario-markets.ts).
    defaults: (network) => ({ enabled: network === "base" || network === "baseSepolia", batchSize: DEFAULT_BATCH_SIZE[network] }),
  },
  async create(book, _config, deps) {
    if (!book.moonwell) throw new Error(`markets.${MOONWELL} is enabled but the "${book.network}" address book has no moonwell entry`);
    // Loaded here, not at the top: the config (and so every task) reads this table before the first
    // compile has generated the TypeChain bindings the market code imports.
    const { MoonwellMarket } = await import("./moonwell-market");
    return [new MoonwellMarket(book.moonwell, deps)];
  },
};
