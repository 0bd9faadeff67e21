/**
 * Two-step ownership (OpenZeppelin Ownable2Step), the usual path from a deployer-held executor to a Safe:
 *
 *   npx hardhat transfer-ownership --to <address>   the owner proposes; nothing changes until accepted
 *   npx hardhat accept-ownership                    the proposed owner accepts and becomes owner
 *
 * When the proposed owner is a Safe, accept-ownership writes the Safe batch its owners sign. Until the
 * transfer is accepted the current owner keeps every power and can propose someone else instead.
 */
import { types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { TaskArgumentError, parseAddress } from "./lib/args";
import { describeAccount, describeAccountKind, readRoles } from "./lib/executor-context";
import { openExecutor } from "./lib/executor-context";
import { performExecutorAction } from "./lib/executor-action";
import { asTaskError, sendingTask, type SendingTaskArgs, type TaskOutcome } from "./lib/operator-task";

export interface TransferOwnershipArgs extends SendingTaskArgs {
  readonly to?: string;
}

function networkFlags(networkName: string, args: SendingTaskArgs): string {
  const parts = [`--network ${networkName}`];
  if (args.executor !== undefined) parts.push(`--executor ${args.executor}`);
  if (args.deploymentId !== undefined) parts.push(`--deployment-id ${args.deploymentId}`);
  return parts.join(" ");
}

export async function runTransferOwnership(args: TransferOwnershipArgs, hre: HardhatRuntimeEnvironment): Promise<TaskOutcome> {
  const to = parseAddress("--to", args.to);
  const context = await openExecutor(hre, args);
  if (to === context.address) throw new TaskArgumentError(`--to ${to} is the executor itself; it could never call acceptOwnership`);
  const roles = await readRoles(context);
  if (to === roles.owner) {
    context.io.print(`${to} is already the owner of ${context.address}. Nothing was sent.`);
    return { kind: "no-op", reason: "already owner" };
  }
  const acceptCommand = `npx hardhat accept-ownership ${networkFlags(context.networkName, args)}`;
  if (to === roles.pendingOwner) {
    context.io.print(
      `${to} is already the pending owner of ${context.address}; it completes the transfer with \`${acceptCommand}\`. Nothing was sent.`,
    );
    return { kind: "no-op", reason: "already pending" };
  }
  const newOwner = await describeAccount(hre.ethers.provider, to);
  context.io.print(`Proposed owner ${to} is ${describeAccountKind(newOwner)}.`);
  if (newOwner.isContract && newOwner.safe === undefined) {
    context.io.print(
      "Warning: it is not a Safe. It must be able to call acceptOwnership() on the executor, or the transfer never completes (the current owner stays in charge and can propose again).",
    );
  }
  const outcome = await performExecutorAction(context, {
    task: "transfer-ownership",
    summary: `Propose ${to} as the new owner (two-step: it must accept).`,
    authority: "owner",
    calls: [{ method: "transferOwnership", args: [to] }],
    dryRun: args.dryRun ?? false,
    from: args.from,
  });
  if (outcome.kind !== "dry-run") {
    context.io.print(
      `Next: ${to} accepts with \`${acceptCommand}\`` +
        (newOwner.isContract ? " (it writes the Safe batch for acceptOwnership)." : ` --from ${to}.`) +
        ` Until then ${roles.owner} stays the owner.`,
    );
  }
  return outcome;
}

export async function runAcceptOwnership(args: SendingTaskArgs, hre: HardhatRuntimeEnvironment): Promise<TaskOutcome> {
  const context = await openExecutor(hre, args);
  const roles = await readRoles(context);
  return performExecutorAction(context, {
    task: "accept-ownership",
    summary: `Accept ownership of the executor (pending owner ${roles.pendingOwner}, current owner ${roles.owner}).`,
    authority: "pendingOwner",
    calls: [{ method: "acceptOwnership", args: [] }],
    dryRun: args.dryRun ?? false,
    from: args.from,
  });
}

sendingTask("transfer-ownership", "Propose a new executor owner, normally a Safe (two-step: the new owner must accept; owner only)")
  .addOptionalParam("to", "The proposed owner (required)", undefined, types.string)
  .setAction(async (args: TransferOwnershipArgs, hre) => asTaskError(() => runTransferOwnership(args, hre)));

sendingTask(
  "accept-ownership",
  "Accept a pending ownership transfer (pending owner only; writes a Safe batch when it is a Safe)",
).setAction(async (args: SendingTaskArgs, hre) => asTaskError(() => runAcceptOwnership(args, hre)));
