/**
 * Which execution-state changes the journal accepts. The table is the crash-safety contract:
 * nothing moves backwards (a `sent` execution can never be re-planned and sent twice), terminal
 * states are final, and an execution reaches `sent` only through `intent_recorded` and `signed`,
 * so every transaction that may be on the wire has an intent on disk.
 *
 * Open states (intent_recorded, signed, sent) may settle into any terminal state directly: after a
 * crash, reconciliation can find the transaction included (or its nonce used by another) although the
 * journal never saw `sent`.
 */
import { EXECUTION_STATES, TERMINAL_EXECUTION_STATES, type ExecutionState } from "../core/types";

const ALL_TERMINAL: readonly ExecutionState[] = TERMINAL_EXECUTION_STATES;

export const ALLOWED_EXECUTION_TRANSITIONS: Readonly<Record<ExecutionState, readonly ExecutionState[]>> = {
  // A plan can fail its simulation, or be dropped (DRY mode, risk gate) before it is simulated.
  planned: ["simulated", "failed", "dropped"],
  // DRY mode ends here with `dropped`; LIVE records the intent next.
  simulated: ["intent_recorded", "failed", "dropped"],
  intent_recorded: ["signed", ...ALL_TERMINAL],
  signed: ["sent", ...ALL_TERMINAL],
  sent: [...ALL_TERMINAL],
  included: [],
  failed: [],
  replaced: [],
  dropped: [],
};

/** States in which a transaction may exist on the wire: reconciliation must look at these. */
export const OPEN_INTENT_STATES: readonly ExecutionState[] = ["intent_recorded", "signed", "sent"];

export class InvalidExecutionTransitionError extends Error {
  constructor(
    readonly planId: string,
    readonly from: ExecutionState,
    readonly to: ExecutionState,
  ) {
    const allowed = ALLOWED_EXECUTION_TRANSITIONS[from];
    super(
      `execution ${planId}: cannot move from "${from}" to "${to}"; ` +
        (allowed.length === 0 ? `"${from}" is terminal` : `allowed from "${from}": ${allowed.map((s) => `"${s}"`).join(", ")}`),
    );
    this.name = "InvalidExecutionTransitionError";
  }
}

export function isExecutionState(value: string): value is ExecutionState {
  return (EXECUTION_STATES as readonly string[]).includes(value);
}

export function isTerminalExecutionState(state: ExecutionState): boolean {
  return ALL_TERMINAL.includes(state);
}

export function assertExecutionTransition(planId: string, from: ExecutionState, to: ExecutionState): void {
  if (!ALLOWED_EXECUTION_TRANSITIONS[from].includes(to)) {
    throw new InvalidExecutionTransitionError(planId, from, to);
  }
}
