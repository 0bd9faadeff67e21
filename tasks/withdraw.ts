/**
 * `npx hardhat withdraw --token <symbol|address|ETH> --amount <n>` or `npx hardhat withdraw --all [--tokens a,b]`
 *
 * Takes tokens (or ETH) the executor holds back to the OWNER through rescueTokens. The contract always pays
 * the owner and takes no recipient, so neither does this task. The executor normally ends every transaction
 * empty; anything here is a stray transfer, a forced ETH send, or residue from an unusual plan.
 * `--all` withdraws every non-zero balance among ETH, the network's address-book tokens and `--tokens`;
 * with a Safe owner it becomes ONE batch of rescueTokens calls.
 */
import { types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { TaskArgumentError, parseTokenAmount } from "./lib/args";
import { openExecutor, type ExecutorContext } from "./lib/executor-context";
import { performExecutorAction, type PlannedCall } from "./lib/executor-action";
import { formatAmount } from "./lib/format";
import { asTaskError, sendingTask, type SendingTaskArgs, type TaskOutcome } from "./lib/operator-task";
import { balancesOf, networkTokenBook, resolveToken, tokensToScan, type TokenBalance } from "./lib/tokens";

export interface WithdrawArgs extends SendingTaskArgs {
  readonly token?: string;
  readonly amount?: string;
  readonly all?: boolean;
  readonly tokens?: string;
}

export interface WithdrawAllPlan {
  /** Every token looked at, with the executor's balance (zero included). */
  readonly scanned: readonly TokenBalance[];
  /** One rescueTokens call per non-zero balance. */
  readonly calls: readonly PlannedCall[];
}

/** The rescueTokens calls that empty the executor of ETH, the address book's tokens and `extraTokens`. */
export async function planWithdrawAll(context: ExecutorContext, extraTokens: string | undefined): Promise<WithdrawAllPlan> {
  const provider = context.hre.ethers.provider;
  const book = networkTokenBook(context.networkName, context.io.reportsDir);
  const scanned = await balancesOf(provider, context.address, await tokensToScan(provider, book, extraTokens));
  const calls = scanned
    .filter((entry) => entry.balance > 0n)
    .map((entry) => ({ method: "rescueTokens", args: [entry.token.address, entry.balance] }));
  return { scanned, calls };
}

export function describeHoldings(scanned: readonly TokenBalance[]): string {
  const held = scanned.filter((entry) => entry.balance > 0n);
  const atZero = scanned.filter((entry) => entry.balance === 0n).map((entry) => entry.token.symbol);
  if (held.length === 0) return `  nothing (checked ${atZero.join(", ")})`;
  const lines = held.map((entry) => `  ${formatAmount(entry.balance, entry.token.decimals, entry.token.symbol)} (${entry.token.address})`);
  return lines.join("\n") + (atZero.length > 0 ? `\n  (at zero: ${atZero.join(", ")})` : "");
}

export async function runWithdraw(args: WithdrawArgs, hre: HardhatRuntimeEnvironment): Promise<TaskOutcome> {
  const all = args.all ?? false;
  if (all && (args.token !== undefined || args.amount !== undefined)) {
    throw new TaskArgumentError("--all withdraws every balance; it cannot be combined with --token or --amount");
  }
  if (!all && args.token === undefined) {
    throw new TaskArgumentError("say what to withdraw: --token <symbol|address|ETH> --amount <n>, or --all");
  }
  if (!all && args.tokens !== undefined)
    throw new TaskArgumentError("--tokens only adds tokens to --all's scan; use --token for a single withdrawal");
  const context = await openExecutor(hre, args);
  const owner = await context.executor.owner();
  const provider = hre.ethers.provider;
  let calls: readonly PlannedCall[];
  let summary: string;
  if (all) {
    const plan = await planWithdrawAll(context, args.tokens);
    context.io.print(`The executor ${context.address} holds:\n${describeHoldings(plan.scanned)}`);
    if (plan.calls.length === 0) {
      context.io.print("Nothing to withdraw. Nothing was sent.");
      return { kind: "no-op", reason: "nothing held" };
    }
    calls = plan.calls;
    summary = `Withdraw every non-zero balance (${plan.scanned
      .filter((e) => e.balance > 0n)
      .map((e) => e.token.symbol)
      .join(", ")}) to the owner ${owner}.`;
  } else {
    const book = networkTokenBook(context.networkName, context.io.reportsDir);
    const token = await resolveToken(provider, book, args.token!);
    const amount = parseTokenAmount("--amount", args.amount, token.decimals, token.symbol);
    const [held] = await balancesOf(provider, context.address, [token]);
    if (held.balance < amount) {
      throw new TaskArgumentError(
        `the executor holds ${formatAmount(held.balance, token.decimals, token.symbol)}, less than --amount ${formatAmount(amount, token.decimals, token.symbol)}; ` +
          (held.balance === 0n
            ? "there is nothing to withdraw"
            : `withdraw at most ${formatAmount(held.balance, token.decimals, "").trim()}, or use --all`),
      );
    }
    calls = [{ method: "rescueTokens", args: [token.address, amount] }];
    summary = `Withdraw ${formatAmount(amount, token.decimals, token.symbol)} to the owner ${owner}.`;
  }
  context.io.print(`rescueTokens always pays the owner, ${owner}: the contract takes no recipient, so this task has none.`);
  return performExecutorAction(context, {
    task: "withdraw",
    summary,
    authority: "owner",
    calls,
    dryRun: args.dryRun ?? false,
    from: args.from,
  });
}

sendingTask("withdraw", "Send tokens or ETH the executor holds to its OWNER (always the owner: the contract enforces it; owner only)")
  .addOptionalParam("token", "Token symbol from the network's address book, token address, or ETH", undefined, types.string)
  .addOptionalParam(
    "amount",
    "Amount in whole tokens, decimals allowed: 1.5 means 1.5 tokens (converted with the token's decimals); must be > 0",
    undefined,
    types.string,
  )
  .addFlag("all", "Withdraw every non-zero balance: ETH, the address book's tokens and --tokens (one Safe batch with a Safe owner)")
  .addOptionalParam("tokens", "With --all: more tokens to check, comma-separated symbols or addresses", undefined, types.string)
  .setAction(async (args: WithdrawArgs, hre) => asTaskError(() => runWithdraw(args, hre)));
