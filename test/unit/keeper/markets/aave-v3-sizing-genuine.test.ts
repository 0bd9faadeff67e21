/**
 * Aave sizing proven on genuine bytecode, on both markets the sandbox stands up: Aave v3.6 (as Base runs it) and
 * v3.0.2. For many random positions (fast-check) the keeper's plan — debt repaid, collateral to the liquidator,
 * protocol fee, deficit, bonus — must equal, to the wei, what `liquidationCall` then does, and a random
 * `debtToCover` replayed through the keeper's model must be accepted or refused exactly as the pool does (the
 * $1,000 leftover rule). Named scenarios pin each rule: the 50%/100% switch at HF 0.95, the $2,000 rule, the
 * $1,000 leftover rule, bad debt, e-mode, a liquidation grace period, paused and frozen reserves, and a full close
 * executed late.
 */
import { expect } from "chai";
import fc from "fast-check";
import { loadFixture, takeSnapshot } from "@nomicfoundation/hardhat-network-helpers";
import type { Wallet } from "ethers";
import { SANDBOX_AAVE_VERSIONS, type Sandbox } from "../../../../sandbox";
import type { Address } from "../../../../keeper/config/address-book";
import { aaveLiquidationOutcome, sizeAaveV3Liquidation } from "../../../../keeper/markets/aave-v3/liquidation-sizing";
import {
  amountForUsd,
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
} from "./helpers/aave-genuine";

/**
 * Random positions per version: each costs a dozen transactions, so `npm test` runs 25 (about 15 s of CPU per version);
 * CI (`CI=true`, 20 minutes of budget) runs 80. AAVE_GENUINE_RUNS / AAVE_GENUINE_SEED replay or widen a search.
 */
const GENUINE_RUNS = Number(process.env.AAVE_GENUINE_RUNS ?? (process.env.CI === "true" ? 80 : 25));

/** Collateral/debt pairs the sandbox can open; e-mode pairs borrow WETH inside the "ETH correlated" category. */
const PAIRS = [
  { collateral: "WETH", debt: "USDC", eMode: false },
  { collateral: "cbBTC", debt: "USDC", eMode: false },
  { collateral: "cbETH", debt: "USDC", eMode: false },
  { collateral: "USDC", debt: "WETH", eMode: false },
  { collateral: "cbBTC", debt: "WETH", eMode: false },
  { collateral: "WETH", debt: "cbBTC", eMode: false },
  { collateral: "USDC", debt: "cbBTC", eMode: false },
  { collateral: "cbETH", debt: "WETH", eMode: true },
  { collateral: "WETH", debt: "WETH", eMode: false },
] as const;
const BORROWABLE = ["USDC", "WETH", "cbBTC"];
/** Liquidation thresholds (percent) by symbol, and in the e-mode category; only used to aim the price move. */
const LT: Record<string, number> = { WETH: 82.5, USDC: 78, cbBTC: 78, cbETH: 74 };
const LTV: Record<string, number> = { WETH: 80, USDC: 75, cbBTC: 73, cbETH: 67 };
const E_MODE = { id: 1, ltv: 90, lt: 93 };

interface PositionSpec {
  readonly collateral: string;
  readonly debt: string;
  readonly eMode: boolean;
  readonly debtUsd: number;
  /** A second debt in another reserve: the 50% cap is measured on the TOTAL debt. */
  readonly extraDebt?: { readonly symbol: string; readonly usd: number };
  /** A second collateral (USDC or cbBTC) the borrower also supplies. */
  readonly extraCollateral?: { readonly symbol: string; readonly usd: number };
  /** Health factor to aim for by moving the collateral's price (the pool's own HF is whatever results). */
  readonly targetHf: number;
}

interface Opened {
  readonly borrower: Wallet;
  readonly collateral: Address;
  readonly debt: Address;
}

