import { expect } from "chai";
import fc from "fast-check";
import type { Address } from "../../../../keeper/config/address-book";
import {
  CrossingIndex,
  crossingsOf,
  MODEL_MIN_DEBT_USD,
  SEARCH_MARGIN,
  type CrossingModel,
} from "../../../../keeper/markets/crossing-index";
import { PositionBook } from "../../../../keeper/markets/position-book";
import type { TrackedPosition } from "../../../../keeper/core/types";

const KEYS = ["weth", "cbbtc", "usdc"] as const;
type Key = (typeof KEYS)[number];

/** A position as amounts per key; its value moves with the key's price (a plain-number double of a lending position). */
interface Holdings {
  readonly collateral: Partial<Record<Key, number>>;
  readonly debt: Partial<Record<Key, number>>;
  /** Liquidation threshold in bps, one per position. */
  readonly thresholdBps: number;
}

const borrower = (i: number) => `0x${i.toString(16).padStart(40, "0")}` as Address;

function exposureAt(h: Holdings, prices: Record<Key, number>) {
  return {
    collaterals: KEYS.filter((k) => (h.collateral[k] ?? 0) > 0).map((k) => ({
      token: k,
      valueUsd: h.collateral[k]! * prices[k],
      liquidationThresholdBps: h.thresholdBps,
    })),
    debts: KEYS.filter((k) => (h.debt[k] ?? 0) > 0).map((k) => ({ token: k, valueUsd: h.debt[k]! * prices[k] })),
  };
}

const keysOf = (h: Holdings) => KEYS.filter((k) => (h.collateral[k] ?? 0) > 0 || (h.debt[k] ?? 0) > 0);

/** The brute-force verdict: evaluate the health factor of every position at these prices. */
function liquidatableAt(h: Holdings, prices: Record<Key, number>): boolean {
  const e = exposureAt(h, prices);
  const collateral = e.collaterals.reduce((sum, c) => sum + (c.valueUsd * c.liquidationThresholdBps) / 10_000, 0);
  const debt = e.debts.reduce((sum, d) => sum + d.valueUsd, 0);
  return debt > 0 && collateral < debt;
}

const modelAt = (prices: Record<Key, number>): CrossingModel => ({ keyOfToken: (t) => t, priceOfKey: (k) => prices[k as Key] });

/** For the properties: an amount held on one side of a position, or none. */
const HELD = fc.option(fc.double({ min: 0.001, max: 1000, noNaN: true }), { nil: undefined });

/** Positions for the properties: `side` on both sides (each key held or not), a liquidation threshold of 50–97%. */
function arbitraryHoldings<Side>(side: fc.Arbitrary<Side>) {
  return fc.record({ collateral: side, debt: side, thresholdBps: fc.integer({ min: 5000, max: 9700 }) });
}

