/**
 * Block time per chain, and the one conversion from a time setting to blocks. Base moved from one block every 2 s to
 * one every 200 ms with Denim (activated on Base Sepolia 2026-10-21 18:00 UTC and Base mainnet 2026-11-05 18:00 UTC,
 * docs.base.org upgrades/denim; ../shared/BASE.md): anything counted in blocks shrank tenfold in wall time, so the
 * keeper's settings are times and become blocks here, with the block time of the chain actually being read — a fork
 * pinned before Denim still runs 2 s blocks.
 */

/** Base mainnet's Denim activation, epoch ms. */
export const BASE_DENIM_ACTIVATION_MS = Date.UTC(2026, 10, 5, 18, 0, 0);
/** Base Sepolia's Denim activation, epoch ms. */
export const BASE_SEPOLIA_DENIM_ACTIVATION_MS = Date.UTC(2026, 9, 21, 18, 0, 0);

export const BASE_BLOCK_TIME_MS = 200;
export const BASE_PRE_DENIM_BLOCK_TIME_MS = 2_000;
export const ETHEREUM_BLOCK_TIME_MS = 12_000;

const DENIM_BY_CHAIN: Readonly<Record<number, number>> = { 8453: BASE_DENIM_ACTIVATION_MS, 84532: BASE_SEPOLIA_DENIM_ACTIVATION_MS };

/**
 * The block time of chain `chainId` at a block with timestamp `headTimestampSeconds` (the keeper asks with its first
 * head). Base and Base Sepolia (the sandbox runs 8453 too): 200 ms from Denim on, 2 s before. Ethereum: 12 s. Any
 * other chain: `configured` must say (keeper config `blockTimeMs`), which also overrides everything above.
 */
export function blockTimeMsFor(chainId: number, headTimestampSeconds: number, configured?: number): number {
  if (configured !== undefined) return checkBlockTime(configured, "blockTimeMs");
  const denim = DENIM_BY_CHAIN[chainId];
  if (denim !== undefined) return headTimestampSeconds * 1_000 >= denim ? BASE_BLOCK_TIME_MS : BASE_PRE_DENIM_BLOCK_TIME_MS;
  if (chainId === 1) return ETHEREUM_BLOCK_TIME_MS;
  throw new Error(`blockTimeMs: chain ${chainId} has no known block time; set "blockTimeMs" (milliseconds per block) in the keeper config`);
}

/** The block time a network's keeper assumes before it has read a head (Base after Denim, Ethereum, the sandbox). */
export function nominalBlockTimeMs(network: string, configured?: number): number {
  if (configured !== undefined) return checkBlockTime(configured, "blockTimeMs");
  return network === "mainnet" ? ETHEREUM_BLOCK_TIME_MS : BASE_BLOCK_TIME_MS;
}

/**
 * `ms` as a whole number of blocks, rounded UP (a deadline or a wait is never shortened by rounding) and at least
 * `minimum`. `field` names the setting in the error when the input is not a time.
 */
export function blocksIn(ms: number, blockTimeMs: number, field: string, minimum = 1): number {
  if (!Number.isFinite(ms) || ms < 0) throw new Error(`${field}: expected a duration in milliseconds >= 0, got ${String(ms)}`);
  checkBlockTime(blockTimeMs, "blockTimeMs");
  return Math.max(minimum, Math.ceil(ms / blockTimeMs));
}

function checkBlockTime(value: number, field: string): number {
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`${field}: expected a positive integer of milliseconds per block, got ${String(value)}`);
  return value;
}
