/**
 * Compares what the journal says each included execution earned with what the treasury received on
 * chain: the executor emits `PlanExecuted(operator, profitToken, treasury, flashFee, profit)` when it
 * pays a plan's profit to the treasury (contracts/interfaces/IChimeraExecutor.sol). Every difference
 * is named by tx hash with both figures. Where the chain figures come from is a seam
 * (`FetchTreasuryReceipts`) so the comparison is tested without a chain and the task plugs in RPC.
 */
import type { Address } from "../core/types";
import type { ExecutionRecord } from "./records";

export interface TreasuryPayment {
  /** The contract that emitted PlanExecuted. */
  readonly executor: Address;
  readonly profitToken: Address;
  readonly treasury: Address;
  readonly profit: bigint;
}

export interface TreasuryReceipt {
  readonly txHash: string;
  readonly status: "success" | "reverted" | "not-found";
  readonly payments: readonly TreasuryPayment[];
}

/** Returns one receipt per requested hash (keys as given). */
export type FetchTreasuryReceipts = (txHashes: readonly string[]) => Promise<ReadonlyMap<string, TreasuryReceipt>>;

export type DifferenceKind =
  "no-tx-hash" | "not-found-on-chain" | "reverted-on-chain" | "no-profit-event" | "profit-token-differs" | "amount-differs";

export interface ReconciliationDifference {
  readonly kind: DifferenceKind;
  readonly planId: string;
  readonly market: string;
  readonly txHash: string | null;
  readonly profitToken: Address;
  readonly journalProfit: bigint;
  /** Sum of the tx's PlanExecuted profits in the journal's profit token; null when there is no receipt. */
  readonly chainProfit: bigint | null;
  readonly detail: string;
}

export interface ReconciliationResult {
  readonly checked: number;
  readonly matched: number;
  /** Per profit token (lower-case address). */
  readonly journalTotals: ReadonlyMap<string, bigint>;
  readonly chainTotals: ReadonlyMap<string, bigint>;
  readonly differences: readonly ReconciliationDifference[];
}

export async function reconcileTreasury(
  executions: readonly ExecutionRecord[],
  fetchTreasuryReceipts: FetchTreasuryReceipts,
): Promise<ReconciliationResult> {
  const included = executions.filter((e) => e.state === "included");
  const hashes = [...new Set(included.map((e) => e.txHash).filter((h): h is string => h !== null))];
  const receipts = hashes.length === 0 ? new Map<string, TreasuryReceipt>() : await fetchTreasuryReceipts(hashes);
  const differences: ReconciliationDifference[] = [];
  const journalTotals = new Map<string, bigint>();
  const chainTotals = new Map<string, bigint>();
  const addTo = (totals: Map<string, bigint>, token: string, amount: bigint) =>
    totals.set(token.toLowerCase(), (totals.get(token.toLowerCase()) ?? 0n) + amount);
  let matched = 0;

  for (const e of included) {
    const journalProfit = e.realisedProfit ?? 0n;
    addTo(journalTotals, e.profitToken, journalProfit);
    const base = { planId: e.planId, market: e.market, txHash: e.txHash, profitToken: e.profitToken, journalProfit };
    if (e.txHash === null) {
      differences.push({ ...base, kind: "no-tx-hash", chainProfit: null, detail: "journal marks it included but records no tx hash" });
      continue;
    }
    const receipt = receipts.get(e.txHash);
    if (receipt === undefined || receipt.status === "not-found") {
      differences.push({ ...base, kind: "not-found-on-chain", chainProfit: null, detail: "no receipt on chain for this tx" });
      continue;
    }
    if (receipt.status === "reverted") {
      differences.push({
        ...base,
        kind: "reverted-on-chain",
        chainProfit: 0n,
        detail: "the tx reverted on chain but the journal marks it included",
      });
      continue;
    }
    const inToken = receipt.payments.filter((p) => p.profitToken.toLowerCase() === e.profitToken.toLowerCase());
    const chainProfit = inToken.reduce((sum, p) => sum + p.profit, 0n);
    addTo(chainTotals, e.profitToken, chainProfit);
    if (receipt.payments.length === 0) {
      differences.push({ ...base, kind: "no-profit-event", chainProfit: 0n, detail: "the tx emitted no PlanExecuted event" });
    } else if (inToken.length === 0) {
      const tokens = [...new Set(receipt.payments.map((p) => p.profitToken))].join(", ");
      differences.push({
        ...base,
        kind: "profit-token-differs",
        chainProfit: 0n,
        detail: `the chain paid profit in ${tokens}, the journal expects ${e.profitToken}`,
      });
    } else if (chainProfit !== journalProfit) {
      differences.push({
        ...base,
        kind: "amount-differs",
        chainProfit,
        detail: `journal ${journalProfit} vs chain ${chainProfit} (chain − journal = ${chainProfit - journalProfit})`,
      });
    } else {
      matched++;
    }
  }
  return { checked: included.length, matched, journalTotals, chainTotals, differences };
}
