import { expect } from "chai";
import type { LiquidationPlan } from "../../../../keeper/core/types";
import type { ExecutionOutcome } from "../../../../keeper/risk/execution-outcome";
import type { Instant } from "../../../../keeper/risk/instant";
import { limitsForTier, TIER_PRESETS, type RiskLimits } from "../../../../keeper/risk/limits";
import { RiskGate, type BreakerAdmission } from "../../../../keeper/risk/risk-gate";
import { BORROWER_A, BORROWER_B, candidate, planWith, positionKey } from "../strategy/fixtures";

const GWEI = 10n ** 9n;
const NOON = Date.parse("2025-03-01T12:00:00Z");
const at = (timeMs: number, block: number): Instant => ({ timeMs, block });
const T0 = at(NOON, 1_000);

function tier(tierNumber: 1 | 2 | 3, cooldown: RiskLimits["borrowerCooldown"] = { amount: 10, unit: "blocks" }): RiskLimits {
  return limitsForTier(tierNumber, { maxPriorityFeePerGasWei: 2n * GWEI, maxFeePerGasWei: 5n * GWEI, borrowerCooldown: cooldown });
}

/** A plan repaying `debtUsd` for `netUsd` net, on borrower A unless told otherwise. */
function plan(debtUsd: number, netUsd: number, extra: Partial<LiquidationPlan> = {}, borrower = BORROWER_A): LiquidationPlan {
  return planWith(`p-${debtUsd}-${netUsd}`, netUsd, {
    candidate: candidate({ key: positionKey(borrower), debtToCoverUsd: debtUsd }),
    priorityFeePerGas: 1n * GWEI,
    maxFeePerGas: 2n * GWEI,
    ...extra,
  });
}

const submitted = (debtValueUsd: number, when: Instant, borrower = BORROWER_A): ExecutionOutcome => ({
  kind: "submitted",
  planId: "x",
  borrower,
  debtValueUsd,
  at: when,
});
const failed = (lossUsd: number, when: Instant, borrower = BORROWER_A): ExecutionOutcome => ({
  kind: "failed",
  planId: "x",
  borrower,
  failure: "reverted",
  lossUsd,
  at: when,
});

