import { expect } from "chai";
import type { RunReport } from "../../../../keeper/run/run-report";
import { checkExpectations } from "../../../../keeper/scenarios/expectations";

/**
 * The quick start's verdict on a "skipped" group (dust, no route) on a chain with a rival: a rival that liquidated the
 * position before the keeper looked leaves it healthy (not-liquidatable) or makes the profit probe revert. That is a
 * race lost, not a wrong skip; anything else the keeper decided, or sent, still fails the group.
 */
describe("checkExpectations: a skipped group on a chain with a rival", () => {
  const dust = { tag: "dust", expect: "skipped", reason: "dust" } as const;
  const decision = (borrower: string, block: number, skipReason: string | null, decisionKind = "skipped") => ({
    borrower,
    block,
    group: "dust",
    decision: decisionKind,
    skipReason,
  });
  const report = (opportunities: Record<string, unknown>[], executions: Record<string, unknown>[] = []) =>
    ({ opportunities, executions }) as unknown as RunReport;
  const rivalTookAIn41 = (o: Record<string, unknown>) => o.borrower === "0xa" && Number(o.block) >= 41;

  it("passes when every decision has the expected reason", () => {
    const [verdict] = checkExpectations(report([decision("0xa", 40, "dust"), decision("0xb", 40, "dust")]), [dust]);
    expect(verdict!.ok).to.equal(true);
    expect(verdict!.detail).to.equal('2 decision(s), 0 not "dust", 0 execution(s)');
  });

  it("fails a not-liquidatable decision when no one had liquidated the position", () => {
    const [verdict] = checkExpectations(report([decision("0xa", 40, "not-liquidatable")]), [dust], rivalTookAIn41);
    expect(verdict!.ok).to.equal(false);
    expect(verdict!.detail).to.contain('1 not "dust"');
  });

  it("counts a not-liquidatable or reverted-probe decision after the rival's liquidation as a lost race", () => {
    const opportunities = [decision("0xa", 41, "not-liquidatable"), decision("0xa", 42, "simulation-failed"), decision("0xb", 41, "dust")];
    const [verdict] = checkExpectations(report(opportunities), [dust], rivalTookAIn41);
    expect(verdict!.ok).to.equal(true);
    expect(verdict!.detail).to.equal('3 decision(s), 0 not "dust", 2 after a rival had liquidated it, 0 execution(s)');
  });

  it("still fails a plan, another skip reason, or a sent transaction, rival or not", () => {
    for (const wrong of [decision("0xa", 41, null, "planned"), decision("0xa", 41, "no-route")]) {
      expect(checkExpectations(report([wrong]), [dust], rivalTookAIn41)[0]!.ok, JSON.stringify(wrong)).to.equal(false);
    }
    const sent = report([decision("0xa", 41, "not-liquidatable")], [{ borrower: "0xa", group: "dust" }]);
    expect(checkExpectations(sent, [dust], rivalTookAIn41)[0]!.ok).to.equal(false);
  });

  it("fails a group the keeper never evaluated", () => {
    const [verdict] = checkExpectations(report([decision("0xb", 40, "dust")]), [
      { tag: "no-route", expect: "skipped", reason: "no-route" },
    ]);
    expect(verdict!.ok).to.equal(false);
    expect(verdict!.detail).to.equal("never became liquidatable, so never evaluated");
  });
});
