/**
 * How a signed transaction leaves the keeper. On a real network that is the submit layer's
 * RawTxBroadcaster (every private send endpoint at once), which already fits `SignedTxBroadcaster`.
 * The in-process sandbox has no URL to send to, so `providerBroadcaster` hands the raw transaction to
 * the provider the keeper reads from, with the same report shape.
 */
import { errorMessage } from "../core/error-message";
import { classifySendMessage } from "../submit/send-answer";
import type { BroadcastReport } from "../submit/types";

export type RawBroadcastReport = Pick<BroadcastReport, "acceptedBy" | "alreadyIncluded">;

export interface SignedTxBroadcaster {
  /**
   * Resolves once at least one endpoint holds the transaction; rejects when none took it. `deadlineBlock`: the
   * plan's deadline block (it reverts PlanExpired in any later block); the send fence refuses it once that has passed.
   */
  broadcast(signed: { readonly raw: string; readonly hash: string; readonly deadlineBlock?: number }): Promise<RawBroadcastReport>;
}

/** The one provider method the in-process path needs; ethers' and Hardhat's providers have it. */
export interface RawSendProvider {
  send(method: "eth_sendRawTransaction", params: [string]): Promise<unknown>;
}

export function providerBroadcaster(provider: RawSendProvider, label = "in-process"): SignedTxBroadcaster {
  return {
    async broadcast(signed) {
      const returned = await provider.send("eth_sendRawTransaction", [signed.raw]);
      if (typeof returned !== "string" || returned.toLowerCase() !== signed.hash.toLowerCase()) {
        throw new Error(`${label}: eth_sendRawTransaction answered ${JSON.stringify(returned)} instead of ${signed.hash}`);
      }
      return { acceptedBy: [label], alreadyIncluded: false };
    },
  };
}

/**
 * Broadcasts one of several transactions of the same key that left at once (nonces in order, sends not waiting on
 * each other's answers): they may reach the node out of order, and a node that holds no queue (Hardhat automining;
 * an endpoint that refuses gaps) answers a later nonce that came first with "nonce too high" and forgets it. Such a
 * refusal is sent again, once, after `earlierSends` (the sends of the lower nonces) have been answered; any other
 * refusal, or one with nothing sent before it (`earlierSends` null), stands.
 */
export async function broadcastAfterEarlierNonces(
  broadcaster: SignedTxBroadcaster,
  signed: Parameters<SignedTxBroadcaster["broadcast"]>[0],
  earlierSends: Promise<unknown> | null,
): Promise<RawBroadcastReport> {
  try {
    return await broadcaster.broadcast(signed);
  } catch (error) {
    if (earlierSends === null || classifySendMessage(errorMessage(error)) !== "nonce-too-high") throw error;
    await earlierSends;
    return broadcaster.broadcast(signed);
  }
}