/** Opens the position near its LTV, then moves the collateral's feed so the health factor lands near `targetHf`. */
async function openPosition(world: GenuineWorld, spec: PositionSpec): Promise<Opened> {
  const { sandbox } = world;
  const borrower = await newBorrower();
  const lt = spec.eMode ? E_MODE.lt : LT[spec.collateral];
  const ltv = spec.eMode ? E_MODE.ltv : LTV[spec.collateral];
  const extraDebtUsd = spec.extraDebt?.usd ?? 0;
  const extra = spec.extraCollateral;
  const totalDebtUsd = spec.debtUsd + extraDebtUsd;
  // Enough collateral to borrow everything at 97% of the LTV limit.
  const extraBorrowingPower = extra ? (extra.usd * LTV[extra.symbol]) / 100 : 0;
  const collateralUsd = Math.max((totalDebtUsd / 0.97 - extraBorrowingPower) / (ltv / 100), spec.debtUsd * 0.05);
  await supplyAs(sandbox, borrower, spec.collateral, await amountForUsd(sandbox, spec.collateral, collateralUsd));
  if (extra) await supplyAs(sandbox, borrower, extra.symbol, await amountForUsd(sandbox, extra.symbol, extra.usd));
  if (spec.eMode) await (await sandbox.aave.pool.connect(borrower).setUserEMode(E_MODE.id)).wait();
  await borrowAs(sandbox, borrower, spec.debt, await amountForUsd(sandbox, spec.debt, spec.debtUsd));
  if (spec.extraDebt)
    await borrowAs(sandbox, borrower, spec.extraDebt.symbol, await amountForUsd(sandbox, spec.extraDebt.symbol, extraDebtUsd));

  // HF ≈ (C·f·lt + X·lt_x) / D: solve for the collateral price factor f (the debt's own price stays).
  const extraWeighted = extra ? (extra.usd * LT[extra.symbol]) / 100 : 0;
  const sameAsset = spec.collateral === spec.debt;
  if (!sameAsset) {
    const factor = Math.max((spec.targetHf * totalDebtUsd - extraWeighted) / ((collateralUsd * lt) / 100), 0.02);
    const answer = await feedAnswer(sandbox, spec.collateral);
    await setFeedAnswer(sandbox, spec.collateral, (answer * BigInt(Math.round(factor * 1e6))) / 1_000_000n);
  }
  return { borrower, collateral: await tokenAddress(sandbox, spec.collateral), debt: await tokenAddress(sandbox, spec.debt) };
}

/** The bonus the pool applies to this borrower's collateral, read from the chain (bps over 100%). */
async function onChainBonus(sandbox: Sandbox, borrower: Address, collateral: Address): Promise<number> {
  const { aave } = sandbox;
  const config = await aave.dataProvider.getReserveConfigurationData(collateral);
  const category = Number(await aave.pool.getUserEMode(borrower));
  if (category !== 0) {
    const data = await aave.pool.getEModeCategoryData(category);
    const inCategory =
      aave.version === "v3.6"
        ? ((await aave.l2Pool.getEModeCategoryCollateralBitmap(category)) >> (await aave.pool.getReserveData(collateral)).id) % 2n === 1n
        : (await aave.dataProvider.getReserveEModeCategory(collateral)) === BigInt(category);
    if (inCategory) return Number(data.liquidationBonus) - 10_000;
  }
  return Number(config.liquidationBonus) - 10_000;
}

/** Tally of what the random positions exercised, so the test can show the rules were actually reached. */
interface Coverage {
  runs: number;
  planned: number;
  rules: Set<string>;
  cappedByCollateral: number;
  deficits: number;
  /** Plans whose fee rounding left the borrower short of scaled units (it depends on the indexes, so it is only counted). */
  feeClamped: number;
  dustRefusals: number;
  notLiquidatable: number;
  /** Random debtToCover values the model (and so the pool) refused as leaving dust. */
  dustRejected: number;
}

