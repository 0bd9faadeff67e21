/**
 * The keeper's strategy: pure functions from positions, prices, liquidity and quotes to ranked plans.
 * No I/O, no signing, no clock: everything arrives as an argument.
 */
export * from "./sizing/aave-v3";
export * from "./sizing/morpho-blue";
export * from "./sizing/moonwell";
export type { SizingResult, SizedLiquidation, SizingRefusal } from "./sizing/sizing-result";
export { chooseFlashSource, flashFee, ZERO_ADDRESS } from "./flash-source";
export type { FlashChoice, FlashSourceDecision, FlashSourceRequest } from "./flash-source";
export { chooseSwapRoute } from "./route";
export type { RouteDecision, RouteRequest } from "./route";
export { computeEconomics, minProfitWithHaircut, gweiToWei } from "./economics";
export type { Economics, EconomicsInput } from "./economics";
export { planId, comparePlans, rankPlans } from "./ranking";
export { chooseBestPair } from "./pair-choice";
export { buildLiquidationPlan } from "./build-plan";
export type { BuildPlanInput, PlanMarketContext, StrategySettings } from "./build-plan";
