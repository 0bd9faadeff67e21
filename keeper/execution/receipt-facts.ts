/**
 * What a mined executor transaction tells the keeper: gas paid, and from its own PlanExecuted event
 * the profit the treasury received. Read from the full receipt (logs included), which the submit
 * layer's InclusionTracker does not keep.
 */
import { ChimeraExecutor__factory } from "../../typechain-types";

export interface ReceiptLogLike {
  readonly address: string;
  readonly topics: readonly string[];
  readonly data: string;
}

/** The receipt fields used; ethers v6 `TransactionReceipt` has them (`gasPrice` is the effective price). */
export interface FullReceiptLike {
  readonly hash: string;
  readonly blockNumber: number;
  readonly status: number | null;
  readonly gasUsed: bigint;
  readonly gasPrice: bigint;
  readonly logs: readonly ReceiptLogLike[];
}

export interface PlanExecutedFacts {
  readonly profit: bigint;
  readonly flashFee: bigint;
  /** The executor's `Liquidated` events before this PlanExecuted (the event does not repeat the count: one each). */
  readonly liquidationCount: bigint;
  readonly profitToken: string;
}

const executorInterface = ChimeraExecutor__factory.createInterface();
const PLAN_EXECUTED_TOPIC = executorInterface.getEvent("PlanExecuted").topicHash;
const LIQUIDATED_TOPIC = executorInterface.getEvent("Liquidated").topicHash;

/** The first PlanExecuted event `executor` emitted in this receipt, or null (a revert, a cancel). */
export function planExecutedIn(receipt: FullReceiptLike, executor: string): PlanExecutedFacts | null {
  const wanted = executor.toLowerCase();
  let liquidations = 0n;
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== wanted) continue;
    if (log.topics[0] === LIQUIDATED_TOPIC) liquidations += 1n;
    if (log.topics[0] !== PLAN_EXECUTED_TOPIC) continue;
    const parsed = executorInterface.parseLog({ topics: [...log.topics], data: log.data });
    if (parsed === null) continue;
    return {
      profit: parsed.args.profit as bigint,
      flashFee: parsed.args.flashFee as bigint,
      liquidationCount: liquidations,
      profitToken: parsed.args.profitToken as string,
    };
  }
  return null;
}

/** Gas fee of a receipt in wei (Base's L1 data fee is not in the receipt's gas price). */
export function receiptFeeWei(receipt: Pick<FullReceiptLike, "gasUsed" | "gasPrice">): bigint {
  return receipt.gasUsed * receipt.gasPrice;
}
