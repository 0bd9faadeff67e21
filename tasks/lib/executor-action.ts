/**
 * How an administrative call reaches the executor. One route per situation, decided before anything is
 * sent:
 * - the role that may make the call (owner, pending owner, owner-or-operator) belongs to a CONTRACT (a
 *   Safe): nothing is sent; a Safe Transaction Builder batch with every call is written to reports/safe/;
 * - otherwise the connected signer must hold the role: if it does not, the task stops and names the
 *   address that must sign; if it does, each call is simulated (eth_call), then sent and awaited;
 * - `--dry-run` stops after printing the route, the target, the calldata and the decoded call.
 */
import { ZeroAddress, type Signer } from "ethers";
import { decodeCall, revertReason } from "./format";
import { describeAccount, describeAccountKind, readRoleLists, type AccountFacts, type ExecutorContext } from "./executor-context";
import { batchTransaction, buildSafeBatch, safeImportInstructions, writeSafeBatch, type SafeBatchFile } from "./safe-batch";
import { availableSigners, describeAvailable, selectSigner, type AvailableSigner } from "./signers";

/** Who may make the calls. */
export type Authority = "owner" | "pendingOwner" | "ownerOrOperator";

export interface PlannedCall {
  readonly method: string;
  readonly args: readonly unknown[];
  readonly value?: bigint;
}

export interface EncodedCall extends PlannedCall {
  readonly to: string;
  readonly data: string;
  /** `setOperator(operator=0x…, allowed=true)` */
  readonly decoded: string;
}

export interface ActionRequest {
  /** Task name, used in the Safe batch file name. */
  readonly task: string;
  /** One line saying what the calls do, for the batch description and the output. */
  readonly summary: string;
  readonly authority: Authority;
  readonly calls: readonly PlannedCall[];
  readonly dryRun: boolean;
  readonly from?: string;
}

export type ActionRoute =
  | { readonly kind: "send"; readonly signer: AvailableSigner; readonly role: string }
  | { readonly kind: "safe-batch"; readonly safe: AccountFacts; readonly role: string };

export type ActionOutcome =
  | { readonly kind: "dry-run"; readonly route: ActionRoute; readonly calls: readonly EncodedCall[] }
  | { readonly kind: "sent"; readonly route: ActionRoute; readonly calls: readonly EncodedCall[]; readonly txHashes: readonly string[] }
  | {
      readonly kind: "safe-batch";
      readonly route: ActionRoute;
      readonly calls: readonly EncodedCall[];
      readonly batchPath: string;
      readonly batch: SafeBatchFile;
    };

export class RoleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RoleError";
  }
}

export function encodeCalls(context: ExecutorContext, calls: readonly PlannedCall[]): EncodedCall[] {
  return calls.map((call) => {
    const data = context.iface.encodeFunctionData(call.method, [...call.args]);
    return { ...call, to: context.address, data, decoded: decodeCall(context.iface, data) };
  });
}

/** "rerun with --from X" when X is one of the network's accounts, else how to make it one. */
async function howToSignAs(context: ExecutorContext, needed: readonly string[]): Promise<string> {
  const signers = await availableSigners(context.hre);
  const usable = signers.find((candidate) => needed.includes(candidate.address));
  if (usable !== undefined) return `${usable.address} is available (${usable.source}): rerun with --from ${usable.address}.`;
  return `None of these keys is configured for network "${context.networkName}" (available: ${describeAvailable(signers)}).`;
}

/**
 * The signer to use: the one `--from` names, or else the first of the network's accounts that `holds`.
 * Undefined when none does (the caller then writes a Safe batch or explains who must sign).
 */
async function signerHolding(
  context: ExecutorContext,
  from: string | undefined,
  holds: (address: string) => Promise<boolean>,
): Promise<{ chosen?: AvailableSigner; named?: AvailableSigner }> {
  if (from !== undefined) {
    const named = await selectSigner(context.hre, from);
    return { named, chosen: named !== undefined && (await holds(named.address)) ? named : undefined };
  }
  for (const candidate of await availableSigners(context.hre)) {
    if (await holds(candidate.address)) return { chosen: candidate };
  }
  return { named: (await availableSigners(context.hre))[0] };
}

function signerText(signer: AvailableSigner | undefined): string {
  return signer === undefined ? "no account is configured for this network" : `the signer is ${signer.address} (${signer.source})`;
}

/**
 * Decides who signs, or that a Safe batch is written; throws a RoleError naming the needed address
 * otherwise. With --from, that account must hold the role; without it, the first configured account
 * that holds the role signs.
 */
