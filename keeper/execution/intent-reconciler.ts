/**
 * Restart reconciliation: before a restarted keeper sends anything new, every execution the journal
 * left open (intent_recorded, signed, sent) is checked against the chain and either settled or taken
 * back into tracking. Nothing is ever re-sent: a transaction that may still be in flight is tracked
 * to its receipt, and an opportunity whose transaction was lost is simply planned again later under a
 * new plan id, at whatever nonce the chain then says is next.
 *
 * Per open execution, in nonce order:
 *  - a receipt for any of its attempts → settled from the receipt (included, reverted, cancelled);
 *  - no attempt recorded (crashed between recording the intent and recording the signed hash) → it
 *    was never broadcast (the hash is journaled BEFORE broadcasting): dropped; if the chain shows the
 *    nonce used anyway, another transaction took it: replaced;
 *  - an attempt still known to the node (eth_getTransactionByHash) → in flight: tracked again;
 *  - otherwise, the nonce used on chain → replaced by a transaction this journal did not sign;
 *    the nonce still free → dropped (never reached a node, or evicted), unless an open execution of the same key
 *    holds a later nonce: then this nonce must still be used, or the later one waits behind the gap for good, so it
 *    is tracked again with every attempt counted as refused, and the first settle cancels it at its nonce
 *    ("cancelling"; settlement.ts).
 */
import { getAddress } from "ethers";
import type { Address } from "../core/types";
import type { Journal } from "../journal/journal";
import type { OpenIntent } from "../journal/records";
import type { Instant } from "../risk/instant";
import type { Logger } from "../telemetry/logger";
import type { PreparedTx, SignedTx } from "../submit/types";
import type { ExecutionStage, TrackedExecution } from "./execution-stage";
import type { FullReceiptLike } from "./receipt-facts";

/** Chain reads reconciliation needs; an ethers Provider satisfies them. */
export interface ReconciliationChain {
  getTransactionReceipt(hash: string): Promise<FullReceiptLike | null>;
  getTransaction(hash: string): Promise<{
    readonly hash: string;
    readonly to: string | null;
    readonly data: string;
    readonly value: bigint;
    readonly gasLimit: bigint;
    readonly chainId: bigint;
  } | null>;
  getTransactionCount(address: string, blockTag: "latest"): Promise<number>;
}

export type ReconciledOutcome = "settled-from-receipt" | "still-in-flight" | "cancelling" | "dropped" | "replaced";

export interface ReconciliationReport {
  readonly examined: number;
  readonly outcomes: readonly { readonly planId: string; readonly outcome: ReconciledOutcome; readonly detail: string }[];
}

export interface ReconcileOptions {
  readonly journal: Journal;
  readonly chain: ReconciliationChain;
  readonly stage: ExecutionStage;
  readonly headBlock: number;
  readonly at: Instant;
  readonly logger: Logger;
}

export async function reconcileOpenIntents(options: ReconcileOptions): Promise<ReconciliationReport> {
  const { journal, chain, stage, headBlock, at, logger } = options;
  const open = journal.openIntents();
  const outcomes: { planId: string; outcome: ReconciledOutcome; detail: string }[] = [];
  const latestNonceOf = new Map<string, number>();
  const latestNonce = async (signer: string): Promise<number> => {
    const key = signer.toLowerCase();
    let nonce = latestNonceOf.get(key);
    if (nonce === undefined) {
      nonce = await chain.getTransactionCount(signer, "latest");
      latestNonceOf.set(key, nonce);
    }
    return nonce;
  };

  for (const intent of open) {
    const { execution, attempts } = intent;
    const planId = execution.planId;
    const receiptFound = await firstReceipt(
      chain,
      attempts.map((attempt) => attempt.txHash),
    );
    if (receiptFound !== null) {
      // Tracked for one settle call, which books it from the receipt like any other inclusion.
      stage.adopt(await trackedFrom(intent, chain, headBlock, at));
      outcomes.push({ planId, outcome: "settled-from-receipt", detail: `tx ${receiptFound.hash} in block ${receiptFound.blockNumber}` });
      continue;
    }
    if (execution.signer === null || execution.nonce === null) {
      journal.markDropped(planId, "reconciled after restart: the intent had no signer/nonce, nothing was signed");
      outcomes.push({ planId, outcome: "dropped", detail: "no signer or nonce recorded" });
      continue;
    }
    const nonceUsed = (await latestNonce(execution.signer)) > execution.nonce;
    if (attempts.length === 0) {
      if (nonceUsed) {
        const detail = `reconciled after restart: never broadcast, and nonce ${execution.nonce} was used by a transaction this journal did not sign`;
        journal.markReplaced(planId, { detail });
        outcomes.push({ planId, outcome: "replaced", detail });
      } else {
        const detail = "reconciled after restart: stopped between recording the intent and signing; never broadcast";
        journal.markDropped(planId, detail);
        outcomes.push({ planId, outcome: "dropped", detail });
      }
      continue;
    }
    const known = await anyKnown(
      chain,
      attempts.map((attempt) => attempt.txHash),
    );
    if (known) {
      stage.adopt(await trackedFrom(intent, chain, headBlock, at));
      outcomes.push({ planId, outcome: "still-in-flight", detail: `nonce ${execution.nonce} is pending at the node; tracking it again` });
      continue;
    }
    if (nonceUsed) {
      const detail = `reconciled after restart: no receipt for its ${attempts.length} transaction(s) and nonce ${execution.nonce} was used by another transaction`;
      journal.markReplaced(planId, { detail });
      outcomes.push({ planId, outcome: "replaced", detail });
    } else if (open.some((other) => sameKey(other, execution.signer!) && (other.execution.nonce ?? -1) > execution.nonce!)) {
      const tracked = await trackedFrom(intent, chain, headBlock, at);
      stage.adopt({ ...tracked, refused: new Set(tracked.attempts.map((attempt) => attempt.hash)), bumps: 0 });
      const detail = `nonce ${execution.nonce} is unused and unknown to the node, and a later nonce of the key is open: cancelling at it`;
      outcomes.push({ planId, outcome: "cancelling", detail });
    } else {
      const detail = `reconciled after restart: its ${attempts.length} transaction(s) are unknown to the node and nonce ${execution.nonce} is unused`;
      journal.markDropped(planId, detail);
      outcomes.push({ planId, outcome: "dropped", detail });
    }
  }
  // Books every adopted transaction that already has a receipt (the others keep waiting).
  await stage.settle(headBlock, at);
  for (const outcome of outcomes)
    logger.info({ planId: outcome.planId, outcome: outcome.outcome, detail: outcome.detail }, "reconciled an open intent");
  return { examined: open.length, outcomes };
}

