/**
 * Liquidation scenarios shared by the sandbox suite (test/unit/liquidation-scenarios.test.ts) and the Base fork
 * suites (test/fork/*.fork.test.ts). See environment.ts for what each environment supplies.
 */
export * from "./environment";
export { FLASH_SOURCES, resolveFlashLoan, type FlashSourceName, type ResolvedFlashLoan } from "./flash-loans";
export {
  UNISWAP_V3_FEE_ROUTES,
  bestRoute,
  buildSwap,
  deepestUniswapV3Fee,
  describeRoute,
  quoteSwap,
  requireRouteLiquidity,
  uniswapPoolsOf,
  type SwapRouteSpec,
} from "./swap-routes";
export { executeAndCheck, type CheckedExecution, type PlanExpectations } from "./execution-checks";
export {
  aaveContracts,
  healthFactorOf,
  liquidateAavePosition,
  liquidateAaveWithKeeperSizing,
  makeAaveLiquidatable,
  openAavePosition,
  runAaveLiquidationScenario,
  variableDebtOf,
  type AaveLiquidationSpec,
  type AavePosition,
  type KeeperSizedLiquidation,
  type OpenAavePositionSpec,
  type PriceOverride,
} from "./aave-v3";
export {
  liquidateMorphoPosition,
  makeMorphoLiquidatable,
  marketLabel,
  morphoHealthOf,
  openMorphoPosition,
  overrideMorphoOraclePrice,
  type MorphoHealth,
  type MorphoLiquidationSpec,
  type MorphoPosition,
} from "./morpho-blue";
export {
  compoundHealthOf,
  liquidateCompoundPosition,
  makeCompoundLiquidatable,
  openCompoundPosition,
  type CompoundHealth,
  type CompoundLiquidationSpec,
  type CompoundPosition,
} from "./compound-v2";
export {
  discoverAaveWithKeeper,
  expectEverySizingDecided,
  expectKeeperAgreesWithPool,
  pickAaveBorrower,
  pushBorrowerAndReact,
  type BorrowerCriteria,
  type DiscoveredAaveMarket,
} from "./keeper-dry-run";
