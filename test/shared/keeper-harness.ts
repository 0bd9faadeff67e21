/**
 * What every test (and the reaction benchmark) that runs the real keeper on the sandbox sets up the same way: the
 * executor deployed with the standard Hardhat roles, a keeper session wired to the in-process node, and a scratch
 * directory for its journal. Each caller overrides only what its test is about (a broadcaster, a mode, hooks).
 *
 * Roles follow test/shared/executor-fixture.ts: owner = account 1, operator = account 2 (as a wallet, so the keeper
 * signs with its key), treasury = account 3.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { Wallet } from "ethers";
import type { Sandbox } from "../../sandbox";
import type { Address } from "../../keeper/config/address-book";
import { loadKeeperConfig } from "../../keeper/config/load";
import { providerBroadcaster } from "../../keeper/execution/broadcast";
import { createLogger } from "../../keeper/telemetry/logger";
import { hardhatAccountWallet } from "../../keeper/run/hardhat-accounts";
import { openKeeperSession, type KeeperSession, type KeeperSessionOptions } from "../../keeper/run/keeper-session";
import { deploySandboxExecutor } from "../../keeper/scenarios/sandbox-executor";
import { snapshotChain } from "./local-node";
import type { OpenedBorrower } from "../../sandbox/borrowers";
import { SandboxMarketHandle } from "../../keeper/scenarios/sandbox-market-handle";
import type { SandboxRunOptions } from "../../keeper/run/sandbox-run";
import { smallFallingPrices } from "./scenarios/falling-prices-small";
import { openWethUsdcBorrower } from "./one-aave-borrower";

/** The metric names the operations issue requires on /metrics. */
export const OPERATIONS_ISSUE_METRICS = [
  "opportunities_detected_total",
  "simulations_total",
  "transactions_sent_total",
  "inclusion_latency_seconds",
  "profit_realized_usd_total",
  "gas_spent_eth_total",
  "breaker_state",
  "rpc_head_lag_blocks",
  "operator_balance_eth",
] as const;

export interface SandboxKeeperRoles {
  /** All Hardhat signers, for tests that need an owner call or a spare address. */
  readonly signers: HardhatEthersSigner[];
  /** Hardhat account 2 as a wallet: the keeper signs with its private key. */
  readonly operator: Wallet;
  readonly executor: Address;
}

/** Deploys the executor on `sandbox` through its Ignition module with the standard roles (owner 1, operator 2, treasury 3). */
export async function deployKeeperExecutor(hre: HardhatRuntimeEnvironment, sandbox: Sandbox): Promise<SandboxKeeperRoles> {
  const signers = await hre.ethers.getSigners();
  const operator = hardhatAccountWallet(hre, 2);
  const executor = await deploySandboxExecutor(hre, sandbox, {
    owner: signers[1]!.address as Address,
    treasury: signers[3]!.address as Address,
    operator: operator.address as Address,
  });
  return { signers, operator, executor };
}

/** The executor, one Aave borrower and a ready market handle: the set-up of a single-liquidation keeper test. */
export interface OneBorrowerSetup extends SandboxKeeperRoles {
  readonly borrower: OpenedBorrower;
  readonly handle: SandboxMarketHandle;
}

/**
 * Deploys the keeper's executor and opens ONE WETH-collateral, USDC-debt Aave borrower at health factor 1.02 (a small
 * WETH drop makes it liquidatable), with the market handle prepared to move prices. `seed` and `debtUsd` keep each
 * test's borrower its own.
 */
export async function openOneBorrowerSetup(
  hre: HardhatRuntimeEnvironment,
  sandbox: Sandbox,
  borrowerSpec: { readonly seed: number; readonly debtUsd: number },
): Promise<OneBorrowerSetup> {
  const roles = await deployKeeperExecutor(hre, sandbox);
  const borrower = await openWethUsdcBorrower(hre, sandbox, { seed: borrowerSpec.seed, healthFactor: 1.02, debtUsd: borrowerSpec.debtUsd });
  const handle = new SandboxMarketHandle(hre, sandbox);
  await handle.prepare();
  return { ...roles, borrower, handle };
}

export interface SandboxKeeperSessionInputs {
  readonly sandbox: Sandbox;
  readonly executor: Address;
  readonly operator: Wallet;
  readonly journalPath: string;
}

/**
 * A LIVE keeper session on the in-process node, as `npx hardhat keeper` opens it on the sandbox: reads and sends go
 * straight to hre's provider, the telemetry server takes any free port, logs are silenced. `overrides` replace
 * whole options (a different broadcaster, provider, config, hooks...).
 */
export function openSandboxKeeperSession(
  hre: HardhatRuntimeEnvironment,
  inputs: SandboxKeeperSessionInputs,
  overrides: Partial<KeeperSessionOptions> = {},
): Promise<KeeperSession> {
  return openKeeperSession({
    config: loadKeeperConfig({ network: "hardhat", env: {} }),
    book: inputs.sandbox.book,
    chainId: inputs.sandbox.book.chainId,
    executor: inputs.executor,
    provider: hre.ethers.provider,
    signer: inputs.operator,
    broadcaster: providerBroadcaster(hre.ethers.provider as unknown as Parameters<typeof providerBroadcaster>[0]),
    journalPath: inputs.journalPath,
    logger: createLogger({ level: "silent" }),
    knownSecrets: [inputs.operator.privateKey],
    setting: () => undefined,
    oracleMode: "poll",
    liveViolations: () => [],
    port: 0,
    onPortBusy: "ephemeral",
    ...overrides,
  });
}

/** A fresh temporary directory for a run's journal and reports; `remove()` deletes it and everything in it. */
export interface ScratchDirectory {
  readonly path: string;
  remove(): void;
}

export function makeScratchDirectory(prefix: string): ScratchDirectory {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { path: directory, remove: () => fs.rmSync(directory, { recursive: true, force: true }) };
}

/**
 * A chain snapshot plus a scratch directory, undone together: `close()` reverts the chain to the snapshot (so the
 * next test file starts from the state this one found) and deletes the directory.
 */
export interface ScratchRun {
  readonly directory: string;
  readonly journalPath: string;
  close(): Promise<void>;
}

export async function openScratchRun(hre: HardhatRuntimeEnvironment, prefix: string): Promise<ScratchRun> {
  const restore = await snapshotChain(hre);
  const scratch = makeScratchDirectory(prefix);
  return {
    directory: scratch.path,
    journalPath: path.join(scratch.path, "journal.sqlite"),
    close: async () => {
      await restore();
      scratch.remove();
    },
  };
}

/**
 * runSandboxKeeper's options for a quiet run of the small falling-prices scenario with its journal and reports in
 * `scratch`: the sandbox's default config, any free telemetry port, nothing printed, logs silenced. A test adds what it
 * is about (afterStep, a config of its own).
 */
export function quietScenarioRun(hre: HardhatRuntimeEnvironment, scratch: ScratchRun): SandboxRunOptions {
  return {
    hre,
    config: loadKeeperConfig({ network: "hardhat", env: {} }),
    scenario: smallFallingPrices,
    journalPath: scratch.journalPath,
    reportsDirectory: scratch.directory,
    port: 0,
    output: { isTTY: false, write: () => true },
    print: () => undefined,
    logger: createLogger({ level: "silent" }),
  };
}
