/**
 * Keeps "can this key liquidate through this executor?" true or loudly false while the keeper runs.
 * Checked at start-up (the caller decides: LIVE refuses to start, DRY says so and runs) and again after
 * every block range that holds a role-change event of the executor (OperatorSet, Paused, Unpaused,
 * OwnershipTransferred, OwnershipTransferStarted, TreasurySet): a key rotation that removes the running
 * key, a pause, a new owner or treasury. While a problem stands, /readyz is not ready with the reason;
 * each change (a problem appearing, or all clearing) is logged, printed and alerted once.
 */
import type { Interface } from "ethers";
import type { Alert } from "../alerts/alert";
import type { AlertDispatcher } from "../alerts/alert-dispatcher";
import type { Logger } from "../telemetry/logger";
import { executorRoleProblems, readExecutorRoles, type CallReader, type ExecutorRoles } from "./executor-roles";

/** Role-change events the executor emits (declared in IChimeraExecutor or inherited from Ownable2Step). */
export const ROLE_CHANGE_EVENTS = ["OperatorSet", "Paused", "Unpaused", "OwnershipTransferred", "OwnershipTransferStarted", "TreasurySet"];

export interface RoleEventReader extends CallReader {
  getLogs(filter: {
    address: string;
    topics: (string | string[])[];
    fromBlock: number;
    toBlock: number;
  }): Promise<readonly { readonly blockNumber: number; readonly topics: readonly string[] }[]>;
}

export interface ExecutorRoleWatchOptions {
  readonly reader: RoleEventReader;
  readonly executorInterface: Interface;
  readonly executor: string;
  /** The key's address (or the operator address DRY simulates as); null = nothing to check it against. */
  readonly signer: string | null;
  readonly logger: Logger;
  readonly alerts: AlertDispatcher | null;
  /** Where a person sees changes (the console); optional. */
  readonly print?: (line: string) => void;
}

/** The /readyz check this watch contributes. */
export interface RoleReadinessCheck {
  readonly name: "executor_roles";
  readonly ok: boolean;
  readonly detail: string;
}

export class ExecutorRoleWatch {
  private current: readonly string[] = [];
  private roles: ExecutorRoles | null = null;
  private checked = false;
  private queue: Promise<void> = Promise.resolve();
  private readonly topics: string[];

  constructor(private readonly options: ExecutorRoleWatchOptions) {
    this.topics = ROLE_CHANGE_EVENTS.map((name) => options.executorInterface.getEvent(name)?.topicHash).filter(
      (topic): topic is string => topic !== undefined,
    );
  }

  /** The problems found by the last check (empty = the key may liquidate). */
  get problems(): readonly string[] {
    return this.current;
  }

  get lastRoles(): ExecutorRoles | null {
    return this.roles;
  }

  /** Re-reads the roles; reports a change of verdict once. Throws NotAChimeraExecutorError, RPC errors. */
  async check(reason: string): Promise<readonly string[]> {
    const { reader, executorInterface, executor, signer } = this.options;
    const roles = await readExecutorRoles(reader, executorInterface, executor, signer);
    const problems = executorRoleProblems(roles, executor, signer);
    const changed = !this.checked || problems.join("\n") !== this.current.join("\n");
    this.roles = roles;
    this.current = problems;
    const first = !this.checked;
    this.checked = true;
    if (changed && !(first && problems.length === 0)) await this.report(reason, problems);
    return problems;
  }

  /** Checks again after every block range that holds a role-change event (call with each tick's range). */
  onBlocks(range: { readonly fromBlock: number; readonly toBlock: number }): Promise<void> {
    this.queue = this.queue.then(async () => {
      try {
        const logs = await this.options.reader.getLogs({
          address: this.options.executor,
          topics: [this.topics],
          fromBlock: range.fromBlock,
          toBlock: range.toBlock,
        });
        if (logs.length === 0) return;
        const names = logs.map((log) => this.options.executorInterface.getEvent(log.topics[0]!)?.name ?? "role event");
        await this.check(`${[...new Set(names)].join(", ")} at block ${logs[logs.length - 1]!.blockNumber}`);
      } catch (error) {
        // The range's events are unknown: a role change in it must not go unseen, so read the roles themselves.
        this.options.logger.warn(
          { error: (error as Error).message, fromBlock: range.fromBlock, toBlock: range.toBlock },
          "could not read the executor's role events; re-reading its roles instead",
        );
        try {
          await this.check(`blocks ${range.fromBlock}-${range.toBlock} (role events unreadable)`);
        } catch (again) {
          this.options.logger.warn({ error: (again as Error).message }, "could not re-check the executor roles after a block");
        }
      }
    });
    return this.queue;
  }

  /** Resolves when every re-check queued so far has finished (tests, shutdown). */
  settled(): Promise<void> {
    return this.queue;
  }

  readiness(): RoleReadinessCheck {
    if (!this.checked) return { name: "executor_roles", ok: false, detail: "executor roles not checked yet" };
    if (this.current.length === 0) {
      return {
        name: "executor_roles",
        ok: true,
        detail:
          this.options.signer === null
            ? "no key to check (DRY without an operator address)"
            : "the key is an operator; executor not paused",
      };
    }
    return { name: "executor_roles", ok: false, detail: this.current.join("; ") };
  }

  /** Logs, prints and alerts a new verdict; waits for the alert's delivery (a refused start-up exits right after). */
  private async report(reason: string, problems: readonly string[]): Promise<void> {
    const { logger, alerts, print } = this.options;
    if (problems.length === 0) {
      logger.info({ reason }, "executor roles are sane again: the key is an operator and the executor is not paused");
      print?.(`Executor roles OK again (${reason}).`);
      await alerts?.dispatch(
        this.alert(
          "executor-roles-ok",
          "info",
          "Executor roles OK again",
          `After ${reason}: the key is an operator, the executor is not paused.`,
        ),
      );
      return;
    }
    for (const problem of problems) logger.error({ reason }, `executor role problem: ${problem}`);
    print?.(`WARNING (${reason}): ${problems.join("; ")}.`);
    await alerts?.dispatch(
      this.alert("executor-roles", "critical", "The keeper's key cannot liquidate", `${reason}: ${problems.join("; ")}.`),
    );
  }

  /** Problems and recovery use separate keys, so a recovery is not held back by the problem's cooldown. */
  private alert(kind: string, severity: Alert["severity"], title: string, detail: string): Alert {
    return { key: `${kind}:${this.options.executor.toLowerCase()}`, severity, title, detail };
  }
}
