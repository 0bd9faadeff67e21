/**
 * Refreshing the prepared plans runs beside reactions (keeper-engine.ts no longer holds the reactions' lock for it):
 * while the new plans' quotes are on the wire, a reaction must still find the previous block's plans, and the new
 * ones replace them in one step. Doubles: one market whose health factor scales with the previewed answer (the
 * shape answer-preview.ts documents), and a planner whose answer the test releases by hand.
 */
import { expect } from "chai";
import type { Address, LiquidationPlan, TrackedPosition } from "../../../../keeper/core/types";
import type { LendingMarket } from "../../../../keeper/markets/market";
import { PreparedPlans, type PreparingPlanner } from "../../../../keeper/engine/prepared-plans";

const WAD = 10n ** 18n;
const FEED = "0x00000000000000000000000000000000000000f1" as Address;
const WETH = "0x00000000000000000000000000000000000000e1" as Address;
const BORROWER = "0x00000000000000000000000000000000000000b1" as Address;
const CURRENT_ANSWER = 3_000n * 10n ** 8n;

/** A position at HF 1.01 whose health factor moves in proportion to the WETH answer, as a collateral-only price does. */
function nearMarket(): LendingMarket {
  const position = (answer: bigint): TrackedPosition =>
    ({
      key: { protocol: "aaveV3", market: "m", borrower: BORROWER },
      collaterals: [{ token: WETH }],
      debts: [],
      healthFactor: (101n * WAD * answer) / (100n * CURRENT_ANSWER),
      updatedAtBlock: 1,
    }) as unknown as TrackedPosition;
  return {
    id: "m",
    positions: () => [position(CURRENT_ANSWER)],
    priceFeeds: () => [{ market: "m", feed: FEED, mode: "answer-is-price", affects: [WETH], description: "WETH" }],
    previewAnswer: (_feed: Address, answer: bigint) => ({
      currentAnswer: CURRENT_ANSWER,
      position: () => position(answer),
      liquidationPairs: () => [],
      sizeLiquidationWithReason: () => ({ ok: false }),
    }),
  } as unknown as LendingMarket;
}

/** A planner whose plans arrive when the test says so (the quotes' round trips). */
function heldPlanner() {
  const held: ((block: number) => void)[] = [];
  const planner: PreparingPlanner = {
    plan: (items, head) =>
      new Promise((resolve) =>
        held.push(() =>
          resolve(items.map(() => ({ plan: { id: `plan@${head.number}`, swap: null, expectedProfit: 1n } as unknown as LiquidationPlan }))),
        ),
      ),
  };
  return { planner, release: () => held.splice(0).forEach((answer) => answer(0)) };
}

describe("keeper: refreshing prepared plans beside reactions", () => {
  it("keeps the previous block's plan usable while the new one is being made, then replaces it in one step", async () => {
    const { planner, release } = heldPlanner();
    const plans = new PreparedPlans(planner);
    const market = nearMarket();

    const first = plans.refresh([market], { number: 10, baseFeePerGas: 0n });
    release();
    expect(await first).to.equal(1);
    expect(plans.get("m", BORROWER)?.preparedAtBlock).to.equal(10);

    const second = plans.refresh([market], { number: 11, baseFeePerGas: 0n });
    // The quotes are on the wire: a reaction judging now must still see block 10's plan, not an empty book.
    await Promise.resolve();
    expect(plans.get("m", BORROWER)?.preparedAtBlock).to.equal(10);
    expect(plans.size).to.equal(1);
    release();
    expect(await second).to.equal(1);
    expect(plans.get("m", BORROWER)?.preparedAtBlock).to.equal(11);
    expect(plans.get("m", BORROWER)?.plan.id).to.equal("plan@11");
  });
});

