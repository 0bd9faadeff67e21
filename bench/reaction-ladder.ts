/**
 * The rungs of the reaction benchmark's single-crossing ladder (bench/reaction.ts): each trial lowers the price just
 * below the next rung's liquidation price. A step may cross more than its target (rungs sit ~0.1% apart in HF and a
 * position's real HF is not exactly its target), and that other liquidation can land after the target's, when the
 * trial has stopped looking. Such a rung is spent: chosen as the next target, no price below it liquidates it again
 * and the trial read as "not liquidated", a loss charged to the keeper (3 of the first 15 trials of one run).
 * So every liquidation seen on the chain since the trial's price block spends its rung, whoever made it.
 */
import type { OpenedBorrower } from "../sandbox";

export class LadderRungs {
  readonly #rungs: readonly OpenedBorrower[];
  readonly #spent = new Set<string>();

  /** `rungs`: lowest target health factor first (the order they are crossed in as the price falls). */
  constructor(rungs: readonly OpenedBorrower[]) {
    this.#rungs = [...rungs].sort((a, b) => a.targetHealthFactor - b.targetHealthFactor);
  }

  /** The lowest rung not yet liquidated or used as a target; undefined when all are spent. */
  next(): OpenedBorrower | undefined {
    return this.#rungs.find((rung) => !this.#spent.has(rung.address.toLowerCase()));
  }

  /** Rungs no longer usable: this trial's target, and every borrower liquidated since its price block. */
  spend(borrowers: Iterable<string>): void {
    for (const borrower of borrowers) this.#spent.add(borrower.toLowerCase());
  }
}
