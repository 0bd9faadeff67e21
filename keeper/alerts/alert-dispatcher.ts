/**
 * Sends alerts to every configured target whose minimum severity the alert meets, within the rate
 * limits, and resolves them when their condition clears. `dispatch` and `resolve` never throw and
 * never reject: an alerting outage must not stop the keeper, so delivery failures are logged
 * (redacted) and reported in the result instead. Alert texts leave the process, so they are redacted
 * like log lines before they are sent.
 *
 * Incidents: an alert's `key` names its condition. The first `dispatch` of a key opens an incident
 * (PagerDuty: a trigger with dedup_key keeper/key); repeats within the cooldown are rate-limited as
 * before; `resolve(key)` closes it on every target that was told about it (PagerDuty: a resolve
 * event with the same dedup_key; chat targets: a [RESOLVED] line). Resolving a key with no open
 * incident sends nothing, so callers may resolve on every healthy observation.
 *
 * Every alert and resolve is logged, kept in a short in-memory history (the dashboard's "recent
 * alerts") and, when a journal is given, recorded as an `alert` system event (`npx hardhat daily`
 * reads them), whether or not any target is configured; a condition re-raised every block is noted
 * once per cooldown (or when its severity changes).
 */
import type { Logger } from "pino";
import { redactSecrets } from "../telemetry/redact";
import { isAlertSeverity, severityRank, type Alert, type AlertSeverity } from "./alert";
import { AlertRateLimiter, DEFAULT_ALERT_RATE_LIMITS, type AlertRateLimits } from "./rate-limiter";
import { buildAlertRequest, targetSecrets, type AlertAction, type AlertTarget } from "./targets";

/** Where alerts are journaled: the keeper's Journal satisfies it. */
export interface AlertJournal {
  recordSystemEvent(event: { readonly kind: "alert"; readonly actor: string; readonly detail: string; readonly data?: unknown }): unknown;
}
import { errorMessage } from "../core/error-message";

export interface AlertDispatcherOptions {
  /** Names this keeper in every message, e.g. "chimera-base". */
  readonly keeper: string;
  readonly targets: readonly AlertTarget[];
  readonly logger?: Logger;
  readonly rateLimits?: Partial<AlertRateLimits>;
  /** Per-request timeout. Default 5,000 ms. */
  readonly timeoutMs?: number;
  /** Secrets to scrub from alert texts (keys, RPC URLs); the targets' own URLs and tokens are added. */
  readonly knownSecrets?: readonly string[];
  /** Default Date.now; tests pin it to exercise rate limits without waiting. */
  readonly clock?: () => number;
  /** Journal every alert and resolve as an `alert` system event. */
  readonly journal?: AlertJournal;
  /** Alerts kept for `recent()`. Default 50. */
  readonly historySize?: number;
  /** Extra attempts for a PagerDuty event answered 429/5xx or not answered (PagerDuty asks senders to retry). Default 2. */
  readonly pagerDutyRetries?: number;
  /** Wait before the first retry, doubled for each next one. Default 500 ms. */
  readonly retryDelayMs?: number;
}

export type DeliveryOutcome =
  | { readonly target: string; readonly outcome: "delivered"; readonly status: number }
  | { readonly target: string; readonly outcome: "below-min-severity" }
  | { readonly target: string; readonly outcome: "rate-limited"; readonly reason: string }
  | { readonly target: string; readonly outcome: "failed"; readonly error: string };

export interface DispatchResult {
  readonly key: string;
  readonly action: AlertAction;
  readonly deliveries: readonly DeliveryOutcome[];
}

/** One alert or resolve as the dashboard lists it (texts already redacted). */
export interface AlertHistoryEntry {
  readonly at: number;
  readonly action: AlertAction;
  readonly key: string;
  readonly severity: AlertSeverity;
  readonly title: string;
  readonly detail: string;
  /** Filled in when every target has answered (or timed out). */
  deliveries: readonly { readonly target: string; readonly outcome: DeliveryOutcome["outcome"] }[] | null;
}

interface OpenIncident {
  readonly alert: Alert;
  /** Targets told about the condition (severity met), who must hear that it cleared. */
  readonly targets: Set<string>;
}

const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_HISTORY_SIZE = 50;
const RESPONSE_EXCERPT_CHARS = 200;

export class AlertDispatcher {
  private readonly limiter: AlertRateLimiter;
  private readonly clock: () => number;
  private readonly secrets: readonly string[];
  private readonly history: AlertHistoryEntry[] = [];
  private readonly incidents = new Map<string, OpenIncident>();
  private readonly lastNoted = new Map<string, number>();
  private readonly cooldownMs: number;

