/**
 * What flash-lender and swap-venue plug-ins are built from (keeper/flash/, keeper/venues/): the
 * network's address book, the keeper's own Multicall3 client, and a per-keeper memo for reads two
 * plug-ins share (Uniswap V3's pool list serves both its venue and its flash lender), so a shared
 * read is made once at start-up, not once per plug-in.
 */
import type { AddressBook } from "../config/address-book";
import type { Multicall3Client } from "../chain/multicall";

export interface PluginContext {
  readonly book: AddressBook;
  /** Small batches: quotes and lender balances sit on the reaction path. */
  readonly multicall: Multicall3Client;
  /** Runs `load` the first time `key` is asked for, and returns that same result to every later caller. */
  once<T>(key: string, load: () => Promise<T>): Promise<T>;
}

export function createPluginContext(book: AddressBook, multicall: Multicall3Client): PluginContext {
  const loaded = new Map<string, Promise<unknown>>();
  return {
    book,
    multicall,
    once<T>(key: string, load: () => Promise<T>): Promise<T> {
      let result = loaded.get(key);
      if (result === undefined) {
        result = load();
        loaded.set(key, result);
      }
      return result as Promise<T>;
    },
  };
}
