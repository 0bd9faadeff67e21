/**
 * How a reaction splits its ranked positions into the chunks it plans and sends one after another
 * (reaction-pipeline.ts): the first position alone, so its transaction leaves at once, then chunks of
 * `chunkSize`; except that positions sharing a price unlock (LendingMarket.sharedUnlock: an OEV wrapper's
 * hidden round) always go in the chunk of the first of them. The first liquidation through a wrapper makes
 * its round public for everyone, and a rival that acts on the public price needs one block for the rest: a
 * position sent in a later chunk than its unlock races that rival instead of using the window (docs/oev.md).
 * In one chunk they are simulated together and go as one liquidateBatch when they share a flash loan.
 */

export function reactionChunks<T>(ordered: readonly T[], sharedUnlockOf: (item: T) => string | undefined, chunkSize: number): T[][] {
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`chunkSize must be a positive integer, got ${chunkSize}`);
  const unlocks = ordered.map(sharedUnlockOf);
  const placed = new Set<number>();
  const chunks: T[][] = [];
  let chunk: T[] = [];
  let capacity = 1;
  ordered.forEach((item, index) => {
    if (placed.has(index)) return;
    const unlock = unlocks[index];
    const members = unlock === undefined ? [index] : unlocks.flatMap((other, at) => (other === unlock && !placed.has(at) ? [at] : []));
    for (const member of members) {
      placed.add(member);
      chunk.push(ordered[member]!);
    }
    // A chunk may exceed its size to keep an unlock's positions together.
    if (chunk.length >= capacity) {
      chunks.push(chunk);
      chunk = [];
      capacity = chunkSize;
    }
  });
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}
