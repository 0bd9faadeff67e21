/** The `opportunities` table: every strategy and risk decision, planned or skipped, with its reason. */
import type { PlanDecision } from "../core/types";
import type { OpportunityRecord } from "./records";
import { opportunityFromRow, type OpportunityRow } from "./row-mapping";
import type { SqlConnection } from "./sql-connection";
import type { TimeRange } from "./time-range";
import { finite } from "./validation";

export class OpportunityLog {
  constructor(
    private readonly connection: SqlConnection,
    private readonly clock: () => number,
  ) {}

  /** Journals one decision. `blockNumber` defaults to the candidate's detection block. */
  record(decision: PlanDecision, blockNumber?: number): number {
    const c = decision.candidate;
    const row = this.connection.get<{ id: number }>(
      `INSERT INTO opportunities (protocol, market, borrower, collateral_token, debt_token, debt_to_cover,
         debt_to_cover_usd, health_factor, sizing_rule, decision, skip_reason, detail, plan_id,
         expected_profit_usd, net_profit_usd, block_number, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      [
        c.key.protocol,
        c.key.market,
        c.key.borrower,
        c.collateralToken,
        c.debtToken,
        c.debtToCover.toString(),
        finite("candidate.debtToCoverUsd", c.debtToCoverUsd),
        c.healthFactor.toString(),
        c.sizingRule,
        decision.outcome,
        decision.reason ?? null,
        decision.detail ?? null,
        decision.plan?.id ?? null,
        decision.plan ? finite("plan.expectedProfitUsd", decision.plan.expectedProfitUsd) : null,
        decision.plan ? finite("plan.netProfitUsd", decision.plan.netProfitUsd) : null,
        blockNumber ?? c.detectedAtBlock,
        this.clock(),
      ],
    );
    return row!.id;
  }

  /** A block's decisions in one transaction (one commit instead of one per candidate). */
  recordAll(decisions: readonly PlanDecision[], blockNumber?: number): number {
    if (decisions.length === 0) return 0;
    this.connection.transaction(() => {
      for (const decision of decisions) this.record(decision, blockNumber);
    });
    return decisions.length;
  }

  list(range: TimeRange & { readonly limit?: number } = {}): OpportunityRecord[] {
    const limit = range.limit === undefined ? "" : " LIMIT ?";
    const params = [range.fromMs ?? 0, range.toMs ?? Number.MAX_SAFE_INTEGER, ...(range.limit === undefined ? [] : [range.limit])];
    return this.connection
      .all<OpportunityRow>(`SELECT * FROM opportunities WHERE created_at >= ? AND created_at < ? ORDER BY id${limit}`, params)
      .map(opportunityFromRow);
  }
}
