/**
 * What the keeper knows about its RPC endpoints being up, told once per change (outage-log.ts) and acted on:
 * - every read endpoint's demotion and restoration (ReadProviderPool's health events) and the subscription
 *   socket's drops and reconnects (WsSubscriptionClient's state events) are logged as "endpoint X down: cause" /
 *   "endpoint X recovered after N s", faults in between counted, not printed;
 * - while NO read endpoint is healthy, /readyz is not ready (with the reason) and a critical alert fires once; its
 *   recovery is an info alert. A subscription outage alone is a warning: polling covers it.
 */
import type { AlertDispatcher } from "../alerts/alert-dispatcher";
import { OutageLog, type OutageLogger, type OutageTransition } from "./outage-log";
import type { EndpointHealthEvent } from "./read-provider-pool";
import type { WsStateEvent } from "./ws-subscription-client";

export interface RpcOutageMonitorOptions {
  /** Read endpoint labels, in config order. */
  readonly readEndpoints: readonly string[];
  readonly logger: OutageLogger;
  readonly alerts?: Pick<AlertDispatcher, "dispatch"> | null;
  readonly clock?: () => number;
}

export interface RpcReadiness {
  readonly rpcEndpointsHealthy: boolean;
  readonly rpcEndpointsDetail: string;
}

export class RpcOutageMonitor {
  readonly #reads = new Map<string, OutageLog>();
  readonly #subscriptions = new Map<string, OutageLog>();
  readonly #allReads: OutageLog;
  readonly #options: RpcOutageMonitorOptions;
  readonly #clock: () => number;

  constructor(options: RpcOutageMonitorOptions) {
    this.#options = options;
    this.#clock = options.clock ?? Date.now;
    for (const label of options.readEndpoints) this.#reads.set(label, new OutageLog(`read endpoint ${label}`, options.logger, this.#clock));
    this.#allReads = new OutageLog("every read endpoint", options.logger, this.#clock);
  }

  /** Wire to ReadProviderPool's `onHealthEvent`. */
  onHealthEvent(event: EndpointHealthEvent): void {
    const log = this.#readLog(event.endpoint);
    if (event.type === "demoted") log.fail(event.reason);
    else if (event.type === "fault") log.fail(event.reason);
    else log.recover();
    this.#checkAllReads();
  }

  /** Wire to WsSubscriptionClient's `onStateChange`. */
  onSubscriptionEvent(event: WsStateEvent): void {
    let log = this.#subscriptions.get(event.endpoint);
    if (log === undefined) {
      log = new OutageLog(`subscription endpoint ${event.endpoint}`, this.#options.logger, this.#clock);
      this.#subscriptions.set(event.endpoint, log);
    }
    const transition =
      event.type === "disconnected" ? log.fail(`${event.cause}; heads and logs are polled until it is back`) : log.recover();
    if (transition !== null) {
      void this.#options.alerts?.dispatch({
        key: `rpc-subscription:${event.endpoint}`,
        severity: transition.state === "down" ? "warning" : "info",
        title:
          transition.state === "down"
            ? `Subscription endpoint ${event.endpoint} down`
            : `Subscription endpoint ${event.endpoint} recovered`,
        detail: describe(transition),
      });
    }
  }

  /** For /readyz: ready only while at least one read endpoint is healthy. */
  readiness(): RpcReadiness {
    const down = [...this.#reads.values()].filter((log) => log.down);
    if (this.#reads.size > 0 && down.length === this.#reads.size) {
      const since = Math.min(...down.map((log) => log.downSince ?? this.#clock()));
      return {
        rpcEndpointsHealthy: false,
        rpcEndpointsDetail: `no read endpoint is healthy (for ${((this.#clock() - since) / 1_000).toFixed(1)} s): ${down
          .map((log) => `${log.subject}: ${log.cause}`)
          .join("; ")}`,
      };
    }
    return {
      rpcEndpointsHealthy: true,
      rpcEndpointsDetail: `${this.#reads.size - down.length} of ${this.#reads.size} read endpoint(s) healthy`,
    };
  }

  /** Per endpoint, for /status. */
  status(): Record<string, unknown>[] {
    return [...this.#reads.values(), ...this.#subscriptions.values()].map((log) => ({
      subject: log.subject,
      down: log.down,
      since: log.downSince === null ? null : new Date(log.downSince).toISOString(),
      cause: log.down ? log.cause : null,
      suppressedFailures: log.suppressed,
    }));
  }

  #readLog(label: string): OutageLog {
    let log = this.#reads.get(label);
    if (log === undefined) {
      log = new OutageLog(`read endpoint ${label}`, this.#options.logger, this.#clock);
      this.#reads.set(label, log);
    }
    return log;
  }

  #checkAllReads(): void {
    const allDown = this.#reads.size > 0 && [...this.#reads.values()].every((log) => log.down);
    const transition = allDown ? this.#allReads.fail(this.readiness().rpcEndpointsDetail) : this.#allReads.recover();
    if (transition === null) return;
    void this.#options.alerts?.dispatch({
      key: "rpc-read-endpoints",
      severity: transition.state === "down" ? "critical" : "info",
      title: transition.state === "down" ? "No read endpoint is healthy" : "Read endpoints recovered",
      detail:
        transition.state === "down"
          ? `${transition.cause}. The keeper cannot see prices or heads; /readyz is not ready until one recovers.`
          : describe(transition),
    });
  }
}

function describe(transition: OutageTransition): string {
  if (transition.state === "down") return `${transition.subject} down: ${transition.cause}`;
  return `${transition.subject} recovered after ${((transition.downMs ?? 0) / 1_000).toFixed(1)} s (${transition.suppressed ?? 0} further failure(s) not logged; cause was: ${transition.cause})`;
}
