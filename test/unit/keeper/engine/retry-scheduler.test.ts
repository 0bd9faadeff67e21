/**
 * The engine's retry scheduler on its own: when a liquidatable position whose attempt did not land is
 * tried again. The market is a test double holding positions in a map (the scheduler asks a market
 * only `position(borrower)`, and answers from the position's health factor).
 */
import { expect } from "chai";
import { positionKeyId, type Address, type TrackedPosition } from "../../../../keeper/core/types";
import type { LendingMarket } from "../../../../keeper/markets/market";
import { MAX_RETRY_WAIT_BLOCKS, RetryScheduler } from "../../../../keeper/engine/retry-scheduler";
import type { PositionToPlan } from "../../../../keeper/engine/opportunity-planner";

const WAD = 10n ** 18n;
const BORROWER = "0x1111111111111111111111111111111111111111" as Address;

function marketWith(positions: Map<string, TrackedPosition>): LendingMarket {
  return { id: "aave-v3-test", position: (borrower: Address) => positions.get(borrower.toLowerCase()) } as unknown as LendingMarket;
}

function positionAt(healthFactor: bigint): TrackedPosition {
  return {
    key: { protocol: "aaveV3", market: "aave-v3-test", borrower: BORROWER },
    collaterals: [],
    debts: [],
    healthFactor,
    updatedAtBlock: 100,
  };
}

describe("engine: retry scheduler", () => {
  let positions: Map<string, TrackedPosition>;
  let item: PositionToPlan;
  let id: string;
  let scheduler: RetryScheduler;

  beforeEach(() => {
    positions = new Map([[BORROWER.toLowerCase(), positionAt(WAD / 2n)]]);
    item = { market: marketWith(positions), position: positions.get(BORROWER.toLowerCase())! };
    id = positionKeyId(item.position.key);
    scheduler = new RetryScheduler();
  });

  const dueAt = (head: number, halted = false) => [...scheduler.due(head, { halted }).keys()];

  it("backs off 1, 2, 4 … blocks while an attempt keeps failing, up to the cap", () => {
    const waits: number[] = [];
    let head = 100;
    for (let failure = 0; failure < 8; failure++) {
      scheduler.noteFailure(id, item, "simulation-failed", head);
      const due = scheduler.entry(id)!.dueBlock;
      waits.push(due - head);
      expect(dueAt(due - 1), `not due one block early (failure ${failure + 1})`).to.deep.equal([]);
      expect(dueAt(due)).to.deep.equal([id]);
      head = due;
    }
    expect(waits).to.deep.equal([1, 2, 4, 8, 16, 32, MAX_RETRY_WAIT_BLOCKS, MAX_RETRY_WAIT_BLOCKS]);
  });

  it("retries what may pass with time (failed simulation, refused send, throttle, cooldown, HALT) and nothing else", () => {
    const retried = (decision: Parameters<RetryScheduler["recordDecision"]>[2]) => {
      const fresh = new RetryScheduler();
      fresh.recordDecision(id, item, decision, 100);
      return fresh.entry(id) !== undefined;
    };
    expect(retried({ outcome: "planned", executionStatus: "simulation-failed" })).to.equal(true);
    expect(retried({ outcome: "planned", executionStatus: "not-sent" })).to.equal(true);
    for (const reason of ["breaker-throttled", "breaker-halted", "borrower-cooldown", "daily-volume-exceeded", "priority-fee-cap"]) {
      expect(retried({ outcome: "skipped", reason }), reason).to.equal(true);
    }
    for (const reason of ["dust", "no-route", "unprofitable", "max-single-execution"]) {
      expect(retried({ outcome: "skipped", reason }), reason).to.equal(false);
    }
    expect(retried({ outcome: "planned", executionStatus: "sent" })).to.equal(false);
    expect(retried({ outcome: "planned", executionStatus: "duplicate" })).to.equal(false);
  });

  it("ends the retries once an attempt is sent, or the position is skipped for a reason time does not fix", () => {
    scheduler.recordDecision(id, item, { outcome: "planned", executionStatus: "not-sent" }, 100);
    scheduler.recordDecision(id, item, { outcome: "planned", executionStatus: "sent" }, 101);
    expect(scheduler.entry(id)).to.equal(undefined);

    scheduler.recordDecision(id, item, { outcome: "skipped", reason: "breaker-throttled" }, 102);
    scheduler.recordDecision(id, item, { outcome: "skipped", reason: "no-route" }, 103);
    expect(scheduler.size).to.equal(0);
  });

  it("forgets a position that recovered above health factor 1 or is no longer tracked", () => {
    scheduler.noteFailure(id, item, "simulation-failed", 100);
    positions.set(BORROWER.toLowerCase(), positionAt(WAD));
    expect(dueAt(101)).to.deep.equal([]);
    expect(scheduler.size).to.equal(0);

    positions.set(BORROWER.toLowerCase(), positionAt(WAD / 2n));
    scheduler.noteFailure(id, item, "simulation-failed", 100);
    positions.clear();
    expect(dueAt(101)).to.deep.equal([]);
    expect(scheduler.size).to.equal(0);
  });

  it("holds a position refused by a HALTED breaker while the breaker stays HALTED, then offers it with the current position", () => {
    scheduler.recordDecision(id, item, { outcome: "skipped", reason: "breaker-halted" }, 100);
    expect(dueAt(110, true)).to.deep.equal([]);
    expect(scheduler.size, "kept, not forgotten").to.equal(1);

    const deeper = positionAt(WAD / 3n);
    positions.set(BORROWER.toLowerCase(), deeper);
    const due = scheduler.due(110, { halted: false });
    expect(due.get(id)?.position).to.equal(deeper);
  });

  it("leaves out positions the engine is already planning this block", () => {
    scheduler.noteFailure(id, item, "simulation-failed", 100);
    expect([...scheduler.due(101, { halted: false, except: new Set([id]) }).keys()]).to.deep.equal([]);
    expect(dueAt(101)).to.deep.equal([id]);
  });
});
