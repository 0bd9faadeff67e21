/**
 * A market scenario, independent of where it is played: a population of positions to open (where the
 * market lets us open them: the sandbox) and a sequence of price steps. A `MarketHandle` applies each
 * step to a concrete market: the sandbox here, a Base fork in the fork tests (which override feed
 * answers instead of owning the feeds), so one scenario definition exercises both.
 */
import type { AddressBook } from "../config/address-book";
// The population is opened only where the market lets us (the sandbox), so its groups take the sandbox's ranges.
import type { NumberRange } from "../../sandbox/borrowers";

/** One feed moved to a USD price. */
export interface PriceMove {
  readonly symbol: string;
  readonly usd: number;
}

export interface ScenarioStep {
  readonly label: string;
  readonly moves: readonly PriceMove[];
}

/** What a scenario needs from the market it plays on. */
export interface MarketHandle {
  readonly book: AddressBook;
  /** The feed's current USD price of `symbol`. */
  priceOf(symbol: string): Promise<number>;
  /**
   * Applies every move in ONE new block (feeds, and the DEX pools re-aligned to them where the handle
   * can), so "the block of the price update" is a single block a test can reason about. Returns it.
   */
  movePrices(moves: readonly PriceMove[]): Promise<number>;
  /** Mines one block with whatever is pending; returns its number. */
  mine(): Promise<number>;
}

/** What every borrower group has, whatever its protocol: a name, a size, and the ranges its positions are drawn from. */
interface BorrowerGroupBase {
  /** Names the group in reports and expectations ("dust", "no-route", "bulk-weth"...). */
  readonly tag: string;
  readonly count: number;
  readonly healthFactor: NumberRange;
  readonly debtUsd: NumberRange;
}

/** A group of Aave borrowers opened alike (sandbox). */
export interface AaveBorrowerGroup extends BorrowerGroupBase {
  readonly protocol: "aaveV3";
  readonly collateral: string;
  readonly debt: string;
}

/** A group of Morpho Blue borrowers in the sandbox market `market` (index into the book's list). */
export interface MorphoBorrowerGroup extends BorrowerGroupBase {
  readonly protocol: "morphoBlue";
  readonly market: number;
}

/**
 * A group of Moonwell borrowers (WETH collateral, USDC debt) on the sandbox's Moonwell doubles, whose feeds sit
 * behind OEV wrappers (sandbox/moonwell-oev-market.ts): a price step is hidden from everyone but a liquidator that
 * pays to unlock it. A scenario with such a group gets the Moonwell market added to its sandbox.
 */
export interface MoonwellBorrowerGroup extends BorrowerGroupBase {
  readonly protocol: "moonwell";
}

export type BorrowerGroup = AaveBorrowerGroup | MorphoBorrowerGroup | MoonwellBorrowerGroup;

/** What the scenario expects the keeper to do with a group. */
export type GroupExpectation =
  /**
   * Each borrower that becomes liquidatable is liquidated in the block after the keeper sees it; with `path`, every
   * liquidation of the group took that path ("oev": through the OEV wrapper, inside the hidden window).
   */
  | { readonly tag: string; readonly expect: "liquidated"; readonly path?: "oev" | "open" }
  /** Every borrower of the group is skipped with this journaled reason. */
  | { readonly tag: string; readonly expect: "skipped"; readonly reason: string };

export interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly seed: number;
  readonly population: readonly BorrowerGroup[];
  readonly steps: readonly ScenarioStep[];
  readonly expectations: readonly GroupExpectation[];
}

/** Applies a relative move to the current prices: `{ WETH: -0.06 }` → WETH 6% lower than now. */
export async function relativeMoves(handle: MarketHandle, changes: Readonly<Record<string, number>>): Promise<PriceMove[]> {
  const moves: PriceMove[] = [];
  for (const [symbol, change] of Object.entries(changes)) {
    if (!(change > -1)) throw new Error(`a price change for ${symbol} must be greater than -100%, got ${change * 100}%`);
    const usd = (await handle.priceOf(symbol)) * (1 + change);
    moves.push({ symbol, usd: Math.round(usd * 100) / 100 });
  }
  return moves;
}
