/** A competing liquidator for the clock-driven sandbox (see rival-liquidator.ts). */
export { RivalLiquidator, type RivalAttempt, type RivalLiquidatorOptions, type RivalReaction } from "./rival-liquidator";
