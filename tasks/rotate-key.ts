/**
 * `npx hardhat keeper:rotate-key --new-operator <address> [--old-operator <address>] [--journal <path>]
 *                                [--wait <seconds>] [--from <owner>] [--dry-run]`
 *
 * Replaces the keeper's hot key (an operator of the executor) in the runbook's order:
 * 1. add the new operator: owner-only, sent with the owner's key when the owner is an account;
 * 2. wait, at most --wait seconds, until nothing the old key signed can still land: the keeper journal holds
 *    no open intent by it whose nonce the chain's `latest` count has not consumed (tasks/lib/key-in-flight.ts;
 *    never the `pending` tag, which Base no longer has).
 *    At the deadline the task stops: what step 1 did stands, nothing further happens;
 * 3. remove the old operator;
 * 4. sweep the old key's ETH to the treasury when this machine holds that key (a network account, or
 *    KEEPER_PRIVATE_KEY) and no keeper holds its signer lock, sending the balance minus the most the
 *    transfer can cost; otherwise print the exact transfer to make by hand;
 * 5. record a `key_rotation` system event in the keeper journal, and print what was done and what remains.
 * With a Safe owner, steps 1 and 3 are ONE Transaction Builder batch (add the new key, then remove the old),
 * written after step 2 so the owners never sign a removal while the old key still has work on the wire.
 *
 * Before anything is sent, the task checks every argument, that the owner's route is usable (its key is
 * configured, or it is a Safe), and takes the old key's signer lock, so a failure there changes nothing.
 */
