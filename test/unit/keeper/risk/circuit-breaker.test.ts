import { expect } from "chai";
import {
  CircuitBreaker,
  DEFAULT_BREAKER_THRESHOLDS,
  type BreakerThresholds,
  type BreakerTransition,
} from "../../../../keeper/risk/circuit-breaker";
import type { ExecutionOutcome } from "../../../../keeper/risk/execution-outcome";
import type { Instant } from "../../../../keeper/risk/instant";
import { BORROWER_A } from "../strategy/fixtures";

const NOON = Date.parse("2025-03-01T12:00:00Z");
/** `seconds` after noon, at a block that advances one per 2 s like Base. */
const t = (seconds: number): Instant => ({ timeMs: NOON + seconds * 1_000, block: 10_000 + Math.floor(seconds / 2) });

const included = (simulatedProfitUsd: number, realisedProfitUsd: number, at: Instant): ExecutionOutcome => ({
  kind: "included",
  planId: "p",
  borrower: BORROWER_A,
  simulatedProfitUsd,
  realisedProfitUsd,
  at,
});
const failed = (at: Instant, lossUsd = 1, failure: "reverted" | "not-included" | "dropped" = "reverted"): ExecutionOutcome => ({
  kind: "failed",
  planId: "p",
  borrower: BORROWER_A,
  failure,
  lossUsd,
  at,
});
const submitted = (at: Instant): ExecutionOutcome => ({ kind: "submitted", planId: "p", borrower: BORROWER_A, debtValueUsd: 100, at });

function thresholds(overrides: Partial<BreakerThresholds> = {}): BreakerThresholds {
  return { ...DEFAULT_BREAKER_THRESHOLDS, ...overrides };
}

function only(transitions: BreakerTransition[]): BreakerTransition {
  expect(transitions).to.have.length(1);
  return transitions[0]!;
}

