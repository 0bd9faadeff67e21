/**
 * EIP-1559 fee arithmetic for sending, replacing and cancelling. Pure functions over bigint wei, so
 * every rule is unit-tested with plain numbers.
 *
 * Rules:
 * - a first send bids `priorityFee` (capped) on top of the base fee with headroom, so the
 *   transaction stays valid if the base fee rises for a few blocks;
 * - a replacement raises BOTH maxFeePerGas and maxPriorityFeePerGas by at least `bumpBps`
 *   (never below 10%: geth, reth and the Base sequencer refuse a replacement that bumps less, and
 *   a refused replacement leaves the stuck transaction in place);
 * - when that bump would cross a cap, the keeper stops bidding for the opportunity and cancels
 *   instead: a zero-value self-transfer at the same nonce, itself bumped ≥ bumpBps over the stuck
 *   transaction. Cancels may exceed the bid caps (they burn 21,000 gas, not a liquidation's
 *   ~1M) up to `cancelMaxFeePerGasCeiling`: at the ceiling the bump shrinks to the 10% nodes require
 *   (a cancel only has to free the nonce); only when even that is above the ceiling does the policy
 *   report "exhausted", and the nonce is blocked (transaction-preparer.ts stops sending and says why).
 */

export interface Eip1559Fees {
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
}

export interface FeePolicyConfig {
  /** Highest maxFeePerGas a bid (first send or replacement) may carry, wei. */
  readonly maxFeePerGasCap: bigint;
  /** Highest maxPriorityFeePerGas a bid may carry, wei. */
  readonly maxPriorityFeePerGasCap: bigint;
  /** Replacement bump in basis points, at least 1,000 (10%). */
  readonly bumpBps: number;
  /** maxFeePerGas = baseFee × headroom / 10,000 + priority fee. At least 10,000 (no headroom). */
  readonly baseFeeHeadroomBps: number;
  /** Highest maxFeePerGas a cancel may carry, wei; at least maxFeePerGasCap. */
  readonly cancelMaxFeePerGasCeiling: bigint;
}

/** The minimum replacement bump nodes accept (10%), in basis points. */
export const MIN_BUMP_BPS = 1_000;
const BPS = 10_000n;

export const DEFAULT_FEE_POLICY: Pick<FeePolicyConfig, "bumpBps" | "baseFeeHeadroomBps"> = {
  // 12.5% rather than the bare 10%: some nodes round the 10% check against the stored value, and a
  // replacement refused for being a wei short costs a block.
  bumpBps: 1_250,
  // 2x absorbs about six consecutive full blocks of base-fee growth (12.5% each on Ethereum).
  baseFeeHeadroomBps: 20_000,
};

/** Checks a policy, naming the first bad field and what it must be. */
export function validateFeePolicy(config: FeePolicyConfig): FeePolicyConfig {
  const problems: string[] = [];
  if (config.maxFeePerGasCap <= 0n) problems.push(`maxFeePerGasCap must be > 0 wei, got ${config.maxFeePerGasCap}`);
  if (config.maxPriorityFeePerGasCap < 0n) problems.push(`maxPriorityFeePerGasCap must be >= 0 wei, got ${config.maxPriorityFeePerGasCap}`);
  if (config.maxPriorityFeePerGasCap > config.maxFeePerGasCap) {
    problems.push(
      `maxPriorityFeePerGasCap (${config.maxPriorityFeePerGasCap}) must not exceed maxFeePerGasCap (${config.maxFeePerGasCap})`,
    );
  }
  if (!Number.isInteger(config.bumpBps) || config.bumpBps < MIN_BUMP_BPS) {
    problems.push(`bumpBps must be an integer >= ${MIN_BUMP_BPS} (10%, the smallest replacement nodes accept), got ${config.bumpBps}`);
  }
  if (!Number.isInteger(config.baseFeeHeadroomBps) || config.baseFeeHeadroomBps < 10_000) {
    problems.push(`baseFeeHeadroomBps must be an integer >= 10000 (1x the base fee), got ${config.baseFeeHeadroomBps}`);
  }
  if (config.cancelMaxFeePerGasCeiling < config.maxFeePerGasCap) {
    problems.push(`cancelMaxFeePerGasCeiling (${config.cancelMaxFeePerGasCeiling}) must be >= maxFeePerGasCap (${config.maxFeePerGasCap})`);
  }
  if (problems.length > 0) throw new Error(`invalid fee policy: ${problems.join("; ")}`);
  return config;
}

