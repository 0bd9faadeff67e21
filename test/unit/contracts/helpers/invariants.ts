/**
 * The executor's between-transactions invariant (safety rule 4): it holds no token, no ETH and no allowance. The
 * executor suites assert it in `afterEach`, so every test, passing or reverting, is also a test of this rule.
 */
import hre from "hardhat";
import { expect } from "chai";
import { IERC20__factory } from "../../../../typechain-types";

export interface HoldingsScope {
  /** Every token a test may have moved through the executor. */
  readonly tokens: readonly string[];
  /** Every contract the executor may have approved: lenders, markets, routers. */
  readonly spenders: readonly string[];
}

export async function expectExecutorHoldsNothing(executor: string, scope: HoldingsScope): Promise<void> {
  expect(await hre.ethers.provider.getBalance(executor), "executor ETH balance").to.equal(0n);
  for (const tokenAddress of scope.tokens) {
    const token = IERC20__factory.connect(tokenAddress, hre.ethers.provider);
    expect(await token.balanceOf(executor), `executor balance of ${tokenAddress}`).to.equal(0n);
    for (const spender of scope.spenders) {
      expect(await token.allowance(executor, spender), `executor allowance of ${tokenAddress} to ${spender}`).to.equal(0n);
    }
  }
}
