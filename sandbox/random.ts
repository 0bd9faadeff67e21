/**
 * Seeded randomness for the sandbox. Scenarios and benchmarks must repeat exactly, so nothing in sandbox/ calls
 * Math.random: every draw comes from a mulberry32 stream seeded by the caller.
 */

/** A deterministic stream of numbers in [0, 1). */
export interface SeededRandom {
  /** The next number in [0, 1). */
  next(): number;
  /** A number in [min, max] (max reached only when the draw is exactly 1, i.e. never; fine for ranges). */
  between(min: number, max: number): number;
}

/** mulberry32: 32 bits of state, full period 2^32, good enough for test populations and fast in plain JS. */
export function seededRandom(seed: number): SeededRandom {
  if (!Number.isInteger(seed)) {
    throw new Error(`seed must be an integer, got ${seed}`);
  }
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    between: (min, max) => min + (max - min) * next(),
  };
}