describe("crossing index", () => {
  describe("crossingsOf (plain numbers)", () => {
    it("places a WETH-backed USDC loan: liquidatable below 0.625 × WETH's price, above 1.6 × USDC's", () => {
      const prices = { weth: 2000, cbbtc: 60_000, usdc: 1 };
      const h: Holdings = { collateral: { weth: 1 }, debt: { usdc: 1000 }, thresholdBps: 8000 };
      // HF = 2000·0.8 / 1000 = 1.6
      const crossings = crossingsOf(exposureAt(h, prices), ["weth", "usdc"], modelAt(prices))!;
      const weth = crossings.find((c) => c.key === "weth")!;
      const usdc = crossings.find((c) => c.key === "usdc")!;
      expect(weth.side).to.equal("below");
      expect(weth.price).to.be.closeTo(1250, 1e-9);
      expect(usdc.side).to.equal("above");
      expect(usdc.price).to.be.closeTo(1.6, 1e-12);
    });

    it("a key held on both sides nets out: WETH collateral against a WETH and a USDC debt", () => {
      const prices = { weth: 2000, cbbtc: 60_000, usdc: 1 };
      // weighted WETH collateral 2·2000·0.8 = 3200, WETH debt 1·2000, USDC debt 600: HF = 3200/2600.
      const h: Holdings = { collateral: { weth: 2 }, debt: { weth: 1, usdc: 600 }, thresholdBps: 8000 };
      const weth = crossingsOf(exposureAt(h, prices), ["weth", "usdc"], modelAt(prices))!.find((c) => c.key === "weth")!;
      // 3200 r = 2000 r + 600 → r = 0.5
      expect(weth).to.deep.include({ side: "below" });
      expect(weth.price).to.be.closeTo(1000, 1e-9);
    });

    it("gives no crossing to a key whose price cannot move the health factor (as much weighted collateral as debt)", () => {
      const prices = { weth: 2000, cbbtc: 60_000, usdc: 1 };
      const h: Holdings = { collateral: { weth: 1.25, usdc: 500 }, debt: { weth: 1 }, thresholdBps: 8000 };
      const crossings = crossingsOf(exposureAt(h, prices), ["weth", "usdc"], modelAt(prices))!;
      expect(crossings.map((c) => c.key)).to.deep.equal(["usdc"]);
    });

    it("refuses to model a price key no holding explains, an unknown price, and dust", () => {
      const prices = { weth: 2000, cbbtc: 60_000, usdc: 1 };
      const h: Holdings = { collateral: { weth: 1 }, debt: { usdc: 1000 }, thresholdBps: 8000 };
      expect(crossingsOf(exposureAt(h, prices), ["weth", "usdc", "emode-source"], modelAt(prices))).to.equal(null);
      expect(crossingsOf(exposureAt(h, prices), ["weth", "usdc"], { keyOfToken: (t) => t, priceOfKey: () => undefined })).to.equal(null);
      const dust: Holdings = { collateral: { weth: 1e-9 }, debt: { usdc: MODEL_MIN_DEBT_USD / 2 }, thresholdBps: 8000 };
      expect(crossingsOf(exposureAt(dust, prices), ["weth", "usdc"], modelAt(prices))).to.equal(null);
    });
  });

  describe("CrossingIndex.search (plain numbers)", () => {
    const prices = { weth: 2000, cbbtc: 60_000, usdc: 1 };
    const build = (overlayLimit?: () => number) => {
      const index = new CrossingIndex(overlayLimit);
      // HFs 1.6, 1.2 and 1.01: WETH crossings at 1250, 1666.67 and 1980.2.
      [1000, 1333.33, 1584.16].forEach((debt, i) => {
        const h: Holdings = { collateral: { weth: 1 }, debt: { usdc: debt }, thresholdBps: 8000 };
        index.set(borrower(i), crossingsOf(exposureAt(h, prices), ["weth", "usdc"], modelAt(prices)), ["weth", "usdc"]);
      });
      return index;
    };

    for (const [label, overlayLimit] of [
      ["from the overlay", () => 1_000],
      ["from the sorted arrays", () => 0],
    ] as const) {
      it(`finds exactly the positions a move crosses, ${label}`, () => {
        const index = build(overlayLimit);
        expect([...index.search("weth", 2000, 1900)]).to.deep.equal([borrower(2)]);
        expect(new Set(index.search("weth", 2000, 1600))).to.deep.equal(new Set([borrower(1), borrower(2)]));
        expect([...index.search("weth", 1600, 2000)].sort()).to.deep.equal([borrower(1), borrower(2)]);
        expect([...index.search("weth", 2000, 2100)]).to.deep.equal([]);
        expect([...index.search("cbbtc", 60_000, 1)]).to.deep.equal([]);
        // USDC doubling in price crosses the 1.01 and 1.2 positions (above 1.01 and 1.2), not the 1.6 one.
        expect([...index.search("usdc", 1, 1.5)].sort()).to.deep.equal([borrower(1), borrower(2)]);
      });
    }

    it("widens the search by SEARCH_MARGIN on both sides", () => {
      const index = build(() => 0);
      const crossing = 2000 / 1.01;
      expect([...index.search("weth", 2000, crossing * (1 + SEARCH_MARGIN / 2))]).to.deep.equal([borrower(2)]);
      expect([...index.search("weth", 2000, crossing * (1 + 2 * SEARCH_MARGIN))]).to.deep.equal([]);
    });

    it("forgets a removed position, and returns a not-modelled one on every search of its keys", () => {
      const index = build(() => 0);
      index.remove(borrower(2));
      index.set(borrower(9), null, ["weth"]);
      expect([...index.search("weth", 2000, 1900)]).to.deep.equal([borrower(9)]);
      expect([...index.search("usdc", 1, 1.0001)]).to.deep.equal([]);
      index.rebuild();
      index.set(borrower(9), [], ["weth"]);
      expect([...index.search("weth", 2000, 1900)]).to.deep.equal([]);
      expect(index.size).to.equal(3);
    });

    for (const [label, overlayLimit] of [
      ["unsorted", () => 1_000],
      ["sorted", () => 0],
    ] as const) {
      it(`keeps a position with more keys than a slot first holds, and a removed one's slot for the next (${label})`, () => {
        const index = new CrossingIndex(overlayLimit);
        const wide = Array.from(
          { length: 7 },
          (_, i) => ({ key: `k${i}`, price: 100 + i, side: i % 2 === 0 ? "below" : "above" }) as const,
        );
        index.set(borrower(1), [{ key: "k0", price: 50, side: "below" }], ["k0"]);
        index.set(
          borrower(0),
          wide,
          wide.map((c) => c.key),
        );
        index.set(borrower(2), [{ key: "k6", price: 40, side: "above" }], ["k6"]);
        wide.forEach(({ key, price }) => expect([...index.search(key, price - 1, price + 1)], key).to.deep.equal([borrower(0)]));
        expect([...index.search("k0", 49, 51)]).to.deep.equal([borrower(1)]);
        index.remove(borrower(0));
        index.set(borrower(3), [{ key: "k0", price: 101, side: "below" }], ["k0"]);
        expect([...index.search("k0", 99, 102)]).to.deep.equal([borrower(3)]);
        expect([...index.search("k6", 105, 107)]).to.deep.equal([]);
        expect([...index.search("k6", 39, 41)]).to.deep.equal([borrower(2)]);
        expect(index.size).to.equal(3);
      });
    }

    it("treats a crossing at a price that cannot be ordered as not modelled: returned by every search of its keys", () => {
      const index = build(() => 0);
      index.set(borrower(7), [{ key: "weth", price: NaN, side: "below" }], ["weth", "usdc"]);
      expect([...index.search("weth", 2000, 2001)]).to.deep.equal([borrower(7)]);
      expect([...index.search("usdc", 1, 1.0001)]).to.deep.equal([borrower(7)]);
      expect([...index.search("weth", 2000, 1900)].sort()).to.deep.equal([borrower(2), borrower(7)]);
    });

    it("keeps the sorted arrays when a re-evaluation moves a crossing by less than the tolerance", () => {
      const index = build(() => 0);
      index.rebuild();
      const rebuilds = index.rebuilds;
      const h: Holdings = { collateral: { weth: 1 }, debt: { usdc: 1000 * (1 + 1e-9) }, thresholdBps: 8000 };
      index.set(borrower(0), crossingsOf(exposureAt(h, prices), ["weth", "usdc"], modelAt(prices)), ["weth", "usdc"]);
      index.compact();
      expect(index.rebuilds).to.equal(rebuilds);
      index.set(borrower(0), [{ key: "weth", price: 1300, side: "below" }], ["weth"]);
      index.compact();
      expect(index.rebuilds).to.equal(rebuilds + 1);
      expect([...index.search("weth", 1310, 1290)]).to.deep.equal([borrower(0)]);
    });
  });

  describe("agrees with a brute-force scan (fast-check)", () => {
    const holdings = arbitraryHoldings(fc.record({ weth: HELD, cbbtc: HELD, usdc: HELD }));
    const move = fc.record({
      key: fc.constantFrom(...KEYS),
      factor: fc.double({ min: 0.3, max: 3, noNaN: true }),
      fullEvaluation: fc.boolean(),
    });

    it("every position whose side of HF 1 a move changes is among the index's candidates", () => {
      fc.assert(
        fc.property(
          fc.array(holdings, { minLength: 1, maxLength: 60 }),
          fc.array(move, { minLength: 1, maxLength: 12 }),
          fc.integer({ min: 0, max: 8 }),
          (positions, moves, overlayLimit) => {
            const prices: Record<Key, number> = { weth: 2000, cbbtc: 60_000, usdc: 1 };
            const index = new CrossingIndex(() => overlayLimit);
            const store = (i: number) => {
              const h = positions[i];
              index.set(borrower(i), crossingsOf(exposureAt(h, prices), keysOf(h), modelAt(prices)), keysOf(h));
            };
            positions.forEach((_, i) => store(i));
            let movedKey: Key | undefined;
            for (const { key, factor, fullEvaluation } of moves) {
              // The market's rule: the index answers moves of one key between full evaluations.
              if (fullEvaluation || (movedKey !== undefined && movedKey !== key)) {
                positions.forEach((_, i) => store(i));
                movedKey = undefined;
              }
              const before = positions.map((h) => liquidatableAt(h, prices));
              const from = prices[key];
              prices[key] = from * factor;
              movedKey = key;
              const candidates = index.search(key, from, prices[key]);
              positions.forEach((h, i) => {
                if (liquidatableAt(h, prices) !== before[i]) expect(candidates.has(borrower(i)), `position ${i} crossed`).to.equal(true);
                if (candidates.has(borrower(i))) expect(keysOf(h)).to.include(key);
              });
              // The market re-evaluates (and so re-stores) what the index returned.
              for (const candidate of candidates) store(Number(BigInt(candidate)));
            }
          },
        ),
        { numRuns: 200 },
      );
    });
  });

  describe("PositionBook with a crossing index", () => {
    const prices = { weth: 2000, cbbtc: 60_000, usdc: 1 };
    const positionOf = (i: number, h: Holdings, liquidatable: boolean, at: Record<Key, number> = prices): TrackedPosition => ({
      key: { protocol: "test", market: "test:m", borrower: borrower(i) },
      collaterals: exposureAt(h, at).collaterals.map((c) => ({
        ...c,
        token: c.token as Address,
        amount: 1n,
        liquidationBonusBps: 500,
      })),
      debts: exposureAt(h, at).debts.map((d) => ({ ...d, token: d.token as Address, amount: 1n })),
      healthFactor: liquidatable ? 9n * 10n ** 17n : 2n * 10n ** 18n,
      updatedAtBlock: 1,
    });

    it("answers a move with the crossing positions and every liquidatable holder, and forgets removed ones", () => {
      const book = new PositionBook<null>();
      book.indexCrossings(modelAt(prices));
      const healthy: Holdings = { collateral: { weth: 1 }, debt: { usdc: 1000 }, thresholdBps: 8000 };
      const near: Holdings = { collateral: { weth: 1 }, debt: { usdc: 1580 }, thresholdBps: 8000 };
      const under: Holdings = { collateral: { weth: 1 }, debt: { usdc: 1700 }, thresholdBps: 8000 };
      [healthy, near, under].forEach((h, i) => {
        book.setState(borrower(i), null, ["weth", "usdc"]);
        book.setPosition(borrower(i), positionOf(i, h, i === 2));
      });
      expect([...book.crossingCandidates("weth", 2000, 1950)].sort()).to.deep.equal([borrower(1), borrower(2)]);
      expect([...book.crossingCandidates("cbbtc", 60_000, 50_000)]).to.deep.equal([]);
      book.remove(borrower(1));
      expect([...book.crossingCandidates("weth", 2000, 1950)]).to.deep.equal([borrower(2)]);
    });

    it("property: one answer moving one or two keys (pairs kept as ratios) returns every position whose side of HF 1 it changes", () => {
      const holdings = arbitraryHoldings(fc.record({ weth: HELD, cbbtc: HELD, usdc: HELD }));
      const factor = fc.double({ min: 0.3, max: 3, noNaN: true });
      const answer = fc.record({
        keys: fc.shuffledSubarray([...KEYS], { minLength: 1, maxLength: 2 }),
        factors: fc.tuple(factor, factor),
        fullEvaluation: fc.boolean(),
      });
      fc.assert(
        fc.property(
          fc.array(holdings, { minLength: 1, maxLength: 40 }),
          fc.array(answer, { minLength: 1, maxLength: 10 }),
          (positions, answers) => {
            const prices: Record<Key, number> = { weth: 2000, cbbtc: 60_000, usdc: 1 };
            const book = new PositionBook<null>();
            book.indexCrossings(modelAt(prices));
            const store = (i: number) => {
              const h = positions[i];
              const position = positionOf(i, h, liquidatableAt(h, prices), prices);
              book.setPosition(borrower(i), position);
            };
            positions.forEach((h, i) => {
              book.setState(borrower(i), null, keysOf(h));
              store(i);
            });
            for (const { keys, factors, fullEvaluation } of answers) {
              if (fullEvaluation) positions.forEach((_, i) => store(i));
              const before = positions.map((h) => liquidatableAt(h, prices));
              const moves = keys.map((key, k) => ({ key, from: prices[key], to: prices[key] * factors[k] }));
              for (const move of moves) prices[move.key] = move.to;
              // As TrackedLendingMarket.reevaluateAfterPriceMoves: key by key, the candidates re-evaluated at the new prices.
              const pendingFrom = new Map<string, number>(moves.map((move) => [move.key, move.from]));
              const candidates = new Set<Address>();
              for (const move of moves) {
                book.noteIndexedMove(move.key);
                pendingFrom.delete(move.key);
                for (const found of book.crossingCandidates(move.key, move.from, move.to, pendingFrom)) {
                  candidates.add(found);
                  store(Number(BigInt(found)));
                }
              }
              positions.forEach((h, i) => {
                if (liquidatableAt(h, prices) !== before[i]) expect(candidates.has(borrower(i)), `position ${i} crossed`).to.equal(true);
              });
            }
          },
        ),
        { numRuns: 100 },
      );
    });

    it("one answer moving both keys of a pair the opposite ways: each key's turn searches at the other's price of that moment", () => {
      const at: Record<Key, number> = { weth: 2000, cbbtc: 60_000, usdc: 1 };
      const book = new PositionBook<null>();
      book.indexCrossings(modelAt(at));
      // 1 WETH at 80% against 1440 USDC: HF 1.11, liquidatable once the WETH/USDC ratio falls below 1800.
      const h: Holdings = { collateral: { weth: 1 }, debt: { usdc: 1440 }, thresholdBps: 8000 };
      book.setState(borrower(0), null, keysOf(h));
      book.setPosition(borrower(0), positionOf(0, h, false, at));
      // WETH 2000 → 1500, USDC 1 → 1.2 in one answer: the ratio goes 2000 → 1250. Searched at USDC's new price,
      // WETH's turn would cover only the ratios 1250–1667 and USDC's (at WETH's new price) 1250–1500.
      const moves = [
        { key: "weth", from: 2000, to: 1500 },
        { key: "usdc", from: 1, to: 1.2 },
      ];
      for (const move of moves) at[move.key as Key] = move.to;
      expect(liquidatableAt(h, at)).to.equal(true);
      const pendingFrom = new Map(moves.map((move) => [move.key, move.from]));
      const found = new Set<Address>();
      for (const move of moves) {
        book.noteIndexedMove(move.key);
        pendingFrom.delete(move.key);
        for (const candidate of book.crossingCandidates(move.key, move.from, move.to, pendingFrom)) found.add(candidate);
      }
      expect([...found]).to.deep.equal([borrower(0)]);
    });

    it("a state read again with the same keys replaces the state and keeps its holders; new keys move it", () => {
      const book = new PositionBook<string>();
      book.setState(borrower(0), "first", ["weth", "usdc"]);
      book.setState(borrower(1), "other", ["weth", "usdc"]);
      book.setState(borrower(0), "again", ["weth", "usdc"]);
      expect(book.state(borrower(0))).to.equal("again");
      expect([...book.holdersOf(["weth"])].sort()).to.deep.equal([borrower(0), borrower(1)]);
      book.setState(borrower(0), "moved", ["cbbtc", "usdc"]);
      expect(book.state(borrower(0))).to.equal("moved");
      expect([...book.holdersOf(["weth"])]).to.deep.equal([borrower(1)]);
      expect([...book.holdersOf(["cbbtc"])]).to.deep.equal([borrower(0)]);
      expect([...book.crossingCandidates("cbbtc", 60_000, 50_000)]).to.deep.equal([borrower(0)]);
    });

    it("warming the search sorts every lane and changes no answer (property, against an unwarmed twin)", () => {
      const holdings = arbitraryHoldings(fc.record({ weth: HELD, usdc: HELD }));
      const move = fc.record({ key: fc.constantFrom("weth", "usdc", "cbbtc"), factor: fc.double({ min: 0.5, max: 2, noNaN: true }) });
      fc.assert(
        fc.property(
          fc.array(holdings, { minLength: 1, maxLength: 40 }),
          fc.array(move, { minLength: 1, maxLength: 6 }),
          (positions, moves) => {
            const indexes = [new CrossingIndex(() => 1_000_000), new CrossingIndex(() => 1_000_000)];
            const books = indexes.map((index) => {
              const book = new PositionBook<null>();
              book.indexCrossings(modelAt(prices), index);
              positions.forEach((h, i) => {
                book.setState(borrower(i), null, keysOf(h));
                book.setPosition(borrower(i), positionOf(i, h, liquidatableAt(h, prices)));
              });
              return book;
            });
            const rebuilds = indexes[0].rebuilds;
            const placed = positions.some((h) => (crossingsOf(exposureAt(h, prices), keysOf(h), modelAt(prices))?.length ?? 0) > 0);
            expect(books[0].warmCrossingSearch(3) > 0, "searches run when some crossing is indexed").to.equal(placed);
            expect(indexes[0].rebuilds, "warming sorted the lanes").to.be.greaterThan(rebuilds);
            const sorted = indexes[0].rebuilds;
            for (const { key, factor } of moves) {
              const [warmed, cold] = books.map((book) =>
                [...book.crossingCandidates(key, prices[key as Key], prices[key as Key] * factor)].sort(),
              );
              expect(warmed).to.deep.equal(cold);
            }
            expect(indexes[0].rebuilds, "no search after warming sorts a lane again").to.equal(sorted);
          },
        ),
        { numRuns: 100 },
      );
      expect(new PositionBook<null>().warmCrossingSearch(), "a book without an index warms nothing").to.equal(0);
    });

    it("without an index, a move's candidates are every holder of the key", () => {
      const book = new PositionBook<null>();
      book.setState(borrower(0), null, ["weth", "usdc"]);
      book.setState(borrower(1), null, ["cbbtc"]);
      expect(book.indexesCrossings).to.equal(false);
      expect([...book.crossingCandidates("weth", 2000, 1999)]).to.deep.equal([borrower(0)]);
    });
  });
});
