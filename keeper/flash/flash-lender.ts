/**
 * The flash-lender plug-in contract. A lender says where each token can be borrowed for one
 * transaction (the contract to call, whose balance is lendable, the fee), and what the strategy and
 * the encoder need to know about it: its executor callback family (IChimeraExecutor.FlashSource), how
 * it rounds its fee, and its rank among equally cheap lenders. The engine reads every lender's
 * balances in one Multicall3 batch (engine/flash-liquidity.ts). Lenders are listed in ONE table,
 * registry.ts (keeper/flash/README.md).
 */
import type { Address } from "../config/address-book";
import type { ExecutorFlashSource } from "../core/executor-enums";
import type { PluginContext } from "../core/plugin-context";
import type { FlashSourceKind, FlashSourceOption } from "../core/types";

/** One place a token can be borrowed. */
export interface LendingSource {
  readonly token: Address;
  /** The contract the executor borrows from (allowlisted on the executor). */
  readonly lender: Address;
  /** Whose balance of the token is the lendable amount (the lender itself, or Aave's aToken). */
  readonly holder: Address;
  readonly feeBps: number;
}

export interface FlashLender {
  /** Where each of `tokens` can be borrowed at `block`; may read (and cache) facts in one Multicall3 call. */
  sources(tokens: readonly Address[], block: number): Promise<LendingSource[]>;
}

export interface FlashLenderPlugin extends Pick<FlashSourceOption, "executorSource" | "feeRounding" | "preference"> {
  /** Plans' `flash.kind` and the journal's name for the lender. */
  readonly name: FlashSourceKind;
  readonly executorSource: Exclude<ExecutorFlashSource, "None">;
  /** The lender on this network, or null when the address book has none. */
  create(context: PluginContext): Promise<FlashLender | null>;
}

/** A lender that lends what it holds, at a fixed fee (Balancer's Vault, Morpho Blue). */
export function lenderOfOwnBalance(lender: Address, feeBps: number): FlashLender {
  return { sources: async (tokens) => tokens.map((token) => ({ token, lender, holder: lender, feeBps })) };
}
