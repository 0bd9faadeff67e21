/**
 * What the dashboard shows of the positions the markets keep in memory: how many sit in each
 * health-factor band (the histogram) and the N closest to liquidation. One pass over every position
 * with a bounded "nearest" list, so a market of 100,000 positions costs a few milliseconds, not a
 * sort of everything.
 */
import { WAD } from "../core/fixed-point";
import type { TrackedPosition } from "../core/types";

export interface PositionSource {
  readonly id: string;
  positions(): readonly TrackedPosition[];
}

export interface NearestPosition {
  readonly market: string;
  readonly borrower: string;
  /** Health factor as a plain number (1.0 = the liquidation threshold), 6 decimals. */
  readonly healthFactor: number;
  readonly debtUsd: number;
  readonly collateralUsd: number;
}

export interface PositionSummary {
  readonly tracked: number;
  readonly liquidatable: number;
  /** Positions with debt, by health-factor band; positions without debt are counted apart. */
  readonly histogram: readonly { readonly label: string; readonly count: number }[];
  readonly withoutDebt: number;
  readonly nearest: readonly NearestPosition[];
}

/** Upper bounds of the bands (exclusive); the last band is everything from 2 up. */
export const HEALTH_FACTOR_BANDS: readonly { readonly label: string; readonly below: number }[] = [
  { label: "< 0.95", below: 0.95 },
  { label: "0.95–1", below: 1 },
  { label: "1–1.01", below: 1.01 },
  { label: "1.01–1.05", below: 1.05 },
  { label: "1.05–1.1", below: 1.1 },
  { label: "1.1–1.25", below: 1.25 },
  { label: "1.25–1.5", below: 1.5 },
  { label: "1.5–2", below: 2 },
  { label: "≥ 2", below: Infinity },
];

/** Above this a position's "health factor" is the protocol's no-debt sentinel (e.g. uint256 max), not a ratio. */
const NO_DEBT_HEALTH_FACTOR = 10n ** 12n * WAD;

/** WAD health factor → number with 6 decimals (exact enough to rank and read). */
export function healthFactorNumber(wad: bigint): number {
  return Number(wad / 10n ** 12n) / 1e6;
}

export function summarisePositions(markets: readonly PositionSource[], nearestCount: number): PositionSummary {
  const counts = new Array<number>(HEALTH_FACTOR_BANDS.length).fill(0);
  let tracked = 0;
  let liquidatable = 0;
  let withoutDebt = 0;
  // Kept sorted by health factor, at most nearestCount long.
  const nearest: { hf: bigint; market: string; position: TrackedPosition }[] = [];
  for (const market of markets) {
    for (const position of market.positions()) {
      tracked += 1;
      const debtUsd = position.debts.reduce((sum, debt) => sum + debt.valueUsd, 0);
      if (position.healthFactor >= NO_DEBT_HEALTH_FACTOR || (position.debts.length === 0 && debtUsd === 0)) {
        withoutDebt += 1;
        continue;
      }
      if (position.healthFactor < WAD) liquidatable += 1;
      const hf = healthFactorNumber(position.healthFactor);
      counts[HEALTH_FACTOR_BANDS.findIndex((band) => hf < band.below)] += 1;
      if (nearestCount > 0 && (nearest.length < nearestCount || position.healthFactor < nearest[nearest.length - 1].hf)) {
        const at = nearest.findIndex((entry) => position.healthFactor < entry.hf);
        nearest.splice(at === -1 ? nearest.length : at, 0, { hf: position.healthFactor, market: market.id, position });
        if (nearest.length > nearestCount) nearest.pop();
      }
    }
  }
  return {
    tracked,
    liquidatable,
    withoutDebt,
    histogram: HEALTH_FACTOR_BANDS.map((band, i) => ({ label: band.label, count: counts[i] })),
    nearest: nearest.map(({ market, position }) => ({
      market,
      borrower: position.key.borrower,
      healthFactor: healthFactorNumber(position.healthFactor),
      debtUsd: round2(position.debts.reduce((sum, debt) => sum + debt.valueUsd, 0)),
      collateralUsd: round2(position.collaterals.reduce((sum, holding) => sum + holding.valueUsd, 0)),
    })),
  };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
