/**
 * Each Aave liquidation rule, pinned by a named scenario on genuine bytecode (v3.6 as Base runs it, and v3.0.2):
 * the keeper's plan equals what `liquidationCall` does, and where the pool refuses, the keeper refuses too (or, for
 * the $1,000 leftover rule, plans the largest amount the pool still accepts).
 */
import { expect } from "chai";
import hre from "hardhat";
import { loadFixture, takeSnapshot, time } from "@nomicfoundation/hardhat-network-helpers";
import type { Wallet } from "ethers";
import { SANDBOX_AAVE_VERSIONS, type Sandbox } from "../../../../sandbox";
import type { Address } from "../../../../keeper/config/address-book";
import {
  AAVE_CLOSE_FACTOR_HF_THRESHOLD,
  AAVE_MIN_LEFTOVER_BASE,
  aaveLiquidationOutcome,
  sizeAaveV3Liquidation,
  type AaveV3SizingInput,
} from "../../../../keeper/markets/aave-v3/liquidation-sizing";
import type { SizedLiquidation } from "../../../../keeper/markets/sizing-result";
import { sizedOrThrow } from "../strategy/fixtures";
import {
  borrowAs,
  executorArgument,
  expectPoolDidPlan,
  feedAnswer,
  keeperView,
  liquidateAt,
  newBorrower,
  GENUINE_WORLD_FIXTURES,
  setFeedAnswer,
  sizingInputOf,
  supplyAs,
  tokenAddress,
  type GenuineWorld,
  type KeeperView,
  type PoolOutcome,
} from "./helpers/aave-genuine";

const E6 = 10n ** 6n;
const E18 = 10n ** 18n;
const WAD = 10n ** 18n;

interface Position {
  readonly borrower: Wallet;
  readonly address: Address;
  readonly collateral: Address;
  readonly debt: Address;
}

/** Supplies each collateral, optionally enters e-mode, borrows each debt; the first of each is the liquidated pair. */
async function open(
  world: GenuineWorld,
  spec: { supply: [string, bigint][]; borrow: [string, bigint][]; eMode?: number },
): Promise<Position> {
  const { sandbox } = world;
  const borrower = await newBorrower();
  for (const [symbol, amount] of spec.supply) await supplyAs(sandbox, borrower, symbol, amount);
  if (spec.eMode) await (await sandbox.aave.pool.connect(borrower).setUserEMode(spec.eMode)).wait();
  for (const [symbol, amount] of spec.borrow) await borrowAs(sandbox, borrower, symbol, amount);
  return {
    borrower,
    address: borrower.address as Address,
    collateral: await tokenAddress(sandbox, spec.supply[0][0]),
    debt: await tokenAddress(sandbox, spec.borrow[0][0]),
  };
}

async function healthFactor(sandbox: Sandbox, who: Address): Promise<bigint> {
  return (await sandbox.aave.pool.getUserAccountData(who)).healthFactor;
}

/**
 * Moves `symbol`'s feed (the borrower's collateral) to the highest answer at which the pool's health factor is at
 * most `atMost`, by bisection on the integer answer. HF rises with the collateral's price.
 */
async function priceCollateralForHf(sandbox: Sandbox, who: Address, symbol: string, atMost: bigint): Promise<bigint> {
  let low = 1n;
  let high = await feedAnswer(sandbox, symbol);
  while (high - low > 1n) {
    const mid = (low + high) / 2n;
    await setFeedAnswer(sandbox, symbol, mid);
    if ((await healthFactor(sandbox, who)) <= atMost) low = mid;
    else high = mid;
  }
  await setFeedAnswer(sandbox, symbol, low);
  return healthFactor(sandbox, who);
}

function inputOf(view: KeeperView, position: Position): AaveV3SizingInput {
  return sizingInputOf(view, position.address, position.collateral, position.debt);
}

/** liquidationCall on the position for `debtToCover`, in a block at `timestamp`. */
function liquidatePosition(world: GenuineWorld, position: Position, debtToCover: bigint, timestamp: number): Promise<PoolOutcome> {
  return liquidateAt(world, { collateral: position.collateral, debt: position.debt, borrower: position.address, debtToCover, timestamp });
}