export async function chooseRoute(
  context: ExecutorContext,
  authority: Authority,
  from: string | undefined,
  taskName: string,
): Promise<ActionRoute> {
  const provider = context.hre.ethers.provider;
  const owner = await context.executor.owner();
  if (authority === "owner" || authority === "pendingOwner") {
    const holder = authority === "owner" ? owner : await context.executor.pendingOwner();
    const role = authority === "owner" ? "owner" : "pending owner";
    if (holder === ZeroAddress) {
      throw new RoleError(
        `${taskName}: no ownership transfer is pending (pendingOwner is zero); the owner starts one with \`npx hardhat transfer-ownership --to <address>\``,
      );
    }
    const account = await describeAccount(provider, holder);
    if (account.isContract) return { kind: "safe-batch", safe: account, role };
    const { chosen, named } = await signerHolding(context, from, async (address) => address === account.address);
    if (chosen !== undefined) return { kind: "send", signer: chosen, role };
    throw new RoleError(
      `${taskName} must be signed by the ${role} ${account.address}, but ${signerText(named)}. ` +
        (await howToSignAs(context, [account.address])) +
        " Nothing was sent.",
    );
  }
  // Owner or operator (pause).
  const ownerAccount = await describeAccount(provider, owner);
  const { chosen, named } = await signerHolding(
    context,
    from,
    async (address) => (await context.executor.isOperator(address)) || (!ownerAccount.isContract && address === ownerAccount.address),
  );
  if (chosen !== undefined) {
    const role = (await context.executor.isOperator(chosen.address)) ? "operator" : "owner";
    return { kind: "send", signer: chosen, role };
  }
  if (ownerAccount.isContract && from === undefined) return { kind: "safe-batch", safe: ownerAccount, role: "owner" };
  const { operators } = await readRoleLists(context);
  const needed = [...(ownerAccount.isContract ? [] : [ownerAccount.address]), ...operators];
  throw new RoleError(
    `${taskName} must be signed by ${ownerAccount.isContract ? "" : `the owner ${ownerAccount.address} or `}an operator ` +
      `(${operators.length === 0 ? "the executor has no operators" : `operators: ${operators.join(", ")}`}), but ${signerText(named)}. ` +
      (needed.length === 0 ? "" : await howToSignAs(context, needed)) +
      (ownerAccount.isContract ? ` Without --from, the task writes a batch for the owner Safe ${ownerAccount.address} instead.` : "") +
      " Nothing was sent.",
  );
}

function printCalls(context: ExecutorContext, calls: readonly EncodedCall[], from: string): void {
  const field = (name: string) => `${name}:`.padEnd(13);
  const lines = [
    `${field("target")}${context.address} (ChimeraExecutor on ${context.networkName}, chain ${context.chainId})`,
    `${field("from")}${from}`,
  ];
  calls.forEach((call, index) => {
    const label = calls.length === 1 ? "" : ` #${index + 1}`;
    lines.push(`${field(`call${label}`)}${call.decoded}${call.value ? ` value=${call.value}` : ""}`);
    lines.push(`${field(`calldata${label}`)}${call.data}`);
  });
  context.io.print(lines.join("\n"));
}

async function simulate(context: ExecutorContext, signer: Signer, call: EncodedCall): Promise<void> {
  try {
    await context.hre.ethers.provider.call({ from: await signer.getAddress(), to: call.to, data: call.data, value: call.value ?? 0n });
  } catch (error) {
    throw new Error(`${call.decoded} would revert: ${revertReason(context.iface, error)}. Nothing was sent for it.`);
  }
}

/** Runs `request` along the route its authority dictates; see the module comment. */
export async function performExecutorAction(context: ExecutorContext, request: ActionRequest, route?: ActionRoute): Promise<ActionOutcome> {
  if (request.calls.length === 0) throw new Error(`${request.task}: nothing to do`);
  const chosen = route ?? (await chooseRoute(context, request.authority, request.from, request.task));
  const calls = encodeCalls(context, request.calls);
  const { io } = context;

  if (chosen.kind === "safe-batch") {
    const safe = chosen.safe;
    printCalls(context, calls, `${safe.address} (the ${chosen.role}: ${describeAccountKind(safe)})`);
    if (request.dryRun) {
      io.print(
        `Dry run: the ${chosen.role} is a contract, so this would write a Safe Transaction Builder batch to ${io.reportsDir}/safe/; nothing was written or sent.`,
      );
      return { kind: "dry-run", route: chosen, calls };
    }
    const batch = buildSafeBatch({
      chainId: context.chainId,
      safe: safe.address,
      name: `Chimera ${request.task} (chain ${context.chainId})`,
      description: `${request.summary} Executor ${context.address}. Written by \`npx hardhat ${request.task}\`.`,
      createdAt: io.now(),
      transactions: calls.map((call) =>
        batchTransaction(context.iface, context.abi, { to: call.to, method: call.method, args: call.args, value: call.value }),
      ),
    });
    const batchPath = writeSafeBatch(io.reportsDir, request.task, batch);
    io.print(
      `The ${chosen.role} ${safe.address} is ${describeAccountKind(safe)}: nothing was sent. ` +
        `Wrote a Safe Transaction Builder batch with ${calls.length} call(s) to ${batchPath}\n` +
        safeImportInstructions(batchPath, safe.address, context.chainId, safe.safe?.threshold),
    );
    return { kind: "safe-batch", route: chosen, calls, batchPath, batch };
  }

  const { signer } = chosen;
  printCalls(context, calls, `${signer.address} (${chosen.role}; ${signer.source})`);
  if (request.dryRun) {
    io.print("Dry run: nothing was sent.");
    return { kind: "dry-run", route: chosen, calls };
  }
  const txHashes: string[] = [];
  for (const [index, call] of calls.entries()) {
    try {
      await simulate(context, signer.signer, call);
      const response = await signer.signer.sendTransaction({ to: call.to, data: call.data, value: call.value ?? 0n });
      const receipt = await response.wait();
      if (receipt === null || receipt.status !== 1) throw new Error(`transaction ${response.hash} reverted`);
      txHashes.push(response.hash);
      io.print(`sent:        ${call.decoded} in ${response.hash} (block ${receipt.blockNumber}, gas ${receipt.gasUsed})`);
    } catch (error) {
      const done = index === 0 ? "" : ` Calls already sent: ${txHashes.join(", ")}.`;
      throw new Error(`${(error as Error).message}${done}`);
    }
  }
  return { kind: "sent", route: chosen, calls, txHashes };
}
