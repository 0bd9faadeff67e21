/**
 * The options every executor task shares, and the error wrapper that makes operator-facing failures print
 * as one readable line ("Error in plugin chimera: …") instead of a stack trace (still shown with
 * --show-stack-traces), with every secret setting scrubbed from it (tasks/lib/task-errors.ts).
 */
import { task, types } from "hardhat/config";
import type { ConfigurableTaskDefinition } from "hardhat/types";
import type { ActionOutcome } from "./executor-action";
import { secretFreeTaskError } from "./task-errors";

export interface ExecutorTaskArgs {
  readonly executor?: string;
  readonly deploymentId?: string;
}

export interface SendingTaskArgs extends ExecutorTaskArgs {
  readonly from?: string;
  readonly dryRun?: boolean;
}

/** A task that found nothing to change reports why and sends nothing. */
export interface NoOpOutcome {
  readonly kind: "no-op";
  readonly reason: string;
}

export type TaskOutcome = ActionOutcome | NoOpOutcome;

export const EXECUTOR_PARAM_HELP =
  "Executor address (default: the Ignition deployment for this network, ignition/deployments/<deployment id>/)";
export const DEPLOYMENT_ID_HELP = 'Ignition deployment id to read (default: "localhost" on localhost, else chain-<chainId>)';

/** A task with --executor and --deployment-id. */
export function executorTask(name: string, description: string): ConfigurableTaskDefinition {
  return task(name, description)
    .addOptionalParam("executor", EXECUTOR_PARAM_HELP, undefined, types.string)
    .addOptionalParam("deploymentId", DEPLOYMENT_ID_HELP, undefined, types.string);
}

/** An executor task that sends transactions (or writes a Safe batch): adds --from and --dry-run. */
export function sendingTask(name: string, description: string): ConfigurableTaskDefinition {
  return executorTask(name, description)
    .addOptionalParam(
      "from",
      "Sign with this account (one of the network's accounts, or the KEEPER_PRIVATE_KEY account); default: the first configured account holding the needed role",
      undefined,
      types.string,
    )
    .addFlag("dryRun", "Send nothing and write nothing: print the target, calldata and decoded call(s)");
}

export async function asTaskError<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw secretFreeTaskError("chimera", error);
  }
}