import fs from "node:fs";
import path from "node:path";
import { getAddress } from "ethers";
import { types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { Journal } from "../keeper/journal/journal";
import { defaultJournalPath } from "../keeper/journal/journal-path";
import { SignerKeyLock, SignerKeyLockedError } from "../keeper/submit/signer-key-lock";
import { TaskArgumentError, parseAddress } from "./lib/args";
import { describeSweepPlan, manualSweepInstruction, planSweep, sendSweep, type SweepPlan, type SweepReceipt } from "./lib/eth-sweep";
import { chooseRoute, performExecutorAction, type ActionOutcome, type ActionRoute, type PlannedCall } from "./lib/executor-action";
import {
  describeAccount,
  describeAccountKind,
  openExecutor,
  readRoleLists,
  type AccountFacts,
  type ExecutorContext,
} from "./lib/executor-context";
import { formatAmount } from "./lib/format";
import { describeKeyInFlight, readKeyInFlight, waitUntilKeySettles, type KeyInFlightStatus } from "./lib/key-in-flight";
import { journalStep, recordEvent, txHashesOf } from "./lib/rotate-key-journal";
import { asTaskError, sendingTask, type SendingTaskArgs } from "./lib/operator-task";
import { availableSigners } from "./lib/signers";

export const ROTATE_KEY_TASK = "keeper:rotate-key";
/** Long enough for a stuck keeper transaction to be replaced or cancelled a few times on Base (2 s blocks). */
export const DEFAULT_WAIT_SECONDS = 120;
/** How often the in-flight check re-reads the chain and the journal: about once per Base block. */
const POLL_INTERVAL_MS = 1_000;

export interface RotateKeyArgs extends SendingTaskArgs {
  readonly newOperator?: string;
  readonly oldOperator?: string;
  readonly journal?: string;
  readonly wait?: number;
}

export type AddStep =
  | { readonly kind: "already-operator" }
  /** The owner is a Safe: the grant is the first call of the batch written in step 3. */
  | { readonly kind: "in-safe-batch" }
  | { readonly kind: "sent" | "dry-run"; readonly outcome: ActionOutcome };

export type SweepStep =
  | { readonly kind: "swept"; readonly plan: SweepPlan; readonly receipt: SweepReceipt }
  | { readonly kind: "dry-run"; readonly plan: SweepPlan }
  | { readonly kind: "nothing-to-sweep"; readonly plan: SweepPlan }
  | { readonly kind: "key-unavailable"; readonly plan: SweepPlan; readonly instruction: string }
  | { readonly kind: "key-locked"; readonly plan: SweepPlan; readonly instruction: string; readonly lockPath: string }
  | { readonly kind: "failed"; readonly plan: SweepPlan; readonly instruction: string; readonly error: string };

export interface RotateKeyResult {
  readonly executor: string;
  readonly oldOperator: string;
  readonly newOperator: string;
  readonly treasury: string;
  readonly owner: AccountFacts;
  /** completed: both role changes are on chain; awaiting-safe: they are in a batch the Safe has yet to execute. */
  readonly stage: "completed" | "awaiting-safe" | "dry-run";
  readonly add: AddStep;
  /** The old key's last in-flight reading (nothing in flight, except in a dry run). */
  readonly inFlight: KeyInFlightStatus;
  /** setOperator(old, false) — with a Safe owner, the batch holding both calls. */
  readonly remove: ActionOutcome;
  readonly sweep: SweepStep;
  readonly journalEvent: { readonly journalPath: string; readonly eventId: number } | null;
  readonly remaining: readonly string[];
}

/** Step 2 ran out of time: the old key still had transactions in flight. */
export class KeyRotationStoppedError extends Error {
  constructor(
    message: string,
    readonly inFlight: KeyInFlightStatus,
  ) {
    super(message);
    this.name = "KeyRotationStoppedError";
  }
}

const eth = (wei: bigint) => formatAmount(wei, 18, "ETH");

/* ───────────────────────────── checks before anything is sent ───────────────────────────── */

function parseWaitSeconds(value: number | undefined): number {
  if (value === undefined) return DEFAULT_WAIT_SECONDS;
  if (!Number.isFinite(value) || value < 0) {
    throw new TaskArgumentError(`--wait ${value} is not a duration; expected seconds >= 0 (default ${DEFAULT_WAIT_SECONDS})`);
  }
  return value;
}

/** The journal to read and record in; a --journal that does not exist is an error (a typo would skip the check). */
function resolveJournalPath(context: ExecutorContext, named: string | undefined): string {
  if (named === undefined) return defaultJournalPath(context.networkName, context.io.projectRoot);
  const resolved = path.resolve(named);
  if (!fs.existsSync(resolved)) {
    throw new TaskArgumentError(
      `--journal ${resolved} does not exist; name the journal of the keeper that signs with the old key ` +
        `(default data/keeper-${context.networkName}.sqlite), or leave --journal out if no keeper ever ran on this machine`,
    );
  }
  return resolved;
}

/** Without --old-operator: the executor's one operator that is not the new key. */
async function soleOtherOperator(context: ExecutorContext, newOperator: string): Promise<string> {
  const { operators } = await readRoleLists(context);
  const others = operators.filter((operator) => operator !== newOperator);
  if (others.length === 1) return others[0];
  if (others.length === 0) {
    throw new TaskArgumentError(
      `--old-operator not given, and the executor ${context.address} has no operator besides ${newOperator}: nothing to rotate. ` +
        `To add an operator without retiring one, use \`npx hardhat set-operator --operator ${newOperator}\``,
    );
  }
  throw new TaskArgumentError(
    `--old-operator not given, but the executor ${context.address} has ${others.length} operators besides the new key ` +
      `(${others.join(", ")}); name the key to retire with --old-operator <address>`,
  );
}

async function requireOperator(context: ExecutorContext, oldOperator: string, treasury: string): Promise<void> {
  if (await context.executor.isOperator(oldOperator)) return;
  const { operators } = await readRoleLists(context);
  throw new TaskArgumentError(
    `--old-operator ${oldOperator} is not an operator of the executor ${context.address} ` +
      `(operators now: ${operators.length === 0 ? "none" : operators.join(", ")}); there is nothing to remove. ` +
      `If an earlier rotation already removed it, only its ETH may be left: send it to the treasury ${treasury} from a wallet holding that key.`,
  );
}

/** The new key signs the keeper's transactions, so it must be an account (an EIP-7702 delegated account still is). */
async function requireAccount(context: ExecutorContext, newOperator: string): Promise<void> {
  const code = await context.hre.ethers.provider.getCode(newOperator);
  if (code === "0x" || code.toLowerCase().startsWith("0xef0100")) return;
  throw new TaskArgumentError(
    `--new-operator ${newOperator} has contract code on ${context.networkName}; an operator is the keeper's signing key, an account. ` +
      `Check the address (is it the Safe, the treasury or a token?)`,
  );
}

/* ───────────────────────────── the rotation ───────────────────────────── */

export interface Rotation {
  readonly context: ExecutorContext;
  readonly args: RotateKeyArgs;
  readonly dryRun: boolean;
  readonly waitSeconds: number;
  readonly oldOperator: string;
  readonly newOperator: string;
  readonly newWasOperator: boolean;
  readonly treasury: string;
  readonly owner: AccountFacts;
  readonly route: ActionRoute;
  readonly journalPath: string;
  readonly journal?: Journal;
}

async function addStep(rotation: Rotation): Promise<AddStep> {
  const { context, newOperator, route } = rotation;
  context.io.print("1. Add the new operator");
  if (rotation.newWasOperator) {
    context.io.print(`   ${newOperator} is already an operator of ${context.address}: nothing to add.`);
    return { kind: "already-operator" };
  }
  if (route.kind === "safe-batch") {
    context.io.print(
      `   The owner is ${describeAccountKind(rotation.owner)}: granting ${newOperator} goes into ONE batch with the removal, written after step 2.`,
    );
    return { kind: "in-safe-batch" };
  }
  const outcome = await performExecutorAction(
    context,
    {
      task: ROTATE_KEY_TASK,
      summary: `Grant the operator role to the new keeper key ${newOperator}.`,
      authority: "owner",
      calls: [{ method: "setOperator", args: [newOperator, true] }],
      dryRun: rotation.dryRun,
      from: rotation.args.from,
    },
    route,
  );
  return { kind: outcome.kind === "dry-run" ? "dry-run" : "sent", outcome };
}

function stoppedMessage(rotation: Rotation, add: AddStep, status: KeyInFlightStatus, journalNote: string): string {
  const { newOperator, oldOperator } = rotation;
  const standing =
    add.kind === "sent" && add.outcome.kind === "sent"
      ? `Step 1 stands: ${newOperator} WAS added as an operator (tx ${add.outcome.txHashes.join(", ")}), so both keys are operators now. `
      : add.kind === "already-operator"
        ? `${newOperator} is an operator (it already was before this run). `
        : "Nothing was written for the Safe: no batch exists. ";
  return (
    `${ROTATE_KEY_TASK} stopped after waiting ${rotation.waitSeconds} s: the old key ${oldOperator} still has transactions in flight:\n` +
    `${describeKeyInFlight(status, journalNote)}\n` +
    standing +
    `The old operator was NOT removed and its ETH was NOT swept. Rerun the same command once they settle ` +
    `(with a longer --wait, or after the keeper has settled its journal's open intents).`
  );
}

async function inFlightStep(rotation: Rotation, add: AddStep): Promise<KeyInFlightStatus> {
  const { context, oldOperator, journal, journalPath, waitSeconds } = rotation;
  const { io } = context;
  io.print(`2. Wait for the old key's transactions in flight (at most ${waitSeconds} s)`);
  const journalNote =
    journal === undefined
      ? `no keeper journal at ${journalPath}, so only the chain was checked`
      : `no open intent by ${oldOperator} in ${journalPath}`;
  const read = () => readKeyInFlight(context.hre.ethers.provider, oldOperator, journal);
  if (rotation.dryRun) {
    const status = await read();
    io.print(describeKeyInFlight(status, journalNote));
    io.print(
      status.inFlight
        ? `   Dry run: the old key has work in flight NOW; a real run would wait up to ${waitSeconds} s and stop if it is still there.`
        : "   Dry run: nothing in flight now; a real run would go straight on.",
    );
    return status;
  }
  const result = await waitUntilKeySettles(read, {
    waitSeconds,
    pollIntervalMs: POLL_INTERVAL_MS,
    onWaiting: (status) => io.print(`   Waiting up to ${waitSeconds} s for:\n${describeKeyInFlight(status, journalNote)}`),
  });
  if (!result.settled) {
    if (add.kind === "sent")
      recordEvent(
        rotation,
        "stopped-in-flight",
        { addTxHashes: txHashesOf(add) },
        "new operator added; the old key still had transactions in flight",
      );
    throw new KeyRotationStoppedError(stoppedMessage(rotation, add, result.status, journalNote), result.status);
  }
  io.print(`${describeKeyInFlight(result.status, journalNote)}\n   Nothing of the old key's is in flight.`);
  return result.status;
}

async function removeStep(rotation: Rotation): Promise<ActionOutcome> {
  const { context, oldOperator, newOperator, route } = rotation;
  context.io.print("3. Remove the old operator");
  const batched = route.kind === "safe-batch" && !rotation.newWasOperator;
  const calls: PlannedCall[] = [
    ...(batched ? [{ method: "setOperator", args: [newOperator, true] }] : []),
    { method: "setOperator", args: [oldOperator, false] },
  ];
  return performExecutorAction(
    context,
    {
      task: ROTATE_KEY_TASK,
      summary: batched
        ? `Rotate the keeper key: grant the operator role to ${newOperator}, then revoke it from ${oldOperator}.`
        : `Revoke the operator role of the retired keeper key ${oldOperator} (replaced by ${newOperator}).`,
      authority: "owner",
      calls,
      dryRun: rotation.dryRun,
      from: rotation.args.from,
    },
    route,
  );
}

async function sweepStep(rotation: Rotation, lock: LockState): Promise<SweepStep> {
  const { context, oldOperator, treasury } = rotation;
  const { io } = context;
  const provider = context.hre.ethers.provider;
  io.print("4. Sweep the old key's ETH to the treasury");
  const plan = await planSweep(provider, oldOperator, treasury, rotation.journal);
  if (plan.value === 0n) {
    io.print(`   ${manualSweepInstruction(plan)}`);
    return { kind: "nothing-to-sweep", plan };
  }
  const signer = (await availableSigners(context.hre)).find((candidate) => candidate.address === oldOperator);
  if (signer === undefined) {
    const instruction = manualSweepInstruction(plan);
    io.print(`   This machine holds no key for ${oldOperator} (it is neither a network account nor KEEPER_PRIVATE_KEY). ${instruction}`);
    return { kind: "key-unavailable", plan, instruction };
  }
  if (lock.kind === "held-by-other") {
    const instruction = manualSweepInstruction(plan);
    io.print(
      `   Not swept: a keeper holds the old key's signer lock (${lock.lockPath}); two writers on one key would race for its nonces. ` +
        `Restart that keeper on the new key, then: ${instruction}`,
    );
    return { kind: "key-locked", plan, instruction, lockPath: lock.lockPath };
  }
  io.print(`   ${describeSweepPlan(plan)}`);
  const fields = (name: string) => `   ${`${name}:`.padEnd(13)}`;
  io.print(
    [
      `${fields("from")}${oldOperator} (${signer.source})`,
      `${fields("to")}${treasury} (the treasury)`,
      `${fields("value")}${plan.value} wei`,
      `${fields("gas")}${plan.gasLimit}, maxFeePerGas ${plan.maxFeePerGas} wei, maxPriorityFeePerGas ${plan.maxPriorityFeePerGas} wei`,
      `${fields("calldata")}0x`,
    ].join("\n"),
  );
  if (rotation.dryRun) {
    io.print("   Dry run: nothing was sent.");
    return { kind: "dry-run", plan };
  }
  try {
    const receipt = await sendSweep(signer.signer, provider, plan);
    io.print(
      `   sent:        ${eth(receipt.value)} to the treasury in ${receipt.txHash} (block ${receipt.blockNumber}, fee ${receipt.fee} wei); ` +
        `left on the old key: ${receipt.leftOnKey} wei, the unused part of the ${plan.feeReserve} wei fee reserve.`,
    );
    return { kind: "swept", plan, receipt };
  } catch (error) {
    const message = (error as Error).message.split("\n")[0];
    const instruction = manualSweepInstruction(plan);
    io.print(`   The sweep failed: ${message}. ${instruction}`);
    return { kind: "failed", plan, instruction, error: message };
  }
}

type LockState =
  | { readonly kind: "held"; readonly lock: SignerKeyLock }
  | { readonly kind: "held-by-other"; readonly lockPath: string }
  | { readonly kind: "not-checked" };

/**
 * The old key's signer lock, in the journal's folder where the keeper keeps it. Holding it for the whole
 * rotation keeps a keeper from starting on the old key meanwhile and makes this task the key's one writer
 * for the sweep. A keeper that already holds it is still running on the old key: the task goes on (its
 * plans fail simulation once the key is removed) but leaves the sweep to after that keeper is restarted.
 */
function takeOldKeyLock(rotation: Rotation): LockState {
  const { context, journal, oldOperator } = rotation;
  if (journal === undefined || rotation.dryRun) return { kind: "not-checked" };
  try {
    return {
      kind: "held",
      lock: SignerKeyLock.acquire({ directory: path.dirname(journal.path), chainId: context.chainId, address: oldOperator }),
    };
  } catch (error) {
    if (!(error instanceof SignerKeyLockedError)) throw error;
    context.io.print(
      `WARNING: ${error.message}. That keeper still signs with the old key: restart it with KEEPER_PRIVATE_KEY set to the new key. ` +
        "The rotation goes on; the sweep is left for afterwards.",
    );
    return { kind: "held-by-other", lockPath: error.lockPath };
  }
}

async function remainingSteps(rotation: Rotation, remove: ActionOutcome, sweep: SweepStep): Promise<string[]> {
  const { context, oldOperator, newOperator } = rotation;
  const remaining: string[] = [];
  if (remove.kind === "safe-batch") {
    remaining.push(
      `Owners of the Safe ${rotation.owner.address}: import, sign and execute ${remove.batchPath}. Until it executes, ${oldOperator} stays an operator` +
        (rotation.newWasOperator ? "." : ` and ${newOperator} is not one yet.`),
    );
  }
  remaining.push(
    `Run the keeper on the new key: set KEEPER_PRIVATE_KEY to the key of ${newOperator} where the keeper runs and restart it ` +
      `(\`npx hardhat keeper --network ${context.networkName}\`).`,
  );
  const newBalance = await context.hre.ethers.provider.getBalance(newOperator);
  if (newBalance === 0n) remaining.push(`Fund ${newOperator}: it holds no ETH, and it pays the gas of every liquidation.`);
  if (sweep.kind === "key-locked") {
    remaining.push(`Once the keeper holding ${sweep.lockPath} runs on the new key, sweep the old key: ${sweep.instruction}`);
  } else if (sweep.kind === "key-unavailable" || sweep.kind === "failed") {
    remaining.push(`Sweep the old key: ${sweep.instruction}`);
  }
  remaining.push(`Retire the old key ${oldOperator}: delete it from the keeper's configuration and secret store.`);
  return remaining;
}

export async function runRotateKey(args: RotateKeyArgs, hre: HardhatRuntimeEnvironment): Promise<RotateKeyResult> {
  const newOperator = parseAddress("--new-operator", args.newOperator);
  const namedOld = args.oldOperator === undefined ? undefined : parseAddress("--old-operator", args.oldOperator);
  if (namedOld === newOperator) {
    throw new TaskArgumentError(
      `--new-operator and --old-operator are both ${newOperator}; a rotation replaces one key with a different one`,
    );
  }
  const waitSeconds = parseWaitSeconds(args.wait);
  const dryRun = args.dryRun ?? false;
  const context = await openExecutor(hre, args);
  const { io } = context;
  const provider = hre.ethers.provider;
  const journalPath = resolveJournalPath(context, args.journal);
  const oldOperator = namedOld ?? (await soleOtherOperator(context, newOperator));
  const treasury = getAddress(await context.executor.treasury());
  await requireOperator(context, oldOperator, treasury);
  await requireAccount(context, newOperator);
  const owner = await describeAccount(provider, await context.executor.owner());
  // Throws (nothing sent yet) when the owner is an account whose key this machine does not have.
  const route = await chooseRoute(context, "owner", args.from, ROTATE_KEY_TASK);
  const newWasOperator = await context.executor.isOperator(newOperator);
  const [oldBalance, newBalance] = await Promise.all([provider.getBalance(oldOperator), provider.getBalance(newOperator)]);
  io.print(
    [
      `Key rotation on ${context.networkName} (chain ${context.chainId}), executor ${context.address}${dryRun ? " — DRY RUN: nothing is sent or written" : ""}`,
      `   old operator: ${oldOperator} (${eth(oldBalance)})`,
      `   new operator: ${newOperator} (${eth(newBalance)}${newWasOperator ? ", already an operator" : ""})`,
      `   owner:        ${owner.address} (${describeAccountKind(owner)})`,
      `   treasury:     ${treasury}`,
    ].join("\n"),
  );

  const journal = fs.existsSync(journalPath) ? Journal.open(journalPath, { readonly: dryRun }) : undefined;
  const rotation: Rotation = {
    context,
    args,
    dryRun,
    waitSeconds,
    oldOperator,
    newOperator,
    newWasOperator,
    treasury,
    owner,
    route,
    journalPath,
    journal,
  };
  let lock: LockState = { kind: "not-checked" };
  try {
    lock = takeOldKeyLock(rotation);
    const add = await addStep(rotation);
    const inFlight = await inFlightStep(rotation, add);
    const remove = await removeStep(rotation);
    const sweep = await sweepStep(rotation, lock);
    const journalEvent = journalStep(rotation, remove, add, sweep);
    const remaining = await remainingSteps(rotation, remove, sweep);
    const stage = dryRun ? "dry-run" : remove.kind === "safe-batch" ? "awaiting-safe" : "completed";
    io.print(
      `${stage === "completed" ? `Done: ${newOperator} is an operator and ${oldOperator} is not.` : stage === "awaiting-safe" ? "Batch written: the rotation takes effect when the Safe executes it." : "Dry run complete: nothing was sent or written."}\n` +
        `Still to do:\n${remaining.map((step, index) => `  ${index + 1}. ${step}`).join("\n")}`,
    );
    return {
      executor: context.address,
      oldOperator,
      newOperator,
      treasury,
      owner,
      stage,
      add,
      inFlight,
      remove,
      sweep,
      journalEvent,
      remaining,
    };
  } finally {
    if (lock.kind === "held") lock.lock.release();
    journal?.close();
  }
}

sendingTask(
  ROTATE_KEY_TASK,
  "Replace the keeper's operator key: add the new one, wait for the old key's transactions in flight, remove it, sweep its ETH to the treasury (one Safe batch with a Safe owner)",
)
  .addOptionalParam("newOperator", "The new keeper key's address (required)", undefined, types.string)
  .addOptionalParam("oldOperator", "The operator to retire (default: the executor's only other operator)", undefined, types.string)
  .addOptionalParam(
    "journal",
    "Keeper journal to check for the old key's open intents and to record the rotation in (default: data/keeper-<network>.sqlite)",
    undefined,
    types.string,
  )
  .addOptionalParam(
    "wait",
    `Seconds to wait for the old key's transactions in flight before stopping (default ${DEFAULT_WAIT_SECONDS})`,
    undefined,
    types.float,
  )
  .setAction(async (args: RotateKeyArgs, hre) => asTaskError(() => runRotateKey(args, hre)));
