/**
 * Checks a finished run against its scenario's expectations, group by group, from the run report
 * (which comes from the journal):
 *  - "liquidated": every opportunity of the group was planned (none skipped), at least one was
 *    executed, and every execution landed in the block right after the one the keeper reacted in
 *    (with a `path`: and every included one took that path);
 *  - "skipped": the group's positions were seen, every decision on them is a skip with the expected
 *    reason, and nothing was sent for them. On a chain with a rival, a decision made after the rival had
 *    already liquidated the position (`takenBefore`, from the chain's own liquidation events) finds it
 *    not liquidatable any more: that is the race lost, not a wrong skip, and it is counted apart.
 */
import type { RunReport } from "../run/run-report";
import type { GroupExpectation } from "./scenario";

/** What the keeper's checks say about a position someone else has just liquidated (healthy again, or the probe reverts). */
const LOST_RACE_SKIPS = new Set(["not-liquidatable", "simulation-failed"]);

export interface ExpectationVerdict {
  readonly tag: string;
  readonly expectation: string;
  readonly ok: boolean;
  readonly detail: string;
}

export function checkExpectations(
  report: RunReport,
  expectations: readonly GroupExpectation[],
  takenBefore: (opportunity: RunReport["opportunities"][number]) => boolean = () => false,
): ExpectationVerdict[] {
  return expectations.map((expectation) => {
    const opportunities = report.opportunities.filter((o) => o.group === expectation.tag);
    const executions = report.executions.filter((e) => e.group === expectation.tag);
    if (expectation.expect === "skipped") {
      const expected = (o: (typeof opportunities)[number]) => o.decision === "skipped" && o.skipReason === expectation.reason;
      const lostRace = opportunities.filter(
        (o) => !expected(o) && o.decision === "skipped" && LOST_RACE_SKIPS.has(String(o.skipReason)) && takenBefore(o),
      );
      const wrong = opportunities.filter((o) => !expected(o) && !lostRace.includes(o));
      const ok = opportunities.length > 0 && wrong.length === 0 && executions.length === 0;
      return {
        tag: expectation.tag,
        expectation: `skipped (${expectation.reason})`,
        ok,
        detail:
          opportunities.length === 0
            ? "never became liquidatable, so never evaluated"
            : `${opportunities.length} decision(s), ${wrong.length} not "${expectation.reason}", ` +
              (lostRace.length > 0 ? `${lostRace.length} after a rival had liquidated it, ` : "") +
              `${executions.length} execution(s)`,
      };
    }
    const skipped = opportunities.filter((o) => o.decision === "skipped");
    const included = executions.filter((e) => e.state === "included");
    const late = executions.filter((e) => e.state !== "included" || e.blocksToInclusion !== 1);
    const offPath = expectation.path === undefined ? [] : included.filter((e) => e.path !== expectation.path);
    const ok = included.length > 0 && skipped.length === 0 && late.length === 0 && offPath.length === 0;
    const reasons = [...new Set(skipped.map((o) => String(o.skipReason)))].join(", ");
    return {
      tag: expectation.tag,
      expectation: `liquidated in the next block${expectation.path === undefined ? "" : ` through path ${expectation.path}`}`,
      ok,
      detail:
        `${included.length} liquidation(s) included, ${late.length} not in the next block` +
        (offPath.length > 0 ? `, ${offPath.length} not through path ${expectation.path}` : "") +
        (skipped.length > 0 ? `, ${skipped.length} skipped (${reasons})` : ""),
    };
  });
}
