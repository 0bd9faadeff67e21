/**
 * The Moonwell logs that change a position or the market, and who they name. mToken events (no
 * argument is indexed except Transfer's) name the account in a data word; the comptroller's membership
 * events name it too, and its governance events change every position's inputs.
 */
import type { Address } from "../../config/address-book";
import { decodeAddressWord } from "../../chain/multicall";
import type { ProtocolEvent, ProtocolEventSubscription, RawLog } from "../market";
import { lowerAddress } from "../tracked-lending-market";
import { COMPTROLLER, MTOKEN } from "./moonwell-abi";

const ZERO = "0x0000000000000000000000000000000000000000";

type AccountsOf = (log: RawLog) => Address[];

/** mToken event → the account(s) it names. */
const MTOKEN_EVENTS: Readonly<Record<string, AccountsOf>> = {
  Borrow: (log) => [decodeAddressWord(log.data, 0)],
  RepayBorrow: (log) => [decodeAddressWord(log.data, 1)],
  Mint: (log) => [decodeAddressWord(log.data, 0)],
  Redeem: (log) => [decodeAddressWord(log.data, 0)],
  LiquidateBorrow: (log) => [decodeAddressWord(log.data, 1)],
  Transfer: (log) => (log.topics.length >= 3 ? [decodeAddressWord(log.topics[1]), decodeAddressWord(log.topics[2])] : []),
};

/** Comptroller membership event → the account it names. */
const MEMBERSHIP_EVENTS: Readonly<Record<string, AccountsOf>> = {
  MarketEntered: (log) => [decodeAddressWord(log.data, 1)],
  MarketExited: (log) => [decodeAddressWord(log.data, 1)],
};

const GOVERNANCE_EVENTS = ["NewCollateralFactor", "NewCloseFactor", "NewLiquidationIncentive", "NewPriceOracle"] as const;

/**
 * Subscriptions for one Moonwell comptroller and its markets. `isMarket` tells an mToken (which shows
 * up as the other side of seize transfers) from a borrower.
 */
export function moonwellEventSubscriptions(
  marketId: string,
  comptroller: Address,
  mTokens: readonly Address[],
  isMarket: (address: Address) => boolean,
): ProtocolEventSubscription[] {
  const mTokenTopics = new Map(
    Object.entries(MTOKEN_EVENTS).map(([name, read]) => [MTOKEN.getEvent(name as "Borrow").topicHash, { name, read }]),
  );
  const membershipTopics = new Map(
    Object.entries(MEMBERSHIP_EVENTS).map(([name, read]) => [COMPTROLLER.getEvent(name as "MarketEntered").topicHash, { name, read }]),
  );
  const governanceTopics = new Map(GOVERNANCE_EVENTS.map((name) => [COMPTROLLER.getEvent(name as "NewCloseFactor").topicHash, name]));
  const meta = (log: RawLog) => ({
    market: marketId,
    blockNumber: log.blockNumber,
    logIndex: log.index,
    transactionHash: log.transactionHash,
  });
  const positionEvents = (log: RawLog, name: string, accounts: Address[]): ProtocolEvent[] =>
    accounts
      .map(lowerAddress)
      .filter((account) => account !== ZERO && !isMarket(account))
      .map((account) => ({ ...meta(log), type: "position-changed", borrower: account, action: name }));
  return [
    {
      market: marketId,
      addresses: [...mTokens],
      topics: [...mTokenTopics.keys()],
      decode: (log) => {
        const known = mTokenTopics.get(log.topics[0]);
        return known ? positionEvents(log, known.name, known.read(log)) : [];
      },
    },
    {
      market: marketId,
      addresses: [comptroller],
      topics: [...membershipTopics.keys(), ...governanceTopics.keys()],
      decode: (log) => {
        const membership = membershipTopics.get(log.topics[0]);
        if (membership) return positionEvents(log, membership.name, membership.read(log));
        const governance = governanceTopics.get(log.topics[0]);
        return governance ? [{ ...meta(log), type: "market-changed", action: governance }] : [];
      },
    },
  ];
}