  constructor(private readonly options: AlertDispatcherOptions) {
    const names = options.targets.map((t) => t.name);
    const duplicate = names.find((n, i) => names.indexOf(n) !== i);
    if (duplicate !== undefined)
      throw new Error(`alert target name "${duplicate}" is used twice; names identify targets in rate limits and logs`);
    const limits = { ...DEFAULT_ALERT_RATE_LIMITS, ...(options.rateLimits ?? {}) };
    this.limiter = new AlertRateLimiter(limits);
    this.cooldownMs = limits.perKeyCooldownMs;
    this.clock = options.clock ?? Date.now;
    this.secrets = [...(options.knownSecrets ?? []), ...options.targets.flatMap(targetSecrets)];
  }

  /** Newest first. */
  recent(limit = this.options.historySize ?? DEFAULT_HISTORY_SIZE): readonly AlertHistoryEntry[] {
    return this.history.slice(-limit).reverse();
  }

  /**
   * Re-opens the incidents a previous run left open, from its journaled `alert` events (oldest first),
   * so a condition that clears after a restart still resolves its PagerDuty incident. Returns the keys.
   */
  restoreOpenIncidents(events: readonly { readonly data: unknown; readonly detail: string }[]): string[] {
    const open = new Map<string, Alert>();
    for (const event of events) {
      const data = event.data as { key?: unknown; severity?: unknown; action?: unknown; title?: unknown } | null;
      if (typeof data?.key !== "string" || !isAlertSeverity(String(data.severity))) continue;
      if (data.action === "resolve") open.delete(data.key);
      else
        open.set(data.key, {
          key: data.key,
          severity: data.severity as AlertSeverity,
          title: typeof data.title === "string" ? data.title : data.key,
          detail: event.detail,
        });
    }
    for (const [key, alert] of open) {
      const targets = this.options.targets.filter((t) => severityRank(alert.severity) >= severityRank(t.minSeverity)).map((t) => t.name);
      this.incidents.set(key, { alert, targets: new Set(targets) });
    }
    return [...open.keys()];
  }

  /** Keys of conditions alerted and not yet resolved. */
  openIncidents(): string[] {
    return [...this.incidents.keys()];
  }

  /** Raises `alert` (a trigger) while it is non-null, resolves `key` once it is null: for level-checked conditions. */
  track(key: string, alert: Alert | null): Promise<DispatchResult | null> {
    if (alert !== null && alert.key !== key) throw new Error(`track("${key}") was given an alert keyed "${alert.key}"`);
    return alert === null ? this.resolve(key) : this.dispatch(alert);
  }

  async dispatch(alert: Alert): Promise<DispatchResult> {
    try {
      const now = this.clock();
      const safeAlert = this.redacted(alert);
      const at = alert.at ?? new Date(now);
      const previous = this.incidents.get(alert.key);
      // A condition re-checked every block is logged, listed and journaled once per cooldown (or when
      // its severity changes), like its deliveries, not once per block.
      const lastNoted = this.lastNoted.get(alert.key);
      const noteworthy =
        previous === undefined ||
        previous.alert.severity !== alert.severity ||
        lastNoted === undefined ||
        now - lastNoted >= this.cooldownMs;
      const entry = noteworthy ? this.remember("trigger", safeAlert, at) : null;
      if (noteworthy) this.lastNoted.set(alert.key, now);
      const incident = { alert: safeAlert, targets: previous?.targets ?? new Set<string>() };
      this.incidents.set(alert.key, incident);
      const deliveries = await Promise.all(
        this.options.targets.map(async (target): Promise<DeliveryOutcome> => {
          if (severityRank(alert.severity) < severityRank(target.minSeverity)) {
            return { target: target.name, outcome: "below-min-severity" };
          }
          incident.targets.add(target.name);
          const decision = this.limiter.tryAcquire(target.name, alert.key, alert.severity, now);
          if (!decision.allowed) {
            this.options.logger?.debug({ target: target.name, alertKey: alert.key, reason: decision.reason }, "alert rate-limited");
            return { target: target.name, outcome: "rate-limited", reason: decision.reason };
          }
          return this.deliver(target, safeAlert, at, "trigger");
        }),
      );
      if (entry !== null) entry.deliveries = deliveries.map((d) => ({ target: d.target, outcome: d.outcome }));
      return { key: alert.key, action: "trigger", deliveries };
    } catch (error) {
      return this.internalFailure(alert.key, "trigger", error);
    }
  }

