/**
 * The executor's switches and roles, one runbook step per task:
 *
 *   npx hardhat pause         [--from <operator|owner>]        stop every plan (an operator key may)
 *   npx hardhat unpause                                        resume (owner only)
 *   npx hardhat set-operator  --operator <address> [--remove]  grant or revoke the operator role
 *   npx hardhat set-treasury  --treasury <address>             where profit is paid
 *   npx hardhat allow-target  --target <a[,b…]> [--remove]     contracts plans may call or approve
 *   npx hardhat allow-market  --host <morpho> --market <id[,id…]> [--remove]
 *                                                              Morpho Blue markets plans may liquidate in
 *
 * Common options: --executor, --deployment-id, --from, --dry-run. Owner-only calls are sent by the owner's
 * key when the owner is an account, and written as a Safe Transaction Builder batch when it is a contract.
 * A call that would change nothing (pause when paused, an operator already set…) is reported, not sent.
 */
import { formatUnits, getAddress, isHexString, ZeroHash } from "ethers";
import { types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { TaskArgumentError, parseAddress, parseAddressList, parseList } from "./lib/args";
import { loadBindings } from "./lib/bindings";
import { openExecutor, type ExecutorContext } from "./lib/executor-context";
import { performExecutorAction } from "./lib/executor-action";
import { asTaskError, sendingTask, type SendingTaskArgs, type TaskOutcome } from "./lib/operator-task";

function noOp(context: ExecutorContext, reason: string): TaskOutcome {
  context.io.print(`${reason} Nothing was sent.`);
  return { kind: "no-op", reason };
}

/* ───────────────────────────── pause / unpause ───────────────────────────── */

export async function runPause(args: SendingTaskArgs, hre: HardhatRuntimeEnvironment): Promise<TaskOutcome> {
  const context = await openExecutor(hre, args);
  if (await context.executor.paused()) return noOp(context, `The executor ${context.address} is already paused.`);
  return performExecutorAction(context, {
    task: "pause",
    summary: "Pause the executor: every plan reverts until the owner unpauses.",
    authority: "ownerOrOperator",
    calls: [{ method: "pause", args: [] }],
    dryRun: args.dryRun ?? false,
    from: args.from,
  });
}

export async function runUnpause(args: SendingTaskArgs, hre: HardhatRuntimeEnvironment): Promise<TaskOutcome> {
  const context = await openExecutor(hre, args);
  if (!(await context.executor.paused())) return noOp(context, `The executor ${context.address} is not paused.`);
  return performExecutorAction(context, {
    task: "unpause",
    summary: "Unpause the executor: operators may submit plans again.",
    authority: "owner",
    calls: [{ method: "unpause", args: [] }],
    dryRun: args.dryRun ?? false,
    from: args.from,
  });
}

/* ───────────────────────────── roles ───────────────────────────── */

export interface SetOperatorArgs extends SendingTaskArgs {
  readonly operator?: string;
  readonly remove?: boolean;
}

export async function runSetOperator(args: SetOperatorArgs, hre: HardhatRuntimeEnvironment): Promise<TaskOutcome> {
  const operator = parseAddress("--operator", args.operator);
  const allowed = !(args.remove ?? false);
  const context = await openExecutor(hre, args);
  if ((await context.executor.isOperator(operator)) === allowed) {
    return noOp(context, `${operator} ${allowed ? "is already an operator" : "is not an operator"} of ${context.address}.`);
  }
  return performExecutorAction(context, {
    task: "set-operator",
    summary: allowed
      ? `Grant the operator role to ${operator}: it may submit plans and pause, never move funds.`
      : `Revoke the operator role of ${operator}.`,
    authority: "owner",
    calls: [{ method: "setOperator", args: [operator, allowed] }],
    dryRun: args.dryRun ?? false,
    from: args.from,
  });
}

export interface SetTreasuryArgs extends SendingTaskArgs {
  readonly treasury?: string;
}

export async function runSetTreasury(args: SetTreasuryArgs, hre: HardhatRuntimeEnvironment): Promise<TaskOutcome> {
  const treasury = parseAddress("--treasury", args.treasury);
  const context = await openExecutor(hre, args);
  if (treasury === context.address) {
    throw new TaskArgumentError(
      `--treasury ${treasury} is the executor itself; profit must leave the executor (the contract refuses it too)`,
    );
  }
  const current = getAddress(await context.executor.treasury());
  if (current === treasury) return noOp(context, `The treasury of ${context.address} is already ${treasury}.`);
  return performExecutorAction(context, {
    task: "set-treasury",
    summary: `Pay profit to ${treasury} instead of ${current}.`,
    authority: "owner",
    calls: [{ method: "setTreasury", args: [treasury] }],
    dryRun: args.dryRun ?? false,
    from: args.from,
  });
}

export interface AllowTargetArgs extends SendingTaskArgs {
  readonly target?: string;
  readonly remove?: boolean;
}

export async function runAllowTarget(args: AllowTargetArgs, hre: HardhatRuntimeEnvironment): Promise<TaskOutcome> {
  const targets = parseAddressList("--target", args.target);
  if (targets.length === 0) throw new TaskArgumentError("--target is required: one address, or several separated by commas");
  const allowed = !(args.remove ?? false);
  const context = await openExecutor(hre, args);
  if (targets.includes(context.address)) {
    throw new TaskArgumentError(
      `--target ${context.address} is the executor itself; it cannot be an allowed target (the contract refuses it too)`,
    );
  }
  if (allowed) {
    // The allowlist holds lenders, markets and routers: an account without code is almost surely a typo.
    for (const target of targets) {
      if ((await hre.ethers.provider.getCode(target)) === "0x") {
        throw new TaskArgumentError(
          `--target ${target} has no contract code on ${context.networkName}; the allowlist is for flash lenders, markets and routers. Check the address and --network`,
        );
      }
    }
  }
  const states = await Promise.all(targets.map((target) => context.executor.isAllowedTarget(target)));
  const toChange = targets.filter((_, index) => states[index] !== allowed);
  const unchanged = targets.filter((target) => !toChange.includes(target));
  if (toChange.length === 0) {
    return noOp(context, `${targets.join(", ")} ${allowed ? "already allowed" : "already not allowed"} on ${context.address}.`);
  }
  if (unchanged.length > 0) context.io.print(`Already ${allowed ? "allowed" : "not allowed"}, skipped: ${unchanged.join(", ")}`);
  return performExecutorAction(context, {
    task: "allow-target",
    summary: `${allowed ? "Allow" : "Disallow"} plans to call and approve ${toChange.join(", ")}.`,
    authority: "owner",
    calls: [
      toChange.length === 1
        ? { method: "setAllowedTarget", args: [toChange[0], allowed] }
        : { method: "setAllowedTargets", args: [toChange, allowed] },
    ],
    dryRun: args.dryRun ?? false,
    from: args.from,
  });
}

export interface AllowMarketArgs extends SendingTaskArgs {
  readonly host?: string;
  readonly market?: string;
  readonly remove?: boolean;
}

/** A comma-separated list of Morpho market ids (bytes32, 0x + 64 hex digits, not zero), duplicates removed. */
export function parseMarketIds(flag: string, value: string | undefined): string[] {
  const ids = parseList(value).map((item) => {
    if (!isHexString(item, 32)) {
      throw new TaskArgumentError(`${flag} "${item}" is not a market id: expected 0x followed by 64 hex digits (Morpho's market id)`);
    }
    if (item === ZeroHash) throw new TaskArgumentError(`${flag} ${item} is zero; no Morpho market has that id`);
    return item.toLowerCase();
  });
  if (ids.length === 0) throw new TaskArgumentError(`${flag} is required: one Morpho market id, or several separated by commas`);
  return [...new Set(ids)];
}

/**
 * Morpho Blue markets are allowlisted by (Morpho instance, market id): anyone can create a Morpho market with any oracle,
 * so allowing Morpho as a target (for its flash loans) never lets a plan liquidate in a market the owner did not list.
 * Allowing reads each market's parameters from the host and prints them, so the signer sees what they approve; an id
 * the host does not know is refused.
 */
export async function runAllowMarket(args: AllowMarketArgs, hre: HardhatRuntimeEnvironment): Promise<TaskOutcome> {
  const host = parseAddress("--host", args.host);
  const ids = parseMarketIds("--market", args.market);
  const allowed = !(args.remove ?? false);
  const context = await openExecutor(hre, args);
  if (host === context.address) {
    throw new TaskArgumentError(
      `--host ${host} is the executor itself; the host is the Morpho Blue instance (the contract refuses it too)`,
    );
  }
  const described = new Map<string, string>();
  if (allowed) {
    if ((await hre.ethers.provider.getCode(host)) === "0x") {
      throw new TaskArgumentError(`--host ${host} has no contract code on ${context.networkName}; expected the Morpho Blue instance`);
    }
    const { IMorpho__factory } = await loadBindings();
    const morpho = IMorpho__factory.connect(host, hre.ethers.provider);
    for (const id of ids) {
      const params = await morpho.idToMarketParams(id);
      if (params.loanToken === "0x0000000000000000000000000000000000000000") {
        throw new TaskArgumentError(
          `--market ${id} is not a market of Morpho ${host} on ${context.networkName} (idToMarketParams is empty). Check the id and --network`,
        );
      }
      described.set(
        id,
        `${id} (loan ${params.loanToken}, collateral ${params.collateralToken}, oracle ${params.oracle}, irm ${params.irm}, lltv ${Number(formatUnits(params.lltv, 16))}%)`,
      );
    }
  }
  const states = await Promise.all(ids.map((id) => context.executor.isAllowedMarket(host, id)));
  const toChange = ids.filter((_, index) => states[index] !== allowed);
  const unchanged = ids.filter((id) => !toChange.includes(id));
  if (toChange.length === 0) {
    return noOp(context, `${ids.join(", ")} on ${host} ${allowed ? "already allowed" : "already not allowed"} on ${context.address}.`);
  }
  if (unchanged.length > 0) context.io.print(`Already ${allowed ? "allowed" : "not allowed"}, skipped: ${unchanged.join(", ")}`);
  for (const id of toChange) if (described.has(id)) context.io.print(`market ${described.get(id)}`);
  return performExecutorAction(context, {
    task: "allow-market",
    summary: `${allowed ? "Allow" : "Disallow"} plans to liquidate in Morpho ${host} market(s): ${toChange.map((id) => described.get(id) ?? id).join("; ")}.`,
    authority: "owner",
    calls: [{ method: "setAllowedMarkets", args: [toChange.map((id) => [host, id]), allowed] }],
    dryRun: args.dryRun ?? false,
    from: args.from,
  });
}

/* ───────────────────────────── registration ───────────────────────────── */

sendingTask("pause", "Pause the executor: every plan reverts until the owner unpauses (owner or an operator key)").setAction(
  async (args: SendingTaskArgs, hre) => asTaskError(() => runPause(args, hre)),
);

sendingTask("unpause", "Unpause the executor (owner only; writes a Safe batch when the owner is a Safe)").setAction(
  async (args: SendingTaskArgs, hre) => asTaskError(() => runUnpause(args, hre)),
);

sendingTask("set-operator", "Grant (or with --remove revoke) the operator role: submit plans and pause, never move funds (owner only)")
  .addOptionalParam("operator", "The operator (keeper hot key) address (required)", undefined, types.string)
  .addFlag("remove", "Revoke the role instead of granting it")
  .setAction(async (args: SetOperatorArgs, hre) => asTaskError(() => runSetOperator(args, hre)));

sendingTask("set-treasury", "Change where the executor pays profit (owner only)")
  .addOptionalParam("treasury", "The new treasury address (required)", undefined, types.string)
  .setAction(async (args: SetTreasuryArgs, hre) => asTaskError(() => runSetTreasury(args, hre)));

sendingTask(
  "allow-target",
  "Allow (or with --remove disallow) flash lenders, pools, Aave pools, mToken markets and routers plans may call (owner only); Morpho markets: allow-market",
)
  .addOptionalParam("target", "Target contract address, or several separated by commas (required)", undefined, types.string)
  .addFlag("remove", "Remove the target(s) from the allowlist instead of adding them")
  .setAction(async (args: AllowTargetArgs, hre) => asTaskError(() => runAllowTarget(args, hre)));

sendingTask("allow-market", "Allow (or with --remove disallow) Morpho Blue markets, by id, plans may liquidate in (owner only)")
  .addOptionalParam("host", "The Morpho Blue instance hosting the market(s) (required)", undefined, types.string)
  .addOptionalParam("market", "Morpho market id (bytes32), or several separated by commas (required)", undefined, types.string)
  .addFlag("remove", "Remove the market(s) from the allowlist instead of adding them")
  .setAction(async (args: AllowMarketArgs, hre) => asTaskError(() => runAllowMarket(args, hre)));
