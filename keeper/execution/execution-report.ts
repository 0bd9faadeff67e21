/** What the execution stage says about one plan it was given (execution-stage.ts). */
import type { Address } from "../core/types";

export type ExecutionReport =
  | {
      readonly status: "sent";
      readonly planId: string;
      readonly txHash: string;
      readonly nonce: number;
      readonly simulatedProfit: bigint;
      readonly minProfit: bigint;
      /** seenAtMs → signed transaction, ms. */
      readonly decisionMs: number;
      /** Where the decision's time went (ms): simulation, journal (intent fsync), signing, sending. */
      readonly stages?: Readonly<Record<string, number>>;
      /** This plan went in another plan's liquidateBatch: that execution's id. */
      readonly batchOf?: string;
      /** For a liquidateBatch: the borrowers of the other plans in it. */
      readonly members?: readonly Address[];
      /** Sent from a plan prepared ahead of the price (no planning or simulation after the answer). */
      readonly prepared?: boolean;
    }
  | {
      readonly status: "dry-run";
      readonly planId: string;
      readonly simulatedProfit: bigint;
      readonly decisionMs: number;
      readonly batchOf?: string;
      readonly members?: readonly Address[];
    }
  | { readonly status: "simulation-failed"; readonly planId: string; readonly detail: string }
  | { readonly status: "not-sent"; readonly planId: string; readonly detail: string }
  | { readonly status: "duplicate"; readonly planId: string; readonly detail: string };
