/**
 * Issue 18: a block re-evaluates only the positions near HF 1 plus a slice of a rolling full pass
 * (evaluation-schedule.ts), and price moves go through the crossing index. Property: whatever the
 * rates, block times, rolling period and single-key price moves, the set of positions the market
 * says are liquidatable after every block and every move equals a brute-force evaluation of every
 * position at that moment.
 *
 * The market here is a TEST DOUBLE of a protocol (no real one has this shape): two collateral assets
 * A and B priced in USD (8 decimals, like Chainlink), debt in USD accruing linear interest on a
 * borrow index (ray) at a yearly rate that changes at some blocks, as Aave's and Moonwell's rates
 * change with interactions; liquidation threshold 80%. Its `accrualGrowth` reports exp(rate·Δt)
 * over the rates in force, as the Aave and Morpho plug-ins do (their onBlock paths run on genuine
 * bytecode in aave-v3-health-factor, morpho-blue-market and moonwell-market tests).
 */
import { expect } from "chai";
import fc from "fast-check";
import hre from "hardhat";
import type { Address } from "../../../../keeper/config/address-book";
import { WAD } from "../../../../keeper/core/fixed-point";
import type { TrackedPosition } from "../../../../keeper/core/types";
import { Multicall3Client } from "../../../../keeper/chain/multicall";
import { InMemoryCheckpointStore } from "../../../../keeper/markets/checkpoint-store";
import { growthAtYearlyRate, RateSinceEvaluation } from "../../../../keeper/markets/evaluation-schedule";
import type { BlockRef, MarketUpdate } from "../../../../keeper/markets/market";
import type { SizingResult } from "../../../../keeper/markets/sizing-result";
import { TrackedLendingMarket, type BorrowerRead } from "../../../../keeper/markets/tracked-lending-market";
import { UsdPriceBook } from "../../../../keeper/markets/usd-prices";

const RAY = 10n ** 27n;
const PRICE_UNIT = 10n ** 8n;
const SECONDS_PER_YEAR = 365n * 24n * 3600n;
const KEYS = ["A", "B"] as const;

interface Holding {
  readonly collateral: Readonly<Record<string, bigint>>;
  readonly scaledDebt: bigint;
}

/** What "the chain" holds: balances, prices, the borrow index and its rate (ray per year). */
class Chain {
  readonly ledger = new Map<Address, Holding>();
  readonly prices: Record<string, bigint> = { A: 3000n * PRICE_UNIT, B: 90_000n * PRICE_UNIT };
  index = RAY;
  rate = 0n;
  indexUpdatedAt = 0;

  indexAt(timestamp: number): bigint {
    return this.index + (this.index * this.rate * BigInt(timestamp - this.indexUpdatedAt)) / (SECONDS_PER_YEAR * RAY);
  }

  /** An interaction at `timestamp` accrues the index and sets a new rate. */
  setRate(rate: bigint, timestamp: number): void {
    this.index = this.indexAt(timestamp);
    this.indexUpdatedAt = timestamp;
    this.rate = rate;
  }

  healthFactor(holding: Holding, timestamp: number): bigint {
    let collateral = 0n;
    for (const key of KEYS) collateral += ((holding.collateral[key] ?? 0n) * this.prices[key]) / PRICE_UNIT;
    const debt = (holding.scaledDebt * this.indexAt(timestamp)) / RAY;
    return (collateral * 8_000n * WAD) / (10_000n * debt);
  }
}

class InterestMarket extends TrackedLendingMarket<Holding> {
  private readonly rates = new RateSinceEvaluation();
  private readonly prices: Record<string, bigint>;
  private index = RAY;
  private rate = 0n;
  private indexUpdatedAt = 0;

  constructor(
    private readonly chain: Chain,
    fullEvaluationSeconds: number,
  ) {
    const provider = hre.ethers.provider;
    super(
      { protocol: "aaveV3", label: "double", discoveryStartBlock: 0 },
      {
        provider,
        multicall: new Multicall3Client(provider, "0xcA11bde05977b3631167028862bE2a173976CA11"),
        checkpoints: new InMemoryCheckpointStore(),
        usdPrices: new UsdPriceBook(),
      },
      { fullEvaluationSeconds },
    );
    this.prices = { ...chain.prices };
    this.indexCrossings({ keyOfToken: (token) => token, priceOfKey: (key) => (key === "USD" ? 1 : this.prices[key]) });
  }

  async init(): Promise<void> {
    await this.startDiscovery({ checkpointKey: "double:Borrow", filter: { address: [], topics: [] }, borrowersOf: () => [] });
    this.initialized = true;
  }

