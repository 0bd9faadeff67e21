/** A competing liquidator for the clock-driven sandbox (see rival-liquidator.ts). */
export { positionsPricedBy, RivalLiquidator, type RivalAttempt, type RivalLiquidatorOptions, type RivalReaction } from "./rival-liquidator";
export { HealthBook, type HealthReading } from "./health-book";
