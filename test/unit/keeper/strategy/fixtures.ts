/** Plain-number building blocks shared by the strategy tests. */
import type { Address, FlashSourceOption, LiquidationCandidate, LiquidationPlan, PositionKey } from "../../../../keeper/core/types";
import type { FlashLenderPlugin } from "../../../../keeper/flash/flash-lender";
import type { SizingRefusal } from "../../../../keeper/markets/sizing-result";

export const USDC: Address = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913";
export const WETH: Address = "0x4200000000000000000000000000000000000006";
export const CBBTC: Address = "0xcbB7C0000aB88B473b1f5aFd9ef808440eed33Bf";
export const BALANCER_VAULT: Address = "0xBA12222222228d8Ba445958a75a0704d566BF2C8";
export const MORPHO: Address = "0xBBBBBbbBBb9cC5e90e3b3Af64bdAF62C37EEFFCb";
export const AAVE_POOL: Address = "0xA238Dd80C259a72e81d7e4664a9801593F98d1c5";
export const UNI_POOL_WETH_USDC: Address = "0xd0b53D9277642d899DF5C87A3966A349A798F224";
export const UNI_POOL_OTHER: Address = "0x6c561B446416E1A00E8E93E221854d6eA4171372";

export const E6 = 10n ** 6n;
export const E8 = 10n ** 8n;
export const E18 = 10n ** 18n;

/** Health factor from a decimal written as thousandths: hf(970) = 0.97e18. */
export const hf = (thousandths: number): bigint => (BigInt(thousandths) * E18) / 1000n;

export function positionKey(borrower: string, protocol: PositionKey["protocol"] = "aaveV3"): PositionKey {
  return { protocol, market: "test-market", borrower: borrower as Address };
}

export const BORROWER_A: Address = "0x00000000000000000000000000000000000000a1";
export const BORROWER_B: Address = "0x00000000000000000000000000000000000000b2";

/** A candidate repaying 1,000 USDC for 0.525 WETH (5% bonus at $2,000), detected at block 100. */
export function candidate(overrides: Partial<LiquidationCandidate> = {}): LiquidationCandidate {
  return {
    key: positionKey(BORROWER_A),
    collateralToken: WETH,
    debtToken: USDC,
    debtToCover: 1_000n * E6,
    expectedCollateral: 525_000_000_000_000_000n,
    debtToCoverUsd: 1_000,
    expectedCollateralUsd: 1_050,
    sizingRule: "test",
    healthFactor: hf(970),
    detectedAtBlock: 100,
    call: { shape: "AaveV3", market: AAVE_POOL, debtToCover: 1_000n * E6, poolDecidesSize: false, selfFunded: false },
    ...overrides,
  };
}

/** What a flash-lender plug-in offers for `token`: its own name, callback family, fee rounding and preference. */
export function flashOption(
  lender: FlashLenderPlugin,
  address: Address,
  feeBps: number,
  availableLiquidity: bigint,
  token: Address = USDC,
): FlashSourceOption {
  return {
    kind: lender.name,
    executorSource: lender.executorSource,
    feeRounding: lender.feeRounding,
    preference: lender.preference,
    address,
    token,
    feeBps,
    availableLiquidity,
  };
}

/** A plan whose only interesting fields are its id and net profit (for ranking). */
export function planWith(id: string, netProfitUsd: number, overrides: Partial<LiquidationPlan> = {}): LiquidationPlan {
  return {
    id,
    candidate: candidate(),
    flash: { kind: "balancer", executorSource: "BalancerV2", address: BALANCER_VAULT, amount: 1_000n * E6, fee: 0n },
    swap: null,
    profitToken: USDC,
    expectedProfit: 1n,
    expectedProfitUsd: netProfitUsd,
    gasUnits: 1n,
    gasCostUsd: 0,
    netProfitUsd,
    ...overrides,
  };
}

/** A sizing rule's result that must be a liquidation: the refusal's reason fails the test otherwise. */
export function sizedOrThrow<Result extends { readonly ok: boolean }>(result: Result | SizingRefusal): Extract<Result, { ok: true }> {
  if (!result.ok) {
    const refusal = result as SizingRefusal;
    throw new Error(`expected a sized liquidation, got ${refusal.reason}: ${refusal.detail}`);
  }
  return result as Extract<Result, { ok: true }>;
}