function sameKey(intent: OpenIntent, signer: string): boolean {
  return intent.execution.signer !== null && intent.execution.signer.toLowerCase() === signer.toLowerCase();
}

async function firstReceipt(chain: ReconciliationChain, hashes: readonly string[]): Promise<FullReceiptLike | null> {
  for (const hash of hashes) {
    const receipt = await chain.getTransactionReceipt(hash);
    if (receipt !== null && receipt !== undefined) return receipt;
  }
  return null;
}

async function anyKnown(chain: ReconciliationChain, hashes: readonly string[]): Promise<boolean> {
  for (const hash of hashes) if ((await chain.getTransaction(hash)) !== null) return true;
  return false;
}

/**
 * A tracked execution rebuilt from the journal. The raw signed bytes are not journaled (they are not
 * needed: nothing is re-broadcast); the call itself is read back from the node so that a stuck
 * transaction can still be fee-bumped or cancelled at its nonce.
 */
async function trackedFrom(intent: OpenIntent, chain: ReconciliationChain, headBlock: number, at: Instant): Promise<TrackedExecution> {
  const { execution } = intent;
  const attempts: SignedTx[] = [];
  for (const attempt of intent.attempts) {
    const onChain = await chain.getTransaction(attempt.txHash);
    const prepared: PreparedTx = {
      kind: attempt.kind,
      meta: { executionId: execution.planId },
      chainId: onChain === null ? 0 : Number(onChain.chainId),
      from: getAddress(attempt.signer) as Address,
      nonce: attempt.nonce,
      to: (onChain?.to ?? attempt.signer) as Address,
      data: onChain?.data ?? "0x",
      value: onChain?.value ?? 0n,
      gasLimit: onChain?.gasLimit ?? attempt.gasLimit ?? 0n,
      fees: { maxFeePerGas: attempt.maxFeePerGas, maxPriorityFeePerGas: attempt.maxPriorityFeePerGas },
    };
    attempts.push({ prepared, raw: "", hash: attempt.txHash });
  }
  return {
    planId: execution.planId,
    borrower: execution.borrower,
    positionId: `${execution.protocol}:${execution.market}:${execution.borrower.toLowerCase()}`,
    // A liquidateBatch's other positions are not in the journal's columns; after a restart the batch settles as its lead.
    members: [],
    profitToken: execution.profitToken,
    simulatedProfit: execution.expectedProfit,
    gasEstimate: execution.gasUnitsEstimate,
    attempts,
    sentAtBlock: execution.detectedBlock,
    sentAtMs: execution.sentAt ?? execution.createdAt ?? at.timeMs,
    refused: new Set(intent.attempts.filter((attempt) => attempt.status === "dropped").map((attempt) => attempt.txHash)),
    // Journaled with the intent: past it the transaction is cancelled, never bid again (settlement.ts).
    ...(execution.deadlineBlock === null ? {} : { deadlineBlock: execution.deadlineBlock }),
    // A fresh budget from now: the restart itself is not the transaction's fault.
    lastAttemptBlock: headBlock,
    bumps: Math.max(0, intent.attempts.length - 1),
  };
}
