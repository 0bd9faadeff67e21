/**
 * Reading Multicall3 sub-call results the way every market does: a value the market cannot do without
 * fails with the call's name, an optional one is simply absent.
 */
import type { MulticallResult } from "../chain/multicall";

/** The sub-call returned at least one word. */
export function returnedWord(result: MulticallResult | undefined): result is MulticallResult {
  return result !== undefined && result.success && result.returnData.length >= 66;
}

/** The sub-call's return data; throws naming `what` when it reverted or returned nothing. */
export function returnDataOf(result: MulticallResult | undefined, what: string): string {
  if (!returnedWord(result)) throw new Error(`${what} reverted or returned nothing`);
  return result.returnData;
}
