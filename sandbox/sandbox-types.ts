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
  MintableERC20,
  MockV3Aggregator,
  Morpho,
  NonfungiblePositionManager,
  Pool,
  PoolAddressesProvider,
  PoolConfigurator,
  QuoterV2,
  SandboxBorrowerFactory,
  SwapRouter02,
  UniswapV3Factory,
  Vault,
  WETH9,
} from "../typechain-types";
import type { Address, AddressBook, MorphoMarketParams } from "../keeper/config/address-book";

export interface SandboxOptions {
  /**
   * Recorded on the sandbox as the default seed for scenarios. The build itself draws no randomness: the same chain
   * state always comes out.
   */
  readonly seed?: number;
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

export interface SandboxAave {
  readonly addressesProvider: PoolAddressesProvider;
  readonly pool: Pool;
  readonly oracle: AaveOracle;
  readonly dataProvider: AaveProtocolDataProvider;
  readonly configurator: PoolConfigurator;
}

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
  /** network "sandbox", chainId 8453, aaveV3.liquidationRules "v3.0". */
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
}
