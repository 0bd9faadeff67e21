/**
 * What the execution stage's scripted-chain tests share (execution-stage, refused-nonce, stuck-transactions): a LIVE
 * context at a block, the instant of a block, a simulation that succeeded, and the stage's options around the parts
 * each test scripts (the preparer, the broadcaster, the chain). The simulator answers every request with the test's
 * simulation: simulation itself is proven on the sandbox, these tests are about what happens after it.
 */
import { KeeperMetrics } from "../../../../keeper/telemetry/metrics";
import { createLogger } from "../../../../keeper/telemetry/logger";
import type { ExecutionContext, ExecutionStageOptions } from "../../../../keeper/execution/execution-stage";
import type { PlanSimulator, SimulationOutcome } from "../../../../keeper/execution/plan-simulator";
import type { Instant } from "../../../../keeper/risk/instant";
import { NonceManager } from "../../../../keeper/submit/nonce-manager";
import type { TransactionPreparerOptions } from "../../../../keeper/submit/transaction-preparer";
import { DEFAULT_FEE_POLICY } from "../../../../keeper/submit/fee-policy";
import type { Wallet } from "ethers";

const GWEI = 10n ** 9n;

export const STAGE_EXECUTOR = "0x00000000000000000000000000000000000000e1";
const DAY = Date.UTC(2026, 10, 21);

export function instantAt(block: number, timeMs = DAY): Instant {
  return { timeMs, block };
}

export function liveContext(block: number, timeMs = DAY): ExecutionContext {
  return { mode: "LIVE", headBlock: block, seenAtMs: performance.now(), at: instantAt(block, timeMs) };
}

/** A simulation that succeeded: profit 450 USDC, floor 427.5, gas limit 3,000,000, deadline block 120 unless told. */
export function successfulSimulation(overrides: { readonly deadlineBlock?: number; readonly calldata?: string } = {}): SimulationOutcome {
  return {
    ok: true,
    simulatedProfit: 450_000_000n,
    expectedProfit: 450_000_000n,
    minProfit: 427_500_000n,
    gasEstimate: 900_000n,
    gasLimit: 3_000_000n,
    deadlineBlock: overrides.deadlineBlock ?? 120,
    planStruct: {} as never,
    calldata: overrides.calldata ?? "0x12345678",
  };
}

/** The stage's options with a silent logger, fresh metrics, flat prices and a 3-block budget; `parts` adds the rest. */
export function scriptedStageOptions(
  simulation: () => SimulationOutcome,
  parts: Pick<ExecutionStageOptions, "journal" | "preparer" | "broadcaster" | "chain" | "onOutcome"> & Partial<ExecutionStageOptions>,
): ExecutionStageOptions {
  return {
    simulator: {
      simulate: async () => simulation(),
      simulateMany: async (requests: readonly unknown[]) => requests.map(() => simulation()),
    } as unknown as PlanSimulator,
    executor: STAGE_EXECUTOR,
    metrics: new KeeperMetrics({ processMetrics: false }),
    logger: createLogger({ level: "silent" }),
    prices: { usdPerToken: () => 1, decimalsOf: () => 6, nativeUsd: () => 3_000 },
    inclusionBlockBudget: 3,
    maxBumps: 2,
    ...parts,
  };
}

/**
 * A key on chain 8453 for these tests: its nonce manager (counting from what `latest` answers, its lock file in `dir`)
 * and the preparer's options around it, fees capped at 100 gwei (10 priority, cancels up to 200) over a 1 gwei base fee.
 */
export async function scriptedKey(
  signer: Wallet | ReturnType<typeof Wallet.createRandom>,
  dir: string,
  latest: () => number,
): Promise<{ nonces: NonceManager; preparerOptions: TransactionPreparerOptions }> {
  const nonces = await NonceManager.open({
    address: signer.address,
    chainId: 8453,
    source: { getTransactionCount: async () => latest() },
    lockDirectory: dir,
  });
  const fees = {
    ...DEFAULT_FEE_POLICY,
    maxFeePerGasCap: 100n * GWEI,
    maxPriorityFeePerGasCap: 10n * GWEI,
    cancelMaxFeePerGasCeiling: 200n * GWEI,
  };
  return { nonces, preparerOptions: { signer, chainId: 8453, nonces, fees, baseFee: { currentBaseFee: async () => GWEI } } };
}
