/**
 * A fourth lending market, written the way keeper/markets/README.md says, to prove that a new protocol
 * touches only its own folder and the plug-in table. It is a TEST DOUBLE of a protocol, not of a real
 * one: positions live in an in-memory `ledger` the test writes (standing in for the chain reads a real
 * plug-in makes), prices are fixed (WETH $3,000 as on the sandbox, USDC $1), the liquidation threshold is 80% and the
 * bonus 5%, and the protocol is an Aave V3 fork, so its liquidations use the executor's AaveV3 call.
 */
import type { Address } from "../../../../../keeper/config/address-book";
import { WAD } from "../../../../../keeper/core/fixed-point";
import type { TrackedPosition } from "../../../../../keeper/core/types";
import type {
  BlockRef,
  FeedSubscription,
  LendingMarket,
  LiquidationPair,
  MarketUpdate,
  PriceReaction,
  ProtocolEventSubscription,
} from "../../../../../keeper/markets/market";
import type { MarketDependencies } from "../../../../../keeper/markets/market-dependencies";
import type { SizingResult } from "../../../../../keeper/markets/sizing-result";
import { TrackedLendingMarket, type BorrowerRead } from "../../../../../keeper/markets/tracked-lending-market";

export const EXAMPLE_LENDING = "exampleLend";

export interface ExampleLendingDeployment {
  readonly label: string;
  readonly pool: Address;
  readonly weth: Address;
  readonly usdc: Address;
  readonly deployBlock: number;
}

/** One borrower's position: WETH collateral and USDC debt, raw units. */
export interface ExampleHolding {
  readonly wethCollateral: bigint;
  readonly usdcDebt: bigint;
}

const WETH_USD = 3_000n;
const THRESHOLD_BPS = 8_000n;
const BONUS_BPS = 500n;
/** 1e18 WETH units per 1e6 USDC units. */
const WETH_PER_USDC_UNIT = 10n ** 12n;

export class ExampleLendingMarket extends TrackedLendingMarket<ExampleHolding> implements LendingMarket {
  /** What "the chain" says each borrower holds; the test writes it. */
  readonly ledger = new Map<Address, ExampleHolding>();

  constructor(
    private readonly deployment: ExampleLendingDeployment,
    deps: MarketDependencies,
  ) {
    super({ protocol: EXAMPLE_LENDING, label: deployment.label, discoveryStartBlock: deployment.deployBlock }, deps, {});
  }

  async init(): Promise<void> {
    // A real plug-in scans its Borrow events; this one's pool emits none, so discovery finds nobody.
    await this.startDiscovery({
      checkpointKey: `${EXAMPLE_LENDING}:${this.deployment.pool}:Borrow`,
      filter: { address: this.deployment.pool, topics: [] },
      borrowersOf: () => [],
    });
    this.initialized = true;
  }

  protected async readPositions(targets: readonly Address[], block: number): Promise<void> {
    const borrowers = targets.length > 0 ? targets : [...this.ledger.keys()];
    const reads = borrowers.map((borrower): BorrowerRead<ExampleHolding> => {
      const holding = this.ledger.get(borrower);
      return { borrower, read: holding && holding.usdcDebt > 0n ? { state: holding, priceKeys: [this.deployment.weth] } : null };
    });
    this.storeRead(reads, { number: block, timestamp: block }, []);
  }

  protected reevaluate(borrowers: Iterable<Address>): MarketUpdate {
    return this.book.reevaluate(borrowers, (borrower, holding) => this.positionOf(borrower, holding));
  }

  protected async reloadMarketParameters(): Promise<boolean> {
    return false;
  }

  private positionOf(borrower: Address, holding: ExampleHolding): TrackedPosition {
    const collateralUsdUnits = (holding.wethCollateral * WETH_USD) / WETH_PER_USDC_UNIT;
    return {
      key: { protocol: this.protocol, market: this.id, borrower },
      collaterals: [
        {
          token: this.deployment.weth,
          amount: holding.wethCollateral,
          valueUsd: Number(collateralUsdUnits) / 1e6,
          liquidationThresholdBps: Number(THRESHOLD_BPS),
          liquidationBonusBps: Number(BONUS_BPS),
        },
      ],
      debts: [{ token: this.deployment.usdc, amount: holding.usdcDebt, valueUsd: Number(holding.usdcDebt) / 1e6 }],
      healthFactor: (collateralUsdUnits * THRESHOLD_BPS * WAD) / (10_000n * holding.usdcDebt),
      updatedAtBlock: this.evaluatedAt!.number,
    };
  }

  /** Half the debt, paid for with collateral worth 105% of it. */
  sizeLiquidationWithReason(position: TrackedPosition, _pair?: LiquidationPair): SizingResult {
    if (position.healthFactor >= WAD) return { ok: false, reason: "not-liquidatable", detail: "healthy" };
    const debtToCover = position.debts[0]!.amount / 2n;
    const expectedCollateral = (debtToCover * WETH_PER_USDC_UNIT * (10_000n + BONUS_BPS)) / (WETH_USD * 10_000n);
    return {
      ok: true,
      candidate: {
        key: position.key,
        collateralToken: this.deployment.weth,
        debtToken: this.deployment.usdc,
        debtToCover,
        expectedCollateral,
        debtToCoverUsd: Number(debtToCover) / 1e6,
        expectedCollateralUsd: (Number(expectedCollateral) / 1e18) * Number(WETH_USD),
        sizingRule: "example-close-factor-50%",
        healthFactor: position.healthFactor,
        detectedAtBlock: this.evaluatedAt!.number,
        // An Aave V3 fork: the executor's liquidationCall on this protocol's own pool.
        call: { shape: "AaveV3", market: this.deployment.pool, debtToCover, poolDecidesSize: false, selfFunded: false },
      },
      protocolFeeCollateral: 0n,
      cappedByCollateral: false,
      badDebt: 0n,
    };
  }

  onPriceUpdate(): PriceReaction {
    return { recomputed: 0, newlyLiquidatable: [], needsChainRead: false };
  }

  async refreshPrices(): Promise<MarketUpdate> {
    return { recomputed: 0, newlyLiquidatable: [] };
  }

  async onBlock(block: BlockRef): Promise<MarketUpdate> {
    return this.evaluateBlock(block, []);
  }

  /** This protocol charges no interest: time alone moves no health factor. */
  protected accrualGrowth(): number {
    return 1;
  }

  priceFeeds(): FeedSubscription[] {
    return [];
  }

  protocolEventSubscriptions(): ProtocolEventSubscription[] {
    return [];
  }
}
