/**
 * The run's settled figures (run-report.ts `runSettlement`) for what asks for them every block: the progress line and
 * /status (the quick start reads /status at every 200 ms block). Each answer used to list every execution of the run
 * from the journal and map every row — 0.7 s of CPU in a 28 s quick start (profile of its keeper process, load
 * average 6.4), growing with the run — while the figures change only when an execution is created or settles.
 *
 * Every such change adds a row to execution_transitions. So the run's executions are kept here, and each read asks
 * the journal for the newest transition's id (one indexed lookup): unchanged, the last answer holds; moved, only the
 * executions with a newer transition are read and replaced. The first read (and a change in the adopted set) lists
 * the run once, as runSettlement does.
 */
import type { ExecutionRecord } from "../journal/records";
import type { Journal } from "../journal/journal";
import { settlementOf, type RunSettlement } from "./run-report";

export class RunSettlementCache {
  /** The run's own executions (created since startedAtMs) and the adopted ones, by plan id. */
  #executions = new Map<string, ExecutionRecord>();
  #mark = -1;
  #adopted = "";
  #settlement: RunSettlement | null = null;

  constructor(
    private readonly journal: Journal,
    private readonly startedAtMs: number,
  ) {}

  /** The figures as `runSettlement` gives them now. */
  current(adoptedPlanIds: readonly string[] = []): RunSettlement {
    // Read before the executions: a change landing in between is read again next time, never skipped.
    const mark = this.journal.lastExecutionTransitionId();
    const adopted = adoptedPlanIds.join(",");
    if (this.#settlement !== null && mark === this.#mark && adopted === this.#adopted) return this.#settlement;
    if (this.#settlement === null || adopted !== this.#adopted) this.#load(adoptedPlanIds);
    else for (const execution of this.journal.executionsChangedSince(this.#mark)) this.#take(execution, adoptedPlanIds);
    this.#mark = mark;
    this.#adopted = adopted;
    const adoptedIds = new Set(adoptedPlanIds.filter((planId) => (this.#executions.get(planId)?.createdAt ?? Infinity) < this.startedAtMs));
    // In the journal's order (created_at, id): the first listing's, then each new execution appended as it appears.
    const own = [...this.#executions.values()].filter((execution) => execution.createdAt >= this.startedAtMs);
    this.#settlement = settlementOf([...[...adoptedIds].map((planId) => this.#executions.get(planId)!), ...own], adoptedIds);
    return this.#settlement;
  }

  #load(adoptedPlanIds: readonly string[]): void {
    this.#executions = new Map();
    for (const execution of this.journal.listExecutions({ fromMs: this.startedAtMs })) this.#executions.set(execution.planId, execution);
    for (const planId of adoptedPlanIds) {
      const execution = this.journal.getExecution(planId);
      if (execution !== undefined) this.#executions.set(planId, execution);
    }
  }

  /** A changed execution, when it is the run's: its own, or one it adopted. */
  #take(execution: ExecutionRecord, adoptedPlanIds: readonly string[]): void {
    if (execution.createdAt >= this.startedAtMs || adoptedPlanIds.includes(execution.planId))
      this.#executions.set(execution.planId, execution);
  }
}
