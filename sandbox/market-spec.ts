/**
 * What the sandbox market looks like: reserves, risk parameters, prices, pool depths. Values mirror Aave V3 on Base
 * where a counterpart exists (risk parameters rounded), so liquidation sizes and bonuses behave as they do there.
 * Everything numeric is in human units (USD, whole tokens, percent); the builders convert.
 */

/** One Aave reserve (and token) of the sandbox. */
export interface SandboxReserveSpec {
  readonly symbol: string;
  readonly name: string;
  readonly decimals: number;
  /** Starting Chainlink price in USD (8-decimal feed). */
  readonly priceUsd: number;
  /** Aave risk parameters, percent. */
  readonly ltvPercent: number;
  readonly liquidationThresholdPercent: number;
  /** The bonus a liquidator earns on seized collateral, percent (5 means Aave's 10500). */
  readonly liquidationBonusPercent: number;
  /** Share of the bonus Aave keeps (Base: 10%), percent. */
  readonly liquidationProtocolFeePercent: number;
  readonly reserveFactorPercent: number;
  readonly borrowingEnabled: boolean;
  /** Variable-rate curve, percent per year. */
  readonly rates: {
    readonly optimalUsagePercent: number;
    readonly baseVariablePercent: number;
    readonly slope1Percent: number;
    readonly slope2Percent: number;
  };
  /** Whole tokens the deployer supplies to Aave at build time so borrowers have something to borrow. */
  readonly initialAaveSupply: number;
  /** Whole tokens parked in the Balancer V2 vault: Balancer flash loans lend the vault's own balance. */
  readonly balancerFlashLiquidity: number;
}

/**
 * The four reserves. cbETH deliberately has NO Uniswap pool: it is the scenario's "collateral with no liquid route",
 * which the keeper must recognise (and skip or route through a flash source of the collateral itself).
 */
export const SANDBOX_RESERVES: readonly SandboxReserveSpec[] = [
  {
    symbol: "WETH",
    name: "Wrapped Ether",
    decimals: 18,
    priceUsd: 3_000,
    ltvPercent: 80,
    liquidationThresholdPercent: 82.5,
    liquidationBonusPercent: 5,
    liquidationProtocolFeePercent: 10,
    reserveFactorPercent: 15,
    borrowingEnabled: true,
    rates: { optimalUsagePercent: 90, baseVariablePercent: 0, slope1Percent: 2.7, slope2Percent: 80 },
    initialAaveSupply: 10_000,
    balancerFlashLiquidity: 10_000,
  },
  {
    symbol: "USDC",
    name: "USD Coin",
    decimals: 6,
    priceUsd: 1,
    ltvPercent: 75,
    liquidationThresholdPercent: 78,
    liquidationBonusPercent: 5,
    liquidationProtocolFeePercent: 10,
    reserveFactorPercent: 10,
    borrowingEnabled: true,
    rates: { optimalUsagePercent: 90, baseVariablePercent: 0, slope1Percent: 6.5, slope2Percent: 60 },
    initialAaveSupply: 50_000_000,
    balancerFlashLiquidity: 50_000_000,
  },
  {
    symbol: "cbBTC",
    name: "Coinbase Wrapped BTC",
    decimals: 8,
    priceUsd: 60_000,
    ltvPercent: 73,
    liquidationThresholdPercent: 78,
    liquidationBonusPercent: 7.5,
    liquidationProtocolFeePercent: 10,
    reserveFactorPercent: 20,
    borrowingEnabled: true,
    rates: { optimalUsagePercent: 80, baseVariablePercent: 0, slope1Percent: 4, slope2Percent: 300 },
    initialAaveSupply: 200,
    balancerFlashLiquidity: 500,
  },
  {
    symbol: "cbETH",
    name: "Coinbase Wrapped Staked ETH",
    decimals: 18,
    priceUsd: 3_300,
    ltvPercent: 67,
    liquidationThresholdPercent: 74,
    liquidationBonusPercent: 7.5,
    liquidationProtocolFeePercent: 10,
    reserveFactorPercent: 15,
    // Collateral-only, as the scenario needs: nobody borrows cbETH in the sandbox.
    borrowingEnabled: false,
    rates: { optimalUsagePercent: 45, baseVariablePercent: 0, slope1Percent: 7, slope2Percent: 300 },
    initialAaveSupply: 0,
    balancerFlashLiquidity: 2_000,
  },
];

