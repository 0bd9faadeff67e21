/**
 * A fifth flash lender, written the way keeper/flash/README.md says: a Balancer V2 fork's Vault (same
 * receiveFlashLoan callback, so the executor's BalancerV2 source) that lends what it holds for free and
 * is preferred over Balancer among free lenders. The test funds the vault address on the sandbox.
 */
import type { Address } from "../../../../../keeper/config/address-book";
import { lenderOfOwnBalance, type FlashLenderPlugin } from "../../../../../keeper/flash/flash-lender";

export function exampleVaultLender(vault: Address): FlashLenderPlugin {
  return {
    name: "exampleVault",
    executorSource: "BalancerV2",
    feeRounding: "up",
    preference: 0,
    create: async () => lenderOfOwnBalance(vault, 0),
  };
}