for (const version of SANDBOX_AAVE_VERSIONS) {
  const worldFixture = GENUINE_WORLD_FIXTURES[version];
  const v33Rules = version === "v3.6";

  describe(`Aave sizing on genuine ${version} bytecode`, function () {
    it("plans exactly what liquidationCall does, and replays any debtToCover as the pool does (random positions)", async function () {
      const world = await loadFixture(worldFixture);
      const coverage: Coverage = {
        runs: 0,
        planned: 0,
        rules: new Set(),
        cappedByCollateral: 0,
        deficits: 0,
        feeClamped: 0,
        dustRefusals: 0,
        notLiquidatable: 0,
        dustRejected: 0,
      };
      const positionArb = fc
        .record({
          pair: fc.constantFrom(...PAIRS),
          // Log-uniform $300 … $400k: both sides of the $2,000 rule, dust-sized and whale-sized positions.
          logDebtUsd: fc.double({ min: Math.log(300), max: Math.log(400_000), noNaN: true }),
          extraDebt: fc.option(fc.record({ pick: fc.nat(), usd: fc.integer({ min: 300, max: 60_000 }) }), { freq: 3 }),
          extraCollateral: fc.option(fc.record({ symbol: fc.constantFrom("USDC", "cbBTC"), usd: fc.integer({ min: 200, max: 30_000 }) }), {
            freq: 3,
          }),
          // Weighted towards the 0.95 switch; down to 0.5 for collateral-capped and bad-debt liquidations.
          targetHf: fc.oneof(fc.double({ min: 0.5, max: 1.0, noNaN: true }), fc.double({ min: 0.94, max: 0.96, noNaN: true })),
          argumentBps: fc.integer({ min: 1, max: 13_000 }),
        })
        .map(({ pair, logDebtUsd, extraDebt, extraCollateral, targetHf, argumentBps }) => {
          const others = BORROWABLE.filter((s) => s !== pair.debt && s !== pair.collateral);
          const spec: PositionSpec = {
            collateral: pair.collateral,
            debt: pair.debt,
            eMode: pair.eMode,
            debtUsd: Math.round(Math.exp(logDebtUsd) * 100) / 100,
            // In e-mode only WETH is borrowable; a second debt would have to be WETH again.
            extraDebt:
              extraDebt && !pair.eMode && others.length > 0
                ? { symbol: others[extraDebt.pick % others.length], usd: extraDebt.usd }
                : undefined,
            extraCollateral:
              extraCollateral && extraCollateral.symbol !== pair.collateral && extraCollateral.symbol !== pair.debt
                ? extraCollateral
                : undefined,
            targetHf,
          };
          return { spec, argumentBps };
        });

      await fc.assert(
        fc.asyncProperty(positionArb, async ({ spec, argumentBps }) => {
          const start = await takeSnapshot();
          try {
            coverage.runs++;
            const opened = await openPosition(world, spec);
            const borrower = opened.borrower.address as Address;
            const view = await keeperView(world.sandbox, borrower);
            const when = view.block.timestamp + 1;
            const input = sizingInputOf(view, borrower, opened.collateral, opened.debt);
            const result = sizeAaveV3Liquidation(input);
            const beforeLiquidation = await takeSnapshot();

            if (result.ok) {
              coverage.planned++;
              coverage.rules.add(result.candidate.sizingRule.replace(/^aave-/, ""));
              if (result.cappedByCollateral) coverage.cappedByCollateral++;
              if (result.badDebt > 0n) coverage.deficits++;
              const unclamped = aaveLiquidationOutcome(
                { ...input, collateral: { ...input.collateral, scaled: undefined } },
                executorArgument(result.candidate),
              );
              if (unclamped.protocolFee !== result.protocolFeeCollateral) coverage.feeClamped++;
              // The bonus the keeper sized with is the one the pool applies to this borrower.
              const keeperBonus = view.market
                .position(borrower)!
                .collaterals.find((c) => c.token === opened.collateral)!.liquidationBonusBps;
              expect(keeperBonus, "liquidation bonus").to.equal(await onChainBonus(world.sandbox, borrower, opened.collateral));
              const pool = await liquidateAt(world, {
                ...opened,
                borrower,
                debtToCover: executorArgument(result.candidate),
                timestamp: when,
              });
              expectPoolDidPlan(pool, result, `${JSON.stringify(spec)} planned ${result.candidate.sizingRule}`);
            } else {
              if (result.reason === "dust") coverage.dustRefusals++;
              else coverage.notLiquidatable++;
              // A refusal for a healthy position must match a pool refusal.
              if (input.healthFactor >= 10n ** 18n) {
                const pool = await liquidateAt(world, { ...opened, borrower, debtToCover: input.debt.userDebt, timestamp: when });
                expect(pool, "the pool refuses a healthy position too").to.deep.equal({
                  ok: false,
                  reason: "HealthFactorNotBelowThreshold",
                });
              }
            }

            // Any debtToCover (1 bp … 130% of the debt) goes through the keeper's model exactly as through the pool.
            if (input.healthFactor < 10n ** 18n) {
              await beforeLiquidation.restore();
              const argument = (input.debt.userDebt * BigInt(argumentBps)) / 10_000n + 1n;
              const model = aaveLiquidationOutcome(input, argument);
              const pool = await liquidateAt(world, { ...opened, borrower, debtToCover: argument, timestamp: when });
              const what = `${JSON.stringify(spec)} debtToCover ${argument}`;
              if (model.violatesDustRule) {
                coverage.dustRejected++;
                expect(pool, `${what}: the model says MUST_NOT_LEAVE_DUST`).to.deep.equal({ ok: false, reason: "MustNotLeaveDust" });
              } else {
                expect(pool, what).to.deep.equal({
                  ok: true,
                  debtRepaid: model.actualDebtToLiquidate,
                  collateralToLiquidator: model.collateralToLiquidator,
                  protocolFee: model.protocolFee,
                  deficit:
                    v33Rules && model.collateralToLiquidateBase >= input.totalCollateralBase
                      ? input.debt.userDebt - model.actualDebtToLiquidate
                      : 0n,
                });
              }
            }
          } finally {
            await start.restore();
          }
        }),
        { numRuns: GENUINE_RUNS, seed: Number(process.env.AAVE_GENUINE_SEED ?? 20261206) },
      );
      if (process.env.AAVE_GENUINE_COVERAGE) console.log(JSON.stringify({ ...coverage, rules: [...coverage.rules] }));
      // The random positions must have reached the rules they claim to prove.
      expect(coverage.planned, JSON.stringify({ ...coverage, rules: [...coverage.rules] })).to.be.greaterThan(coverage.runs / 2);
      expect(coverage.cappedByCollateral).to.be.greaterThan(0);
      const switchRules = [...coverage.rules].filter((rule) => /close-factor-(50|100)%/.test(rule));
      expect(new Set(switchRules.map((rule) => /50%/.test(rule)))).to.deep.equal(new Set([true, false]));
      if (v33Rules) expect(coverage.deficits).to.be.greaterThan(0);
      if (v33Rules) expect(coverage.dustRejected).to.be.greaterThan(0);
    });
  });
}