/**
 * An Aave e-mode category. Base lists one ("ETH correlated", AaveV3BaseEModes.ETH_CORRELATED = 1): correlated
 * collateral borrows correlated debt at higher LTV, threshold and a smaller bonus. v3.2+ pools keep per-category
 * collateral and borrowable bitmaps; v3.0.2 pools assign each listed asset to the category instead.
 */
export interface SandboxEModeSpec {
  readonly id: number;
  readonly label: string;
  readonly ltvPercent: number;
  readonly liquidationThresholdPercent: number;
  readonly liquidationBonusPercent: number;
  /** Symbols whose supply counts with the category's LTV/threshold/bonus. */
  readonly collateral: readonly string[];
  /** Symbols a user in the category may borrow. */
  readonly borrowable: readonly string[];
}

/** Base's ETH-correlated category, rounded (90% LTV, 93% threshold, 1% bonus). */
export const SANDBOX_EMODES: readonly SandboxEModeSpec[] = [
  {
    id: 1,
    label: "ETH correlated",
    ltvPercent: 90,
    liquidationThresholdPercent: 93,
    liquidationBonusPercent: 1,
    collateral: ["WETH", "cbETH"],
    borrowable: ["WETH"],
  },
];

/** Aave's flash-loan premium on Base: 5 bps. */
export const AAVE_FLASH_PREMIUM_BPS = 5;

/** A Uniswap V3 pool the sandbox creates with full-range liquidity at the feeds' prices. */
export interface SandboxPoolSpec {
  /** Listed order; the pool's key is `${first}/${second}/${fee}` whatever the on-chain token0/token1 order. */
  readonly first: string;
  readonly second: string;
  readonly fee: 100 | 500 | 3000 | 10000;
  /** Total value locked, USD, split evenly between both tokens. */
  readonly depthUsd: number;
}

/**
 * Full-range pools (a $50k swap on the $200M WETH/USDC/500 pool slips about 0.05% and moves its price ~0.1%). The shallower 0.3%
 * WETH/USDC pool gives the router a second, worse venue to choose against. No pool holds cbETH (see above).
 */
export const SANDBOX_POOLS: readonly SandboxPoolSpec[] = [
  { first: "WETH", second: "USDC", fee: 500, depthUsd: 200_000_000 },
  { first: "WETH", second: "USDC", fee: 3000, depthUsd: 20_000_000 },
  { first: "cbBTC", second: "USDC", fee: 500, depthUsd: 100_000_000 },
  { first: "cbBTC", second: "WETH", fee: 3000, depthUsd: 50_000_000 },
];

/** A Morpho Blue market: collateral and loan by symbol, LLTV in percent (Morpho only allows governance-enabled LLTVs). */
export interface SandboxMorphoMarketSpec {
  readonly collateral: string;
  readonly loan: string;
  readonly lltvPercent: number;
  /** Whole loan tokens the deployer supplies so borrowers can borrow and flash loans have liquidity. */
  readonly initialSupply: number;
}

export const SANDBOX_MORPHO_MARKETS: readonly SandboxMorphoMarketSpec[] = [
  { collateral: "WETH", loan: "USDC", lltvPercent: 86, initialSupply: 50_000_000 },
  { collateral: "cbBTC", loan: "USDC", lltvPercent: 86, initialSupply: 50_000_000 },
];

/** Converts a percent (82.5) to Aave's basis points (8250). */
export function percentToBps(percent: number): bigint {
  return BigInt(Math.round(percent * 100));
}

/** Converts a USD amount to an 8-decimal Chainlink answer. */
export function usdToFeedAnswer(usd: number): bigint {
  // Below 9e7 USD, usd * 1e8 stays under 2^53, so rounding the float is exact to the feed's last digit.
  if (!Number.isFinite(usd) || usd <= 0 || usd >= 90_000_000) {
    throw new Error(`a USD price must be a finite number in (0, 90,000,000), got ${usd}`);
  }
  return BigInt(Math.round(usd * 1e8));
}
