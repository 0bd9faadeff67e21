/**
 * The run's settled figures (run-report.ts `runSettlement`) for what asks for them every block: the progress line and
 * /status (the quick start reads /status at every 200 ms block). Each answer used to list every execution of the run
 * from the journal and map every row — 0.7 s of CPU in a 28 s quick start (19:44 UTC profile, load average 6.4),
 * growing with the run — while the figures change only when an execution is created or settles. Every such change
 * adds a row to execution_transitions, so the newest transition's id (one indexed lookup) says whether the last
 * answer still holds; only then is the journal listed again.
 */
import type { Journal } from "../journal/journal";
import { runSettlement, type RunSettlement } from "./run-report";

export class RunSettlementCache {
  #last: { readonly mark: number; readonly adopted: string; readonly settlement: RunSettlement } | null = null;

  constructor(
    private readonly journal: Journal,
    private readonly startedAtMs: number,
  ) {}

  /** The figures as `runSettlement` gives them now; read from the journal again only when an execution changed. */
  current(adoptedPlanIds: readonly string[] = []): RunSettlement {
    const mark = this.journal.lastExecutionTransitionId();
    const adopted = adoptedPlanIds.join(",");
    if (this.#last !== null && this.#last.mark === mark && this.#last.adopted === adopted) return this.#last.settlement;
    const settlement = runSettlement(this.journal, this.startedAtMs, adoptedPlanIds);
    this.#last = { mark, adopted, settlement };
    return settlement;
  }
}
