import type { Address } from "../core/types";
import type { Instant } from "./instant";

/**
 * What happened to an approved plan, as the executor reports it to the risk gate and the circuit
 * breaker. Report `submitted` once per plan (a fee-bumped replacement is the same plan), then exactly
 * one of `included` or `failed`.
 */
export type ExecutionOutcome =
  | {
      readonly kind: "submitted";
      readonly planId: string;
      readonly borrower: Address;
      /** USD value of the debt repaid: what the daily volume limit counts. */
      readonly debtValueUsd: number;
      readonly at: Instant;
    }
  | {
      readonly kind: "included";
      readonly planId: string;
      readonly borrower: Address;
      /** The plan's simulated net profit, USD. */
      readonly simulatedProfitUsd: number;
      /** Realised profit after gas and fees, USD; negative is a loss. */
      readonly realisedProfitUsd: number;
      readonly at: Instant;
    }
  | {
      readonly kind: "failed";
      readonly planId: string;
      readonly borrower: Address;
      /** "lost-race": someone else's liquidation of the position landed first; a loss, not a fault (race-ledger.ts). */
      readonly failure: "reverted" | "not-included" | "dropped" | "lost-race";
      /** Gas and fees burnt, USD (zero when nothing landed on chain). */
      readonly lossUsd: number;
      readonly at: Instant;
    };
