/**
 * The shape of a built sandbox: typed contract handles for tests and scenarios, plus the AddressBook the keeper reads.
 * Kept apart from the builder so helpers (borrowers, price moves, descriptions) depend on the shape, not on how it
 * is built.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type {
  AaveOracle,
  AaveProtocolDataProvider,
  IrmMock,
  L2PoolInstance,
  MintableERC20,
  MockV3Aggregator,
  Morpho,
  NonfungiblePositionManager,
  Pool,
  PoolAddressesProvider,
  PoolConfigurator,
  PoolConfiguratorInstance,
  QuoterV2,
  SandboxBorrowerFactory,
  SwapRouter02,
  UniswapV3Factory,
  Vault,
  WETH9,
} from "../typechain-types";
import type { Address, AddressBook, MorphoMarketParams } from "../keeper/config/address-book";
import type { SandboxMoonwell } from "./moonwell-oev-market";

/** The Aave versions the sandbox can stand up (sandbox/aave-market.ts). */
export type SandboxAaveVersion = "v3.6" | "v3.0.2";

export interface SandboxOptions {
  /**
   * Recorded on the sandbox as the default seed for scenarios. The build itself draws no randomness: the same chain
   * state always comes out.
   */
  readonly seed?: number;
  /** Which Aave market to deploy: "v3.6" (the default, as Base runs it) or "v3.0.2" (for version-specific tests). */
  readonly aaveVersion?: SandboxAaveVersion;
}

/** Any sandbox token: all of them speak ERC-20; WETH9 is typed as itself, the others are Aave's MintableERC20. */
export type SandboxToken = MintableERC20 | WETH9;

/** Tokens by symbol. WETH is the canonical WETH9 at 0x4200…0006; the rest can be minted by anyone (test tokens). */
export interface SandboxTokens {
  readonly WETH: WETH9;
  readonly USDC: MintableERC20;
  readonly cbBTC: MintableERC20;
  readonly cbETH: MintableERC20;
  readonly [symbol: string]: SandboxToken;
}

/**
 * The handles both versions share. They use the v3.0.2 TypeChain bindings: every function the two versions have in
 * common has the same ABI in both (test/unit/sandbox-aave-versions.test.ts), so `pool.liquidationCall`,
 * `dataProvider.getUserReserveData` & co. work unchanged on either. Custom errors and v3.1+ functions (grace periods,
 * deficits) need the v3.6 bindings: `l2Pool`.
 */
interface SandboxAaveCommon {
  readonly version: SandboxAaveVersion;
  /** `POOL_REVISION()` as read from the deployed pool (10 for v3.6, 1 for v3.0.2). */
  readonly revision: number;
  readonly addressesProvider: PoolAddressesProvider;
  readonly pool: Pool;
  readonly oracle: AaveOracle;
  readonly dataProvider: AaveProtocolDataProvider;
}

export interface SandboxAaveV36 extends SandboxAaveCommon {
  readonly version: "v3.6";
  readonly configurator: PoolConfiguratorInstance;
  /** The same pool with v3.6's own ABI (custom errors, grace periods, deficits, e-mode bitmaps). */
  readonly l2Pool: L2PoolInstance;
}

export interface SandboxAaveV302 extends SandboxAaveCommon {
  readonly version: "v3.0.2";
  readonly configurator: PoolConfigurator;
}

/** Narrow on `version` for what only one version has (the configurators differ most). */
export type SandboxAave = SandboxAaveV36 | SandboxAaveV302;

export interface SandboxUniswap {
  readonly factory: UniswapV3Factory;
  readonly router: SwapRouter02;
  readonly quoter: QuoterV2;
  readonly positionManager: NonfungiblePositionManager;
  /**
   * Pool addresses keyed `${first}/${second}/${fee}` in the order SANDBOX_POOLS lists them ("WETH/USDC/500",
   * "WETH/USDC/3000", "cbBTC/USDC/500", "cbBTC/WETH/3000"), NOT the on-chain token0/token1 order. Use
   * `findUniswapPool` to look one up with the symbols in either order.
   */
  readonly pools: Readonly<Record<string, Address>>;
}

export interface SandboxMorpho {
  readonly morpho: Morpho;
  readonly irm: IrmMock;
  /** Index = the `market` number openMorphoBorrowers takes: 0 = WETH/USDC 86%, 1 = cbBTC/USDC 86%. */
  readonly markets: readonly MorphoMarketParams[];
}

export interface Sandbox {
  /** network "sandbox", chainId 8453; aaveV3.liquidationRules "v3.3" on the v3.6 market, "v3.0" on v3.0.2. */
  readonly book: AddressBook;
  /** Owns and administers everything in the sandbox, and is the liquidity provider of every venue. */
  readonly deployer: HardhatEthersSigner;
  readonly seed: number;
  readonly tokens: SandboxTokens;
  /** Chainlink MockV3Aggregator per symbol, 8-decimal USD answers; move them with setPrice. */
  readonly priceFeeds: Readonly<Record<string, MockV3Aggregator>>;
  /** Chainlink-style L2 sequencer uptime feed: answer 0 = up, 1 = down. */
  readonly sequencerUptimeFeed: MockV3Aggregator;
  readonly aave: SandboxAave;
  readonly uniswap: SandboxUniswap;
  readonly balancer: { readonly vault: Vault };
  readonly morpho: SandboxMorpho;
  /** Test-only contract that opens many borrowers per transaction (see contracts/test/SandboxBorrowerFactory.sol). */
  readonly borrowerFactory: SandboxBorrowerFactory;
  /** Moonwell doubles behind OEV wrappers, once addMoonwellOevMarket added them (book.moonwell too). */
  readonly moonwell?: SandboxMoonwell;
}
