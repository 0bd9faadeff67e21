/**
 * Which borrowers a batch of decoded protocol events concerns, for one market. Every plug-in reads
 * the same thing from its events (who to re-read, who just borrowed, whether the market's own
 * parameters changed), so the rule of who is worth a read lives once here.
 */
import type { Address } from "../config/address-book";
import type { ProtocolEvent } from "./market";

export interface RoutedEvents {
  /** Borrowers to re-read: tracked or discovered ones, and anyone borrowing now. Lower-case. */
  readonly touched: Set<Address>;
  /** Borrowers seen borrowing, in event order, for the discovery's live record. Lower-case. */
  readonly borrowed: Address[];
  /** A "market-changed" event for this market was among them (parameters must be re-read). */
  readonly marketChanged: boolean;
}

/**
 * Sorts `events` addressed to `marketId`; `isKnown` says whether a (lower-case) borrower is
 * already tracked or discovered. Events for other markets are ignored.
 */
export function routeProtocolEvents(
  events: readonly ProtocolEvent[],
  marketId: string,
  isKnown: (borrower: Address) => boolean,
): RoutedEvents {
  const touched = new Set<Address>();
  const borrowed: Address[] = [];
  let marketChanged = false;
  for (const event of events) {
    if (event.market !== marketId) continue;
    if (event.type === "market-changed") {
      marketChanged = true;
      continue;
    }
    const borrower = event.borrower.toLowerCase() as Address;
    if (event.action === "Borrow") borrowed.push(borrower);
    // Only borrowers (known, or borrowing now) are worth a read; pure suppliers cannot be liquidated.
    if (event.action === "Borrow" || isKnown(borrower)) touched.add(borrower);
  }
  return { touched, borrowed, marketChanged };
}
