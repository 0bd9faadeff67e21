/**
 * Property tests (fast-check) over random position sizes, price moves, flash sources and fees, swap fee tiers, batch
 * sizes and profit floors, on the sandbox's genuine protocols. For every draw the plan first runs with no floor to
 * measure its profit P (then the chain is rewound). With floor m it must then revert if it lost money (it cannot
 * repay the loan), revert InsufficientProfit(P, m) when P < m, and otherwise pay the treasury exactly P >= m. Whatever
 * happens, the executor ends with no token, no ETH and no allowance.
 */
import { expect } from "chai";
import fc from "fast-check";
import { loadFixture, takeSnapshot } from "@nomicfoundation/hardhat-network-helpers";
import { executorFixture, type ExecutorFixture } from "../../shared/executor-fixture";
import { setAaveFlashPremium } from "../../../sandbox";
import { expectExecutorHoldsNothing } from "./helpers/invariants";
import { outcomeOf, sandboxScope } from "./helpers/outcomes";
import { unhealthyAavePositions, unhealthyMorphoPositions } from "./helpers/positions";
import {
  FlashSource,
  NO_FLASH_LOAN,
  aaveLiquidation,
  flashLoan,
  morphoLiquidation,
  packedPath,
  uniswapSwap,
  type BatchPlanStruct,
  type FlashSourceName,
} from "./helpers/plans";
import { deadline } from "./helpers/deadline";

/** Modest, so the whole suite stays fast; raise locally with FC_NUM_RUNS to search harder. */
const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 25);
const MORPHO_NUM_RUNS = Math.ceil(NUM_RUNS * 0.6);
const BPS = 10_000n;

/**
 * Runs `plan` twice from the same state: once with no floor to learn its profit P, then with `minProfit` m. A plan
 * that loses money cannot repay its loan and reverts whatever m is; otherwise it reverts InsufficientProfit(P, m)
 * exactly when P < m, and else pays the treasury exactly P.
 */
async function checkProfitFloor(f: ExecutorFixture, plan: BatchPlanStruct, minProfit: bigint): Promise<"paid" | "below-floor" | "loss"> {
  const profitToken = f.sandbox.tokens.USDC;
  const snapshot = await takeSnapshot();
  const profit = await outcomeOf(f.executor, f.executor.liquidateBatch({ ...plan, minProfit: 0n })).then(
    (measured) => measured.plan.profit,
    () => undefined,
  );
  await snapshot.restore();

  const treasuryBefore = await profitToken.balanceOf(f.treasury.address);
  let verdict: "paid" | "below-floor" | "loss";
  if (profit === undefined) {
    await expect(f.executor.liquidateBatch({ ...plan, minProfit })).to.be.reverted;
    verdict = "loss";
  } else if (profit < minProfit) {
    await expect(f.executor.liquidateBatch({ ...plan, minProfit }))
      .to.be.revertedWithCustomError(f.executor, "InsufficientProfit")
      .withArgs(profit, minProfit);
    verdict = "below-floor";
  } else {
    const outcome = await outcomeOf(f.executor, f.executor.liquidateBatch({ ...plan, minProfit }));
    expect(outcome.plan.profit).to.equal(profit);
    verdict = "paid";
  }
  const treasuryGain = (await profitToken.balanceOf(f.treasury.address)) - treasuryBefore;
  expect(treasuryGain).to.equal(verdict === "paid" ? profit : 0n);
  await expectExecutorHoldsNothing(await f.executor.getAddress(), sandboxScope(f));
  return verdict;
}

