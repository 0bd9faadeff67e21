/**
 * The real networks' address books. Sources for every Base address are in ../shared/BASE.md
 * (bgd-labs aave-address-book, moonwell-contracts-v2 chains/8453.json, protocol docs).
 */
import type { AddressBook } from "./address-book";

const MULTICALL3 = "0xcA11bde05977b3631167028862bE2a173976CA11";
const BALANCER_V2_VAULT = "0xBA12222222228d8Ba445958a75a0704d566BF2C8";
const MORPHO_BLUE = "0xBBBBBbbBBb9cC5e90e3b3Af64bdAF62C37EEFFCb";
/** Morpho's AdaptiveCurveIrm on Base (the IRM of Morpho-listed markets there). */
const MORPHO_ADAPTIVE_CURVE_IRM = "0x46415998764C29aB2a25CbeA6254146D50D22687";

// Addresses a book names more than once (a token in its list and as a Morpho market's token; Aave's pool as a market
// and as a flash lender): one constant each, so the copies cannot drift apart.
const BASE_WETH = "0x4200000000000000000000000000000000000006";
const BASE_USDC = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913";
const BASE_CBBTC = "0xcbB7C0000aB88B473b1f5aFd9ef808440eed33Bf";
const BASE_AAVE_V3_POOL = "0xA238Dd80C259a72e81d7e4664a9801593F98d1c5";
const MAINNET_WETH = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2";
const MAINNET_AAVE_V3_POOL = "0x87870Bca3F3fD6335C3F4ce8392D69350B4fA4E2";

export const BASE_ADDRESS_BOOK: AddressBook = {
  network: "base",
  chainId: 8453,
  multicall3: MULTICALL3,
  weth: BASE_WETH,
  tokens: {
    WETH: { symbol: "WETH", address: BASE_WETH, decimals: 18 },
    USDC: { symbol: "USDC", address: BASE_USDC, decimals: 6 },
    USDbC: { symbol: "USDbC", address: "0xd9aAEc86B65D86f6A7B5B1b0c42FFA531710b6CA", decimals: 6 },
    cbETH: { symbol: "cbETH", address: "0x2Ae3F1Ec7F1F5012CFEab0185bfc7aa3cf0DEc22", decimals: 18 },
    wstETH: { symbol: "wstETH", address: "0xc1CBa3fCea344f92D9239c08C0568f6F2F0ee452", decimals: 18 },
    weETH: { symbol: "weETH", address: "0x04C0599Ae5A44757c0af6F9eC3b93da8976c150A", decimals: 18 },
    cbBTC: { symbol: "cbBTC", address: BASE_CBBTC, decimals: 8 },
  },
  aaveV3: {
    label: "Aave V3 Base",
    addressesProvider: "0xe20fCBdBfFC4Dd138cE8b2E6FBb6CB49777ad64D",
    pool: BASE_AAVE_V3_POOL,
    oracle: "0x2Cc0Fc26eD4563A5ce5e8bdcfe1A2878676Ae156",
    // Read from the provider at runtime (getPoolDataProvider); this is the last known value.
    dataProvider: "0xd82a47fdebB5bf5329b09441C3DaB4b5df2153Ad",
    liquidationRules: "v3.3",
    deployBlock: 2_357_134,
  },
  morphoBlue: {
    morpho: MORPHO_BLUE,
    // The markets the keeper's Morpho plug-in tracks on Base (nothing discovers CreateMarket events at runtime).
    // Each is checked: keccak256(abi.encode(params)) equals the market id Morpho publishes for it, and the fork tests
    // compare the params with Morpho's idToMarketParams at the pinned block.
    markets: [
      {
        // id 0x8793cf302b8ffd655ab97bd1c695dbd967807e8367a65cb2f4edaf1380ba1bda
        label: "WETH/USDC 86%",
        loanToken: BASE_USDC,
        collateralToken: BASE_WETH,
        oracle: "0xFEa2D58cEfCb9fcb597723c6bAE66fFE4193aFE4",
        irm: MORPHO_ADAPTIVE_CURVE_IRM,
        lltv: 860_000_000_000_000_000n,
      },
      {
        // id 0x9103c3b4e834476c9a62ea009ba2c884ee42e94e6e314a26f04d312434191836
        label: "cbBTC/USDC 86%",
        loanToken: BASE_USDC,
        collateralToken: BASE_CBBTC,
        oracle: "0x663BECd10daE6C4A3Dcd89F1d76c1174199639B9",
        irm: MORPHO_ADAPTIVE_CURVE_IRM,
        lltv: 860_000_000_000_000_000n,
      },
    ],
    deployBlock: 13_977_148,
  },
  moonwell: {
    label: "Moonwell Base",
    comptroller: "0xfBb21d0380beE3312B33c4353c8936a0F13EF26C",
    oracle: "0xEC942bE8A8114bFD0396A5052c36027f2cA6a9d0",
    markets: {
      USDC: "0xEdc817A28E8B93B03976FBd4a3dDBc9f7D176c22",
      WETH: "0x628ff693426583D9a7FB391E54366292F509D457",
      cbBTC: "0xF877ACaFA28c19b96727966690b2f44d35aD5976",
      cbETH: "0x3bf93770f2d4a794c3d9EBEfBAeBAE2a8f09A5E5",
    },
    deployBlock: 1_700_000,
  },
  uniswapV3: {
    factory: "0x33128a8fC17869897dcE68Ed026d694621f6FDfD",
    swapRouter02: "0x2626664c2603336E57B271c5C0b26F421741e481",
    quoterV2: "0x3d4e44Eb1374240CE5F1B871ab261CD16335B76a",
  },
  aerodrome: {
    router: "0xcF77a3Ba9A5CA399B7c97c74d54e5b1Beb874E43",
    poolFactory: "0x420DD381b31aEf6683db6B902084cB0FFECe40Da",
    slipstreamRouter: "0xBE6D8f0d05cC4be24d5167a3eF062215bE6D18a5",
    slipstreamQuoter: "0x254cF9E1E6e233aa1AC962CB9B05b2cfeAaE15b0",
  },
  flash: {
    balancerVault: BALANCER_V2_VAULT,
    morphoBlue: MORPHO_BLUE,
    aaveV3Pool: BASE_AAVE_V3_POOL,
  },
  chainlink: {
    ethUsd: "0x71041dddad3595F9CEd3DcCFBe3D1F4b0a16Bb70",
    sequencerUptime: "0xBCF85224fc0756B9Fa45aA7892530B47e10b6433",
  },
};

