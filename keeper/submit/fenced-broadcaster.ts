/**
 * The last check before a transaction leaves the keeper, wrapped around whichever broadcaster sends
 * it. Several keeper instances may share a journal (one leads, the others stand by); leases alone do
 * not fence — an instance frozen (SIGSTOP, a stalled VM) past its lease wakes up believing it still
 * leads. So, immediately before every broadcast, original, fee bump or cancel alike:
 *
 *   1. the lease: the journal's database says this instance holds the leader lease now;
 *   2. the journal: the transaction is journaled (its hash recorded before signing went any further),
 *      and no OTHER execution holds its signer's nonce (open or included);
 *   3. the chain: the nonce is still unused (`latest` transaction count ≤ nonce);
 *   4. the plan: when the transaction carries its plan's deadline block, the next block is still within it (the
 *      chain's head is read beside the nonce, at no extra round trip). A plan past its deadline can only revert
 *      PlanExpired and burn gas — a takeover that took longer than the plan's deadline, a machine too loaded to send
 *      in time — so it is refused here, recorded as not sent, and re-planned on a fresh head; it never reaches the
 *      chain to count as a failed execution.
 *
 * Any failed check refuses the broadcast (the execution stage then records it as not sent). A
 * duplicate that slips between check and send — an instance frozen after this check — is bounded by
 * the chain: one nonce, one transaction, and the executor's on-chain profit check.
 *
 * A keeper alone on its journal (SQLite; the key's lock file is its fence against a second writer) still gets check 4
 * (`deadlineFencedBroadcaster`): a loaded machine sends late whether or not it shares its journal.
 */
import { Transaction } from "ethers";
import type { Journal } from "../journal/journal";
import type { RawBroadcastReport, SignedTxBroadcaster } from "../execution/broadcast";

/** The lease check; engine/leadership.ts's Leadership answers it from the database. */
export interface LeaseFence {
  fence(): { readonly held: boolean; readonly detail: string };
}

/** What the fence reads from the chain; an ethers Provider satisfies it. */
export interface NonceReader {
  getTransactionCount(address: string, blockTag: "latest"): Promise<number>;
  getBlockNumber(): Promise<number>;
}

export class SendFencedError extends Error {
  override readonly name = "SendFencedError";
}

/**
 * Check 4 alone, for a keeper alone on its journal: one head read per send that carries a deadline (from the node, or
 * with a head stream from headFromHeardHeads, which asks the node only when no head was heard lately).
 */
export function deadlineFencedBroadcaster(inner: SignedTxBroadcaster, chain: Pick<NonceReader, "getBlockNumber">): SignedTxBroadcaster {
  return {
    async broadcast(signed): Promise<RawBroadcastReport> {
      if (signed.deadlineBlock !== undefined) refuseExpired(signed.deadlineBlock, await chain.getBlockNumber());
      return inner.broadcast(signed);
    },
  };
}

/** What the head estimate needs of a head stream (collectors/head-stream.ts): the newest head heard, and when. */
export interface HeardHeads {
  readonly latest: { readonly number: number; readonly receivedAtMs: number } | null;
}

/**
 * The chain's head for the deadline check without a round trip where none is needed: the newest head the keeper
 * heard (pushed by newHeads), carried forward one block per block time elapsed since it was heard (the chain does
 * not wait). Only when no head was heard within `maxAgeMs` (default two block times: the subscription is quiet, or
 * this process was stalled past it) is the node asked.
 *
 * Why: the check ran an eth_blockNumber on every send, after signing, so a reaction to block N paid a round trip
 * through the node it races on (10-60 ms on a loaded machine, the whole gap to the rival) when the head of block N
 * had arrived with the very log being reacted to. A head carried forward errs towards refusing: it can only run
 * ahead of a chain that is late, never behind one that is on time by more than a head still on the wire.
 */
export function headFromHeardHeads(
  heads: HeardHeads,
  chain: Pick<NonceReader, "getBlockNumber">,
  options: { readonly blockTimeMs: number; readonly maxAgeMs?: number; readonly clock?: () => number },
): Pick<NonceReader, "getBlockNumber"> {
  const { blockTimeMs } = options;
  if (!(blockTimeMs > 0)) throw new Error(`headFromHeardHeads: blockTimeMs must be > 0, got ${blockTimeMs}`);
  const maxAgeMs = options.maxAgeMs ?? 2 * blockTimeMs;
  const clock = options.clock ?? Date.now;
  return {
    async getBlockNumber(): Promise<number> {
      const head = heads.latest;
      const age = head === null ? Number.POSITIVE_INFINITY : clock() - head.receivedAtMs;
      if (head !== null && age >= 0 && age <= maxAgeMs) return head.number + Math.floor(age / blockTimeMs);
      return chain.getBlockNumber();
    },
  };
}

/** A plan whose deadline block the next block would pass can only revert PlanExpired. */
function refuseExpired(deadline: number, head: number): void {
  if (head + 1 > deadline) {
    throw new SendFencedError(
      `not sent: the plan's deadline is block ${deadline} and the chain is at block ${head}; it could only revert PlanExpired`,
    );
  }
}

export function fencedBroadcaster(
  inner: SignedTxBroadcaster,
  fence: { readonly lease: LeaseFence; readonly journal: Journal; readonly chain: NonceReader },
): SignedTxBroadcaster {
  return {
    async broadcast(signed): Promise<RawBroadcastReport> {
      const tx = Transaction.from(signed.raw);
      const from = tx.from;
      if (from === null) throw new SendFencedError(`not sent: transaction ${signed.hash} is not signed`);
      const lease = fence.lease.fence();
      if (!lease.held) throw new SendFencedError(`not sent: this keeper does not hold the journal's leader lease (${lease.detail})`);
      const planId = fence.journal.planOfTransaction(signed.hash);
      if (planId === undefined) throw new SendFencedError(`not sent: transaction ${signed.hash} is not in the journal`);
      const others = fence.journal.nonceClaims(from, tx.nonce).filter((claim) => claim.planId !== planId);
      if (others.length > 0) {
        throw new SendFencedError(
          `not sent: nonce ${tx.nonce} of ${from} is held in the journal by ${others.map((o) => `${o.planId} (${o.state})`).join(", ")}`,
        );
      }
      const deadline = signed.deadlineBlock;
      const [used, head] = await Promise.all([
        fence.chain.getTransactionCount(from, "latest"),
        deadline === undefined ? null : fence.chain.getBlockNumber(),
      ]);
      if (used > tx.nonce) throw new SendFencedError(`not sent: nonce ${tx.nonce} of ${from} is already used on chain (next is ${used})`);
      if (deadline !== undefined && head !== null) refuseExpired(deadline, head);
      return inner.broadcast(signed);
    },
  };
}
