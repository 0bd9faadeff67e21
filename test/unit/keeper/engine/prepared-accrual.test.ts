/**
 * A prepared plan stays valid when the only change a fresh sizing makes is the interest accrued since it was prepared
 * (prepared-plans.ts, coversFreshCall): in the reaction bench one busy step in three refused its prepared plans as
 * "resized" for 1-6 wei of a $4-9k repayment and planned its first transaction afresh. Anything else still re-sizes it.
 */
import { expect } from "chai";
import type { LiquidationCandidate } from "../../../../keeper/core/types";
import { coversFreshCall } from "../../../../keeper/engine/prepared-plans";
import { candidate } from "../strategy/fixtures";

const REPAY = 9_480_355_032n;
const sized = (debtToCover: bigint, extra: Partial<LiquidationCandidate> = {}): LiquidationCandidate => {
  const base = candidate({ debtToCover, sizingRule: "aave-v3.3-close-factor-50%" });
  return { ...base, call: { ...base.call!, debtToCover }, ...extra };
};

describe("keeper: a prepared plan and the interest accrued since", () => {
  it("keeps a prepared repayment a few wei below the fresh one (same rule, same call, the market names the amount)", () => {
    expect(coversFreshCall(sized(REPAY + 6n), sized(REPAY))).to.equal(true);
    expect(coversFreshCall(sized(REPAY), sized(REPAY))).to.equal(true);
  });

  it("re-sizes anything else: more than accrual, a larger prepared repayment, another rule, a pool-decided size", () => {
    expect(coversFreshCall(sized(REPAY + REPAY / 100_000n), sized(REPAY)), "0.001% more").to.equal(false);
    expect(coversFreshCall(sized(REPAY - 1n), sized(REPAY)), "the fresh size is smaller").to.equal(false);
    expect(coversFreshCall(sized(REPAY + 2n, { sizingRule: "aave-v3.3-close-factor-100%" }), sized(REPAY)), "another rule").to.equal(false);
    const poolDecides = (debtToCover: bigint) => {
      const base = sized(debtToCover);
      return { ...base, call: { ...base.call!, poolDecidesSize: true } };
    };
    expect(coversFreshCall(poolDecides(REPAY + 2n), poolDecides(REPAY)), "the pool decides the size").to.equal(false);
    const other = sized(REPAY + 2n);
    expect(
      coversFreshCall({ ...other, call: { ...other.call!, market: "0x00000000000000000000000000000000000000ff" } }, sized(REPAY)),
    ).to.equal(false);
  });
});
