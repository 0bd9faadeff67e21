/**
 * Aave V3 configuration bitmaps, decoded. Bit layout from ReserveConfiguration.sol / UserConfiguration.sol
 * (identical from v3.0.2 to v3.7, except that bits 168–175 hold the reserve's e-mode category only
 * up to v3.1; later versions map e-mode by per-category bitmaps instead).
 */

export interface ReserveParameters {
  /** bps */
  readonly ltv: number;
  /** bps; 0 means the asset cannot be collateral. */
  readonly liquidationThreshold: number;
  /** bps over 100% as stored: 10,500 = 5% bonus. */
  readonly liquidationBonus: number;
  readonly decimals: number;
  readonly active: boolean;
  readonly frozen: boolean;
  readonly borrowingEnabled: boolean;
  readonly stableBorrowingEnabled: boolean;
  readonly paused: boolean;
  /** bps of the bonus the protocol keeps. */
  readonly liquidationProtocolFee: number;
  /** v3.0/v3.1 only; 0 elsewhere. */
  readonly eModeCategory: number;
}

function bits(data: bigint, start: number, width: number): number {
  return Number((data >> BigInt(start)) & ((1n << BigInt(width)) - 1n));
}

export function decodeReserveConfiguration(data: bigint): ReserveParameters {
  return {
    ltv: bits(data, 0, 16),
    liquidationThreshold: bits(data, 16, 16),
    liquidationBonus: bits(data, 32, 16),
    decimals: bits(data, 48, 8),
    active: bits(data, 56, 1) === 1,
    frozen: bits(data, 57, 1) === 1,
    borrowingEnabled: bits(data, 58, 1) === 1,
    stableBorrowingEnabled: bits(data, 59, 1) === 1,
    paused: bits(data, 60, 1) === 1,
    liquidationProtocolFee: bits(data, 152, 16),
    eModeCategory: bits(data, 168, 8),
  };
}

/** UserConfiguration: bit 2·id = borrowing reserve `id`, bit 2·id+1 = using it as collateral. */
export function isBorrowing(userConfig: bigint, reserveId: number): boolean {
  return ((userConfig >> BigInt(reserveId * 2)) & 1n) === 1n;
}

export function isUsingAsCollateral(userConfig: bigint, reserveId: number): boolean {
  return ((userConfig >> BigInt(reserveId * 2 + 1)) & 1n) === 1n;
}

/** Reserve ids with either flag set, ascending (the order the pool iterates them). */
/** Whether the user configuration flags any reserve as borrowed (borrow flags sit on even bits). */
export function hasAnyBorrow(userConfig: bigint): boolean {
  return (userConfig & 0x5555555555555555555555555555555555555555555555555555555555555555n) !== 0n;
}

export function activeReserveIds(userConfig: bigint): number[] {
  const ids: number[] = [];
  let rest = userConfig;
  for (let id = 0; rest !== 0n; id++, rest >>= 2n) {
    if ((rest & 3n) !== 0n) ids.push(id);
  }
  return ids;
}

/** EModeConfiguration.isReserveEnabledOnBitmap (v3.2+). */
export function isReserveEnabledOnBitmap(bitmap: bigint, reserveId: number): boolean {
  return ((bitmap >> BigInt(reserveId)) & 1n) === 1n;
}
