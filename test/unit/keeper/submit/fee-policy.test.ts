import { expect } from "chai";
import fc from "fast-check";
import {
  FeeCapError,
  bumpFees,
  initialFees,
  minimumReplacementFees,
  priorityFeeFromProfit,
  replacementDecision,
  validateFeePolicy,
  type Eip1559Fees,
  type FeePolicyConfig,
  type PreviousTxKind,
} from "../../../../keeper/submit/fee-policy";

const GWEI = 10n ** 9n;

const POLICY: FeePolicyConfig = {
  maxFeePerGasCap: 100n * GWEI,
  maxPriorityFeePerGasCap: 10n * GWEI,
  bumpBps: 1_000,
  baseFeeHeadroomBps: 20_000,
  cancelMaxFeePerGasCeiling: 400n * GWEI,
};

/** Smallest value a node accepts as a 10% bump over `previous`: ceil(previous × 1.1). */
function tenPercentOver(previous: bigint): bigint {
  return (previous * 11_000n + 9_999n) / 10_000n;
}

describe("fee policy", function () {
  describe("#initialFees", function () {
    it("bids the priority fee on top of twice the base fee", function () {
      expect(initialFees(5n * GWEI, 2n * GWEI, POLICY)).to.deep.equal({ maxFeePerGas: 12n * GWEI, maxPriorityFeePerGas: 2n * GWEI });
    });

    it("caps the priority bid and the max fee", function () {
      expect(initialFees(60n * GWEI, 50n * GWEI, POLICY)).to.deep.equal({ maxFeePerGas: 100n * GWEI, maxPriorityFeePerGas: 10n * GWEI });
    });

    it("refuses to price a transaction that cannot be included under the cap", function () {
      expect(() => initialFees(95n * GWEI, 10n * GWEI, POLICY)).to.throw(FeeCapError, /exceeds maxFeePerGasCap/);
    });
  });

  describe("#replacementDecision", function () {
    const stuck: Eip1559Fees = { maxFeePerGas: 20n * GWEI, maxPriorityFeePerGas: 2n * GWEI };

    it("raises both fields by at least 10%", function () {
      const decision = replacementDecision(stuck, "original", 5n * GWEI, POLICY);
      expect(decision).to.deep.equal({ kind: "replace", fees: { maxFeePerGas: 22n * GWEI, maxPriorityFeePerGas: 2_200_000_000n } });
    });

    it("follows a risen base fee up to the cap", function () {
      const decision = replacementDecision(stuck, "original", 30n * GWEI, POLICY);
      // 2 × 30 gwei + 2.2 gwei = 62.2 gwei: above the 22 gwei bump, below the 100 gwei cap.
      expect(decision).to.deep.equal({ kind: "replace", fees: { maxFeePerGas: 62_200_000_000n, maxPriorityFeePerGas: 2_200_000_000n } });
    });

    it("rounds a bump up, and moves a zero priority fee by 1 wei", function () {
      const decision = replacementDecision({ maxFeePerGas: 101n, maxPriorityFeePerGas: 0n }, "original", 1n, POLICY);
      expect(decision).to.deep.equal({ kind: "replace", fees: { maxFeePerGas: 112n, maxPriorityFeePerGas: 1n } });
    });

    it("cancels when the bumped priority fee would cross its cap", function () {
      const decision = replacementDecision(
        { maxFeePerGas: 50n * GWEI, maxPriorityFeePerGas: (95n * GWEI) / 10n },
        "original",
        5n * GWEI,
        POLICY,
      );
      expect(decision.kind).to.equal("cancel");
      if (decision.kind !== "cancel") return;
      expect(decision.fees.maxPriorityFeePerGas).to.equal(10_450_000_000n);
      expect(decision.fees.maxFeePerGas).to.equal(55n * GWEI);
    });

    it("cancels when the bumped max fee would cross its cap", function () {
      const decision = replacementDecision({ maxFeePerGas: 95n * GWEI, maxPriorityFeePerGas: 1n * GWEI }, "replacement", 5n * GWEI, POLICY);
      expect(decision.kind).to.equal("cancel");
    });

    it("cancels when a replacement could not be included under the cap at today's base fee", function () {
      const decision = replacementDecision(stuck, "original", 99n * GWEI, POLICY);
      expect(decision.kind).to.equal("cancel");
    });

    it("replaces a stuck cancel only with another, bumped cancel", function () {
      const decision = replacementDecision(stuck, "cancel", 5n * GWEI, POLICY);
      expect(decision).to.deep.equal({ kind: "cancel", fees: { maxFeePerGas: 22n * GWEI, maxPriorityFeePerGas: 2_200_000_000n } });
    });

    it("reports exhausted when even a cancel would cross the cancel ceiling", function () {
      const decision = replacementDecision({ maxFeePerGas: 380n * GWEI, maxPriorityFeePerGas: 10n * GWEI }, "cancel", 5n * GWEI, POLICY);
      expect(decision.kind).to.equal("exhausted");
    });

    it("property: a replacement is ≥ 10% above on both fields and within the caps, or it is a cancel (also ≥ 10%) or exhausted", function () {
      const wei = (max: bigint) => fc.bigInt({ min: 0n, max });
      fc.assert(
        fc.property(
          wei(500n * GWEI),
          wei(500n * GWEI),
          wei(500n * GWEI),
          fc.integer({ min: 1_000, max: 5_000 }),
          fc.constantFrom<PreviousTxKind>("original", "replacement", "cancel"),
          wei(200n * GWEI),
          wei(200n * GWEI),
          (a, b, baseFee, bumpBps, kind, capA, capB) => {
            const previous = { maxFeePerGas: a > b ? a : b, maxPriorityFeePerGas: a > b ? b : a };
            const maxFeePerGasCap = (capA > capB ? capA : capB) + 1n;
            const policy = validateFeePolicy({
              maxFeePerGasCap,
              maxPriorityFeePerGasCap: capA > capB ? capB : capA,
              bumpBps,
              baseFeeHeadroomBps: 15_000,
              cancelMaxFeePerGasCeiling: maxFeePerGasCap * 3n,
            });
            const decision = replacementDecision(previous, kind, baseFee, policy);
            if (decision.kind === "exhausted") {
              // Blocked only when even the +10% nodes require is above the ceiling (the policy's bump gives way to it).
              const minimum = minimumReplacementFees(previous);
              expect(
                minimum.maxFeePerGas > policy.cancelMaxFeePerGasCeiling || minimum.maxPriorityFeePerGas > policy.cancelMaxFeePerGasCeiling,
              ).to.equal(true);
              return;
            }
            const { fees } = decision;
            expect(fees.maxFeePerGas >= tenPercentOver(previous.maxFeePerGas), "maxFeePerGas bumped ≥ 10%").to.equal(true);
            expect(fees.maxPriorityFeePerGas >= tenPercentOver(previous.maxPriorityFeePerGas), "priority bumped ≥ 10%").to.equal(true);
            expect(fees.maxFeePerGas > previous.maxFeePerGas && fees.maxPriorityFeePerGas > previous.maxPriorityFeePerGas).to.equal(true);
            expect(fees.maxPriorityFeePerGas <= fees.maxFeePerGas, "a valid EIP-1559 pair").to.equal(true);
            if (decision.kind === "replace") {
              expect(kind).to.not.equal("cancel");
              expect(fees.maxFeePerGas <= policy.maxFeePerGasCap).to.equal(true);
              expect(fees.maxPriorityFeePerGas <= policy.maxPriorityFeePerGasCap).to.equal(true);
            } else {
              expect(fees.maxFeePerGas <= policy.cancelMaxFeePerGasCeiling).to.equal(true);
              // A bid is given up only when bidding on would cross a cap.
              const bumped = bumpFees(previous, bumpBps);
              const bidPossible =
                bumped.maxFeePerGas <= policy.maxFeePerGasCap &&
                bumped.maxPriorityFeePerGas <= policy.maxPriorityFeePerGasCap &&
                baseFee + bumped.maxPriorityFeePerGas <= policy.maxFeePerGasCap;
              expect(kind === "cancel" || !bidPossible, "cancelled although a replacement fitted the caps").to.equal(true);
            }
          },
        ),
        { numRuns: 300 },
      );
    });
  });

  describe("#validateFeePolicy", function () {
    it("refuses a bump below 10%, naming the field and the minimum", function () {
      expect(() => validateFeePolicy({ ...POLICY, bumpBps: 999 })).to.throw(/bumpBps must be an integer >= 1000/);
    });

    it("refuses a priority cap above the max fee cap", function () {
      expect(() => validateFeePolicy({ ...POLICY, maxPriorityFeePerGasCap: 101n * GWEI })).to.throw(/maxPriorityFeePerGasCap/);
    });

    it("refuses a cancel ceiling below the bid cap", function () {
      expect(() => validateFeePolicy({ ...POLICY, cancelMaxFeePerGasCeiling: 1n })).to.throw(/cancelMaxFeePerGasCeiling/);
    });
  });

  describe("#priorityFeeFromProfit", function () {
    it("bids a share of expected profit per gas", function () {
      // 20% of 0.01 ETH over 500k gas = 4 gwei per gas.
      expect(priorityFeeFromProfit(10n ** 16n, 500_000n, 2_000, 10n * GWEI)).to.equal(4n * GWEI);
    });

    it("caps the bid", function () {
      expect(priorityFeeFromProfit(10n ** 18n, 500_000n, 5_000, 10n * GWEI)).to.equal(10n * GWEI);
    });

    it("bids nothing without expected profit", function () {
      expect(priorityFeeFromProfit(-5n, 500_000n, 5_000, 10n * GWEI)).to.equal(0n);
    });
  });
});
