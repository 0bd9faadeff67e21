/**
 * What `keeper:rotate-key` writes to the keeper journal: one `key_rotation` system event per stage it
 * reaches (tasks/rotate-key.ts runs the rotation; this file only turns its steps into journal facts).
 */
import os from "node:os";
import type { ActionOutcome } from "./executor-action";
import { ROTATE_KEY_TASK, type AddStep, type RotateKeyResult, type Rotation, type SweepStep } from "../rotate-key";

function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? "unknown-operator";
  }
}

export function txHashesOf(step: AddStep | ActionOutcome): readonly string[] {
  const outcome = "outcome" in step ? step.outcome : step;
  return outcome.kind === "sent" ? outcome.txHashes : [];
}

export function recordEvent(rotation: Rotation, stage: string, facts: Record<string, unknown>, detail: string): number | undefined {
  const { journal, context, oldOperator, newOperator } = rotation;
  if (journal === undefined || rotation.dryRun) return undefined;
  return journal.recordSystemEvent({
    kind: "key_rotation",
    actor: `task:${ROTATE_KEY_TASK} by ${currentUser()}`,
    detail: `operator key ${oldOperator} → ${newOperator}: ${detail}`,
    data: {
      stage,
      network: context.networkName,
      chainId: context.chainId,
      executor: context.address,
      oldOperator,
      newOperator,
      treasury: rotation.treasury,
      owner: rotation.owner.address,
      ownerIsContract: rotation.owner.isContract,
      ...facts,
    },
  }).id;
}

function sweepFacts(sweep: SweepStep): Record<string, string> {
  if (sweep.kind === "swept") {
    return {
      kind: "swept",
      txHash: sweep.receipt.txHash,
      valueWei: sweep.receipt.value.toString(),
      feeWei: sweep.receipt.fee.toString(),
      leftOnKeyWei: sweep.receipt.leftOnKey.toString(),
    };
  }
  return { kind: sweep.kind, balanceWei: sweep.plan.balance.toString() };
}

export function journalStep(rotation: Rotation, remove: ActionOutcome, add: AddStep, sweep: SweepStep): RotateKeyResult["journalEvent"] {
  const { context, journal, journalPath } = rotation;
  context.io.print("5. Journal");
  if (rotation.dryRun) {
    context.io.print(
      `   Dry run: ${journal === undefined ? `no journal at ${journalPath}; nothing would be recorded` : `would record a key_rotation event in ${journalPath}`}.`,
    );
    return null;
  }
  const batch = remove.kind === "safe-batch" ? remove.batchPath : undefined;
  const eventId = recordEvent(
    rotation,
    batch === undefined ? "completed" : "safe-batch-written",
    {
      addTxHashes: txHashesOf(add),
      removeTxHashes: txHashesOf(remove),
      ...(batch === undefined ? {} : { safeBatch: batch }),
      sweep: sweepFacts(sweep),
    },
    batch === undefined ? "old operator removed" : `Safe batch ${batch} written for the owners`,
  );
  if (eventId === undefined) {
    context.io.print(`   No keeper journal at ${journalPath}: nothing recorded.`);
    return null;
  }
  context.io.print(`   Recorded key_rotation event #${eventId} in ${journalPath}.`);
  return { journalPath, eventId };
}
