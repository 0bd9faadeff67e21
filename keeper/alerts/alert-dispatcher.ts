/**
 * Sends alerts to every configured target whose minimum severity the alert meets, within the rate
 * limits. `dispatch` never throws and never rejects: an alerting outage must not stop the keeper, so
 * delivery failures are logged (redacted) and reported in the result instead. Alert texts leave the
 * process, so they are redacted like log lines before they are sent.
 */
import type { Logger } from "pino";
import { redactSecrets } from "../telemetry/redact";
import { severityRank, type Alert } from "./alert";
import { AlertRateLimiter, DEFAULT_ALERT_RATE_LIMITS, type AlertRateLimits } from "./rate-limiter";
import { buildAlertRequest, targetSecrets, type AlertTarget } from "./targets";

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
}

export type DeliveryOutcome =
  | { readonly target: string; readonly outcome: "delivered"; readonly status: number }
  | { readonly target: string; readonly outcome: "below-min-severity" }
  | { readonly target: string; readonly outcome: "rate-limited"; readonly reason: string }
  | { readonly target: string; readonly outcome: "failed"; readonly error: string };

export interface DispatchResult {
  readonly key: string;
  readonly deliveries: readonly DeliveryOutcome[];
}

const DEFAULT_TIMEOUT_MS = 5_000;
const RESPONSE_EXCERPT_CHARS = 200;

export class AlertDispatcher {
  private readonly limiter: AlertRateLimiter;
  private readonly clock: () => number;
  private readonly secrets: readonly string[];

  constructor(private readonly options: AlertDispatcherOptions) {
    const names = options.targets.map((t) => t.name);
    const duplicate = names.find((n, i) => names.indexOf(n) !== i);
    if (duplicate !== undefined)
      throw new Error(`alert target name "${duplicate}" is used twice; names identify targets in rate limits and logs`);
    this.limiter = new AlertRateLimiter({ ...DEFAULT_ALERT_RATE_LIMITS, ...(options.rateLimits ?? {}) });
    this.clock = options.clock ?? Date.now;
    this.secrets = [...(options.knownSecrets ?? []), ...options.targets.flatMap(targetSecrets)];
  }

  async dispatch(alert: Alert): Promise<DispatchResult> {
    try {
      const now = this.clock();
      const redaction = { knownSecrets: this.secrets, publicValues: alert.publicValues ?? [] };
      const safeAlert: Alert = {
        ...alert,
        title: redactSecrets(alert.title, redaction),
        detail: redactSecrets(alert.detail, redaction),
      };
      const at = alert.at ?? new Date(now);
      const deliveries = await Promise.all(
        this.options.targets.map(async (target): Promise<DeliveryOutcome> => {
          if (severityRank(alert.severity) < severityRank(target.minSeverity)) {
            return { target: target.name, outcome: "below-min-severity" };
          }
          const decision = this.limiter.tryAcquire(target.name, alert.key, alert.severity, now);
          if (!decision.allowed) {
            this.options.logger?.debug({ target: target.name, alertKey: alert.key, reason: decision.reason }, "alert rate-limited");
            return { target: target.name, outcome: "rate-limited", reason: decision.reason };
          }
          return this.deliver(target, safeAlert, at);
        }),
      );
      return { key: alert.key, deliveries };
    } catch (error) {
      // Nothing above should throw; if it does, the keeper loop still must not see it.
      const message = redactSecrets(error instanceof Error ? error.message : String(error), { knownSecrets: this.secrets });
      this.options.logger?.error({ alertKey: alert.key, error: message }, "alert dispatch failed");
      return {
        key: alert.key,
        deliveries: this.options.targets.map((t) => ({ target: t.name, outcome: "failed" as const, error: message })),
      };
    }
  }

  private async deliver(target: AlertTarget, alert: Alert, at: Date): Promise<DeliveryOutcome> {
    const request = buildAlertRequest(target, alert, this.options.keeper, at);
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
      return this.failed(target, alert, `HTTP ${response.status}: ${excerpt}`);
    } catch (error) {
      return this.failed(target, alert, describeFetchError(error));
    }
  }

  private failed(target: AlertTarget, alert: Alert, error: string): DeliveryOutcome {
    const safe = redactSecrets(error, { knownSecrets: this.secrets });
    this.options.logger?.warn({ target: target.name, kind: target.kind, alertKey: alert.key, error: safe }, "alert delivery failed");
    return { target: target.name, outcome: "failed", error: safe };
  }
}

/** fetch wraps the useful part (ECONNREFUSED, timeout) in `cause`. */
function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === "TimeoutError") return `timed out: ${error.message}`;
  const cause = (error as Error & { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
}