  protected async readPositions(targets: readonly Address[], block: number): Promise<void> {
    this.readMarketState();
    const reads = targets.map((borrower): BorrowerRead<Holding> => {
      const holding = this.chain.ledger.get(borrower)!;
      return { borrower, read: { state: holding, priceKeys: KEYS.filter((key) => (holding.collateral[key] ?? 0n) > 0n) } };
    });
    this.storeRead(reads, { number: block, timestamp: block * 10 }, []);
  }

  /** The keeper's own onBlock, as the plug-ins write it: read the market state, then `evaluateBlock`. */
  async onBlock(block: BlockRef): Promise<MarketUpdate> {
    this.readMarketState();
    return this.evaluateBlock(block, []);
  }

  /** A price answer for one key, in memory (the index answers it). */
  movePrice(key: string, price: bigint): MarketUpdate {
    return this.movePrices({ [key]: price });
  }

  /** One answer moving several keys at once (one feed pricing several assets). */
  movePrices(prices: Readonly<Record<string, bigint>>): MarketUpdate {
    const moves = Object.entries(prices).map(([key, price]) => ({ key, from: Number(this.prices[key]), to: Number(price) }));
    for (const [key, price] of Object.entries(prices)) this.prices[key] = price;
    return this.reevaluateAfterPriceMoves(moves);
  }

  protected accrualGrowth(from: BlockRef, to: BlockRef): number {
    return growthAtYearlyRate(this.rates.take(Number(this.rate) / 1e27), to.timestamp - from.timestamp);
  }

  protected reevaluate(borrowers: Iterable<Address>): MarketUpdate {
    const now = this.evaluatedAt!.timestamp;
    const index = this.index + (this.index * this.rate * BigInt(now - this.indexUpdatedAt)) / (SECONDS_PER_YEAR * RAY);
    return this.book.reevaluate(borrowers, (borrower, holding) => this.positionOf(borrower, holding, index));
  }

  protected async reloadMarketParameters(): Promise<boolean> {
    return false;
  }

  sizeLiquidationWithReason(): SizingResult {
    return { ok: false, reason: "not-liquidatable", detail: "a test double sizes nothing" };
  }

  private readMarketState(): void {
    this.rates.note(Number(this.rate) / 1e27);
    this.index = this.chain.index;
    this.rate = this.chain.rate;
    this.indexUpdatedAt = this.chain.indexUpdatedAt;
  }

  private positionOf(borrower: Address, holding: Holding, index: bigint): TrackedPosition {
    const values = KEYS.map((key) => ((holding.collateral[key] ?? 0n) * this.prices[key]) / PRICE_UNIT);
    const debt = (holding.scaledDebt * index) / RAY;
    const collateral = values[0] + values[1];
    return {
      key: { protocol: this.protocol, market: this.id, borrower },
      collaterals: KEYS.map((key, i) => ({
        token: key as Address,
        amount: holding.collateral[key] ?? 0n,
        valueUsd: Number(values[i]) / 1e18,
        liquidationThresholdBps: 8_000,
        liquidationBonusBps: 500,
      })).filter((c) => c.amount > 0n),
      debts: [{ token: "USD" as Address, amount: debt, valueUsd: Number(debt) / 1e18 }],
      healthFactor: (collateral * 8_000n * WAD) / (10_000n * debt),
      updatedAtBlock: this.evaluatedAt!.number,
    };
  }
}

type Step =
  | { kind: "block"; seconds: number; rateBps: number | null }
  | { kind: "price"; key: 0 | 1; moveBps: number }
  | { kind: "both"; moveBps: number; otherBps: number };

const borrowerAddress = (i: number) => `0x${(i + 1).toString(16).padStart(40, "0")}` as Address;

/** Opens `healthFactors.length` positions on the chain (collateral split between A and B by `splits`). */
function openPositions(chain: Chain, healthFactors: readonly number[], splits: readonly number[]): Address[] {
  return healthFactors.map((hf, i) => {
    const debtUsd = 1_000n + BigInt(i) * 37n;
    const collateralUsd = (Number(debtUsd) * hf) / 0.8;
    const share = splits[i % splits.length];
    const units = (usd: number, key: string) => (BigInt(Math.round(usd * 1e6)) * 10n ** 12n * PRICE_UNIT) / chain.prices[key];
    const holding: Holding = {
      collateral: { A: units(collateralUsd * share, "A"), B: units(collateralUsd * (1 - share), "B") },
      scaledDebt: debtUsd * 10n ** 18n,
    };
    chain.ledger.set(borrowerAddress(i), holding);
    return borrowerAddress(i);
  });
}

function bruteForceLiquidatable(chain: Chain, timestamp: number): string[] {
  return [...chain.ledger]
    .filter(([, holding]) => chain.healthFactor(holding, timestamp) < WAD)
    .map(([borrower]) => borrower)
    .sort();
}