/** The largest debtToCover whose liquidator share leaves $1,000 of collateral, as if the fee stayed with the borrower. */
function largestLeavingAThousandIgnoringFee(input: AaveV3SizingInput): bigint {
  const unit = 10n ** BigInt(input.collateral.decimals);
  const leavesEnough = (d: bigint) =>
    ((input.collateral.userBalance - aaveLiquidationOutcome(input, d).collateralToLiquidator) * input.collateral.priceBase) / unit >=
    AAVE_MIN_LEFTOVER_BASE;
  let low = 0n;
  let high = input.debt.userDebt;
  while (high - low > 1n) {
    const mid = (low + high) / 2n;
    if (leavesEnough(mid)) low = mid;
    else high = mid;
  }
  return low;
}

/** Keeper plan at the latest block (evaluated one second ahead), then the liquidation one second later. */
async function planAndLiquidate(
  world: GenuineWorld,
  position: Position,
): Promise<{ plan: SizedLiquidation; pool: PoolOutcome; input: AaveV3SizingInput }> {
  const view = await keeperView(world.sandbox, position.address);
  const input = inputOf(view, position);
  const plan = sizedOrThrow(sizeAaveV3Liquidation(input));
  const pool = await liquidatePosition(world, position, executorArgument(plan.candidate), view.block.timestamp + 1);
  return { plan, pool, input };
}

