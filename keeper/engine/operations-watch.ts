/**
 * What the engine watches besides the markets, once per block after its reactions: the circuit
 * breaker's external triggers (the L2 sequencer feed, the executor's pause state, a stale head), the
 * operator key's balance (metric, and an alert under the floor) and each read endpoint's head lag. A
 * read that fails is logged and left out: the breaker keeps its last verdict rather than guess.
 */
import type { Address } from "../core/types";
import { errorMessage } from "../core/error-message";
import type { AlertDispatcher } from "../alerts/alert-dispatcher";
import { checkOperatorBalance, operatorBalanceAlertKey } from "../alerts/operator-balance";
import type { Instant } from "../risk/instant";
import type { KeeperMetrics } from "../telemetry/metrics";
import type { Logger } from "../telemetry/logger";
import type { ExternalConditionsReader } from "./external-conditions";
import type { RiskBookkeeper } from "./risk-bookkeeper";

export interface OperationsWatchDeps {
  readonly conditions: ExternalConditionsReader | null;
  readonly risk: RiskBookkeeper;
  readonly metrics: KeeperMetrics;
  readonly chain: { getBalance(address: string): Promise<bigint> };
  readonly alerts: AlertDispatcher | null;
  readonly logger: Logger;
  readonly operatorBalanceFloorWei: bigint;
  /** Per-endpoint head lag, when reads go through a failover pool. */
  readonly headLag?: () => readonly { readonly endpoint: string; readonly lagBlocks: number }[];
}

/**
 * When the chain last showed this keeper a new head, for the breaker's stale-head trigger: the newest head the head
 * stream received (pushed or polled), if it is at least the one being processed, else when the engine took its head.
 * The engine takes a head at the START of a tick and observes the breaker at its END: a busy step's reaction that
 * takes 13 s made that tick's own head "13 s old" while the stream kept receiving heads every 200 ms, the breaker
 * went THROTTLED (one execution per 5 blocks) and the next busy steps' liquidations were refused. A stale chain is
 * one whose heads stop arriving, not a keeper that is busy. Both times must come from the same clock (Date.now).
 */
export function chainHeadSeenAtMs(
  engineHead: { readonly number: number; readonly takenAtMs: number | null },
  streamed: { readonly number: number; readonly receivedAtMs: number } | null | undefined,
): number | null {
  if (streamed === null || streamed === undefined || streamed.number < engineHead.number) return engineHead.takenAtMs;
  return engineHead.takenAtMs === null ? streamed.receivedAtMs : Math.max(engineHead.takenAtMs, streamed.receivedAtMs);
}

export class OperationsWatch {
  constructor(private readonly deps: OperationsWatchDeps) {}

  /** Reads the sequencer feed and the executor's pause state at `head` and feeds them, with the head's age, to the breaker. */
  async observeConditions(head: number, at: Instant, lastHeadAtMs: number | null): Promise<void> {
    const { conditions, risk, logger } = this.deps;
    let external = {};
    try {
      external = conditions === null ? {} : await conditions.read(head);
    } catch (error) {
      logger.warn({ error: errorMessage(error) }, "could not read the sequencer feed / executor pause state");
    }
    risk.observe({ at, lastHeadAtMs: lastHeadAtMs ?? undefined, ...external });
  }

  /** The operator's balance (metric + low-balance alert) and every endpoint's head lag (metric). */
  async observeBalanceAndLag(operator: Address | null): Promise<void> {
    const { metrics, chain, alerts, logger } = this.deps;
    if (operator !== null) {
      try {
        const balance = await chain.getBalance(operator);
        metrics.setOperatorBalanceWei(operator, balance);
        // Raised while under the floor, resolved (PagerDuty incident closed) once topped up.
        void alerts?.track(operatorBalanceAlertKey(operator), checkOperatorBalance(balance, this.deps.operatorBalanceFloorWei, operator));
      } catch (error) {
        logger.warn({ error: errorMessage(error) }, "could not read the operator balance");
      }
    }
    for (const { endpoint, lagBlocks } of this.deps.headLag?.() ?? [{ endpoint: "default", lagBlocks: 0 }]) {
      metrics.rpcHeadLag.labels(endpoint).set(lagBlocks);
    }
  }
}
