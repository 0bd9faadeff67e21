/**
 * The rival's book of its positions' health, kept in memory as a fast liquidation bot keeps it: each position's
 * health factor read once (with the feed answers it was computed at), then carried forward from the oracle's own
 * AnswerUpdated logs. Deciding which positions a price update put under water then needs no read of the node.
 *
 * Exact for the rival's positions (one collateral, one debt, Aave pricing both with the Chainlink answer as AaveOracle
 * does): HF = collateral × price × liquidation threshold / (debt × price), so at new prices
 * HF' = HF × (collateral price' / collateral price) × (debt price / debt price'). Interest accrued since the read is
 * ignored (parts per million over a run, against crossings of parts per ten thousand); a position that changes (a
 * liquidation, a repayment) is read again by the rival when the pool's log names it.
 */
import type { OpenedBorrower } from "../borrowers";

/** A position's health as read from the pool, and the answers of the feeds that priced it at that read. */
export interface HealthReading {
  /** getUserAccountData's healthFactor (WAD); null when the position has no debt (nothing to liquidate). */
  readonly healthFactor: bigint | null;
  readonly collateralPrice: bigint;
  readonly debtPrice: bigint;
}

const WAD = 10n ** 18n;

export class HealthBook {
  /** Token symbol → the feed's latest answer the rival has seen. */
  readonly #prices = new Map<string, bigint>();
  /** Borrower (lower case) → its last reading. */
  readonly #readings = new Map<string, HealthReading>();

  /** The feed pricing `symbol` answered `answer` (from an AnswerUpdated log, or a read at start). */
  setPrice(symbol: string, answer: bigint): void {
    this.#prices.set(symbol, answer);
  }

  hasPrice(symbol: string): boolean {
    return this.#prices.has(symbol);
  }

  record(borrower: string, reading: HealthReading): void {
    this.#readings.set(borrower.toLowerCase(), reading);
  }

  /** The position's health factor (WAD) at the latest prices seen; null if never read, without debt, or unpriced. */
  healthOf(borrower: OpenedBorrower): bigint | null {
    const reading = this.#readings.get(borrower.address.toLowerCase());
    if (reading === undefined || reading.healthFactor === null) return null;
    const collateralPrice = this.#prices.get(borrower.collateral) ?? reading.collateralPrice;
    const debtPrice = this.#prices.get(borrower.debt) ?? reading.debtPrice;
    if (reading.collateralPrice <= 0n || debtPrice <= 0n) return null;
    return (reading.healthFactor * collateralPrice * reading.debtPrice) / (reading.collateralPrice * debtPrice);
  }

  /** The candidates under HF 1 at the latest prices seen. */
  underwater(candidates: readonly OpenedBorrower[]): OpenedBorrower[] {
    return candidates.filter((borrower) => {
      const health = this.healthOf(borrower);
      return health !== null && health < WAD;
    });
  }
}
