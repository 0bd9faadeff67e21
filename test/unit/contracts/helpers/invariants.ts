/**
 * The executor's between-transactions invariant (safety rule 4): it holds no token, no ETH and no allowance. The
 * executor suites assert it in `afterEach`, so every test, passing or reverting, is also a test of this rule.
 */
import hre from "hardhat";
import { expect } from "chai";
import { IERC20__factory } from "../../../../typechain-types";
import type { ExecutorFixture } from "../../../shared/executor-fixture";
import { sandboxScope } from "./outcomes";

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

/** The executor a test uses, registered so the suite's `afterEach` can check it holds nothing. */
export interface HoldingsWatch {
  /** Watches `f`'s executor over every sandbox token and contract, plus `extra`; returns `f` for chaining. */
  watch<F extends ExecutorFixture>(f: F, extra?: Partial<HoldingsScope>): Promise<F>;
  /** Adds tokens or spenders a test introduced (a hook token, a router) to the watched executor's scope. */
  widen(extra: Partial<HoldingsScope>): void;
}

/**
 * Registers, in the calling `describe`, an `afterEach` asserting `expectExecutorHoldsNothing` on the executor the
 * test watched (tests that watch none are not checked), so every executor test is also a test of safety rule 4.
 */
export function checkExecutorHoldsNothingAfterEach(): HoldingsWatch {
  let watched: { executor: string; holdings: HoldingsScope } | undefined;

  afterEach(async function () {
    if (watched !== undefined) await expectExecutorHoldsNothing(watched.executor, watched.holdings);
    watched = undefined;
  });

  return {
    async watch(f, extra = {}) {
      watched = { executor: await f.executor.getAddress(), holdings: sandboxScope(f, extra) };
      return f;
    },
    widen(extra) {
      if (watched === undefined) throw new Error("widen() before watch(): no executor is watched in this test");
      const { tokens, spenders } = watched.holdings;
      watched = {
        executor: watched.executor,
        holdings: { tokens: [...tokens, ...(extra.tokens ?? [])], spenders: [...spenders, ...(extra.spenders ?? [])] },
      };
    },
  };
}
