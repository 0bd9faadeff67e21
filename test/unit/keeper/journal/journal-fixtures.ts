/**
 * Builders for the domain objects the journal stores (plans, decisions, signed-tx facts) and a
 * throwaway directory per test. Plain data, no chain: the journal never talks to one.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Address, LiquidationPlan, PlanDecision } from "../../../../keeper/core/types";
import type { Journal } from "../../../../keeper/journal/journal";
import type { TxAttemptInput } from "../../../../keeper/journal/records";

export const BORROWER: Address = "0x1111111111111111111111111111111111111111";
export const WETH: Address = "0x4200000000000000000000000000000000000006";
export const USDC: Address = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913";
export const BALANCER_VAULT: Address = "0xBA12222222228d8Ba445958a75a0704d566BF2C8";
export const OPERATOR: Address = "0x2222222222222222222222222222222222222222";

export function makeTempDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `chimera-${label}-`));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

export function makePlan(
  overrides: { id?: string; market?: string; expectedProfit?: bigint; expectedProfitUsd?: number; flashFee?: bigint } = {},
): LiquidationPlan {
  const id = overrides.id ?? "aaveV3:base:0x1111:100";
  const market = overrides.market ?? "aave-v3-base";
  return {
    id,
    candidate: {
      key: { protocol: "aaveV3", market, borrower: BORROWER },
      collateralToken: WETH,
      debtToken: USDC,
      debtToCover: 10_000n * 10n ** 6n,
      expectedCollateral: 4_772_700_000_000_000_000n,
      debtToCoverUsd: 10_000,
      expectedCollateralUsd: 10_500,
      sizingRule: "aave-v3.0-close-factor-50%",
      healthFactor: 907_500_000_000_000_000n,
      detectedAtBlock: 100,
    },
    flash: {
      kind: "balancer",
      executorSource: "BalancerV2",
      address: BALANCER_VAULT,
      amount: 10_000n * 10n ** 6n,
      fee: overrides.flashFee ?? 5_000_000n,
    },
    swap: null,
    profitToken: USDC,
    expectedProfit: overrides.expectedProfit ?? 450n * 10n ** 6n,
    expectedProfitUsd: overrides.expectedProfitUsd ?? 450,
    gasUnits: 900_000n,
    gasCostUsd: 0.05,
    netProfitUsd: 449.95,
  };
}

export function plannedDecision(plan: LiquidationPlan): PlanDecision {
  return { candidate: plan.candidate, plan, outcome: "planned" };
}

export function skippedDecision(plan: LiquidationPlan, reason: PlanDecision["reason"], detail: string): PlanDecision {
  return { candidate: plan.candidate, plan: null, outcome: "skipped", reason, detail };
}

/** A distinct 32-byte tx hash per label, so tests can tell attempts apart. */
export function txHash(n: number): string {
  return `0x${n.toString(16).padStart(64, "0")}`;
}

export function attempt(n: number, nonce = 7, overrides: Partial<TxAttemptInput> = {}): TxAttemptInput {
  return {
    txHash: txHash(n),
    signer: OPERATOR,
    nonce,
    maxFeePerGas: 10_000_000n * BigInt(n),
    maxPriorityFeePerGas: 1_000_000n * BigInt(n),
    gasLimit: 1_200_000n,
    ...overrides,
  };
}

/** As the execution stage journals a signed transaction up to `sent`: its intent (signer, nonce, fees), signed, sent. */
export function journalSent(journal: Journal, planId: string, tx: TxAttemptInput): void {
  journal.recordIntent(planId, {
    signer: tx.signer,
    nonce: tx.nonce,
    maxFeePerGas: tx.maxFeePerGas,
    maxPriorityFeePerGas: tx.maxPriorityFeePerGas,
  });
  journal.markSigned(planId, tx);
  journal.markSent(planId);
}