  /**
   * The condition behind `key` has cleared: tells every target that heard about it (never rate-limited:
   * a resolve follows at most one incident). Null when no incident is open under `key`.
   */
  async resolve(key: string, detail?: string): Promise<DispatchResult | null> {
    const incident = this.incidents.get(key);
    if (incident === undefined) return null;
    this.incidents.delete(key);
    this.lastNoted.delete(key);
    try {
      const at = new Date(this.clock());
      const cleared = this.redacted({ ...incident.alert, detail: detail ?? `cleared (was: ${incident.alert.detail})` });
      const entry = this.remember("resolve", cleared, at);
      const deliveries = await Promise.all(
        this.options.targets
          .filter((target) => incident.targets.has(target.name))
          .map((target) => this.deliver(target, cleared, at, "resolve")),
      );
      entry.deliveries = deliveries.map((d) => ({ target: d.target, outcome: d.outcome }));
      return { key, action: "resolve", deliveries };
    } catch (error) {
      return this.internalFailure(key, "resolve", error);
    }
  }

  private redacted(alert: Alert): Alert {
    const redaction = { knownSecrets: this.secrets, publicValues: alert.publicValues ?? [] };
    return { ...alert, title: redactSecrets(alert.title, redaction), detail: redactSecrets(alert.detail, redaction) };
  }

  /** Log line, history entry and journal event for one alert or resolve, before anything is sent. */
  private remember(action: AlertAction, alert: Alert, at: Date): AlertHistoryEntry {
    const { logger, journal } = this.options;
    const fields = { alertKey: alert.key, severity: alert.severity, action };
    const line = `${action === "resolve" ? "alert resolved" : "alert"}: ${alert.title}`;
    if (alert.severity === "info" || action === "resolve") logger?.info(fields, line);
    else logger?.warn({ ...fields, detail: alert.detail }, line);
    const entry: AlertHistoryEntry = {
      at: at.getTime(),
      action,
      key: alert.key,
      severity: alert.severity,
      title: alert.title,
      detail: alert.detail,
      deliveries: null,
    };
    this.history.push(entry);
    const size = this.options.historySize ?? DEFAULT_HISTORY_SIZE;
    if (this.history.length > size) this.history.splice(0, this.history.length - size);
    try {
      journal?.recordSystemEvent({
        kind: "alert",
        actor: "keeper",
        detail: `${action === "resolve" ? "RESOLVED" : alert.severity.toUpperCase()} ${alert.title}: ${alert.detail}`,
        data: { key: alert.key, severity: alert.severity, action, title: alert.title },
      });
    } catch (error) {
      // A closed or full journal must not swallow the alert itself.
      logger?.warn({ alertKey: alert.key, error: errorMessage(error) }, "could not journal an alert");
    }
    return entry;
  }

  private async deliver(target: AlertTarget, alert: Alert, at: Date, action: AlertAction): Promise<DeliveryOutcome> {
    const request = buildAlertRequest(target, alert, this.options.keeper, at, action);
    const retries = target.kind === "pagerduty" ? (this.options.pagerDutyRetries ?? 2) : 0;
    let delayMs = this.options.retryDelayMs ?? 500;
    for (let attempt = 0; ; attempt++) {
      let error: string;
      let retryable: boolean;
      try {
        const response = await fetch(request.url, {
          method: "POST",
          headers: request.headers,
          body: request.body,
          signal: AbortSignal.timeout(this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
        });
        if (response.ok) {
          // Drain the body so the connection can be reused.
          await response.arrayBuffer();
          return { target: target.name, outcome: "delivered", status: response.status };
        }
        const excerpt = (await response.text()).slice(0, RESPONSE_EXCERPT_CHARS);
        error = `HTTP ${response.status}: ${excerpt}`;
        retryable = response.status === 429 || response.status >= 500;
      } catch (caught) {
        error = describeFetchError(caught);
        retryable = true;
      }
      if (!retryable || attempt >= retries) return this.failed(target, alert, error);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs *= 2;
    }
  }

  private failed(target: AlertTarget, alert: Alert, error: string): DeliveryOutcome {
    const safe = redactSecrets(error, { knownSecrets: this.secrets });
    this.options.logger?.warn({ target: target.name, kind: target.kind, alertKey: alert.key, error: safe }, "alert delivery failed");
    return { target: target.name, outcome: "failed", error: safe };
  }

  /** Nothing above should throw; if it does, the keeper loop still must not see it. */
  private internalFailure(key: string, action: AlertAction, error: unknown): DispatchResult {
    const message = redactSecrets(errorMessage(error), { knownSecrets: this.secrets });
    this.options.logger?.error({ alertKey: key, action, error: message }, "alert dispatch failed");
    return {
      key,
      action,
      deliveries: this.options.targets.map((t) => ({ target: t.name, outcome: "failed" as const, error: message })),
    };
  }
}

/** fetch wraps the useful part (ECONNREFUSED, timeout) in `cause`. */
function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === "TimeoutError") return `timed out: ${error.message}`;
  const cause = (error as Error & { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
}
