/**
 * A market as it WOULD be if one price feed answered a given value, without changing the market: what the engine
 * prepares plans ahead of the price with (engine/prepared-plans.ts). Only feeds whose answer IS the protocol's
 * price (`answer-is-price`) can be previewed; a `reread` feed's price comes through contracts the keeper does not
 * model. The preview shares the market's own integer formulas, so a plan sized on it equals the plan the market
 * sizes once that answer has really arrived.
 */
import type { Address, TrackedPosition } from "../core/types";
import type { LendingMarket, LiquidationPair } from "./market";
import type { SizingResult } from "./sizing-result";

export interface AnswerPreview {
  /** The answer the market holds now for the previewed feed. */
  readonly currentAnswer: bigint;
  position(borrower: Address): TrackedPosition | undefined;
  liquidationPairs(position: TrackedPosition): LiquidationPair[];
  sizeLiquidationWithReason(position: TrackedPosition, pair?: LiquidationPair): SizingResult;
}

/** A market that can preview an answer (Aave V3 and its forks today). */
export interface PreviewableMarket extends LendingMarket {
  previewAnswer(feed: Address, answer: bigint): AnswerPreview | null;
}

export function canPreviewAnswers(market: LendingMarket): market is PreviewableMarket {
  return typeof (market as Partial<PreviewableMarket>).previewAnswer === "function";
}
