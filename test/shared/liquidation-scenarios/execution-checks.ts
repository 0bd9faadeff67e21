/**
 * Runs one plan through the executor and checks what every liquidation scenario must hold, whatever the protocol:
 * the position was liquidated once, all seized collateral was sold and the venue paid exactly what its quoter says,
 * the lender charged exactly its fee, profit = bought - repaid - fee and reached the treasury, and the executor ends
 * the transaction holding no token and no allowance.
 */
import { expect } from "chai";
import type { Address } from "../../../keeper/config/address-book";
import { outcomeOf, type ExecutionOutcome, type LiquidatedEvent } from "../../unit/contracts/helpers/outcomes";
import { expectExecutorHoldsNothing } from "../../unit/contracts/helpers/invariants";
import type { PlanStruct } from "../../unit/contracts/helpers/plans";
import { balanceOf, type ScenarioEnvironment } from "./environment";
import { lenderReportedFee } from "./flash-loans";
import { quoteSwap, type SwapRouteSpec } from "./swap-routes";

export interface PlanExpectations {
  readonly borrower: Address;
  /** IChimeraExecutor.ProtocolKind */
  readonly protocol: number;
  readonly collateralToken: Address;
  readonly debtToken: Address;
  readonly route: SwapRouteSpec;
  readonly expectedFlashFee: bigint;
  /** Protocol-specific contracts the executor may have approved (a Compound collateral market), and tokens it held. */
  readonly extraSpenders?: readonly Address[];
  readonly extraTokens?: readonly Address[];
}

export interface CheckedExecution {
  readonly outcome: ExecutionOutcome;
  readonly liquidated: LiquidatedEvent;
  readonly profit: bigint;
  readonly gasUsed: bigint;
}

function addressesOf(plan: PlanStruct): Address[] {
  return [plan.flash.lender, plan.liquidation.market, plan.liquidation.collateralMarket, plan.liquidation.swap.router].map(
    (a) => String(a) as Address,
  );
}

export async function executeAndCheck(env: ScenarioEnvironment, plan: PlanStruct, expected: PlanExpectations): Promise<CheckedExecution> {
  const profitToken = String(plan.profitToken) as Address;
  const treasuryBefore = await balanceOf(profitToken, env.treasury);

  const outcome = await outcomeOf(env.executor, env.executor.liquidate(plan));

  expect(outcome.liquidations, "Liquidated events").to.have.length(1);
  const [liquidated] = outcome.liquidations;
  expect(liquidated.borrower.toLowerCase(), "liquidated borrower").to.equal(expected.borrower.toLowerCase());
  expect(liquidated.protocol, "protocol kind").to.equal(BigInt(expected.protocol));
  expect(liquidated.collateralToken.toLowerCase()).to.equal(expected.collateralToken.toLowerCase());
  expect(liquidated.debtToken.toLowerCase()).to.equal(expected.debtToken.toLowerCase());
  expect(liquidated.debtRepaid, "debt repaid").to.be.greaterThan(0n);
  expect(liquidated.collateralSeized, "collateral seized").to.be.greaterThan(0n);
  expect(liquidated.collateralSold, "the whole seizure is sold").to.equal(liquidated.collateralSeized);
  expect(outcome.residues, "nothing left over to sweep").to.deep.equal([]);

  // The venue's quoter at the block before the liquidation prices exactly the swap the liquidation made.
  const quoted = await quoteSwap(
    env.book,
    expected.route,
    expected.collateralToken,
    expected.debtToken,
    liquidated.collateralSold,
    outcome.receipt.blockNumber - 1,
  );
  expect(liquidated.debtTokenBought, "debt token bought = the venue's quote for the seized collateral").to.equal(quoted);

  const reportedFee = await lenderReportedFee(
    outcome.receipt,
    Number(plan.flash.source),
    String(plan.flash.lender) as Address,
    String(plan.flash.token) as Address,
  );
  expect(outcome.plan.flashFee, "flash fee = the fee the lender logged").to.equal(reportedFee);
  // The formula from the lender's parameters; one wei of slack because Aave's premium rounding changed across versions.
  expect(outcome.plan.flashFee, "flash fee = the lender's fee formula").to.be.closeTo(expected.expectedFlashFee, 1n);
  const profit = outcome.plan.profit;
  expect(profit, "profit = bought - repaid - fee").to.equal(liquidated.debtTokenBought - liquidated.debtRepaid - outcome.plan.flashFee);
  expect(profit, "profit >= minProfit").to.be.greaterThanOrEqual(BigInt(plan.minProfit));
  expect(profit, "profit").to.be.greaterThan(0n);
  expect((await balanceOf(profitToken, env.treasury)) - treasuryBefore, "treasury receives the profit").to.equal(profit);

  await expectExecutorHoldsNothing(await env.executor.getAddress(), {
    tokens: [...Object.values(env.book.tokens).map((t) => t.address), ...env.extraHoldings.tokens, ...(expected.extraTokens ?? [])],
    spenders: [...addressesOf(plan), ...env.extraHoldings.spenders, ...(expected.extraSpenders ?? [])].filter(
      (a) => a !== "0x0000000000000000000000000000000000000000",
    ),
  });
  return { outcome, liquidated, profit, gasUsed: outcome.receipt.gasUsed };
}
