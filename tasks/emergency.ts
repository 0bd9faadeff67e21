/**
 * `npx hardhat emergency [--reason "<why>"] [--journal <path>] [--tokens a,b] [--from <operator>] [--dry-run]`
 *
 * The runbook's emergency shutdown in one command, in this order:
 * 1. pause the executor, with an operator key (or the owner's, when the owner is an account). If no
 *    configured key may pause and the owner is a Safe, the pause goes first into the owner's batch instead;
 *    if nobody can pause at all, the task stops before doing anything;
 * 2. ask any running keeper to halt, by queueing a "halt" control request in its journal (the keeper
 *    polls the queue every loop iteration); no journal means no keeper ran here, so nothing to halt;
 * 3. prepare the owner's withdraw-everything step: a Safe batch of rescueTokens calls when the owner is a
 *    contract, otherwise the exact `withdraw --all` command for the owner's key.
 * It ends by printing what it did and what the owner must do next.
 */
import os from "node:os";
import { types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { Journal } from "../keeper/journal/journal";
import { journalExists, taskJournalLocation } from "./journal-location";
import { describeAccount, openExecutor, type ExecutorContext } from "./lib/executor-context";
import { chooseRoute, performExecutorAction, type ActionOutcome, type PlannedCall } from "./lib/executor-action";
import { asTaskError, sendingTask, type SendingTaskArgs } from "./lib/operator-task";
import { describeHoldings, planWithdrawAll } from "./withdraw";

export interface EmergencyArgs extends SendingTaskArgs {
  readonly reason?: string;
  readonly journal?: string;
  readonly tokens?: string;
}

export type PauseStep =
  | { readonly kind: "already-paused" }
  | { readonly kind: "sent" | "dry-run"; readonly outcome: ActionOutcome }
  /** No configured key may pause; the pause is the first call of the owner's Safe batch. */
  | { readonly kind: "in-owner-batch" };

export type HaltStep =
  | { readonly kind: "requested"; readonly journalPath: string; readonly requestId: number }
  | { readonly kind: "no-journal"; readonly journalPath: string }
  | { readonly kind: "dry-run"; readonly journalPath: string };

export type WithdrawStep =
  | { readonly kind: "safe-batch"; readonly outcome: ActionOutcome }
  | { readonly kind: "command"; readonly command: string }
  | { readonly kind: "nothing-held" };

export interface EmergencyResult {
  readonly pause: PauseStep;
  readonly halt: HaltStep;
  readonly withdraw: WithdrawStep;
  readonly nextSteps: readonly string[];
}

const DEFAULT_REASON = "emergency shutdown (npx hardhat emergency)";

function commandFlags(context: ExecutorContext, args: EmergencyArgs): string {
  const flags = [`--network ${context.networkName}`];
  if (args.executor !== undefined) flags.push(`--executor ${args.executor}`);
  if (args.deploymentId !== undefined) flags.push(`--deployment-id ${args.deploymentId}`);
  return flags.join(" ");
}

async function pauseStep(context: ExecutorContext, args: EmergencyArgs, ownerIsContract: boolean): Promise<PauseStep> {
  const { io } = context;
  if (await context.executor.paused()) {
    io.print("1. Pause: the executor is already paused.");
    return { kind: "already-paused" };
  }
  // Throws (nothing done yet) when no configured key may pause and the owner is not a Safe.
  const route = await chooseRoute(context, "ownerOrOperator", args.from, "emergency (pause)");
  if (route.kind === "safe-batch" && ownerIsContract) {
    io.print(
      "1. Pause: no configured key is an operator; the pause is the FIRST call of the owner's Safe batch below. The executor is NOT paused yet.",
    );
    return { kind: "in-owner-batch" };
  }
  io.print("1. Pause:");
  const outcome = await performExecutorAction(
    context,
    {
      task: "pause",
      summary: "Emergency pause.",
      authority: "ownerOrOperator",
      calls: [{ method: "pause", args: [] }],
      dryRun: args.dryRun ?? false,
      from: args.from,
    },
    route,
  );
  return { kind: outcome.kind === "dry-run" ? "dry-run" : "sent", outcome };
}

function haltStep(context: ExecutorContext, args: EmergencyArgs, reason: string): HaltStep {
  const { io } = context;
  const journalPath = taskJournalLocation(args.journal, context.networkName, io.projectRoot);
  if (!journalExists(journalPath)) {
    io.print(`2. Keeper: no keeper journal at ${journalPath}; nothing to halt.`);
    return { kind: "no-journal", journalPath };
  }
  if (args.dryRun) {
    io.print(`2. Keeper: dry run: would queue a "halt" control request in ${journalPath}.`);
    return { kind: "dry-run", journalPath };
  }
  const journal = Journal.open(journalPath);
  try {
    const request = journal.enqueueControlRequest("halt", { reason }, `task:emergency by ${os.userInfo().username}`);
    io.print(
      `2. Keeper: queued halt request #${request.id} in ${journalPath}. A running keeper applies it at its next loop iteration ` +
        "(about once per block) and stops sending; `npx hardhat status` shows it as pending until then.",
    );
    return { kind: "requested", journalPath, requestId: request.id };
  } finally {
    journal.close();
  }
}

export async function runEmergency(args: EmergencyArgs, hre: HardhatRuntimeEnvironment): Promise<EmergencyResult> {
  const reason = args.reason?.trim() || DEFAULT_REASON;
  const context = await openExecutor(hre, args);
  const { io } = context;
  const owner = await describeAccount(hre.ethers.provider, await context.executor.owner());
  io.print(
    `EMERGENCY on ${context.networkName} (chain ${context.chainId}), executor ${context.address}${args.dryRun ? " — DRY RUN: nothing is sent or written" : ""}`,
  );

  const pause = await pauseStep(context, args, owner.isContract);
  const halt = haltStep(context, args, reason);

  const plan = await planWithdrawAll(context, args.tokens);
  io.print(`3. Withdraw: the executor holds:\n${describeHoldings(plan.scanned)}`);
  const batchCalls: PlannedCall[] = [...(pause.kind === "in-owner-batch" ? [{ method: "pause", args: [] }] : []), ...plan.calls];
  const withdrawCommand = `npx hardhat withdraw --all ${commandFlags(context, args)}${args.tokens === undefined ? "" : ` --tokens ${args.tokens}`} --from ${owner.address}`;
  let withdraw: WithdrawStep;
  if (owner.isContract) {
    if (batchCalls.length === 0) {
      io.print("   Nothing to withdraw: no batch written.");
      withdraw = { kind: "nothing-held" };
    } else {
      const outcome = await performExecutorAction(
        context,
        {
          task: "emergency",
          summary: `Emergency: ${pause.kind === "in-owner-batch" ? "pause, then " : ""}withdraw every balance to the owner.`,
          authority: "owner",
          calls: batchCalls,
          dryRun: args.dryRun ?? false,
        },
        { kind: "safe-batch", safe: owner, role: "owner" },
      );
      withdraw = { kind: "safe-batch", outcome };
    }
  } else if (plan.calls.length === 0) {
    io.print("   Nothing to withdraw right now.");
    withdraw = { kind: "nothing-held" };
  } else {
    io.print(`   The owner ${owner.address} is an account: it withdraws with\n     ${withdrawCommand}`);
    withdraw = { kind: "command", command: withdrawCommand };
  }

  const nextSteps: string[] = [];
  if (pause.kind === "in-owner-batch") nextSteps.push("Owners: sign and execute the Safe batch NOW; it pauses the executor first.");
  if (withdraw.kind === "safe-batch" && withdraw.outcome.kind === "safe-batch") {
    if (pause.kind !== "in-owner-batch")
      nextSteps.push(`Owners: import, sign and execute ${withdraw.outcome.batchPath} (Safe{Wallet} → Apps → Transaction Builder).`);
  } else if (withdraw.kind === "command") {
    nextSteps.push(`Owner: run \`${withdraw.command}\`.`);
  }
  if (halt.kind === "requested") {
    const journalFlag = args.journal === undefined ? "" : ` --journal ${halt.journalPath}`;
    nextSteps.push(
      `Watch the keeper apply the halt: \`npx hardhat status ${commandFlags(context, args)}${journalFlag}\` (pending control requests).`,
    );
  }
  nextSteps.push(
    'Find the cause before resuming. Then the owner unpauses (`npx hardhat unpause`) and an operator resumes the keeper (`npx hardhat keeper:resume --reason "…"`).',
  );
  io.print(`What the owner must do next:\n${nextSteps.map((step, index) => `  ${index + 1}. ${step}`).join("\n")}`);
  return { pause, halt, withdraw, nextSteps };
}

sendingTask(
  "emergency",
  "Emergency shutdown: pause (an operator key may), halt the keeper through its journal, prepare the owner's withdraw-everything",
)
  .addOptionalParam("reason", `Why, recorded with the keeper halt request (default "${DEFAULT_REASON}")`, undefined, types.string)
  .addOptionalParam("journal", "Keeper journal to send the halt to (default: data/keeper-<network>.sqlite)", undefined, types.string)
  .addOptionalParam(
    "tokens",
    "More tokens to include in the withdrawal besides ETH and the address book's (symbols or addresses)",
    undefined,
    types.string,
  )
  .setAction(async (args: EmergencyArgs, hre) => asTaskError(() => runEmergency(args, hre)));
