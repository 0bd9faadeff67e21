/**
 * The RPC side of treasury reconciliation: reads each transaction's receipt and decodes the
 * executor's `PlanExecuted` events with the ABI compiled from IChimeraExecutor.sol (the caller passes
 * the artifact's ABI, so nothing is hand-copied and this module needs no generated types).
 */
import { Interface, getAddress, type InterfaceAbi, type Provider } from "ethers";
import type { Address } from "../core/types";
import type { FetchTreasuryReceipts, TreasuryPayment, TreasuryReceipt } from "./treasury-reconciliation";

export interface ChainTreasuryReceiptOptions {
  /** Only count events emitted by this executor (recommended when the key ever used another). */
  readonly executor?: Address;
  /** Only count payments to this treasury. */
  readonly treasury?: Address;
  /** Receipts fetched at once; keeps a long report from bursting a rate-limited RPC. Default 8. */
  readonly concurrency?: number;
}

export function treasuryReceiptsFromChain(
  provider: Provider,
  executorAbi: InterfaceAbi,
  options: ChainTreasuryReceiptOptions = {},
): FetchTreasuryReceipts {
  const executorInterface = new Interface(executorAbi);
  const planExecuted = executorInterface.getEvent("PlanExecuted");
  if (planExecuted === null) throw new Error("the executor ABI has no PlanExecuted event; is it IChimeraExecutor's ABI?");
  const executorFilter = options.executor === undefined ? undefined : getAddress(options.executor);
  const treasuryFilter = options.treasury === undefined ? undefined : getAddress(options.treasury);
  const concurrency = Math.max(1, options.concurrency ?? 8);

  const fetchOne = async (txHash: string): Promise<TreasuryReceipt> => {
    const receipt = await provider.getTransactionReceipt(txHash);
    if (receipt === null) return { txHash, status: "not-found", payments: [] };
    if (receipt.status !== 1) return { txHash, status: "reverted", payments: [] };
    const payments: TreasuryPayment[] = [];
    for (const log of receipt.logs) {
      if (log.topics[0] !== planExecuted.topicHash) continue;
      const emitter = getAddress(log.address);
      if (executorFilter !== undefined && emitter !== executorFilter) continue;
      const parsed = executorInterface.parseLog({ topics: [...log.topics], data: log.data });
      if (parsed === null) continue;
      const treasury = getAddress(parsed.args.getValue("treasury") as string) as Address;
      if (treasuryFilter !== undefined && treasury !== treasuryFilter) continue;
      payments.push({
        executor: emitter as Address,
        profitToken: getAddress(parsed.args.getValue("profitToken") as string) as Address,
        treasury,
        profit: parsed.args.getValue("profit") as bigint,
      });
    }
    return { txHash, status: "success", payments };
  };

  return async (txHashes) => {
    const results = new Map<string, TreasuryReceipt>();
    for (let i = 0; i < txHashes.length; i += concurrency) {
      const batch = txHashes.slice(i, i + concurrency);
      const receipts = await Promise.all(batch.map(fetchOne));
      receipts.forEach((r) => results.set(r.txHash, r));
    }
    return results;
  };
}
