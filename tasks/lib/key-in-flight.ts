/**
 * Whether a signing key may still have a transaction on its way to a block, judged from both sides:
 * - the chain: the key's `pending` transaction count above its `latest` one means the node holds a
 *   transaction from it that is not mined yet;
 * - the keeper's journal: an open intent (intent recorded, signed or sent) by the key is a transaction
 *   the keeper may have broadcast, possibly to a private endpoint this node never sees.
 * An open intent whose nonce the chain has already consumed (nonce below `latest`) cannot land any more,
 * whatever the journal says: the keeper reconciles it at its next start. Such intents are reported, not
 * waited for, so a journal left behind by a crashed keeper does not block a key rotation forever.
 *
 * The node's `pending` transaction COUNT (its mempool's view of the key's next nonce, not pending state) can
 * lag `latest` on some nodes, so only a pending count ABOVE latest counts as a transaction in flight.
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
  /** The same count including transactions the node holds but has not mined. */
  readonly pendingNonce: number;
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
  const [latestNonce, pendingNonce] = await Promise.all([
    provider.getTransactionCount(key, "latest"),
    provider.getTransactionCount(key, "pending"),
  ]);
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
    pendingNonce,
    openIntents,
    settledOnChain,
    inFlight: pendingNonce > latestNonce || openIntents.length > 0,
  };
}

function intentText(intent: KeyIntent): string {
  const hashes = intent.txHashes.length === 0 ? "not signed yet" : intent.txHashes.join(", ");
  return `plan ${intent.planId} (${intent.state}, nonce ${intent.nonce ?? "unknown"}; ${hashes})`;
}

/** One paragraph saying what is (or is not) in flight for the key. */
export function describeKeyInFlight(status: KeyInFlightStatus, journalNote: string): string {
  const lines: string[] = [];
  const unmined = status.pendingNonce - status.latestNonce;
  lines.push(
    unmined > 0
      ? `on chain: ${unmined} transaction(s) from ${status.address} not mined yet (pending nonce ${status.pendingNonce}, latest ${status.latestNonce})`
      : `on chain: nothing pending from ${status.address} (pending nonce ${status.pendingNonce}, latest ${status.latestNonce})`,
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
 * Re-reads the key's status until nothing is in flight or `waitSeconds` have passed. Each read is a pair
 * of nonce queries and a journal query, cheap enough to repeat every second against one endpoint.
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
