/**
 * The typed address book: every protocol address Chimera's code touches on one network. The sandbox
 * builder returns one of these for the in-process chain, and `BASE_ADDRESS_BOOK` / `MAINNET_ADDRESS_BOOK`
 * hold the real ones (sources in ../shared/BASE.md), so the keeper, tasks and tests run unchanged on
 * either. Anything marked "read at runtime" in BASE.md (Aave's Pool/Oracle behind its provider, the
 * reserve list) is resolved from the chain, not stored here.
 */

export type Address = `0x${string}`;

export interface TokenInfo {
  readonly symbol: string;
  readonly address: Address;
  readonly decimals: number;
}

/** An Aave V3 market (or any fork): everything else is read from its PoolAddressesProvider. */
export interface AaveV3Market {
  readonly label: string;
  readonly addressesProvider: Address;
  /** Convenience copies of what the provider returns; the keeper re-reads them at start. */
  readonly pool: Address;
  readonly oracle: Address;
  readonly dataProvider: Address;
  /**
   * The rule set the pool is expected to follow: v3.0.x (50% close factor) or v3.3+ (full close below 0.95 HF, dust
   * rule). Sizing follows the pool's own POOL_REVISION; a disagreement with this is logged as a warning.
   */
  readonly liquidationRules: "v3.0" | "v3.3";
  /** First block worth scanning for borrower events (the pool's deployment block). */
  readonly deployBlock: number;
}

/** One Morpho Blue market, identified by its MarketParams. */
export interface MorphoMarketParams {
  readonly label: string;
  readonly loanToken: Address;
  readonly collateralToken: Address;
  readonly oracle: Address;
  readonly irm: Address;
  /** Liquidation LTV, 18 decimals (e.g. 860000000000000000n for 86%). */
  readonly lltv: bigint;
}

export interface MorphoBlueDeployment {
  readonly morpho: Address;
  readonly markets: readonly MorphoMarketParams[];
  readonly deployBlock: number;
}

/** A Compound-v2-family market (Moonwell): markets are listed at runtime from the comptroller. */
export interface MoonwellDeployment {
  readonly label: string;
  readonly comptroller: Address;
  readonly oracle: Address;
  /** Underlying symbol -> market (mToken) address, for the ones the code names directly. */
  readonly markets: Readonly<Record<string, Address>>;
  readonly deployBlock: number;
}

export interface UniswapV3Deployment {
  readonly factory: Address;
  readonly swapRouter02: Address;
  readonly quoterV2: Address;
}

export interface AerodromeDeployment {
  readonly router: Address;
  readonly poolFactory: Address;
  readonly slipstreamRouter?: Address;
  readonly slipstreamQuoter?: Address;
}

/** Where flash liquidity comes from; an absent source is simply never chosen. */
export interface FlashSources {
  readonly balancerVault?: Address;
  readonly morphoBlue?: Address;
  readonly aaveV3Pool?: Address;
  /** Uniswap V3 pools usable for `flash`, keyed "TOKEN0/TOKEN1/fee" by symbol. */
  readonly uniswapV3Pools?: Readonly<Record<string, Address>>;
}

export interface ChainlinkFeeds {
  readonly ethUsd?: Address;
  /** L2 sequencer uptime feed; absent on L1 and in the sandbox unless the sandbox deploys one. */
  readonly sequencerUptime?: Address;
}

export interface AddressBook {
  readonly network: string;
  readonly chainId: number;
  readonly multicall3: Address;
  readonly weth: Address;
  /** Symbol -> token. Keys are the symbols the code and configs use (WETH, USDC, cbBTC...). */
  readonly tokens: Readonly<Record<string, TokenInfo>>;
  readonly aaveV3?: AaveV3Market;
  readonly morphoBlue?: MorphoBlueDeployment;
  readonly moonwell?: MoonwellDeployment;
  readonly uniswapV3?: UniswapV3Deployment;
  readonly aerodrome?: AerodromeDeployment;
  readonly flash: FlashSources;
  readonly chainlink: ChainlinkFeeds;
}
