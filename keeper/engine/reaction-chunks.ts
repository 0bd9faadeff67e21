/**
 * How a reaction splits its ranked positions into the chunks it plans and sends one after another
 * (reaction-pipeline.ts): the first position alone, so its transaction leaves at once, then chunks of
 * `chunkSize`; except that positions sharing a price unlock (LendingMarket.sharedUnlock: an OEV wrapper's
 * hidden round) always go in one chunk together, and every such chunk comes right after the first position,
 * before the chunks of positions that share no unlock. The first liquidation through a wrapper makes its round
 * public for everyone, and a rival that acts on the public price needs one block for the rest: a position sent in
 * a later chunk than its unlock races that rival instead of using the window (docs/oev.md). In one chunk they are
 * simulated together and go as one liquidateBatch when they share a flash loan. Ahead of the open chunks, because
 * chunks are planned and executed one after another: ranked by debt, the quick start's Moonwell batch (positions of
 * $12k-$20k) was the fifth chunk of its price step and waited 10.8 s of its 13.5 s decision behind four chunks of
 * Aave and Morpho positions its window does not need (load average 13; 2.4 s on an idle machine, past its deadline).
 * With `firstAlone: false` (a prepared plan already left for this price) the top position is not singled out.
 */

export function reactionChunks<T>(
  ordered: readonly T[],
  sharedUnlockOf: (item: T) => string | undefined,
  chunkSize: number,
  options: { readonly firstAlone?: boolean } = {},
): T[][] {
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`chunkSize must be a positive integer, got ${chunkSize}`);
  // Each unlock's positions, in the rank of its first one; the positions that share none, in rank order.
  const unlocks = new Map<string, T[]>();
  const open: T[] = [];
  for (const item of ordered) {
    const unlock = sharedUnlockOf(item);
    if (unlock === undefined) open.push(item);
    else unlocks.set(unlock, [...(unlocks.get(unlock) ?? []), item]);
  }
  // The top-ranked position alone first (its unlock's partners with it); then every unlock's chunk before the open
  // chunks, which its window does not need to wait for (the quick start's Moonwell batch waited behind four of them).
  const first = ordered[0];
  if (first === undefined) return [];
  const firstUnlock = sharedUnlockOf(first);
  if (options.firstAlone === false && firstUnlock === undefined) {
    // A transaction already left for this price (a prepared plan): a lone first chunk would only hold the rest back by
    // a simulation and a send, so the open positions are chunked from the top.
    const chunks: T[][] = [...unlocks.values()];
    for (let at = 0; at < open.length; at += chunkSize) chunks.push(open.slice(at, at + chunkSize));
    return chunks;
  }
  const chunks: T[][] = [firstUnlock === undefined ? [first] : unlocks.get(firstUnlock)!];
  for (const [unlock, members] of unlocks) if (unlock !== firstUnlock) chunks.push(members);
  const rest = firstUnlock === undefined ? open.slice(1) : open;
  for (let at = 0; at < rest.length; at += chunkSize) chunks.push(rest.slice(at, at + chunkSize));
  return chunks;
}

/**
 * The order a reaction plans its positions in: those the new answers crossed first, then those already liquidatable
 * before them (an attempt that failed or was refused, waiting for its retry); each group by largest debt. In the
 * reaction bench a busy step's 32 leftovers from the step before (refused: our own sales had moved the pool) ranked
 * among the 100 fresh crossings, took the lone first place and the first chunk, and the step's first plan for a fresh
 * crossing decided after 1.5 s instead of ~0.1 s.
 */
export function reactionOrder<T>(items: readonly T[], debtUsd: (item: T) => number, crossedBefore: (item: T) => boolean): T[] {
  return [...items].sort((a, b) => Number(crossedBefore(a)) - Number(crossedBefore(b)) || debtUsd(b) - debtUsd(a));
}