export class FeeCapError extends Error {
  override readonly name = "FeeCapError";
}

function ceilDiv(numerator: bigint, denominator: bigint): bigint {
  return (numerator + denominator - 1n) / denominator;
}

/** `value` raised by `bumpBps`, rounded up, and always by at least 1 wei (so 0 still moves). */
export function bumpValue(value: bigint, bumpBps: number): bigint {
  const bumped = ceilDiv(value * (BPS + BigInt(bumpBps)), BPS);
  return bumped > value ? bumped : value + 1n;
}

/** Both fields raised by `bumpBps`. */
export function bumpFees(previous: Eip1559Fees, bumpBps: number): Eip1559Fees {
  return {
    maxFeePerGas: bumpValue(previous.maxFeePerGas, bumpBps),
    maxPriorityFeePerGas: bumpValue(previous.maxPriorityFeePerGas, bumpBps),
  };
}

/** maxFeePerGas that keeps a transaction valid while the base fee grows into the headroom. */
function feeCeilingFor(baseFeePerGas: bigint, priorityFee: bigint, config: FeePolicyConfig): bigint {
  return (baseFeePerGas * BigInt(config.baseFeeHeadroomBps)) / BPS + priorityFee;
}

/**
 * Fees for a first send: the priority bid capped at `maxPriorityFeePerGasCap`, maxFee = base fee with
 * headroom + priority, capped at `maxFeePerGasCap`. Throws `FeeCapError` when even the bare base fee
 * plus the bid is above the cap: such a transaction could not be included, so it must not be sent.
 */
export function initialFees(baseFeePerGas: bigint, priorityBid: bigint, config: FeePolicyConfig): Eip1559Fees {
  if (baseFeePerGas < 0n || priorityBid < 0n) throw new RangeError("base fee and priority bid must be >= 0");
  const maxPriorityFeePerGas = priorityBid < config.maxPriorityFeePerGasCap ? priorityBid : config.maxPriorityFeePerGasCap;
  const wanted = feeCeilingFor(baseFeePerGas, maxPriorityFeePerGas, config);
  const maxFeePerGas = wanted < config.maxFeePerGasCap ? wanted : config.maxFeePerGasCap;
  if (maxFeePerGas < baseFeePerGas + maxPriorityFeePerGas) {
    throw new FeeCapError(
      `base fee ${baseFeePerGas} + priority ${maxPriorityFeePerGas} wei/gas exceeds maxFeePerGasCap ${config.maxFeePerGasCap}; not sending`,
    );
  }
  return { maxFeePerGas, maxPriorityFeePerGas };
}

export type PreviousTxKind = "original" | "replacement" | "cancel";

export type ReplacementDecision =
  /** Re-send the same call with these fees at the same nonce. */
  | { readonly kind: "replace"; readonly fees: Eip1559Fees }
  /** Send a zero-value self-transfer with these fees at the same nonce. */
  | { readonly kind: "cancel"; readonly fees: Eip1559Fees }
  /**
   * Even the smallest replacement nodes accept (+10% over the stuck transaction) would cross
   * `cancelMaxFeePerGasCeiling`: the nonce is blocked until the stuck transaction lands or the ceiling is raised.
   */
  | { readonly kind: "exhausted"; readonly reason: string; readonly neededMaxFeePerGas: bigint };

/**
 * What to send in place of a transaction that was not included. A stuck cancel is only ever
 * replaced by another cancel: once the keeper gave up an opportunity it does not bid for it again.
 */