describe("RiskGate", function () {
  describe("tier presets", function () {
    it("tier 1: 500 single / 2,500 daily / 50 min profit; tier 2: 1,000 / 5,000 / 50", function () {
      expect(TIER_PRESETS[1]).to.include({ maxSingleExecutionUsd: 500, maxDailyVolumeUsd: 2_500, minProfitUsd: 50 });
      expect(TIER_PRESETS[2]).to.include({ maxSingleExecutionUsd: 1_000, maxDailyVolumeUsd: 5_000, minProfitUsd: 50 });
    });

    it("a 700 USD liquidation is above tier 1's single limit but within tier 2's", function () {
      expect(new RiskGate(tier(1), 1, T0).evaluate(plan(700, 80), { now: T0 })).to.include({ approved: false, reason: "above-max-single" });
      expect(new RiskGate(tier(2), 2, T0).evaluate(plan(700, 80), { now: T0 })).to.deep.equal({ approved: true });
    });

    it("tier 3 keeps the 5:1 daily-to-single ratio and the $50 floor", function () {
      const preset = TIER_PRESETS[3];
      expect(preset.maxDailyVolumeUsd / preset.maxSingleExecutionUsd).to.equal(5);
      expect(preset.minProfitUsd).to.equal(50);
      expect(preset.maxSingleExecutionUsd).to.be.greaterThan(TIER_PRESETS[2].maxSingleExecutionUsd);
    });

    it("a tier change replaces the limits and returns a journal record", function () {
      const gate = new RiskGate(tier(1), 1, T0);
      const change = gate.changeLimits(tier(2), 2, "alice", T0);
      expect(change).to.deep.equal({ kind: "limits-changed", from: 1, to: 2, operator: "alice", at: T0 });
      expect(gate.limitsLabel).to.equal(2);
      expect(gate.evaluate(plan(700, 80), { now: T0 }).approved).to.equal(true);
    });
  });

  it("refuses below the minimum profit", function () {
    const decision = new RiskGate(tier(1), 1, T0).evaluate(plan(400, 49.99), { now: T0 });
    expect(decision).to.include({ approved: false, reason: "below-min-profit" });
  });

  it("refuses when today's volume plus this plan would pass the daily limit", function () {
    const gate = new RiskGate(tier(1), 1, T0);
    for (let i = 0; i < 5; i += 1) gate.record(submitted(450, at(NOON + i * 1_000, 1_000 + i)));
    // 2,250 booked; another 300 would make 2,550 > 2,500; 250 fits exactly.
    expect(gate.evaluate(plan(300, 60), { now: T0 })).to.include({ approved: false, reason: "daily-volume-exceeded" });
    expect(gate.evaluate(plan(250, 60), { now: T0 }).approved).to.equal(true);
  });

  it("counts volume approved but not yet submitted against the daily limit, and refuses a negative one", function () {
    const gate = new RiskGate(tier(1), 1, T0);
    gate.record(submitted(1_000, T0));
    // 1,000 booked + 1,300 approved ahead of it in the chunk: 300 more would pass 2,500, 200 fits exactly.
    const refused = gate.evaluate(plan(300, 60), { now: T0, pending: { plans: 3, volumeUsd: 1_300 } });
    expect(refused).to.include({ approved: false, reason: "daily-volume-exceeded" });
    expect(refused.approved ? "" : refused.detail).to.equal(
      "$1000.00 sent today + $1300.00 approved + $300.00 exceeds the $2500.00 daily volume",
    );
    expect(gate.evaluate(plan(200, 60), { now: T0, pending: { plans: 3, volumeUsd: 1_300 } }).approved).to.equal(true);
    expect(() => gate.evaluate(plan(200, 60), { now: T0, pending: { plans: 1, volumeUsd: -1 } })).to.throw(RangeError, "pending.volumeUsd");
  });

  it("refuses everything once today's losses reach the daily loss limit", function () {
    const gate = new RiskGate(tier(1), 1, T0);
    gate.record(failed(60, T0, BORROWER_B));
    expect(gate.evaluate(plan(100, 60), { now: T0 }).approved).to.equal(true);
    gate.record({ kind: "included", planId: "y", borrower: BORROWER_B, simulatedProfitUsd: 60, realisedProfitUsd: -40, at: T0 });
    expect(gate.evaluate(plan(100, 60), { now: T0 })).to.include({ approved: false, reason: "daily-loss-exceeded" });
  });

  it("rolls the daily windows at UTC midnight, from the injected time", function () {
    const gate = new RiskGate(tier(1), 1, T0);
    gate.record(submitted(2_400, T0, BORROWER_B));
    gate.record(failed(100, T0, BORROWER_B));
    const lastSecond = at(Date.parse("2025-03-01T23:59:59Z"), 40_000);
    const midnight = at(Date.parse("2025-03-02T00:00:00Z"), 40_001);
    expect(gate.evaluate(plan(200, 60), { now: lastSecond })).to.include({ approved: false, reason: "daily-loss-exceeded" });
    expect(gate.evaluate(plan(200, 60), { now: midnight })).to.deep.equal({ approved: true });
    expect(gate.totalsAt(midnight)).to.include({ day: "2025-03-02", volumeUsd: 0, lossUsd: 0 });
  });

  it("refuses fees above the caps", function () {
    const gate = new RiskGate(tier(1), 1, T0);
    expect(gate.evaluate(plan(100, 60, { priorityFeePerGas: 3n * GWEI }), { now: T0 })).to.include({ reason: "priority-fee-cap" });
    expect(gate.evaluate(plan(100, 60, { maxFeePerGas: 6n * GWEI }), { now: T0 })).to.include({ reason: "priority-fee-cap" });
  });

  it("cools a borrower down for N blocks after a failure, others unaffected", function () {
    const gate = new RiskGate(tier(1), 1, T0);
    gate.record(failed(1, T0));
    expect(gate.evaluate(plan(100, 60), { now: at(NOON, 1_009) })).to.include({ approved: false, reason: "borrower-cooldown" });
    expect(gate.evaluate(plan(100, 60, {}, BORROWER_B), { now: at(NOON, 1_009) }).approved).to.equal(true);
    expect(gate.evaluate(plan(100, 60), { now: at(NOON, 1_010) }).approved).to.equal(true);
  });

  it("cools a borrower down for N seconds when configured in seconds", function () {
    const gate = new RiskGate(tier(1, { amount: 60, unit: "seconds" }), 1, T0);
    gate.record(failed(1, T0));
    expect(gate.evaluate(plan(100, 60), { now: at(NOON + 59_999, 2_000) })).to.include({ reason: "borrower-cooldown" });
    expect(gate.evaluate(plan(100, 60), { now: at(NOON + 60_000, 2_000) }).approved).to.equal(true);
  });

  it("asks the breaker first", function () {
    const halted: BreakerAdmission = { admit: () => ({ approved: false, reason: "breaker-halted", detail: "test double: always halted" }) };
    expect(new RiskGate(tier(2), 2, T0).evaluate(plan(100, 60), { now: T0, breaker: halted })).to.include({ reason: "breaker-halted" });
  });

  it("snapshot round trip keeps today's totals and cooldowns across a restart (through JSON)", function () {
    const gate = new RiskGate(tier(1), 1, T0);
    gate.record(submitted(2_100, T0, BORROWER_B));
    gate.record(failed(30, T0));
    const json = JSON.stringify(gate.toSnapshot());
    const restored = RiskGate.fromSnapshot(JSON.parse(json), tier(1), 1, at(NOON + 5_000, 1_002));
    expect(restored.toSnapshot()).to.deep.equal(gate.toSnapshot());
    expect(restored.evaluate(plan(600, 60, {}, BORROWER_B), { now: T0 })).to.include({ reason: "above-max-single" });
    expect(restored.evaluate(plan(450, 60, {}, BORROWER_B), { now: T0 })).to.include({ reason: "daily-volume-exceeded" });
    expect(restored.evaluate(plan(100, 60), { now: at(NOON, 1_005) })).to.include({ reason: "borrower-cooldown" });
  });

  it("restoring a snapshot from yesterday starts today afresh", function () {
    const gate = new RiskGate(tier(1), 1, T0);
    gate.record(submitted(2_400, T0));
    const tomorrow = at(NOON + 86_400_000, 50_000);
    const restored = RiskGate.fromSnapshot(gate.toSnapshot(), tier(1), 1, tomorrow);
    expect(restored.toSnapshot()).to.include({ day: "2025-03-02", volumeUsd: 0 });
  });
});
