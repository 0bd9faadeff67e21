/** The example market's plug-in: its name, its config section `markets.exampleLend`, its factory. */
import { z } from "zod";
import type { Address } from "../../../../../keeper/config/address-book";
import { marketSectionSchema, type MarketPlugin } from "../../../../../keeper/markets/market-plugin";
import { EXAMPLE_LENDING, ExampleLendingMarket } from "./example-lending-market";

const section = marketSectionSchema({
  /** The protocol's pool: where its liquidationCall goes. */
  pool: z.string().regex(/^0x[0-9a-fA-F]{40}$/, "expected the pool's address (0x + 40 hex digits)"),
  deployBlock: z.number().int().min(0),
});

export const exampleLendingPlugin: MarketPlugin<z.infer<typeof section>> = {
  name: EXAMPLE_LENDING,
  config: {
    schema: section,
    defaults: () => ({ enabled: false, batchSize: 100, pool: "0x0000000000000000000000000000000000000000", deployBlock: 0 }),
  },
  async create(book, config, deps) {
    const usdc = book.tokens.USDC;
    if (usdc === undefined) throw new Error(`markets.${EXAMPLE_LENDING} needs USDC in the "${book.network}" address book`);
    const tokens = { weth: book.weth.toLowerCase() as Address, usdc: usdc.address.toLowerCase() as Address };
    return [new ExampleLendingMarket({ label: "Example", pool: config.pool as Address, deployBlock: config.deployBlock, ...tokens }, deps)];
  },
};
