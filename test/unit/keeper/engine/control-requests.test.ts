/**
 * Control requests (`keeper:resume`, `keeper:mode`, `keeper:tier`, halt) applied by the running keeper
 * through the journal: each ends applied or rejected with a reason, and each change is a system event.
 * Real journal, real breaker and risk gate; the keeper's mode is a plain variable here.
 */
import path from "node:path";
import { expect } from "chai";
import type { KeeperMode } from "../../../../keeper/core/types";
import { Journal } from "../../../../keeper/journal/journal";
import { CircuitBreaker } from "../../../../keeper/risk/circuit-breaker";
import { RiskGate } from "../../../../keeper/risk/risk-gate";
import { limitsForTier } from "../../../../keeper/risk/limits";
import { applyPendingControlRequests, type ControlTarget } from "../../../../keeper/engine/control-requests";
import { BORROWER, makeTempDir, removeDir } from "../journal/journal-fixtures";

describe("engine: control requests from the journal", () => {
  const at = { timeMs: Date.UTC(2026, 10, 21, 12), block: 500 };
  let dir: string;
  let journal: Journal;
  let breaker: CircuitBreaker;
  let riskGate: RiskGate;
  let mode: KeeperMode;
  let violations: string[];
  let target: ControlTarget;

  beforeEach(() => {
    dir = makeTempDir("control");
    journal = Journal.open(path.join(dir, "journal.sqlite"));
    breaker = new CircuitBreaker();
    riskGate = new RiskGate(
      limitsForTier(1, { maxPriorityFeePerGasWei: 10n, maxFeePerGasWei: 100n, borrowerCooldown: { amount: 2, unit: "blocks" } }),
      1,
      at,
    );
    mode = "DRY";
    violations = [];
    target = {
      journal,
      breaker,
      riskGate,
      getMode: () => mode,
      setMode: (next) => {
        mode = next;
      },
      liveViolations: () => violations,
    };
  });

  afterEach(() => {
    journal.close();
    removeDir(dir);
  });

  function haltBreaker(): void {
    for (let i = 0; i < 3; i++) {
      breaker.recordOutcome({
        kind: "failed",
        planId: `p${i}`,
        borrower: BORROWER,
        failure: "reverted",
        lossUsd: 1,
        at: { ...at, block: at.block + i },
      });
    }
    expect(breaker.state).to.equal("HALTED");
  }

  it("switches to LIVE only when the keeper's own environment passes the safeguards", () => {
    violations = ['I_UNDERSTAND_LIVE_RISK must be exactly "true"'];
    const refused = journal.enqueueControlRequest("mode", { mode: "LIVE" }, "alice");
    expect(applyPendingControlRequests(target, at)).to.deep.equal([
      {
        id: refused.id,
        kind: "mode",
        outcome: "rejected",
        detail: 'LIVE refused in the keeper\'s environment: I_UNDERSTAND_LIVE_RISK must be exactly "true"',
      },
    ]);
    expect(mode).to.equal("DRY");

    violations = [];
    journal.enqueueControlRequest("mode", { mode: "LIVE", reason: "canary passed" }, "alice");
    const [applied] = applyPendingControlRequests(target, at);
    expect(applied!.outcome).to.equal("applied");
    expect(mode).to.equal("LIVE");
    const events = journal.listSystemEvents({ kinds: ["mode_change"] });
    expect(events.map((e) => e.detail)).to.deep.equal(["DRY → LIVE: canary passed"]);
    expect(journal.pendingControlRequests()).to.have.length(0);
  });

  it("resumes a HALTED breaker, and refuses a resume with nothing to resume", () => {
    journal.enqueueControlRequest("resume", { reason: "nothing wrong" }, "bob");
    expect(applyPendingControlRequests(target, at)[0]!.outcome).to.equal("rejected");

    haltBreaker();
    expect(riskGate.evaluate({ candidate: { key: { borrower: BORROWER } } } as never, { now: at, breaker }).approved).to.equal(false);
    journal.enqueueControlRequest("resume", { reason: "RPC recovered" }, "bob");
    const [resumed] = applyPendingControlRequests(target, { ...at, block: at.block + 10 });
    expect(resumed!.outcome, resumed!.detail).to.equal("applied");
    expect(breaker.state).to.equal("NORMAL");
    expect(journal.listSystemEvents({ kinds: ["resume", "breaker_transition"] }).map((e) => e.kind)).to.deep.equal([
      "resume",
      "breaker_transition",
    ]);
  });

  it("applies a tier change to the risk gate's limits and journals it", () => {
    journal.enqueueControlRequest("tier", { tier: 2, reason: "a month without incident" }, "carol");
    expect(applyPendingControlRequests(target, at)[0]!.outcome).to.equal("applied");
    expect(riskGate.limitsLabel).to.equal(2);
    expect(riskGate.limits.maxSingleExecutionUsd).to.equal(1_000);
    expect(riskGate.limits.maxFeePerGasWei, "fee caps are kept").to.equal(100n);
    expect(journal.listSystemEvents({ kinds: ["tier_change"] })).to.have.length(1);
  });

  it("latches the breaker HALTED on an operator halt, in its snapshot, until a resume lifts it", () => {
    journal.enqueueControlRequest("halt", { reason: "investigating a revert" }, "dave");
    expect(applyPendingControlRequests(target, at)[0]!.outcome).to.equal("applied");
    expect(breaker.state).to.equal("HALTED");
    expect(breaker.describe().haltedBy).to.deep.include({ trigger: "operator-halt", detail: "dave: investigating a revert" });
    expect(riskGate.evaluate({ candidate: { key: { borrower: BORROWER } } } as never, { now: at, breaker })).to.include({
      approved: false,
      reason: "breaker-halted",
    });
    // What the keeper saves and restores on restart.
    const restored = CircuitBreaker.fromSnapshot(JSON.parse(JSON.stringify(breaker.toSnapshot())));
    expect(restored.state).to.equal("HALTED");
    expect(journal.listSystemEvents({ kinds: ["halt", "breaker_transition"] }).map((e) => e.kind)).to.deep.equal([
      "halt",
      "breaker_transition",
    ]);

    target = { ...target, breaker: restored };
    journal.enqueueControlRequest("resume", { reason: "understood" }, "dave");
    expect(applyPendingControlRequests(target, at)[0]!.outcome).to.equal("applied");
    expect(restored.state).to.equal("NORMAL");
  });

  it("keeps the first cause on record when an operator halts an already HALTED breaker", () => {
    haltBreaker();
    journal.enqueueControlRequest("halt", { reason: "stop everything" }, "erin");
    const [applied] = applyPendingControlRequests(target, at);
    expect(applied!.detail).to.match(/already HALTED \(consecutive-failures\)/);
    expect(breaker.describe().haltedBy?.trigger).to.equal("consecutive-failures");
  });
});
