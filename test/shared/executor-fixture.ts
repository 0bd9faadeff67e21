/**
 * The executor as the tests (and the bench, tasks and keeper tests) get it: the sandbox, plus ChimeraExecutor deployed
 * through the Ignition module that ships (ignition/modules/ChimeraExecutorModule.ts) with the sandbox's genuine
 * lenders, markets and router on its target allowlist and every sandbox Morpho market on its market allowlist (the same
 * parameters the keeper's sandbox deployment uses, keeper/scenarios/sandbox-executor.ts). Use it with loadFixture: `const f = await loadFixture(executorFixture)`.
 *
 * Roles are Hardhat accounts 1-4 (account 0 is the sandbox deployer, which owns and funds every protocol):
 * owner (account 1), operator (2), treasury (3), outsider (4, holds no role).
 */
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import ChimeraExecutorModule, { type HostedMarketParameter } from "../../ignition/modules/ChimeraExecutorModule";
import { sandboxExecutorAllowlist, sandboxExecutorMarkets } from "../../keeper/scenarios/sandbox-executor";
import { ChimeraExecutor__factory, type ChimeraExecutor } from "../../typechain-types";
import type { Sandbox } from "../../sandbox";
import { sandboxFixture } from "./sandbox-fixture";

export interface ExecutorFixture {
  readonly sandbox: Sandbox;
  /** Connected to `operator`, the role that submits plans; `.connect(owner)` for administration. */
  readonly executor: ChimeraExecutor;
  readonly owner: HardhatEthersSigner;
  readonly operator: HardhatEthersSigner;
  readonly treasury: HardhatEthersSigner;
  readonly outsider: HardhatEthersSigner;
}

/** Everything in the sandbox a plan may call: Aave pool, Balancer Vault, Morpho Blue, SwapRouter02, every Uniswap pool. */
export const sandboxAllowlist = sandboxExecutorAllowlist;

/** Every sandbox Morpho Blue market, by id on the sandbox's Morpho. */
export const sandboxMarkets = sandboxExecutorMarkets;

/** The ChimeraExecutorModule parameters for a sandbox deployment (what ignition/parameters/localhost.json holds). */
export function sandboxModuleParameters(
  sandbox: Sandbox,
  roles: { owner: string; treasury: string; operators: readonly string[] },
): {
  ChimeraExecutorModule: { owner: string; treasury: string; operators: string[]; allowlist: string[]; markets: HostedMarketParameter[] };
} {
  return {
    ChimeraExecutorModule: {
      owner: roles.owner,
      treasury: roles.treasury,
      operators: [...roles.operators],
      allowlist: sandboxAllowlist(sandbox),
      markets: sandboxMarkets(sandbox),
    },
  };
}

export async function executorFixture(): Promise<ExecutorFixture> {
  const sandbox = await loadFixture(sandboxFixture);
  const [, owner, operator, treasury, outsider] = await hre.ethers.getSigners();
  if (outsider === undefined) throw new Error("executorFixture needs at least 5 Hardhat accounts");
  const { executor } = await hre.ignition.deploy(ChimeraExecutorModule, {
    parameters: sandboxModuleParameters(sandbox, {
      owner: owner.address,
      treasury: treasury.address,
      operators: [operator.address],
    }),
  });
  return {
    sandbox,
    executor: ChimeraExecutor__factory.connect(await executor.getAddress(), operator),
    owner,
    operator,
    treasury,
    outsider,
  };
}
