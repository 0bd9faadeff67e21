/**
 * Which decision stage a target the reaction bench missed lost its time to (bench/reaction.ts): the stage with the
 * largest p99 over the executions the target was judged on, from the keeper's run report (decisionStages). A target on
 * decision latency is judged on the stages its figure is made of only: decisionMs ends at the signature, and the send
 * after it was once named as the stage a missed first-plan p99 lost its time to.
 */
import { quantile } from "../keeper/run/run-recorder";

/** A target the run missed, with the decision stage that took the most time in the figures it was judged on. */
export interface MissedTarget {
  readonly target: string;
  readonly value: number | null;
  /**
   * The stage with the largest p99 over the samples: before the simulation wait, reprice, prepared, earlier, size, gate
   * (execution-context.ts, ReactionMarks; `plan` for a plan the pipeline did not mark), then simulate, queue, journal,
   * sign, send.
   */
  readonly slowestStage: string | null;
  readonly slowestStageP99Ms: number | null;
  /** What else the figure depends on (the chain's own window for N+1). */
  readonly note?: string;
}

/** Stages of a run report's decisionStages that come after the signature, outside decisionMs (execution-stage.ts). */
export const AFTER_SIGNING = ["send"] as const;

/** The decision stage with the largest p99 over these executions, `outside` left out: where a missed target's time went. */
export function slowestStage(
  executions: readonly { decisionStages?: Record<string, number> }[],
  outside: readonly string[] = [],
): Omit<MissedTarget, "target" | "value"> {
  const names = new Set(executions.flatMap((e) => Object.keys(e.decisionStages ?? {})).filter((name) => !outside.includes(name)));
  let slowest: { name: string; p99: number } | null = null;
  for (const name of names) {
    const p99 = quantile(
      executions.flatMap((e) => (e.decisionStages?.[name] === undefined ? [] : [e.decisionStages[name]!])),
      0.99,
    );
    if (Number.isFinite(p99) && (slowest === null || p99 > slowest.p99)) slowest = { name, p99 };
  }
  return { slowestStage: slowest?.name ?? null, slowestStageP99Ms: slowest === null ? null : round1(slowest.p99) };
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
