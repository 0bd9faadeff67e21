/**
 * Uniswap V3 pools: `flash` lends a pool's reserves for its swap fee, rounded up (mulDivRoundingUp).
 * Every pool of the address book's tokens qualifies; the strategy never sells through the pool it
 * borrows from (locked for the whole callback). Callback: uniswapV3FlashCallback. The pool list is the
 * Uniswap V3 venue's (keeper/venues/uniswap-v3/), read once per keeper.
 */
import { uniswapPools } from "../../venues/uniswap-v3/plugin";
import type { FlashLenderPlugin } from "../flash-lender";

export const uniswapV3Lender: FlashLenderPlugin = {
  name: "uniswapV3",
  executorSource: "UniswapV3",
  feeRounding: "up",
  // The costliest callback (a pool lock, the avoided route): last among equal fees.
  preference: 4,
  async create(context) {
    const pools = await uniswapPools(context);
    return {
      // Uniswap fees are in hundredths of a bp; a 0.01% pool charges 1 bp.
      sources: async (tokens) =>
        tokens.flatMap((token) =>
          pools.holding(token).map((pool) => ({ token, lender: pool.pool, holder: pool.pool, feeBps: Math.ceil(pool.fee / 100) })),
        ),
    };
  },
};