describe("ChimeraExecutor: properties", function () {
  let run = 0;
  const verdicts: string[] = [];

  after(function () {
    // The generators must reach every branch of the rule, or the properties prove less than they claim.
    expect(verdicts).to.include("paid");
    expect(verdicts).to.include("below-floor");
  });

  it("Aave liquidations: any source, size, price drop, fee and batch size revert on a loss, revert InsufficientProfit below the floor, or pay exactly the profit", async function () {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          source: fc.constantFrom<FlashSourceName>("BalancerV2", "MorphoBlue", "AaveV3", "UniswapV3"),
          batchSize: fc.integer({ min: 1, max: 3 }),
          debtUsd: fc.integer({ min: 1_000, max: 400_000 }),
          // Opened at HF 1.04: any drop above ~3.9% makes them liquidatable.
          dropPercent: fc.double({ min: 4.5, max: 15, noNaN: true }),
          coverFraction: fc.integer({ min: 10, max: 50 }),
          swapFee: fc.constantFrom(500, 3000),
          aavePremiumBps: fc.integer({ min: 0, max: 100 }),
          minProfitBps: fc.integer({ min: 0, max: 800 }),
        }),
        async (draw) => {
          const f = await loadFixture(executorFixture);
          const { book } = f.sandbox;
          await setAaveFlashPremium(f.sandbox, draw.aavePremiumBps);
          const positions = await unhealthyAavePositions(f.sandbox, {
            count: draw.batchSize,
            seed: 1_000 + run++,
            debtUsd: draw.debtUsd,
            dropFraction: draw.dropPercent / 100,
          });
          const covers = positions.map((p) => (p.debt * BigInt(draw.coverFraction)) / 100n);
          const total = covers.reduce((a, b) => a + b, 0n);
          // A Uniswap pool is locked during its own flash: borrow from the tier the swap does not use.
          const flashPool = book.flash.uniswapV3Pools![`WETH/USDC/${draw.swapFee === 500 ? 3000 : 500}`];
          const lender = {
            BalancerV2: book.flash.balancerVault!,
            MorphoBlue: book.morphoBlue!.morpho,
            AaveV3: book.aaveV3!.pool,
            UniswapV3: flashPool,
          }[draw.source];
          const plan: BatchPlanStruct = {
            flash: flashLoan(FlashSource[draw.source], lender, book.tokens.USDC.address, total),
            liquidations: positions.map((p, i) =>
              aaveLiquidation({
                pool: book.aaveV3!.pool,
                borrower: p.borrower,
                collateralToken: p.collateralToken,
                debtToken: p.debtToken,
                debtToCover: covers[i],
                swap: uniswapSwap(book.uniswapV3!.swapRouter02, packedPath([p.collateralToken, p.debtToken], [draw.swapFee]), 0n),
              }),
            ),
            profitToken: book.tokens.USDC.address,
            minProfit: 0n,
            deadlineBlock: await deadline(),
          };
          verdicts.push(await checkProfitFloor(f, plan, (total * BigInt(draw.minProfitBps)) / BPS));
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it("Morpho liquidations funded by their own callback: any size, seize fraction and price drop obey the same rule", async function () {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          debtUsd: fc.integer({ min: 1_000, max: 400_000 }),
          dropPercent: fc.double({ min: 3.5, max: 9, noNaN: true }),
          seizePercent: fc.integer({ min: 5, max: 40 }),
          swapFee: fc.constantFrom(500, 3000),
          minProfitBps: fc.integer({ min: 0, max: 800 }),
        }),
        async (draw) => {
          const f = await loadFixture(executorFixture);
          const { book } = f.sandbox;
          const [position] = await unhealthyMorphoPositions(f.sandbox, {
            seed: 2_000 + run++,
            debtUsd: draw.debtUsd,
            dropFraction: draw.dropPercent / 100,
          });
          const seizedAssets = (position.collateral * BigInt(draw.seizePercent)) / 100n;
          const plan: BatchPlanStruct = {
            flash: NO_FLASH_LOAN,
            liquidations: [
              morphoLiquidation({
                morpho: book.morphoBlue!.morpho,
                market: position.market,
                borrower: position.borrower,
                seizedAssets,
                swap: uniswapSwap(
                  book.uniswapV3!.swapRouter02,
                  packedPath([position.market.collateralToken, position.market.loanToken], [draw.swapFee]),
                  0n,
                ),
              }),
            ],
            profitToken: book.tokens.USDC.address,
            minProfit: 0n,
            deadlineBlock: await deadline(),
          };
          // The floor is relative to the debt the seizure repays (about the seized value over the 4.4% incentive).
          verdicts.push(
            await checkProfitFloor(
              f,
              plan,
              (BigInt(draw.debtUsd) * 10n ** 6n * BigInt(draw.seizePercent) * BigInt(draw.minProfitBps)) / (100n * BPS),
            ),
          );
        },
      ),
      { numRuns: MORPHO_NUM_RUNS },
    );
  });
});
