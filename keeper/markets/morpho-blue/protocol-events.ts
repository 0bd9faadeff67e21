/**
 * The Morpho Blue events that change a position in one market, decoded for the protocol-event collector. Morpho is one
 * contract for every market, so only this market's events (topic 1 = its id) are kept.
 */
import { EventsLib__factory } from "../../../typechain-types";
import type { Address } from "../../config/address-book";
import type { ProtocolEventSubscription } from "../market";
import { lowerAddress } from "../tracked-lending-market";

/** Position-changing events and the argument naming the borrower (EventsLib.sol). */
const POSITION_EVENTS: Readonly<Record<string, string>> = {
  Borrow: "onBehalf",
  Repay: "onBehalf",
  SupplyCollateral: "onBehalf",
  WithdrawCollateral: "onBehalf",
  Liquidate: "borrower",
};

export function morphoEventSubscriptions(market: string, morpho: Address, marketId: string): ProtocolEventSubscription[] {
  const iface = EventsLib__factory.createInterface();
  const topics = new Map<string, { name: string; argument: string }>();
  for (const [name, argument] of Object.entries(POSITION_EVENTS)) {
    topics.set(iface.getEvent(name as "Borrow").topicHash, { name, argument });
  }
  const id = marketId.toLowerCase();
  return [
    {
      market,
      addresses: [morpho],
      topics: [...topics.keys()],
      decode: (log) => {
        const known = topics.get(log.topics[0]);
        if (!known || log.topics[1]?.toLowerCase() !== id) return [];
        const parsed = iface.parseLog({ topics: [...log.topics], data: log.data });
        if (!parsed) return [];
        return [
          {
            type: "position-changed",
            market,
            borrower: lowerAddress(parsed.args[known.argument] as string),
            action: known.name,
            blockNumber: log.blockNumber,
            logIndex: log.index,
            transactionHash: log.transactionHash,
          },
        ];
      },
    },
  ];
}
