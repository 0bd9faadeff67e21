/**
 * Child process for the crash-consistency test: journals an execution up to `signed` (the point
 * where a real keeper broadcasts), then kills itself with SIGKILL so no close(), no finally block and
 * no exit handler runs. The parent reopens the file and checks what survived.
 *
 * Usage: node -r ts-node/register crash-writer.ts <journal path> <plan id>
 * Mocha loads every file under test/, so the work runs only when this is the main module.
 */
import { Journal } from "../../../../keeper/journal/journal";
import { attempt, makePlan } from "./journal-fixtures";

function runAndDie(journalPath: string, planId: string): void {
  const journal = Journal.open(journalPath);
  const plan = makePlan({ id: planId });
  journal.planExecution(plan, { mode: "LIVE" });
  journal.markSimulated(planId);
  journal.recordIntent(planId, {
    signer: attempt(1).signer,
    nonce: 7,
    maxFeePerGas: attempt(1).maxFeePerGas,
    maxPriorityFeePerGas: attempt(1).maxPriorityFeePerGas,
  });
  journal.markSigned(planId, attempt(1));
  // The keeper would broadcast here. Die without closing anything.
  process.kill(process.pid, "SIGKILL");
}

if (require.main === module) {
  const [journalPath, planId] = process.argv.slice(2);
  if (journalPath === undefined || planId === undefined) {
    throw new Error("usage: crash-writer.ts <journal path> <plan id>");
  }
  runAndDie(journalPath, planId);
}