for (const version of SANDBOX_AAVE_VERSIONS) {
  const worldFixture = GENUINE_WORLD_FIXTURES[version];
  const v36 = version === "v3.6";
  const rulesPrefix = v36 ? "aave-v3.3" : "aave-v3.0";

  describe(`Aave liquidation rules on genuine ${version} bytecode: keeper plan = liquidationCall`, function () {
    for (const side of ["above", "at or below"] as const) {
      it(`close factor ${side === "above" ? "50%" : "100%"} just ${side} HF 0.95`, async function () {
        const world = await loadFixture(worldFixture);
        const position = await open(world, { supply: [["WETH", 5n * E18]], borrow: [["USDC", 11_000n * E6]] });
        const limit = side === "above" ? AAVE_CLOSE_FACTOR_HF_THRESHOLD + 10n ** 14n : AAVE_CLOSE_FACTOR_HF_THRESHOLD;
        const hf = await priceCollateralForHf(world.sandbox, position.address, "WETH", limit);
        if (side === "above") expect(hf).to.be.greaterThan(AAVE_CLOSE_FACTOR_HF_THRESHOLD).and.lessThan(WAD);
        else expect(hf).to.be.at.most(AAVE_CLOSE_FACTOR_HF_THRESHOLD);
        const { plan, pool, input } = await planAndLiquidate(world, position);
        expect(plan.candidate.sizingRule).to.match(new RegExp(`^${rulesPrefix}-close-factor-${side === "above" ? "50%" : "100%"}`));
        const half = (amount: bigint) => (amount * 5_000n + 5_000n) / 10_000n;
        if (side !== "above") expect(plan.candidate.debtToCover).to.equal(input.debt.userDebt);
        // v3.0 caps at 50% of the reserve's debt; v3.3+ at 50% of the total debt in base currency, converted back.
        else if (!v36) expect(plan.candidate.debtToCover).to.equal(half(input.debt.userDebt));
        else expect(plan.candidate.debtToCover).to.equal((half(input.totalDebtBase) * E6) / input.debt.priceBase);
        expectPoolDidPlan(pool, plan);
      });
    }

    it(`$2,000 rule: a pair under $2,000 ${v36 ? "may be closed in full" : "still gets 50% (v3.0 has no such rule)"} at HF > 0.95`, async function () {
      const world = await loadFixture(worldFixture);
      for (const [debtUsd, small] of [
        [1_900n, true],
        [2_100n, false],
      ] as const) {
        const fresh = await takeSnapshot();
        const position = await open(world, { supply: [["WETH", E18]], borrow: [["USDC", debtUsd * E6]] });
        await priceCollateralForHf(world.sandbox, position.address, "WETH", (97n * WAD) / 100n);
        const { plan, pool } = await planAndLiquidate(world, position);
        const full = v36 && small;
        expect(plan.candidate.sizingRule, `debt $${debtUsd}`).to.match(full ? /close-factor-100%-small-position/ : /close-factor-50%/);
        expectPoolDidPlan(pool, plan);
        await fresh.restore();
      }
    });

    if (v36) {
      it("$2,000 rule at its edge: a debt worth $1,999.99999999 rounded down is $2,000 to v3.6 (rounded up)", async function () {
        // Found on genuine v3.6: v3.5+ values the pair's debt with mulDivCeil; the keeper valued it rounding down,
        // took the pair for a small position and planned 100% where the pool caps at 50%.
        const world = await loadFixture(worldFixture);
        const { sandbox } = world;
        // $2,700 of USDC against ~$2,000 of WETH, then USDC at $0.926: $2,500 of collateral, HF 0.975, and the debt
        // at the $2,000 line.
        const position = await open(world, { supply: [["USDC", 2_700n * E6]], borrow: [["WETH", (2n * E18) / 3n]] });
        await setFeedAnswer(sandbox, "USDC", 92_600_000n);
        // The liquidation lands at `at`; the keeper's debt for that second prices WETH so that debt × price falls
        // just short of 2000e8 × 1e18 (not a whole base unit: floor 1,999.99999999, ceil 2,000).
        const at = (await hre.ethers.provider.getBlock("latest"))!.timestamp + 10;
        const early = await keeperView(sandbox, position.address);
        early.market.evaluateAt({ number: early.block.number, timestamp: at - 1 });
        const debtAt = inputOf(early, position).debt.userDebt;
        const price = (2_000n * 10n ** 8n * E18) / debtAt;
        expect((debtAt * price) % E18, "the debt's value is not a whole base unit").to.not.equal(0n);
        await time.setNextBlockTimestamp(at - 1);
        await setFeedAnswer(sandbox, "WETH", price);
        const view = await keeperView(sandbox, position.address);
        const input = inputOf(view, position);
        expect(input.healthFactor).to.be.greaterThan(AAVE_CLOSE_FACTOR_HF_THRESHOLD).and.lessThan(WAD);
        const plan = sizedOrThrow(sizeAaveV3Liquidation(input));
        expect(plan.candidate.sizingRule).to.match(/^aave-v3.3-close-factor-50%/);
        const pool = await liquidatePosition(world, position, executorArgument(plan.candidate), view.block.timestamp + 1);
        expectPoolDidPlan(pool, plan);
      });

      it("$1,000 leftover rule: the keeper plans the largest amount the pool accepts, counting the protocol fee as taken", async function () {
        // ~$2,200 of WETH (liquidated) and $2,700 of USDC against $4,000 of USDC debt at HF 0.98: 50% would seize
        // $2,100 of WETH and leave ~$100. The leftover must exclude what the treasury takes as its fee too.
        const world = await loadFixture(worldFixture);
        const position = await open(world, {
          supply: [
            ["WETH", (25n * E18) / 30n],
            ["USDC", 2_700n * E6],
          ],
          borrow: [["USDC", 4_000n * E6]],
        });
        // WETH falls to ~$2,200 of collateral: HF 0.98.
        await priceCollateralForHf(world.sandbox, position.address, "WETH", (98n * WAD) / 100n);
        const view = await keeperView(world.sandbox, position.address);
        const input = inputOf(view, position);
        const plan = sizedOrThrow(sizeAaveV3Liquidation(input));
        expect(plan.candidate.sizingRule).to.equal("aave-v3.3-close-factor-50%+dust-rule-reduced");
        const leftover = aaveLiquidationOutcome(input, plan.candidate.debtToCover);
        const left = input.collateral.userBalance - leftover.collateralToLiquidator - leftover.protocolFee;
        expect((left * input.collateral.priceBase) / E18).to.be.at.least(AAVE_MIN_LEFTOVER_BASE);
        // One unit more leaves under $1,000: the pool refuses it, and the model says so.
        expect(aaveLiquidationOutcome(input, plan.candidate.debtToCover + 1n).violatesDustRule).to.equal(true);
        const tooMuch = await liquidatePosition(world, position, plan.candidate.debtToCover + 1n, view.block.timestamp + 1);
        expect(tooMuch).to.deep.equal({ ok: false, reason: "MustNotLeaveDust" });
        // Found on genuine v3.6: counting only the liquidator's share as taken (the fee left with the borrower), the
        // keeper planned more; the pool refuses that amount.
        const feeBlind = largestLeavingAThousandIgnoringFee(input);
        expect(feeBlind).to.be.greaterThan(plan.candidate.debtToCover);
        const refused = await liquidatePosition(world, position, feeBlind, view.block.timestamp + 2);
        expect(refused).to.deep.equal({ ok: false, reason: "MustNotLeaveDust" });
        // (The failed transactions mined blocks; the keeper's amount goes a second later, re-planned there.)
        const again = await keeperView(world.sandbox, position.address);
        const replanned = sizedOrThrow(sizeAaveV3Liquidation(inputOf(again, position)));
        const pool = await liquidatePosition(world, position, executorArgument(replanned.candidate), again.block.timestamp + 1);
        expectPoolDidPlan(pool, replanned);
      });

      it("a full close still closes the whole debt after interest accrued; the debt as read would leave dust", async function () {
        const world = await loadFixture(worldFixture);
        const position = await open(world, { supply: [["WETH", 5n * E18]], borrow: [["USDC", 11_000n * E6]] });
        await priceCollateralForHf(world.sandbox, position.address, "WETH", (90n * WAD) / 100n);
        const view = await keeperView(world.sandbox, position.address);
        const plan = sizedOrThrow(sizeAaveV3Liquidation(inputOf(view, position)));
        expect(plan.candidate.sizingRule).to.match(/full-close$/);
        // An hour later: the sandbox's USDC is ~0% utilised, so interest takes that long to add a few units; on Base
        // (utilisation ~80%) an $11,000 USDC debt gains about that much every second.
        const late = view.block.timestamp + 3_600;
        const before = await takeSnapshot();
        const stale = await liquidatePosition(world, position, plan.candidate.debtToCover, late);
        expect(stale).to.deep.equal({ ok: false, reason: "MustNotLeaveDust" });
        await before.restore();
        const pool = await liquidatePosition(world, position, executorArgument(plan.candidate), late);
        if (!pool.ok) throw new Error(`the keeper's full close was refused: ${pool.reason}`);
        expect(pool.debtRepaid).to.be.greaterThan(plan.candidate.debtToCover);
        expect((await world.sandbox.aave.dataProvider.getUserReserveData(position.debt, position.address)).currentVariableDebt).to.equal(
          0n,
        );
      });
    }

    it(`bad debt: all the collateral goes${v36 ? " and the rest of the debt becomes the reserve's deficit" : "; v3.0 leaves the rest as debt"}`, async function () {
      const world = await loadFixture(worldFixture);
      const position = await open(world, { supply: [["cbBTC", 10n ** 7n]], borrow: [["USDC", 4_000n * E6]] });
      await setFeedAnswer(world.sandbox, "cbBTC", (await feedAnswer(world.sandbox, "cbBTC")) / 2n); // $3,000 of cbBTC against $4,000
      const { plan, pool, input } = await planAndLiquidate(world, position);
      expect(plan.cappedByCollateral).to.equal(true);
      // All of it is seized (liquidator + fee); the fee the treasury then receives may be a unit less when rounding
      // left the borrower fewer scaled units than it needs (modelled: the keeper's fee equals the pool's below).
      const seized = aaveLiquidationOutcome(
        { ...input, collateral: { ...input.collateral, scaled: undefined } },
        executorArgument(plan.candidate),
      );
      expect(seized.collateralToLiquidator + seized.protocolFee).to.equal(input.collateral.userBalance);
      if (v36) expect(plan.badDebt).to.be.greaterThan(0n);
      else expect(plan.badDebt).to.equal(0n);
      expectPoolDidPlan(pool, plan);
    });

    it("e-mode: cbETH against WETH inside the ETH-correlated category liquidates with the category's 1% bonus", async function () {
      const world = await loadFixture(worldFixture);
      const position = await open(world, { supply: [["cbETH", 10n * E18]], borrow: [["WETH", 9n * E18]], eMode: 1 });
      await priceCollateralForHf(world.sandbox, position.address, "cbETH", (97n * WAD) / 100n);
      const view = await keeperView(world.sandbox, position.address);
      const input = inputOf(view, position);
      expect(input.collateral.liquidationBonusBps).to.equal(100);
      const plan = sizedOrThrow(sizeAaveV3Liquidation(input));
      const pool = await liquidatePosition(world, position, executorArgument(plan.candidate), view.block.timestamp + 1);
      expectPoolDidPlan(pool, plan);
    });

    it("a paused reserve: the keeper refuses, as the pool does; a frozen one is still liquidated", async function () {
      const world = await loadFixture(worldFixture);
      const { sandbox } = world;
      const position = await open(world, { supply: [["WETH", 5n * E18]], borrow: [["USDC", 11_000n * E6]] });
      await priceCollateralForHf(sandbox, position.address, "WETH", (97n * WAD) / 100n);
      const setPaused = async (paused: boolean) => {
        const { aave } = sandbox;
        if (aave.version === "v3.6")
          await (await aave.configurator.connect(sandbox.deployer)["setReservePause(address,bool)"](position.collateral, paused)).wait();
        else await (await aave.configurator.connect(sandbox.deployer).setReservePause(position.collateral, paused)).wait();
      };
      await setPaused(true);
      const paused = await keeperView(sandbox, position.address);
      const refused = sizeAaveV3Liquidation(inputOf(paused, position));
      expect(refused).to.include({ ok: false, reason: "not-liquidatable" });
      expect(refused.ok ? "" : refused.detail).to.match(/collateral reserve is paused/);
      const pool = await liquidatePosition(world, position, 1_000n * E6, paused.block.timestamp + 1);
      expect(pool).to.deep.equal({ ok: false, reason: "ReservePaused" });

      await setPaused(false);
      const configurator = sandbox.aave.configurator.connect(sandbox.deployer);
      await (await configurator.setReserveFreeze(position.collateral, true)).wait();
      await (await configurator.setReserveFreeze(position.debt, true)).wait();
      const { plan, pool: frozen } = await planAndLiquidate(world, position);
      expectPoolDidPlan(frozen, plan);
    });

    if (v36) {
      it("a liquidation grace period: refused until it ends, then planned and executed exactly", async function () {
        const world = await loadFixture(worldFixture);
        const { sandbox } = world;
        if (sandbox.aave.version !== "v3.6") throw new Error("grace periods are v3.1+");
        const position = await open(world, { supply: [["WETH", 5n * E18]], borrow: [["USDC", 11_000n * E6]] });
        await priceCollateralForHf(sandbox, position.address, "WETH", (97n * WAD) / 100n);
        const configurator = sandbox.aave.configurator.connect(sandbox.deployer);
        await (await configurator["setReservePause(address,bool)"](position.debt, true)).wait();
        // Unpausing with a grace period: liquidations of the reserve wait an hour.
        await (await configurator["setReservePause(address,bool,uint40)"](position.debt, false, 3_600)).wait();
        const until = await sandbox.aave.l2Pool.getLiquidationGracePeriod(position.debt);
        const during = await keeperView(sandbox, position.address);
        const refused = sizeAaveV3Liquidation(inputOf(during, position));
        expect(refused).to.include({ ok: false, reason: "not-liquidatable" });
        expect(refused.ok ? "" : refused.detail).to.match(new RegExp(`debt reserve's liquidation grace period lasts until ${until}`));
        const pool = await liquidatePosition(world, position, 1_000n * E6, during.block.timestamp + 1);
        expect(pool).to.deep.equal({ ok: false, reason: "LiquidationGraceSentinelCheckFailed" });

        // At `until` the pool still refuses (it needs until < block.timestamp); one second later both go ahead.
        await time.increaseTo(Number(until));
        const after = await keeperView(sandbox, position.address);
        const { plan, pool: executed } = await planAndLiquidate(world, position);
        expect(after.block.timestamp + 1).to.be.greaterThan(Number(until));
        expectPoolDidPlan(executed, plan);
      });
    }
  });
}