const liquidatableOf = (market: InterestMarket) =>
  market
    .liquidatable()
    .map((p) => p.key.borrower as string)
    .sort();

describe("keeper/markets near-band evaluation: blocks re-evaluate the positions near 1 and a rolling slice", function () {
  it("after every block of interest accrual and every price move, what is liquidatable equals a brute-force evaluation", async function () {
    this.timeout(120_000);
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({
        kind: fc.constant("block" as const),
        seconds: fc.constantFrom(0, 1, 2, 60, 3600),
        rateBps: fc.option(fc.constantFrom(0, 500, 5_000, 100_000, 5_000_000), { nil: null, freq: 3 }),
      }),
      fc.record({
        kind: fc.constant("price" as const),
        key: fc.constantFrom(0 as const, 1 as const),
        moveBps: fc.integer({ min: -300, max: 300 }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.double({ min: 1.0001, max: 1.003, noNaN: true }), fc.double({ min: 1.003, max: 2.5, noNaN: true })), {
          minLength: 5,
          maxLength: 80,
        }),
        fc.array(fc.constantFrom(1, 0.5, 0, 0.9), { minLength: 1, maxLength: 4 }),
        fc.constantFrom(1, 10, 600),
        fc.array(step, { minLength: 1, maxLength: 40 }),
        async (healthFactors, splits, fullEvaluationSeconds, steps) => {
          const chain = new Chain();
          chain.setRate((5_000n * RAY) / 10_000n, 10);
          openPositions(chain, healthFactors, splits);
          const market = new InterestMarket(chain, fullEvaluationSeconds);
          await market.init();
          let block: BlockRef = { number: 1, timestamp: 10 };
          await market.refreshPositions([...chain.ledger.keys()], block.number);
          expect(liquidatableOf(market)).to.deep.equal(bruteForceLiquidatable(chain, block.timestamp));
          for (const s of steps) {
            if (s.kind === "block") {
              block = { number: block.number + 1, timestamp: block.timestamp + s.seconds };
              if (s.rateBps !== null) chain.setRate((BigInt(s.rateBps) * RAY) / 10_000n, block.timestamp);
              await market.onBlock(block);
            } else if (s.kind === "price") {
              const key = KEYS[s.key];
              chain.prices[key] = (chain.prices[key] * BigInt(10_000 + s.moveBps)) / 10_000n;
              market.movePrice(key, chain.prices[key]);
            } else {
              chain.prices.A = (chain.prices.A * BigInt(10_000 + s.moveBps)) / 10_000n;
              chain.prices.B = (chain.prices.B * BigInt(10_000 + s.otherBps)) / 10_000n;
              const before = new Set(liquidatableOf(market));
              const update = market.movePrices({ A: chain.prices.A, B: chain.prices.B });
              const after = bruteForceLiquidatable(chain, block.timestamp);
              expect(update.newlyLiquidatable.map((p) => p.key.borrower as string).sort()).to.deep.equal(
                after.filter((b) => !before.has(b)),
              );
            }
            expect(liquidatableOf(market), JSON.stringify(s)).to.deep.equal(bruteForceLiquidatable(chain, block.timestamp));
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("re-evaluates far fewer than every position per block while interest carries the near ones across 1", async function () {
    const chain = new Chain();
    chain.setRate(5n * RAY, 10); // 500% a year: 20 s of it grow a debt by 3.2e-6
    const healthFactors = Array.from({ length: 400 }, (_, i) => (i < 20 ? 1.0000001 + i * 2e-7 : 1.01 + (i % 50) * 0.02));
    openPositions(chain, healthFactors, [1]);
    const market = new InterestMarket(chain, 60);
    await market.init();
    let block: BlockRef = { number: 1, timestamp: 10 };
    await market.refreshPositions([...chain.ledger.keys()], block.number);
    const recomputed: number[] = [];
    for (let i = 0; i < 100; i++) {
      // 200 ms blocks: the timestamp moves one second every fifth block.
      block = { number: block.number + 1, timestamp: block.timestamp + (i % 5 === 4 ? 1 : 0) };
      recomputed.push((await market.onBlock(block)).recomputed);
      expect(liquidatableOf(market)).to.deep.equal(bruteForceLiquidatable(chain, block.timestamp));
    }
    expect(liquidatableOf(market).length, "interest carried near positions across 1").to.be.greaterThan(0);
    expect(Math.max(...recomputed), "no block evaluated every position").to.be.lessThan(chain.ledger.size / 2);
    // 100 blocks of 200 ms are 20 s of a 60 s rolling pass: about a third of the positions swept.
    const swept = recomputed.reduce((a, b) => a + b, 0) - 100 * 20;
    expect(swept).to.be.within(chain.ledger.size / 6, chain.ledger.size);
  });

  it("evaluates every position in one block when the rates in force outgrow the near band", async function () {
    const chain = new Chain();
    chain.setRate(RAY / 100n, 10);
    // 1.02 is outside the near band: only a full pass can find it crossing.
    openPositions(chain, [1.5, 1.0004, 2, 1.02, 1.1], [1]);
    const market = new InterestMarket(chain, 10);
    await market.init();
    let block: BlockRef = { number: 1, timestamp: 10 };
    await market.refreshPositions([...chain.ledger.keys()], block.number);
    block = { number: 2, timestamp: 11 };
    expect((await market.onBlock(block)).recomputed, "1% a year for a second: the near one and a slice").to.be.lessThan(5);
    chain.setRate(1_000_000n * RAY, block.timestamp); // 100,000,000% a year
    block = { number: 3, timestamp: 12 };
    const update = await market.onBlock(block);
    expect(update.recomputed).to.equal(5);
    expect(liquidatableOf(market)).to.deep.equal(bruteForceLiquidatable(chain, block.timestamp));
    expect(liquidatableOf(market)).to.have.length(2);
  });

  it("a price move that brings a position into the band (not across 1) leaves it watched, so interest alone then finds it", async function () {
    const chain = new Chain();
    chain.setRate(0n, 10);
    // 200 far positions first (the rolling pass takes them first), the one under test last, all on A.
    const opened = openPositions(chain, [...Array.from({ length: 200 }, () => 2), 1.01], [1]);
    const target = opened[opened.length - 1];
    const market = new InterestMarket(chain, 3600);
    await market.init();
    let block: BlockRef = { number: 1, timestamp: 10 };
    await market.refreshPositions([...chain.ledger.keys()], block.number);
    chain.prices.A = (chain.prices.A * 9_905n) / 10_000n; // HF 1.01 → 1.0004: inside the band, above 1
    market.movePrice("A", chain.prices.A);
    expect(liquidatableOf(market)).to.deep.equal([]);
    // 23,650% a year for 60 s grows the debt by 4.5e-4: below the forced-full-pass bound, past the target's margin.
    chain.setRate((23_650n * RAY) / 100n, block.timestamp);
    block = { number: 2, timestamp: block.timestamp + 60 };
    const update = await market.onBlock(block);
    expect(update.recomputed, "no full pass").to.be.lessThan(10);
    expect(bruteForceLiquidatable(chain, block.timestamp)).to.deep.equal([target]);
    expect(liquidatableOf(market)).to.deep.equal([target]);
  });

  it("one answer moving A and B re-evaluates fewer than every holder and misses no crossing", async function () {
    const chain = new Chain();
    const healthFactors = Array.from({ length: 300 }, (_, i) => 1.01 + (i % 100) * 0.01);
    openPositions(chain, healthFactors, [1, 0.5, 0]);
    const market = new InterestMarket(chain, 3600);
    await market.init();
    await market.refreshPositions([...chain.ledger.keys()], 1);
    chain.prices.A = (chain.prices.A * 95n) / 100n;
    chain.prices.B = (chain.prices.B * 96n) / 100n;
    const update = market.movePrices({ A: chain.prices.A, B: chain.prices.B });
    expect(liquidatableOf(market)).to.deep.equal(bruteForceLiquidatable(chain, 10));
    expect(update.newlyLiquidatable.length).to.be.greaterThan(0);
    expect(update.recomputed).to.be.lessThan(chain.ledger.size / 2);
  });

  it("a move of B after a move of A re-evaluates the holders of both whose crossing on B predates A's move", async function () {
    const chain = new Chain();
    // Half A, half B at HF 1.05; 100 far A-only positions so the rolling pass is elsewhere.
    const opened = openPositions(chain, [...Array.from({ length: 100 }, () => 2), 1.05], [...Array.from({ length: 100 }, () => 1), 0.5]);
    const target = opened[opened.length - 1];
    const market = new InterestMarket(chain, 3600);
    await market.init();
    await market.refreshPositions([...chain.ledger.keys()], 1);
    chain.prices.A = (chain.prices.A * 96n) / 100n; // HF → 1.029: not a candidate of A's move
    expect(market.movePrice("A", chain.prices.A).recomputed).to.equal(0);
    // At A's new price the target crosses the near level at B ×0.9467; its crossing computed before
    // A moved says ×0.9067, outside [0.93, 1].
    chain.prices.B = (chain.prices.B * 93n) / 100n;
    const update = market.movePrice("B", chain.prices.B);
    expect(update.newlyLiquidatable.map((p) => p.key.borrower)).to.deep.equal([target]);
    expect(liquidatableOf(market)).to.deep.equal(bruteForceLiquidatable(chain, 10));
  });
});
