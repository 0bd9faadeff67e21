/**
 * planExecutedIn: the keeper's reading of a mined executor transaction. PlanExecuted does not carry the number of
 * liquidations (the executor emits one Liquidated per liquidation, all or nothing), so the count is the executor's
 * Liquidated events before its PlanExecuted: not another contract's, not a second plan's in the same transaction.
 */
import { expect } from "chai";
import { ChimeraExecutor__factory } from "../../../../typechain-types";
import { planExecutedIn, type FullReceiptLike, type ReceiptLogLike } from "../../../../keeper/execution/receipt-facts";

const executorInterface = ChimeraExecutor__factory.createInterface();
const EXECUTOR = "0x00000000000000000000000000000000000000e1";
const OTHER = "0x00000000000000000000000000000000000000e2";
const USDC = "0x00000000000000000000000000000000000000c1";
const WETH = "0x00000000000000000000000000000000000000c2";

function log(address: string, name: "Liquidated" | "PlanExecuted", values: unknown[]): ReceiptLogLike {
  const fragment = executorInterface.getEvent(name);
  const { data, topics } = executorInterface.encodeEventLog(fragment, values);
  return { address, data, topics };
}

const liquidated = (address: string) => log(address, "Liquidated", [`0x${"b".repeat(40)}`, WETH, USDC, 0, 100n, 2n, 2n, 150n]);
const planExecuted = (profit: bigint) => log(EXECUTOR, "PlanExecuted", [`0x${"a".repeat(40)}`, USDC, `0x${"d".repeat(40)}`, 3n, profit]);

function receipt(logs: ReceiptLogLike[]): FullReceiptLike {
  return { hash: "0x01", blockNumber: 1, status: 1, gasUsed: 1n, gasPrice: 1n, logs };
}

describe("planExecutedIn", function () {
  it("reads profit, fee and profit token, and counts the executor's Liquidated events before its PlanExecuted", function () {
    const facts = planExecutedIn(receipt([liquidated(EXECUTOR), liquidated(OTHER), liquidated(EXECUTOR), planExecuted(50n)]), EXECUTOR);
    expect(facts).to.deep.equal({ profit: 50n, flashFee: 3n, liquidationCount: 2n, profitToken: USDC });
  });

  it("counts only the first plan's liquidations when one transaction ran two plans", function () {
    const facts = planExecutedIn(
      receipt([liquidated(EXECUTOR), planExecuted(7n), liquidated(EXECUTOR), liquidated(EXECUTOR), planExecuted(9n)]),
      EXECUTOR,
    );
    expect(facts?.profit).to.equal(7n);
    expect(facts?.liquidationCount).to.equal(1n);
  });

  it("is null without the executor's PlanExecuted (a revert, a cancel, another emitter)", function () {
    expect(planExecutedIn(receipt([liquidated(EXECUTOR)]), EXECUTOR)).to.equal(null);
    expect(planExecutedIn(receipt([planExecuted(1n)]), OTHER)).to.equal(null);
  });
});
