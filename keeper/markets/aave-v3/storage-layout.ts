/**
 * Where Aave V3 keeps the per-user values a rescan reads, found by calibration instead of assumed:
 * - Pool: `mapping(address => UserConfigurationMap) _usersConfig` and, three declarations later in
 *   PoolStorage (v3.0.2 through v3.7), `mapping(address => uint8) _usersEModeCategory`;
 * - aTokens and variable-debt tokens: IncentivizedERC20's `mapping(address => UserState) _userState`,
 *   the scaled balance in the low bits (uint128 up to v3.3, uint120 plus a delegation byte from v3.4).
 *   The two token kinds inherit in different orders (the debt token's EIP712Base and DebtTokenBase
 *   storage come first), so each kind has its own index.
 * Calibration reads candidate mapping slots of a few users whose values the ABI getters just returned
 * and keeps the declaration index that reproduces them all; no match means no storage fast path.
 */
import type { Address } from "../../config/address-book";
import { addressMappingSlot, readStorageSlots, type RawRpcProvider, type SlotReadStats } from "../storage-slot-reader";

/** Scaled balances fit 120 bits (v3.4+ packs a delegation byte above them). */
export const SCALED_BALANCE_MASK = (1n << 120n) - 1n;
/** Declaration indexes tried: Aave's upgradeable contracts start their storage after a 50-slot gap. */
const MAX_DECLARATION_INDEX = 160;
/** PoolStorage declares _usersConfig, _reservesList, _eModeCategories, _usersEModeCategory in this order. */
const EMODE_AFTER_CONFIG = 3;

export interface AaveStorageLayout {
  /** Declaration index of the Pool's `_usersConfig` mapping. */
  readonly userConfigIndex: number;
  /** Declaration index of the Pool's `_usersEModeCategory` mapping. */
  readonly userEModeIndex: number;
  /** Declaration index of `_userState` in aTokens. */
  readonly aTokenBalanceIndex: number;
  /** Declaration index of `_userState` in variable-debt tokens. */
  readonly variableDebtBalanceIndex: number;
}

export interface ConfigSample {
  readonly user: Address;
  readonly config: bigint;
}

export interface BalanceSample {
  readonly kind: "aToken" | "variableDebt";
  readonly token: Address;
  readonly user: Address;
  readonly scaled: bigint;
}

/** Finds the declaration index whose mapping slot holds `expected` (under `mask`) for every sample. */
async function findIndex(
  provider: RawRpcProvider,
  samples: readonly { contract: Address; user: Address; expected: bigint }[],
  mask: bigint,
  blockTag: number,
  stats: SlotReadStats,
): Promise<number | undefined> {
  let candidates: number[] = Array.from({ length: MAX_DECLARATION_INDEX + 1 }, (_, i) => i);
  for (const sample of samples) {
    const slots = candidates.map((index) => addressMappingSlot(sample.user, index));
    const values = await readStorageSlots(provider, sample.contract, slots, blockTag, stats);
    candidates = candidates.filter((_, i) => (values[i] & mask) === sample.expected);
    if (candidates.length === 0) return undefined;
  }
  return candidates.length === 1 ? candidates[0] : undefined;
}

/**
 * Calibrates from samples with NON-zero values (a zero matches every empty slot). Returns null when
 * the layout cannot be pinned down or the node refuses state overrides.
 */
export async function calibrateAaveStorageLayout(
  provider: RawRpcProvider,
  pool: Address,
  configs: readonly ConfigSample[],
  balances: readonly BalanceSample[],
  blockTag: number,
  stats: SlotReadStats,
): Promise<AaveStorageLayout | null> {
  const configSamples = configs.filter((s) => s.config !== 0n).slice(0, 3);
  const aTokenSamples = balances.filter((s) => s.kind === "aToken" && s.scaled !== 0n).slice(0, 3);
  const debtSamples = balances.filter((s) => s.kind === "variableDebt" && s.scaled !== 0n).slice(0, 3);
  if (configSamples.length === 0 || aTokenSamples.length === 0 || debtSamples.length === 0) return null;
  try {
    const userConfigIndex = await findIndex(
      provider,
      configSamples.map((s) => ({ contract: pool, user: s.user, expected: s.config })),
      (1n << 256n) - 1n,
      blockTag,
      stats,
    );
    const balanceIndex = (samples: readonly BalanceSample[]) =>
      findIndex(
        provider,
        samples.map((s) => ({ contract: s.token, user: s.user, expected: s.scaled })),
        SCALED_BALANCE_MASK,
        blockTag,
        stats,
      );
    const aTokenBalanceIndex = await balanceIndex(aTokenSamples);
    const variableDebtBalanceIndex = await balanceIndex(debtSamples);
    if (userConfigIndex === undefined || aTokenBalanceIndex === undefined || variableDebtBalanceIndex === undefined) return null;
    return { userConfigIndex, userEModeIndex: userConfigIndex + EMODE_AFTER_CONFIG, aTokenBalanceIndex, variableDebtBalanceIndex };
  } catch {
    return null; // no state-override support: stay on Multicall3
  }
}
