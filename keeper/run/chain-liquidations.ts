/**
 * Who liquidated whom, read from the chain itself (Aave `LiquidationCall`, Morpho `Liquidate`): the referee of a
 * race on the clock-driven sandbox. The keeper's own account of a race (its journal) is checked against this, and a
 * benchmark's figures come from here, so a measurement can come out badly.
 */
import { EventsLib__factory, Pool__factory } from "../../typechain-types";
import type { Address } from "../config/address-book";

export interface ChainLiquidation {
  readonly protocol: "aaveV3" | "morphoBlue";
  readonly borrower: Address;
  /** Aave's `liquidator`, Morpho's `caller`: the keeper's executor, a rival's address... */
  readonly liquidator: Address;
  readonly blockNumber: number;
  readonly logIndex: number;
  readonly txHash: string;
}

export interface LogReader {
  getLogs(filter: {
    address?: string;
    topics?: (string | null)[];
    fromBlock: number;
    toBlock: number | "latest";
  }): Promise<
    readonly { address: string; topics: readonly string[]; data: string; blockNumber: number; index: number; transactionHash: string }[]
  >;
}

const aaveEvents = Pool__factory.createInterface();
const morphoEvents = EventsLib__factory.createInterface();

/** Every liquidation on the Aave pool and Morpho Blue in [fromBlock, toBlock], in chain order. */
export async function chainLiquidations(
  reader: LogReader,
  venues: { readonly aavePool?: Address; readonly morpho?: Address },
  fromBlock: number,
  toBlock: number | "latest" = "latest",
): Promise<ChainLiquidation[]> {
  const out: ChainLiquidation[] = [];
  if (venues.aavePool !== undefined) {
    const logs = await reader.getLogs({
      address: venues.aavePool,
      topics: [aaveEvents.getEvent("LiquidationCall").topicHash],
      fromBlock,
      toBlock,
    });
    for (const log of logs) {
      const parsed = aaveEvents.parseLog({ topics: [...log.topics], data: log.data })!;
      out.push({
        protocol: "aaveV3",
        borrower: (parsed.args.user as string).toLowerCase() as Address,
        liquidator: (parsed.args.liquidator as string).toLowerCase() as Address,
        blockNumber: log.blockNumber,
        logIndex: log.index,
        txHash: log.transactionHash,
      });
    }
  }
  if (venues.morpho !== undefined) {
    const logs = await reader.getLogs({
      address: venues.morpho,
      topics: [morphoEvents.getEvent("Liquidate").topicHash],
      fromBlock,
      toBlock,
    });
    for (const log of logs) {
      const parsed = morphoEvents.parseLog({ topics: [...log.topics], data: log.data })!;
      out.push({
        protocol: "morphoBlue",
        borrower: (parsed.args.borrower as string).toLowerCase() as Address,
        liquidator: (parsed.args.caller as string).toLowerCase() as Address,
        blockNumber: log.blockNumber,
        logIndex: log.index,
        txHash: log.transactionHash,
      });
    }
  }
  return out.sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
}

/** The first liquidation of each borrower among `liquidations` (who won each race). */
export function firstLiquidations(liquidations: readonly ChainLiquidation[]): Map<string, ChainLiquidation> {
  const first = new Map<string, ChainLiquidation>();
  for (const liquidation of liquidations) if (!first.has(liquidation.borrower)) first.set(liquidation.borrower, liquidation);
  return first;
}