export function replacementDecision(
  previous: Eip1559Fees,
  previousKind: PreviousTxKind,
  currentBaseFeePerGas: bigint,
  config: FeePolicyConfig,
): ReplacementDecision {
  const bumped = bumpFees(previous, config.bumpBps);
  if (previousKind !== "cancel") {
    // A replacement also has to be includable under the cap at today's base fee; if it is not,
    // bidding on is futile and the cancel below is the only useful move.
    const withinBidCaps =
      bumped.maxPriorityFeePerGas <= config.maxPriorityFeePerGasCap &&
      bumped.maxFeePerGas <= config.maxFeePerGasCap &&
      currentBaseFeePerGas + bumped.maxPriorityFeePerGas <= config.maxFeePerGasCap;
    if (withinBidCaps) {
      // Follow the base fee up when it has risen, but never past the cap: the bump alone is what
      // the node's replacement rule needs, the headroom is only a comfort.
      const wanted = feeCeilingFor(currentBaseFeePerGas, bumped.maxPriorityFeePerGas, config);
      const followed = wanted > bumped.maxFeePerGas ? wanted : bumped.maxFeePerGas;
      const maxFeePerGas = followed < config.maxFeePerGasCap ? followed : config.maxFeePerGasCap;
      return { kind: "replace", fees: { maxFeePerGas, maxPriorityFeePerGas: bumped.maxPriorityFeePerGas } };
    }
  }
  // A cancel only has to free the nonce: the node's minimum replacement bump (10%) over the stuck transaction is
  // enough, so the policy's comfortable bump gives way to it at the ceiling rather than giving up. Only when even the
  // minimum is above the ceiling is the nonce blocked (the caller stops sending and says so).
  const minimum = minimumReplacementFees(previous);
  const ceiling = config.cancelMaxFeePerGasCeiling;
  if (minimum.maxFeePerGas > ceiling) {
    return {
      kind: "exhausted",
      reason:
        `replacing the stuck transaction (maxFeePerGas ${previous.maxFeePerGas}) needs at least maxFeePerGas ${minimum.maxFeePerGas} ` +
        `(+10%, the smallest bump nodes accept), above cancelMaxFeePerGasCeiling ${ceiling}`,
      neededMaxFeePerGas: minimum.maxFeePerGas,
    };
  }
  const maxPriorityFeePerGas = bumped.maxPriorityFeePerGas <= ceiling ? bumped.maxPriorityFeePerGas : ceiling;
  if (maxPriorityFeePerGas < minimum.maxPriorityFeePerGas) {
    return {
      kind: "exhausted",
      reason: `replacing the stuck transaction needs maxPriorityFeePerGas ${minimum.maxPriorityFeePerGas} (+10%), above cancelMaxFeePerGasCeiling ${ceiling}`,
      neededMaxFeePerGas: minimum.maxPriorityFeePerGas,
    };
  }
  const wanted = feeCeilingFor(currentBaseFeePerGas, maxPriorityFeePerGas, config);
  const followed = wanted > bumped.maxFeePerGas ? wanted : bumped.maxFeePerGas;
  const maxFeePerGas = followed < ceiling ? followed : ceiling;
  return { kind: "cancel", fees: { maxFeePerGas, maxPriorityFeePerGas } };
}

/** The smallest fees a node accepts in place of `previous` at the same nonce: both fields +10%, rounded up. */
export function minimumReplacementFees(previous: Eip1559Fees): Eip1559Fees {
  return bumpFees(previous, MIN_BUMP_BPS);
}

/**
 * The priority fee per gas worth bidding: `shareBps` of the expected profit spread over the gas the
 * transaction uses, capped. Base orders each 200 ms block by priority fee (ties by arrival), so this is the
 * bid: it decides who goes first among the liquidations that reach the same block.
 */
export function priorityFeeFromProfit(expectedProfitWei: bigint, gasUnits: bigint, shareBps: number, capPerGas: bigint): bigint {
  if (gasUnits <= 0n) throw new RangeError(`gasUnits must be > 0, got ${gasUnits}`);
  if (!Number.isInteger(shareBps) || shareBps < 0 || shareBps > 10_000) {
    throw new RangeError(`shareBps must be an integer in [0, 10000], got ${shareBps}`);
  }
  if (expectedProfitWei <= 0n) return 0n;
  const perGas = (expectedProfitWei * BigInt(shareBps)) / BPS / gasUnits;
  return perGas < capPerGas ? perGas : capPerGas;
}
