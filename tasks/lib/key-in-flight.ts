/**
 * Whether a signing key may still have a transaction on its way to a block, from the two facts a Base node
 * and the keeper can both vouch for:
 * - the chain's `latest` transaction count: every nonce below it is mined and can land no more;
 * - the keeper's journal: an open intent (intent recorded, signed or sent) by the key is a transaction
 *   the keeper may have broadcast, possibly to a private endpoint this node never sees.
 * An open intent whose nonce the chain has already consumed (nonce below `latest`) cannot land any more,
 * whatever the journal says: the keeper reconciles it at its next start. Such intents are reported, not
 * waited for, so a journal left behind by a crashed keeper does not block a key rotation forever.
 *
 * The node's `pending` tag is never read: since Denim, Base has no equivalent of it (nodes answer `latest`
 * or refuse), so a mempool count could not be trusted anyway. The consequence, said in the task's output:
 * a transaction of this key that the keeper's journal does not know about (one sent by hand) is invisible
 * until it is mined. This is the same rule the keeper's nonce manager follows (keeper/submit/nonce-manager.ts).
 */
import { getAddress, type Provider } from "ethers";
import type { Journal } from "../../keeper/journal/journal";
import type { OpenIntent } from "../../keeper/journal/records";

export interface KeyIntent {
  readonly planId: string;
  readonly state: string;
  readonly nonce: number | null;
  /** Every transaction signed for the intent (original, replacements, cancels). */
  readonly txHashes: readonly string[];
}

export interface KeyInFlightStatus {
  readonly address: string;
  /** Transactions of the key in mined blocks (its next nonce as far as mined blocks go). */
  readonly latestNonce: number;
  /** Open journal intents by the key whose nonce the chain has not consumed: may still land. */
  readonly openIntents: readonly KeyIntent[];
  /** Open journal intents by the key whose nonce is already used on chain: settled, not yet reconciled. */
  readonly settledOnChain: readonly KeyIntent[];
  readonly inFlight: boolean;
}

function signedBy(intent: OpenIntent, address: string): boolean {
  const same = (candidate: string | null) => candidate !== null && getAddress(candidate) === address;
  return same(intent.execution.signer) || intent.attempts.some((attempt) => same(attempt.signer));
}

function keyIntent(intent: OpenIntent): KeyIntent {
  return {
    planId: intent.execution.planId,
    state: intent.execution.state,
    nonce: intent.execution.nonce,
    txHashes: intent.attempts.map((attempt) => attempt.txHash),
  };
}

/** Reads the key's nonces from `provider` and its open intents from `journal` (when there is one). */
export async function readKeyInFlight(provider: Provider, address: string, journal?: Journal): Promise<KeyInFlightStatus> {
  const key = getAddress(address);
  const latestNonce = await provider.getTransactionCount(key, "latest");
  const intents =
    journal === undefined
      ? []
      : journal
          .openIntents()
          .filter((intent) => signedBy(intent, key))
          .map(keyIntent);
  // An intent without a nonce cannot be placed against the chain's count, so it is treated as in flight.
  const openIntents = intents.filter((intent) => intent.nonce === null || intent.nonce >= latestNonce);
  const settledOnChain = intents.filter((intent) => intent.nonce !== null && intent.nonce < latestNonce);
  return {
    address: key,
    latestNonce,
    openIntents,
    settledOnChain,
    inFlight: openIntents.length > 0,
  };
}

function intentText(intent: KeyIntent): string {
  const hashes = intent.txHashes.length === 0 ? "not signed yet" : intent.txHashes.join(", ");
  return `plan ${intent.planId} (${intent.state}, nonce ${intent.nonce ?? "unknown"}; ${hashes})`;
}

/** One paragraph saying what is (or is not) in flight for the key. */
export function describeKeyInFlight(status: KeyInFlightStatus, journalNote: string): string {
  const lines: string[] = [];
  lines.push(
    `on chain: ${status.latestNonce} transaction(s) from ${status.address} mined (latest nonce); ` +
      `Base has no pending count, so a transaction of this key sent outside the keeper is not seen before it is mined`,
  );
  if (status.openIntents.length > 0) {
    lines.push(
      `journal: ${status.openIntents.length} open intent(s) that may still land: ${status.openIntents.map(intentText).join("; ")}`,
    );
  } else {
    lines.push(`journal: ${journalNote}`);
  }
  if (status.settledOnChain.length > 0) {
    lines.push(
      `journal: ${status.settledOnChain.length} open intent(s) whose nonce is already used on chain (cannot land; the keeper reconciles them at its next start): ` +
        status.settledOnChain.map(intentText).join("; "),
    );
  }
  return lines.map((line) => `   ${line}`).join("\n");
}

export interface SettleWaitOptions {
  /** Longest wait in seconds; 0 checks once. */
  readonly waitSeconds: number;
  readonly pollIntervalMs: number;
  /** Called once, the first time the key is found in flight, before waiting. */
  readonly onWaiting?: (status: KeyInFlightStatus) => void;
}

export interface SettleWaitResult {
  readonly settled: boolean;
  /** The last status read. */
  readonly status: KeyInFlightStatus;
}

/**
 * Re-reads the key's status until nothing is in flight or `waitSeconds` have passed. Each read is one
 * nonce query and a journal query, cheap enough to repeat every second against one endpoint.
 */
export async function waitUntilKeySettles(read: () => Promise<KeyInFlightStatus>, options: SettleWaitOptions): Promise<SettleWaitResult> {
  const deadline = Date.now() + options.waitSeconds * 1000;
  let announced = false;
  for (;;) {
    const status = await read();
    if (!status.inFlight) return { settled: true, status };
    if (!announced) {
      announced = true;
      options.onWaiting?.(status);
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) return { settled: false, status };
    await new Promise((resolve) => setTimeout(resolve, Math.min(options.pollIntervalMs, remaining)));
  }
}
