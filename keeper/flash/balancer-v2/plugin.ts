/**
 * Balancer V2's Vault: lends every token it holds. Its fee (ProtocolFeesCollector.getFlashLoanFeePercentage)
 * is taken as 0 when choosing a lender. The Vault states the real fee in receiveFlashLoan and the
 * executor repays it from the proceeds, so a non-zero fee shows up in the simulated profit (and its
 * minProfit), never as an unpaid loan.
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
