/**
 * Under-water positions on the sandbox's genuine Aave V3 and Morpho Blue for the executor tests: opened with the
 * sandbox's borrower helpers, then pushed under water by moving the collateral's Chainlink price with the Uniswap pools
 * arbitraged to follow (sandbox `setPrice(..., { movePools: true })`), so seized collateral sells at the new price and
 * the profit a test sees is the liquidation bonus, not a stale pool.
 */
import hre from "hardhat";
import { expect } from "chai";
import { morphoMarketId, openAaveBorrowers, openMorphoBorrowers, setPrice, type Sandbox } from "../../../../sandbox";
import type { Address, MorphoMarketParams } from "../../../../keeper/config/address-book";

const WAD = 10n ** 18n;

export interface UnhealthyAavePosition {
  readonly borrower: Address;
  readonly collateralToken: Address;
  readonly debtToken: Address;
  /** The borrower's variable debt after the price move. */
  readonly debt: bigint;
  /** Half the debt: within Aave v3.0's 50% close factor at any health factor. */
  readonly debtToCover: bigint;
  readonly healthFactor: bigint;
}

export interface UnhealthyMorphoPosition {
  readonly borrower: Address;
  readonly market: MorphoMarketParams;
  readonly collateral: bigint;
  readonly borrowShares: bigint;
}

export async function currentUsdPrice(sandbox: Sandbox, symbol: string): Promise<number> {
  return Number((await sandbox.priceFeeds[symbol].latestRoundData()).answer) / 1e8;
}

/** Moves `symbol`'s price down by `dropFraction` (0.05 = 5%) on its feed and in its Uniswap pools. */
export async function dropPrice(sandbox: Sandbox, symbol: string, dropFraction: number): Promise<void> {
  await setPrice(hre, sandbox, symbol, (await currentUsdPrice(sandbox, symbol)) * (1 - dropFraction), { movePools: true });
}

/**
 * Opens `count` Aave borrowers at health factor `openAt`, then drops the collateral price by `dropFraction`.
 * Defaults: WETH/USDC, $20k, HF 1.04 -> ~0.98 after a 6% drop.
 */
export async function unhealthyAavePositions(
  sandbox: Sandbox,
  options: {
    count?: number;
    seed?: number;
    collateral?: string;
    debt?: string;
    debtUsd?: number;
    openAt?: number;
    dropFraction?: number;
  } = {},
): Promise<UnhealthyAavePosition[]> {
  const collateral = options.collateral ?? "WETH";
  const debt = options.debt ?? "USDC";
  const openAt = options.openAt ?? 1.04;
  const debtUsd = options.debtUsd ?? 20_000;
  const opened = await openAaveBorrowers(hre, sandbox, {
    count: options.count ?? 1,
    seed: options.seed ?? 11,
    collateral,
    debt,
    healthFactor: { min: openAt, max: openAt },
    debtUsd: { min: debtUsd, max: debtUsd },
  });
  await dropPrice(sandbox, collateral, options.dropFraction ?? 0.06);
  const { pool, dataProvider } = sandbox.aave;
  const collateralToken = sandbox.book.tokens[collateral].address;
  const debtToken = sandbox.book.tokens[debt].address;
  const positions: UnhealthyAavePosition[] = [];
  for (const { address: borrower } of opened) {
    const { healthFactor } = await pool.getUserAccountData(borrower);
    expect(healthFactor, `Aave borrower ${borrower} should be liquidatable`).to.be.lessThan(WAD);
    const { currentVariableDebt } = await dataProvider.getUserReserveData(debtToken, borrower);
    positions.push({
      borrower,
      collateralToken,
      debtToken,
      debt: currentVariableDebt,
      debtToCover: currentVariableDebt / 2n,
      healthFactor,
    });
  }
  return positions;
}

/**
 * Opens `count` Morpho Blue borrowers in market `market` (0 = WETH/USDC 86%) at `openAt` (maxBorrow / borrowed), then
 * drops the collateral price by `dropFraction`. Defaults: $20k, 1.03 -> ~0.98 after 5%.
 */
export async function unhealthyMorphoPositions(
  sandbox: Sandbox,
  options: { market?: number; count?: number; seed?: number; debtUsd?: number; openAt?: number; dropFraction?: number } = {},
): Promise<UnhealthyMorphoPosition[]> {
  const marketIndex = options.market ?? 0;
  const market = sandbox.morpho.markets[marketIndex];
  const openAt = options.openAt ?? 1.03;
  const debtUsd = options.debtUsd ?? 20_000;
  const opened = await openMorphoBorrowers(hre, sandbox, {
    market: marketIndex,
    count: options.count ?? 1,
    seed: options.seed ?? 13,
    healthFactor: { min: openAt, max: openAt },
    debtUsd: { min: debtUsd, max: debtUsd },
  });
  await dropPrice(sandbox, opened[0].collateral, options.dropFraction ?? 0.05);
  const id = morphoMarketId(market);
  const positions: UnhealthyMorphoPosition[] = [];
  for (const { address: borrower } of opened) {
    const position = await sandbox.morpho.morpho.position(id, borrower);
    positions.push({ borrower, market, collateral: position.collateral, borrowShares: position.borrowShares });
  }
  return positions;
}
