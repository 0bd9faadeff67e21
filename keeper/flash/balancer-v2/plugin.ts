/**
 * Balancer V2's Vault: lends every token it holds, at the Vault's flash-loan fee, which is zero on
 * Base and Ethereum (ProtocolFeesCollector.getFlashLoanFeePercentage; a non-zero fee would make the
 * plan's repayment fall short and revert, never lose funds). Callback: receiveFlashLoan.
 */
import { lenderOfOwnBalance, type FlashLenderPlugin } from "../flash-lender";

export const balancerV2Lender: FlashLenderPlugin = {
  name: "balancer",
  executorSource: "BalancerV2",
  feeRounding: "up",
  // Free, and the simplest callback: first among free lenders.
  preference: 1,
  async create({ book }) {
    return book.flash.balancerVault === undefined ? null : lenderOfOwnBalance(book.flash.balancerVault, 0);
  },
};
