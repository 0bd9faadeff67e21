/** Morpho Blue: `flashLoan(token, assets, data)` lends what Morpho holds, free. Callback: onMorphoFlashLoan. */
import { lenderOfOwnBalance, type FlashLenderPlugin } from "../flash-lender";

export const morphoBlueLender: FlashLenderPlugin = {
  name: "morphoBlue",
  executorSource: "MorphoBlue",
  feeRounding: "up",
  preference: 2,
  async create({ book }) {
    return book.flash.morphoBlue === undefined ? null : lenderOfOwnBalance(book.flash.morphoBlue, 0);
  },
};