describe("CircuitBreaker", function () {
  it("starts NORMAL and admits executions", function () {
    const breaker = new CircuitBreaker();
    expect(breaker.state).to.equal("NORMAL");
    expect(breaker.admit(t(0))).to.deep.equal({ approved: true });
  });

  describe("triggers", function () {
    it("failure rate over the sliding window throttles, and lifts when the window slides on", function () {
      const breaker = new CircuitBreaker(
        thresholds({ failureRate: { windowSeconds: 600, minSamples: 4, maxRate: 0.5, severity: "THROTTLED" } }),
      );
      expect(breaker.recordOutcome(included(60, 60, t(0)))).to.deep.equal([]);
      expect(breaker.recordOutcome(failed(t(10), 1, "not-included"))).to.deep.equal([]);
      expect(breaker.recordOutcome(failed(t(20), 1, "reverted"))).to.deep.equal([]); // 2 of 3: below minSamples
      breaker.recordOutcome(included(60, 60, t(25))); // 2 of 4 = 50%: not above the limit
      expect(breaker.state).to.equal("NORMAL");
      const transition = only(breaker.recordOutcome(failed(t(30), 1, "dropped"))); // 3 of 5 = 60%
      expect(transition).to.include({ from: "NORMAL", to: "THROTTLED", trigger: "failure-rate" });
      expect(transition.detail).to.contain("3 of 5");
      // Ten minutes later the failures have left the window.
      const lifted = only(breaker.observe({ at: t(631) }));
      expect(lifted).to.include({ from: "THROTTLED", to: "NORMAL", trigger: "failure-rate" });
    });

    it("N consecutive failures halt; a success in between resets the count", function () {
      const breaker = new CircuitBreaker(thresholds({ failureRate: { ...DEFAULT_BREAKER_THRESHOLDS.failureRate, minSamples: 1_000 } }));
      breaker.recordOutcome(failed(t(0)));
      breaker.recordOutcome(failed(t(2)));
      breaker.recordOutcome(included(60, 60, t(4)));
      breaker.recordOutcome(failed(t(6)));
      breaker.recordOutcome(failed(t(8)));
      expect(breaker.state).to.equal("NORMAL");
      const transition = only(breaker.recordOutcome(failed(t(10))));
      expect(transition).to.include({ from: "NORMAL", to: "HALTED", trigger: "consecutive-failures" });
    });

    it("realised daily loss over its limit halts", function () {
      const breaker = new CircuitBreaker(thresholds({ dailyLoss: { maxUsd: 50, severity: "HALTED" } }));
      breaker.recordOutcome(included(40, -30, t(0)));
      expect(breaker.state).to.equal("NORMAL");
      const transition = only(breaker.recordOutcome(included(40, -25, t(10))));
      expect(transition).to.include({ from: "NORMAL", to: "HALTED", trigger: "daily-loss" });
      expect(transition.detail).to.contain("$55.00");
    });

    it("daily loss configured as THROTTLED lifts at UTC midnight", function () {
      const breaker = new CircuitBreaker(thresholds({ dailyLoss: { maxUsd: 50, severity: "THROTTLED" } }));
      breaker.recordOutcome(failed(t(0), 60));
      expect(breaker.state).to.equal("THROTTLED");
      const midnight: Instant = { timeMs: Date.parse("2025-03-02T00:00:00Z"), block: 40_000 };
      expect(only(breaker.observe({ at: midnight }))).to.include({ from: "THROTTLED", to: "NORMAL", trigger: "daily-loss" });
    });

    it("realised profit more than 10% below the simulation, K times within the window, throttles", function () {
      const breaker = new CircuitBreaker(
        thresholds({ profitDeviation: { tolerance: 0.1, occurrences: 3, windowSeconds: 3_600, severity: "THROTTLED" } }),
      );
      breaker.recordOutcome(included(100, 91, t(0))); // 9% short: fine
      breaker.recordOutcome(included(100, 85, t(10))); // 15% short
      breaker.recordOutcome(included(100, 80, t(20))); // 20% short
      expect(breaker.state).to.equal("NORMAL");
      const transition = only(breaker.recordOutcome(included(100, 50, t(30))));
      expect(transition).to.include({ from: "NORMAL", to: "THROTTLED", trigger: "profit-deviation" });
    });

    it("realised profit above the simulation never throttles, however often", function () {
      const breaker = new CircuitBreaker(
        thresholds({ profitDeviation: { tolerance: 0.1, occurrences: 3, windowSeconds: 3_600, severity: "THROTTLED" } }),
      );
      // The quick start's Moonwell (+30%, +51%) and Morpho (+13%) surprises throttled the keeper to one plan in five blocks.
      for (const [index, realised] of [130, 151, 113, 200, 1_000].entries()) {
        expect(breaker.recordOutcome(included(100, realised, t(index * 10)))).to.deep.equal([]);
      }
      expect(breaker.state).to.equal("NORMAL");
      expect(breaker.recordOutcome(included(100, 89, t(60)))).to.deep.equal([]); // one shortfall is not three
    });

    it("a stale RPC head throttles and lifts when heads arrive again", function () {
      const breaker = new CircuitBreaker(thresholds({ staleHead: { maxSeconds: 30, severity: "THROTTLED" } }));
      expect(breaker.observe({ at: t(30), lastHeadAtMs: t(0).timeMs })).to.deep.equal([]);
      const stale = only(breaker.observe({ at: t(31), lastHeadAtMs: t(0).timeMs }));
      expect(stale).to.include({ from: "NORMAL", to: "THROTTLED", trigger: "stale-head" });
      expect(only(breaker.observe({ at: t(33), lastHeadAtMs: t(32).timeMs }))).to.include({ to: "NORMAL", trigger: "stale-head" });
    });

    it("the L2 sequencer reported down halts", function () {
      const breaker = new CircuitBreaker();
      const transition = only(breaker.observe({ at: t(0), sequencer: { answer: 1n, startedAtSeconds: t(-60).timeMs / 1_000 } }));
      expect(transition).to.include({ from: "NORMAL", to: "HALTED", trigger: "sequencer-down" });
    });

    it("the sequencer inside its grace period after coming back up also trips, then clears after it", function () {
      const breaker = new CircuitBreaker(thresholds({ sequencer: { gracePeriodSeconds: 3_600, severity: "THROTTLED" } }));
      const backUpAt = t(0).timeMs / 1_000;
      const inGrace = only(breaker.observe({ at: t(1_800), sequencer: { answer: 0, startedAtSeconds: backUpAt } }));
      expect(inGrace).to.include({ to: "THROTTLED", trigger: "sequencer-down" });
      expect(inGrace.detail).to.contain("grace period");
      expect(only(breaker.observe({ at: t(3_600), sequencer: { answer: 0, startedAtSeconds: backUpAt } }))).to.include({ to: "NORMAL" });
    });

    it("the executor paused on chain halts", function () {
      const breaker = new CircuitBreaker();
      expect(breaker.observe({ at: t(0), executorPaused: false })).to.deep.equal([]);
      expect(only(breaker.observe({ at: t(2), executorPaused: true }))).to.include({
        from: "NORMAL",
        to: "HALTED",
        trigger: "executor-paused",
      });
    });

    it("each trigger's severity is configurable: a paused executor can be made to throttle", function () {
      const breaker = new CircuitBreaker(thresholds({ executorPaused: { severity: "THROTTLED" } }));
      expect(only(breaker.observe({ at: t(0), executorPaused: true }))).to.include({ to: "THROTTLED" });
    });
  });

  describe("THROTTLED", function () {
    it("lets one execution through per N blocks", function () {
      const breaker = new CircuitBreaker(thresholds({ throttle: { minBlocksBetweenExecutions: 5 } }));
      breaker.observe({ at: t(0), lastHeadAtMs: t(-60).timeMs });
      expect(breaker.state).to.equal("THROTTLED");
      expect(breaker.admit({ timeMs: NOON, block: 100 }).approved).to.equal(true);
      breaker.recordOutcome(submitted({ timeMs: NOON, block: 100 }));
      expect(breaker.admit({ timeMs: NOON, block: 104 })).to.include({ approved: false, reason: "breaker-throttled" });
      expect(breaker.admit({ timeMs: NOON, block: 105 }).approved).to.equal(true);
    });

    it("counts a plan admitted and not yet submitted as the window's execution", function () {
      const breaker = new CircuitBreaker(thresholds({ throttle: { minBlocksBetweenExecutions: 5 } }));
      breaker.observe({ at: t(0), lastHeadAtMs: t(-60).timeMs });
      // Nothing executed yet: the first plan of a chunk goes, the second waits although no submission is booked.
      expect(breaker.admit({ timeMs: NOON, block: 100 }, 0).approved).to.equal(true);
      expect(breaker.admit({ timeMs: NOON, block: 100 }, 1)).to.include({ approved: false, reason: "breaker-throttled" });
      // NORMAL has no window: approvals in flight do not matter.
      expect(new CircuitBreaker().admit({ timeMs: NOON, block: 100 }, 5).approved).to.equal(true);
    });
  });

  describe("HALTED", function () {
    it("stays halted after its cause clears, until an operator resumes", function () {
      const breaker = new CircuitBreaker();
      breaker.observe({ at: t(0), executorPaused: true });
      expect(breaker.observe({ at: t(10), executorPaused: false })).to.deep.equal([]);
      expect(breaker.state).to.equal("HALTED");
      expect(breaker.admit(t(20))).to.include({ approved: false, reason: "breaker-halted" });

      const result = breaker.resume("alice", "unpaused after the oracle incident", t(30));
      expect(result).to.deep.equal({
        resumed: true,
        transition: {
          from: "HALTED",
          to: "NORMAL",
          trigger: "operator-resume",
          detail: "alice: unpaused after the oracle incident",
          at: t(30),
        },
      });
      expect(breaker.admit(t(31)).approved).to.equal(true);
    });

    it("does not escalate down to THROTTLED while halted, and resumes into THROTTLED if a throttle trigger remains", function () {
      const breaker = new CircuitBreaker();
      breaker.observe({ at: t(0), executorPaused: true });
      expect(breaker.observe({ at: t(40), lastHeadAtMs: t(0).timeMs })).to.deep.equal([]); // still HALTED
      breaker.observe({ at: t(41), executorPaused: false });
      const result = breaker.resume("alice", "checked", t(42));
      expect(result.resumed && result.transition.to).to.equal("THROTTLED");
    });

    it("refuses to resume while a halting condition is still true, and when not halted", function () {
      const breaker = new CircuitBreaker();
      expect(breaker.resume("alice", "why not", t(0))).to.include({ resumed: false });
      breaker.observe({ at: t(1), executorPaused: true });
      const refused = breaker.resume("alice", "try", t(2));
      expect(refused.resumed).to.equal(false);
      expect(!refused.resumed && refused.detail).to.contain("executor-paused");
      expect(breaker.resume("", "no name", t(3))).to.include({ resumed: false });
    });

    it("resume clears the evidence of event triggers: the next single failure does not re-halt", function () {
      const breaker = new CircuitBreaker(thresholds({ failureRate: { ...DEFAULT_BREAKER_THRESHOLDS.failureRate, minSamples: 1_000 } }));
      for (let i = 0; i < 3; i += 1) breaker.recordOutcome(failed(t(i * 2)));
      expect(breaker.state).to.equal("HALTED");
      expect(breaker.resume("bob", "competitor front-ran three times; fine", t(10)).resumed).to.equal(true);
      expect(breaker.recordOutcome(failed(t(12)))).to.deep.equal([]);
      expect(breaker.state).to.equal("NORMAL");
    });
  });

  it("snapshot round trip (through JSON) preserves state, latch, windows and counters", function () {
    const breaker = new CircuitBreaker();
    breaker.recordOutcome(submitted(t(0)));
    breaker.recordOutcome(failed(t(1)));
    breaker.recordOutcome(failed(t(2)));
    breaker.observe({ at: t(3), lastHeadAtMs: t(-60).timeMs });
    expect(breaker.state).to.equal("THROTTLED");
    const restored = CircuitBreaker.fromSnapshot(JSON.parse(JSON.stringify(breaker.toSnapshot())));
    expect(restored.toSnapshot()).to.deep.equal(breaker.toSnapshot());
    expect(restored.state).to.equal("THROTTLED");
    // The restored breaker remembers two consecutive failures: the third halts it.
    expect(only(restored.recordOutcome(failed(t(4))))).to.include({ to: "HALTED", trigger: "consecutive-failures" });

    const halted = CircuitBreaker.fromSnapshot(JSON.parse(JSON.stringify(restored.toSnapshot())));
    expect(halted.state).to.equal("HALTED");
    expect(halted.describe().haltedBy?.trigger).to.equal("consecutive-failures");
  });
});
