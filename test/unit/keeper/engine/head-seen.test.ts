import { expect } from "chai";
import { CircuitBreaker, DEFAULT_BREAKER_THRESHOLDS } from "../../../../keeper/risk/circuit-breaker";
import { chainHeadSeenAtMs } from "../../../../keeper/engine/operations-watch";

/**
 * The breaker's stale-head trigger judges the CHAIN: a tick that took its head at t=0 and spent 13 s reacting to a
 * busy step, while the head stream kept receiving heads, must not throttle the keeper (the reaction bench's busy
 * steps: THROTTLED "no new head for 13.1 s", then 0 of 100 liquidations in the next four steps). Heads that really
 * stop arriving still trip it.
 */
describe("stale head: the chain's newest head seen, not when the keeper's tick began", () => {
  const staleHead = { maxSeconds: 3, severity: "THROTTLED" as const };
  const observe = (lastHeadAtMs: number | null, nowMs: number) => {
    const breaker = new CircuitBreaker({ ...DEFAULT_BREAKER_THRESHOLDS, staleHead });
    breaker.observe({ at: { timeMs: nowMs, block: 100 }, lastHeadAtMs: lastHeadAtMs ?? undefined });
    return breaker.state;
  };

  it("a 13 s reaction while heads keep arriving leaves the breaker NORMAL", () => {
    const seen = chainHeadSeenAtMs({ number: 100, takenAtMs: 0 }, { number: 165, receivedAtMs: 12_900 });
    expect(seen).to.equal(12_900);
    expect(observe(seen, 13_100)).to.equal("NORMAL");
    // What the engine observed before: its own head's time, 13.1 s earlier.
    expect(observe(0, 13_100)).to.equal("THROTTLED");
  });

  it("heads that stop arriving still throttle: the stream's newest is as old as the chain's silence", () => {
    const seen = chainHeadSeenAtMs({ number: 100, takenAtMs: 0 }, { number: 100, receivedAtMs: 0 });
    expect(observe(seen, 3_500)).to.equal("THROTTLED");
  });

  it("without a head stream, or with one behind the engine's head, counts from the engine's own head", () => {
    expect(chainHeadSeenAtMs({ number: 100, takenAtMs: 2_000 }, null)).to.equal(2_000);
    expect(chainHeadSeenAtMs({ number: 100, takenAtMs: 2_000 }, { number: 99, receivedAtMs: 9_000 })).to.equal(2_000);
    // A stream head older than the engine's (the engine polled it first) never makes the chain look older.
    expect(chainHeadSeenAtMs({ number: 100, takenAtMs: 2_000 }, { number: 100, receivedAtMs: 1_500 })).to.equal(2_000);
  });
});
