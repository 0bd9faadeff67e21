/**
 * The Aave V3 logs that change a position or the market, and who they name: Pool events name the
 * borrower in an argument, aToken transfers move collateral between two users without a Pool event,
 * and an oracle source change or any configurator action changes every position's inputs.
 */
import type { Interface } from "ethers";
import { AaveOracle__factory, AToken__factory, Pool__factory, PoolConfigurator__factory } from "../../../typechain-types";
import type { Address } from "../../config/address-book";
import { decodeAddressWord } from "../../chain/multicall";
import type { ProtocolEventSubscription, RawLog } from "../market";
import { lowerAddress } from "../tracked-lending-market";

/** Pool events that change one borrower's position, and which argument names the borrower. */
const POSITION_EVENTS: Readonly<Record<string, string>> = {
  Supply: "onBehalfOf",
  Withdraw: "user",
  Borrow: "onBehalfOf",
  Repay: "user",
  LiquidationCall: "user",
  ReserveUsedAsCollateralEnabled: "user",
  ReserveUsedAsCollateralDisabled: "user",
  UserEModeSet: "user",
  SwapBorrowRateMode: "user",
  RebalanceStableBorrowRate: "user",
};

/** The event a topic hash names in `iface`, if any. */
function eventName(iface: Interface, topic: string | undefined): string | undefined {
  if (!topic) return undefined;
  try {
    return iface.getEvent(topic)?.name;
  } catch {
    return undefined;
  }
}

export interface AaveEventSources {
  readonly pool: Address;
  readonly oracle: Address;
  readonly configurator: Address;
  readonly aTokens: readonly Address[];
}

export function aaveEventSubscriptions(marketId: string, sources: AaveEventSources): ProtocolEventSubscription[] {
  const { pool, oracle, configurator, aTokens } = sources;
  const poolIface = Pool__factory.createInterface();
  const positionTopics = new Map<string, { name: string; argument: string }>();
  for (const [name, argument] of Object.entries(POSITION_EVENTS)) {
    const event = (poolIface as Interface).getEvent(name);
    if (event) positionTopics.set(event.topicHash, { name, argument });
  }
  const balanceTransfer = AToken__factory.createInterface().getEvent("BalanceTransfer");
  const sourceUpdated = AaveOracle__factory.createInterface().getEvent("AssetSourceUpdated");
  const configuratorIface = PoolConfigurator__factory.createInterface();
  const market = marketId;
  const base = (log: RawLog) => ({
    market,
    blockNumber: log.blockNumber,
    logIndex: log.index,
    transactionHash: log.transactionHash,
  });
  return [
    {
      market,
      addresses: [pool],
      topics: [...positionTopics.keys()],
      decode: (log) => {
        const known = positionTopics.get(log.topics[0]);
        if (!known) return [];
        const parsed = poolIface.parseLog({ topics: [...log.topics], data: log.data });
        if (!parsed) return [];
        return [
          { ...base(log), type: "position-changed", borrower: lowerAddress(parsed.args[known.argument] as string), action: known.name },
        ];
      },
    },
    {
      // aToken transfers move collateral between two users without a pool event.
      market,
      addresses: [...aTokens],
      topics: [balanceTransfer.topicHash],
      decode: (log) => {
        if (log.topics[0] !== balanceTransfer.topicHash || log.topics.length < 3) return [];
        return [decodeAddressWord(log.topics[1]), decodeAddressWord(log.topics[2])].map((borrower) => ({
          ...base(log),
          type: "position-changed" as const,
          borrower: lowerAddress(borrower),
          action: "BalanceTransfer",
        }));
      },
    },
    {
      // Oracle source changes and any configurator action (thresholds, e-mode) change every position's inputs.
      market,
      addresses: [oracle, configurator],
      topics: [],
      decode: (log) => {
        if (lowerAddress(log.address) === oracle && log.topics[0] !== sourceUpdated.topicHash) return [];
        const name =
          lowerAddress(log.address) === oracle
            ? "AssetSourceUpdated"
            : (eventName(configuratorIface, log.topics[0]) ?? "PoolConfiguratorEvent");
        return [{ ...base(log), type: "market-changed", action: name }];
      },
    },
  ];
}
