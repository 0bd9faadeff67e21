/**
 * The sandbox: a local Base-like market (Aave V3, Uniswap V3, Balancer V2, Morpho Blue, Multicall3, canonical WETH,
 * Chainlink-style feeds) built from genuine protocol bytecode, plus helpers that populate and move it.
 * See sandbox/README.md for what is deployed and how to use it.
 */
export { buildSandbox, SANDBOX_CHAIN_ID } from "./build-sandbox";
export type {
  Sandbox,
  SandboxOptions,
  SandboxToken,
  SandboxTokens,
  SandboxAave,
  SandboxAaveV36,
  SandboxAaveV302,
  SandboxAaveVersion,
  SandboxUniswap,
  SandboxMorpho,
} from "./sandbox-types";
export { SANDBOX_AAVE_VERSIONS, parseAaveVersion } from "./aave-versions";
export { setAaveFlashPremium, listAaveReserve, type ExtraAaveReserve } from "./aave-admin";
export { SANDBOX_RESERVES, SANDBOX_POOLS, SANDBOX_MORPHO_MARKETS, SANDBOX_EMODES, AAVE_FLASH_PREMIUM_BPS } from "./market-spec";
export type { SandboxReserveSpec, SandboxPoolSpec, SandboxMorphoMarketSpec, SandboxEModeSpec } from "./market-spec";
export { MULTICALL3_ADDRESS, BASE_WETH_ADDRESS } from "./canonical-contracts";
export { uniswapPoolKey, findUniswapPool } from "./uniswap-venue";
export { marketTuple, morphoMarketId } from "./morpho-blue";
export { seededRandom, type SeededRandom } from "./random";
export { openAaveBorrowers, openMorphoBorrowers } from "./borrowers";
export type { OpenedBorrower, AaveBorrowerSpec, MorphoBorrowerSpec, NumberRange } from "./borrowers";
export { setPrice, alignPoolWithFeeds, fundAccount, mineBlocks, advanceTime, type SetPriceOptions } from "./market-moves";
export { describeSandbox, describeProtocolVersions } from "./describe-sandbox";
export { writeSandboxAddressBook, readSandboxAddressBook, sandboxAddressBookPath } from "./address-book-file";
export { mintTo, ensureDeployerHolds, ensureEth, tokenBySymbol } from "./token-supply";
export { usdToFeedAnswer, percentToBps } from "./market-spec";
export {
  sqrtPriceX96FromUsd,
  humanPriceFromSqrtX96,
  fullRangeTicks,
  bigintSqrt,
  MIN_SQRT_RATIO,
  MAX_SQRT_RATIO,
  TICK_SPACING,
} from "./uniswap-math";
export { addMoonwellOevMarket, openMoonwellBorrowers, SANDBOX_OEV_WRAPPER } from "./moonwell-oev-market";
export type { SandboxMoonwell, SandboxWithMoonwell, MoonwellBorrowerSpec } from "./moonwell-oev-market";
export { addMoonwellMorphoOevMarket, openMorphoOevBorrower } from "./moonwell-morpho-oev-market";
export type { SandboxMorphoOevMarket, MorphoOevMarketOptions } from "./moonwell-morpho-oev-market";
