/**
 * From liquidatable positions to plan decisions: the glue between the markets (which size a
 * liquidation by their protocol's rules) and the pure strategy (which picks flash source and route and
 * prices the plan). All chain reads for a batch of positions happen in two Multicall3 calls (flash
 * balances, cached per block; swap quotes), so planning many positions costs the same round trips as
 * planning one.
 */
import type { Address } from "../config/address-book";
import type { LiquidationCandidate, PlanDecision, SkipReason, TrackedPosition } from "../core/types";
import type { LendingMarket, LiquidationPair } from "../markets/market";
import { buildLiquidationPlan, type StrategySettings } from "../strategy/build-plan";
import { chooseBestPair } from "../strategy/pair-choice";
import type { FlashLiquidity } from "./flash-liquidity";
import type { CurvePair, QuoteCurves } from "./quote-curves";
import type { SwapQuoter } from "../venues/venue-plugin";

export interface PlanningPrices {
  usdPerToken(token: Address): number | undefined;
  decimalsOf(token: Address): number;
  nativeUsd(): number | undefined;
}

export interface PlanningHead {
  readonly number: number;
  readonly baseFeePerGas: bigint;
}

export interface PositionToPlan {
  readonly market: LendingMarket;
  readonly position: TrackedPosition;
}

/** What planning reads of a market: its pairs and its sizing (a market, or its preview at another answer). */
export interface PlanningItem {
  readonly market: Pick<LendingMarket, "liquidationPairs" | "sizeLiquidationWithReason">;
  readonly position: TrackedPosition;
}

export interface OpportunityPlannerOptions {
  readonly quoter: SwapQuoter;
  readonly flash: FlashLiquidity;
  readonly prices: PlanningPrices;
  readonly settings: () => StrategySettings;
  /** Samples routes off the reaction path so that `quoter` can answer from them (quote-curves.ts); none: all live. */
  readonly curves?: Pick<QuoteCurves, "sampleWhenDue">;
  /** Collateral/debt pairs tried per position, largest first. Default 3. */
  readonly maxPairsPerPosition?: number;
}

interface SizedPair {
  readonly index: number;
  readonly candidate: LiquidationCandidate;
}

export class OpportunityPlanner {
  private readonly maxPairs: number;

  constructor(private readonly options: OpportunityPlannerOptions) {
    this.maxPairs = options.maxPairsPerPosition ?? 3;
  }

  /** Off the reaction path: refreshes lenders' balances so the next reaction reads none. */
  async warm(head: PlanningHead, debtTokens: readonly Address[]): Promise<void> {
    await this.options.flash.refresh(head.number, debtTokens);
  }

  /** Off the reaction path, not awaited: samples the pairs' routes when due, so reactions quote from them (quote-curves.ts). */
  sampleRoutes(block: number, pairsOf: () => readonly CurvePair[]): void {
    this.options.curves?.sampleWhenDue(pairsOf, block);
  }

  /** One decision per position: the best planned pair, or the skip that explains it best. */
  async plan(items: readonly PlanningItem[], head: PlanningHead): Promise<PlanDecision[]> {
    const perPosition: PlanDecision[][] = items.map(() => []);
    const sized: SizedPair[] = [];
    items.forEach((item, index) => {
      const pairs = item.market.liquidationPairs(item.position).slice(0, this.maxPairs);
      if (pairs.length === 0) {
        perPosition[index].push(
          refusal(item, undefined, "not-liquidatable", "no collateral/debt pair the protocol would seize", head.number),
        );
      }
      for (const pair of pairs) {
        const result = item.market.sizeLiquidationWithReason(item.position, pair);
        if (result.ok) sized.push({ index, candidate: result.candidate });
        else perPosition[index].push(refusal(item, pair, result.reason, result.detail, head.number));
      }
    });

    if (sized.length > 0) {
      const [flashOptions, quotes] = await Promise.all([
        this.options.flash.optionsFor(
          sized.map((s) => s.candidate.debtToken),
          head.number,
        ),
        this.options.quoter.quote(
          sized.map((s) => ({
            tokenIn: s.candidate.collateralToken,
            tokenOut: s.candidate.debtToken,
            amountIn: s.candidate.expectedCollateral,
          })),
          head.number,
        ),
      ]);
      const settings = this.options.settings();
      const nativeUsd = this.options.prices.nativeUsd();
      sized.forEach((entry, i) => {
        const { candidate } = entry;
        const debtTokenUsd = this.options.prices.usdPerToken(candidate.debtToken);
        if (debtTokenUsd === undefined || nativeUsd === undefined) {
          perPosition[entry.index].push({
            candidate,
            plan: null,
            outcome: "skipped",
            reason: "unprofitable",
            detail: `no USD price for ${debtTokenUsd === undefined ? `debt token ${candidate.debtToken}` : "the native token"}; cannot price the plan`,
          });
          return;
        }
        perPosition[entry.index].push(
          buildLiquidationPlan({
            candidate,
            flashOptions: flashOptions.get(candidate.debtToken.toLowerCase()) ?? [],
            quotes: quotes[i],
            market: {
              debtTokenDecimals: this.options.prices.decimalsOf(candidate.debtToken),
              debtTokenUsd,
              nativeUsd,
              baseFeePerGasWei: head.baseFeePerGas,
            },
            settings,
          }),
        );
      });
    }
    return perPosition.map(
      (decisions, index) =>
        chooseBestPair(decisions) ?? refusal(items[index], undefined, "not-liquidatable", "nothing to decide", head.number),
    );
  }
}

/**
 * A skip for a pair the protocol's sizing refused. The journal records decisions against a candidate,
 * so the refusal gets one that repays nothing and names the pair and the rule that refused it.
 */
function refusal(item: PlanningItem, pair: LiquidationPair | undefined, reason: SkipReason, detail: string, block: number): PlanDecision {
  const { position } = item;
  const collateral = pair?.collateralToken ?? position.collaterals[0]?.token ?? ZERO;
  const debt = pair?.debtToken ?? position.debts[0]?.token ?? ZERO;
  const debtUsd = position.debts.find((d) => d.token.toLowerCase() === debt.toLowerCase())?.valueUsd ?? 0;
  return {
    candidate: {
      key: position.key,
      collateralToken: collateral,
      debtToken: debt,
      debtToCover: 0n,
      expectedCollateral: 0n,
      debtToCoverUsd: 0,
      expectedCollateralUsd: 0,
      sizingRule: `refused: ${reason}`,
      healthFactor: position.healthFactor,
      detectedAtBlock: block,
    },
    plan: null,
    outcome: "skipped",
    reason,
    detail: debtUsd > 0 ? `${detail} (debt $${debtUsd.toFixed(2)})` : detail,
  };
}

const ZERO: Address = "0x0000000000000000000000000000000000000000";
