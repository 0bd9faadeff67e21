/**
 * Who got to a position first. On Base every liquidatable position is a race: whoever's liquidation lands first (an
 * earlier block, or earlier in the same block by priority fee) takes it, and the slower transaction reverts or is not
 * worth sending again. Losing a race is the normal price of competing, not a fault of the chain or of the keeper:
 * it is recorded as "lost" (journal, run report, `races_total{result="lost"}`), and the circuit breaker does
 * not count it as a failed execution (its gas still counts as a loss).
 *
 * The ledger remembers the liquidation events the keeper already collects (Aave `LiquidationCall`, Morpho
 * `Liquidate`, Compound/Moonwell `LiquidateBorrow`) that were not sent by this keeper; an attempt that did not land,
 * or reverted, while another liquidation of the same position landed between its send and its receipt, lost.
 */
import type { Address } from "../core/types";
import type { ProtocolEvent } from "../markets/market";

/** How a lost race starts its journal entry (the run report and the summary count them by it). */
export const LOST_RACE_PREFIX = "lost the race";

/** The protocol events that mean "someone liquidated this position". */
export const LIQUIDATION_ACTIONS: ReadonlySet<string> = new Set(["LiquidationCall", "Liquidate", "LiquidateBorrow"]);

export interface RivalLiquidation {
  readonly market: string;
  readonly borrower: Address;
  readonly txHash: string;
  readonly blockNumber: number;
  readonly logIndex: number;
}

/** A plan that was never sent because its simulation failed: a race lost before the start, if a rival took the position. */
interface UnsentAttempt {
  readonly planId: string;
  readonly market: string;
  readonly borrower: Address;
  readonly fromBlock: number;
}

export interface LostRace {
  readonly planId: string;
  readonly market: string;
  readonly borrower: Address;
  readonly rival: RivalLiquidation;
  /** How ours ended: reverted or cancelled on chain, or never sent because its simulation found the position taken. */
  readonly ours: "reverted" | "cancelled" | "not-sent";
}

/** How long after a failed simulation a rival's liquidation still explains it. */
const UNSENT_WATCH_BLOCKS = 10;

export class RaceLedger {
  readonly #byPosition = new Map<string, RivalLiquidation[]>();
  readonly #own = new Set<string>();
  readonly #unsent = new Map<string, UnsentAttempt>();
  readonly #retainBlocks: number;

  /** `retainBlocks`: how long a rival's liquidation is remembered (longer than any inclusion budget). */
  constructor(retainBlocks = 1_024) {
    this.#retainBlocks = retainBlocks;
  }

  /** A transaction this keeper sent: its liquidations are never a rival's. */
  noteOwnTransaction(hash: string): void {
    this.#own.add(hash.toLowerCase());
    if (this.#own.size > 16_384) this.#own.delete(this.#own.values().next().value!);
  }

  /** Remembers the liquidations among `events` that this keeper did not send. */
  observe(events: readonly ProtocolEvent[]): void {
    for (const event of events) {
      if (event.type !== "position-changed" || !LIQUIDATION_ACTIONS.has(event.action)) continue;
      if (this.#own.has(event.transactionHash.toLowerCase())) continue;
      const key = positionKey(event.market, event.borrower);
      const list = this.#byPosition.get(key) ?? [];
      if (list.some((seen) => seen.txHash === event.transactionHash && seen.logIndex === event.logIndex)) continue;
      list.push({
        market: event.market,
        borrower: event.borrower,
        txHash: event.transactionHash,
        blockNumber: event.blockNumber,
        logIndex: event.logIndex,
      });
      this.#byPosition.set(key, list);
    }
  }

  /** The first liquidation of the position by someone else in blocks [fromBlock, toBlock]; null when none. */
  firstRival(market: string, borrower: Address, fromBlock: number, toBlock: number): RivalLiquidation | null {
    const list = this.#byPosition.get(positionKey(market, borrower)) ?? [];
    let first: RivalLiquidation | null = null;
    for (const seen of list) {
      if (seen.blockNumber < fromBlock || seen.blockNumber > toBlock) continue;
      if (
        first === null ||
        seen.blockNumber < first.blockNumber ||
        (seen.blockNumber === first.blockNumber && seen.logIndex < first.logIndex)
      ) {
        first = seen;
      }
    }
    return first;
  }

  /**
   * A plan whose simulation failed: if a rival's liquidation of the position shows up from `fromBlock` (the price
   * update it reacted to) within a few blocks, the simulation failed because the race was already lost.
   */
  watchUnsent(attempt: UnsentAttempt): void {
    this.#unsent.set(positionKey(attempt.market, attempt.borrower), attempt);
  }

  /** Unsent attempts a rival's liquidation now explains (each reported once); the others expire after a few blocks. */
  settleUnsent(headBlock: number): LostRace[] {
    const lost: LostRace[] = [];
    for (const [key, attempt] of this.#unsent) {
      const rival = this.firstRival(attempt.market, attempt.borrower, attempt.fromBlock, headBlock);
      if (rival !== null) {
        lost.push({ planId: attempt.planId, market: attempt.market, borrower: attempt.borrower, rival, ours: "not-sent" });
        this.#unsent.delete(key);
      } else if (headBlock > attempt.fromBlock + UNSENT_WATCH_BLOCKS) {
        this.#unsent.delete(key);
      }
    }
    return lost;
  }

  /** Forgets what is older than the retention window. */
  prune(headBlock: number): void {
    for (const [key, list] of this.#byPosition) {
      const kept = list.filter((seen) => seen.blockNumber > headBlock - this.#retainBlocks);
      if (kept.length === 0) this.#byPosition.delete(key);
      else this.#byPosition.set(key, kept);
    }
  }
}

function positionKey(market: string, borrower: Address): string {
  return `${market}:${borrower.toLowerCase()}`;
}

/** The market of a position id (`protocol:market:borrower`). */
export function marketOfPositionId(positionId: string): string {
  const parts = positionId.split(":");
  return parts.slice(1, -1).join(":");
}