/** Ethereum mainnet: used for the bundle-relay path (Flashbots serves mainnet, not Base). */
export const MAINNET_ADDRESS_BOOK: AddressBook = {
  network: "mainnet",
  chainId: 1,
  multicall3: MULTICALL3,
  weth: MAINNET_WETH,
  tokens: {
    WETH: { symbol: "WETH", address: MAINNET_WETH, decimals: 18 },
    USDC: { symbol: "USDC", address: "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48", decimals: 6 },
    WBTC: { symbol: "WBTC", address: "0x2260FAC5E5542a773Aa44fBCfeDf7C193bc2C599", decimals: 8 },
  },
  aaveV3: {
    label: "Aave V3 Ethereum",
    addressesProvider: "0x2f39d218133AFaB8F2B819B1066c7E434Ad94E9e",
    pool: MAINNET_AAVE_V3_POOL,
    oracle: "0x54586bE62E3c3580375aE3723C145253060Ca0C2",
    dataProvider: "0x41393e5e337606dc3821075Af65AeE84D7688CBD",
    liquidationRules: "v3.3",
    deployBlock: 16_291_127,
  },
  morphoBlue: { morpho: MORPHO_BLUE, markets: [], deployBlock: 18_883_124 },
  uniswapV3: {
    factory: "0x1F98431c8aD98523631AE4a59f267346ea31F984",
    swapRouter02: "0x68b3465833fb72A70ecDF485E0e4C7bD8665Fc45",
    quoterV2: "0x61fFE014bA17989E743c5F6cB21bF9697530B21e",
  },
  flash: {
    balancerVault: BALANCER_V2_VAULT,
    morphoBlue: MORPHO_BLUE,
    aaveV3Pool: MAINNET_AAVE_V3_POOL,
  },
  chainlink: { ethUsd: "0x5f4eC3Df9cbd43714FE2740f5E3616155c5b8419" },
};

export const ADDRESS_BOOKS_BY_CHAIN_ID: Readonly<Record<number, AddressBook>> = {
  8453: BASE_ADDRESS_BOOK,
  1: MAINNET_ADDRESS_BOOK,
};
