/**
 * What a node's answer to eth_sendRawTransaction means. Sending one signed transaction to several
 * endpoints of the same chain makes "errors" routine: the second endpoint to hear of it says
 * "already known" (it has it: that is a success), and once it is mined any endpoint says "nonce too
 * low" (a success if it was OUR transaction that used the nonce, a failure if another one did —
 * only a receipt lookup can tell). Wording differs between geth, reth, erigon, Hardhat and the OP
 * Stack sequencer, hence patterns rather than codes (all of them use -32000).
 */
import type { JsonRpcErrorObject } from "../rpc/rpc-errors";

export type SendOutcome =
  | "accepted" // returned our hash
  | "already-known" // has it already: as good as accepted
  | "nonce-too-low" // the nonce is used: by us (fine) or by another tx (not fine)
  | "replacement-underpriced" // a tx with this nonce is pending and our fees do not beat it by enough
  | "fee-too-low" // below the base fee or the node's minimum
  | "insufficient-funds"
  | "nonce-too-high" // a gap: the node has not seen an earlier nonce
  | "rejected" // any other JSON-RPC error
  | "unreachable"; // no valid answer at all (timeout, HTTP error, garbage)

const PATTERNS: ReadonlyArray<readonly [SendOutcome, RegExp]> = [
  ["already-known", /already known|known transaction|already imported|alreadyknown|already exists|already in (the )?(mempool|pool)/i],
  ["nonce-too-low", /nonce too low|nonce.*(already|has been) used|oldnonce|nonce is too low/i],
  ["replacement-underpriced", /replacement transaction underpriced|replacement.*underpriced|replacementnotallowed/i],
  ["insufficient-funds", /insufficient funds/i],
  ["nonce-too-high", /nonce too high|nonce gap/i],
  ["fee-too-low", /underpriced|fee cap less than|max fee per gas less than|feetoolow|below.*(base fee|minimum)/i],
];

/**
 * Classifies a JSON-RPC error answer to eth_sendRawTransaction of the transaction `txHash`.
 * Hardhat's automining node mines a reverting transaction and then reports the revert as an error
 * carrying the mined transaction's hash in `data.txHash`; a node that names our hash has taken the
 * transaction, so that counts as accepted (the receipt then says "reverted").
 */
export function classifySendError(error: JsonRpcErrorObject, txHash?: string): SendOutcome {
  const minedHash = (error.data as { txHash?: unknown } | null | undefined)?.txHash;
  if (txHash !== undefined && typeof minedHash === "string" && minedHash.toLowerCase() === txHash.toLowerCase()) return "accepted";
  return classifySendMessage(error.message);
}

/** The outcome an error's text names (the patterns above); "rejected" when none matches. */
export function classifySendMessage(message: string): SendOutcome {
  for (const [outcome, pattern] of PATTERNS) if (pattern.test(message)) return outcome;
  return "rejected";
}

/** Outcomes after which the transaction is with the node. */
export function isAccepted(outcome: SendOutcome): boolean {
  return outcome === "accepted" || outcome === "already-known";
}
