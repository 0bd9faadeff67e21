/**
 * The Morpho Blue market plug-in: one market per MarketParams the address book lists (each is an
 * isolated loan), config section `markets.morphoBlue`, optionally narrowed to some market ids.
 */
import { z } from "zod";
import { DEFAULT_BATCH_SIZE, marketSectionSchema, type MarketPlugin } from "../market-plugin";

/** The config key, the `protocol` of its positions and the prefix of its market ids. */
export const MORPHO_BLUE = "morphoBlue";

const section = marketSectionSchema({
  /** Restrict to these market ids (bytes32); absent = every market the address book lists. */
  marketIds: z.array(z.string().regex(/^0x[0-9a-fA-F]{64}$/, "expected a market id (0x + 64 hex digits)")).optional(),
});

export const morphoBluePlugin: MarketPlugin<z.infer<typeof section>> = {
  name: MORPHO_BLUE,
  config: {
    schema: section,
    defaults: (network) => ({ enabled: true, batchSize: DEFAULT_BATCH_SIZE[network] }),
  },
  async create(book, config, deps) {
    const morpho = book.morphoBlue;
    if (!morpho) throw new Error(`markets.${MORPHO_BLUE} is enabled but the "${book.network}" address book has no morphoBlue entry`);
    // Loaded here, not at the top: the config (and so every task) reads this table before the first
    // compile has generated the TypeChain bindings the market code imports.
    const { MorphoBlueMarket, morphoMarketIdOf } = await import("./morpho-blue-market");
    const listed = new Map(morpho.markets.map((params) => [morphoMarketIdOf(params).toLowerCase(), params]));
    const wanted = config.marketIds?.map((id) => id.toLowerCase()) ?? [...listed.keys()];
    const unknown = wanted.filter((id) => !listed.has(id));
    if (unknown.length > 0) {
      throw new Error(
        `markets.${MORPHO_BLUE}.marketIds names ${unknown.join(", ")}, which the "${book.network}" address book does not list ` +
          `(known: ${[...listed.keys()].join(", ") || "none"})`,
      );
    }
    return [...new Set(wanted)].map((id) => new MorphoBlueMarket(morpho.morpho, listed.get(id)!, deps, morpho.deployBlock));
  },
};