describe("keeper: how many positions get a prepared plan", () => {
  /** Six positions at HF 1.010 ... 1.015, each moving in proportion to the WETH answer. */
  function sixNearPositions(): LendingMarket {
    const borrowers = [5, 0, 3, 1, 4, 2].map((i) => `0x00000000000000000000000000000000000000c${i}` as Address);
    const position = (borrower: Address, answer: bigint): TrackedPosition =>
      ({
        key: { protocol: "aaveV3", market: "m", borrower },
        collaterals: [{ token: WETH }],
        debts: [],
        healthFactor: ((1_010n + BigInt(borrower.slice(-1))) * WAD * answer) / (1_000n * CURRENT_ANSWER),
        updatedAtBlock: 1,
      }) as unknown as TrackedPosition;
    return {
      id: "m",
      positions: () => borrowers.map((borrower) => position(borrower, CURRENT_ANSWER)),
      priceFeeds: () => [{ market: "m", feed: FEED, mode: "answer-is-price", affects: [WETH], description: "WETH" }],
      previewAnswer: (_feed: Address, answer: bigint) => ({
        currentAnswer: CURRENT_ANSWER,
        position: (borrower: Address) => position(borrower, answer),
        liquidationPairs: () => [],
        sizeLiquidationWithReason: () => ({ ok: false }),
      }),
    } as unknown as LendingMarket;
  }

  it("by default the four nearest only: their quotes share one eth_call every block on the node the reactions need", async () => {
    const planned: string[] = [];
    const planner: PreparingPlanner = {
      plan: async (items) => {
        planned.push(...items.map((item) => item.position.key.borrower));
        return items.map(() => ({ plan: { id: "p", swap: null, expectedProfit: 1n } as unknown as LiquidationPlan }));
      },
    };
    const plans = new PreparedPlans(planner);
    expect(await plans.refresh([sixNearPositions()], { number: 10, baseFeePerGas: 0n })).to.equal(4);
    expect(planned.map((borrower) => borrower.slice(-2)).sort()).to.deep.equal(["c0", "c1", "c2", "c3"]);
  });
});

describe("keeper: prepared plans for the nearest positions of each collateral", () => {
  const CBBTC = "0x00000000000000000000000000000000000000e2" as Address;
  const CBBTC_FEED = "0x00000000000000000000000000000000000000f2" as Address;
  /**
   * Six WETH positions at HF 1.010 ... 1.015 (a ladder's next rungs) and two cbBTC positions at HF 1.025 and 1.026 (a
   * cluster a 2.5% cbBTC step crosses), each moving in proportion to its own feed's answer.
   */
  function twoCollaterals(): LendingMarket {
    const positions = [
      ...[0, 1, 2, 3, 4, 5].map((i) => ({
        borrower: `0x00000000000000000000000000000000000000c${i}` as Address,
        token: WETH,
        hf: 1_010n + BigInt(i),
      })),
      ...[0, 1].map((i) => ({
        borrower: `0x00000000000000000000000000000000000000d${i}` as Address,
        token: CBBTC,
        hf: 1_025n + BigInt(i),
      })),
    ];
    const at = (entry: (typeof positions)[number], feed: Address | null, answer: bigint): TrackedPosition => {
      const moved = feed !== null && (feed === FEED ? entry.token === WETH : entry.token === CBBTC);
      return {
        key: { protocol: "aaveV3", market: "m", borrower: entry.borrower },
        collaterals: [{ token: entry.token }],
        debts: [],
        healthFactor: (entry.hf * WAD * (moved ? answer : CURRENT_ANSWER)) / (1_000n * CURRENT_ANSWER),
        updatedAtBlock: 1,
      } as unknown as TrackedPosition;
    };
    return {
      id: "m",
      positions: () => positions.map((entry) => at(entry, null, CURRENT_ANSWER)),
      priceFeeds: () => [
        { market: "m", feed: FEED, mode: "answer-is-price", affects: [WETH], description: "WETH" },
        { market: "m", feed: CBBTC_FEED, mode: "answer-is-price", affects: [CBBTC], description: "cbBTC" },
      ],
      previewAnswer: (feed: Address, answer: bigint) => ({
        currentAnswer: CURRENT_ANSWER,
        position: (borrower: Address) =>
          at(
            positions.find((entry) => entry.borrower === borrower)!,
            feed,
            answer,
          ),
        liquidationPairs: () => [],
        sizeLiquidationWithReason: () => ({ ok: false }),
      }),
    } as unknown as LendingMarket;
  }

  it("gives each collateral's nearest a plan in turn, within 3% of HF 1, not the four nearest of one feed", async () => {
    const planned: string[] = [];
    const planner: PreparingPlanner = {
      plan: async (items) => {
        planned.push(...items.map((item) => item.position.key.borrower.slice(-2)));
        return items.map(() => ({ plan: { id: "p", swap: null, expectedProfit: 1n } as unknown as LiquidationPlan }));
      },
    };
    const plans = new PreparedPlans(planner);
    expect(await plans.refresh([twoCollaterals()], { number: 10, baseFeePerGas: 0n })).to.equal(4);
    // Before, the four nearest overall (c0-c3) all hung on WETH, and HF 1.025 was outside the 2% band anyway: a cbBTC
    // step never found its first position prepared.
    expect(planned.sort()).to.deep.equal(["c0", "c1", "d0", "d1"]);
  });
});
