/**
 * Alert destinations and the exact HTTP request each one expects:
 *  - slack:    POST <webhook url> {"text": "..."} (Slack incoming webhooks; Discord's /slack-compatible
 *              endpoints and Mattermost accept the same body)
 *  - telegram: POST <apiBaseUrl>/bot<token>/sendMessage {"chat_id": ..., "text": "..."}
 *  - json:     POST <url> {"action","severity","title","detail","at","keeper","key"} for any collector
 *  - pagerduty: POST <eventsUrl> an Events API v2 alert event: {"routing_key", "event_action":
 *              "trigger"|"resolve", "dedup_key", "payload": {"summary","source","severity","timestamp",
 *              "component","custom_details"}, "client"} (PagerDuty's published Events API v2 schema)
 * Every alert is sent as a "trigger"; when its condition clears the dispatcher sends a "resolve" with
 * the same key: PagerDuty resolves the incident by its dedup_key, chat targets get a [RESOLVED] line.
 * A target's URL, token or routing key is a secret (a Slack webhook URL is a write credential):
 * `targetSecrets` lists them so logs and errors scrub them.
 */
import type { Alert, AlertSeverity } from "./alert";

export const TELEGRAM_API_BASE_URL = "https://api.telegram.org";
/** PagerDuty's Events API v2 endpoint (EU service regions use https://events.eu.pagerduty.com/v2/enqueue). */
export const PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue";
/** Events API v2 limits: dedup_key at most 255 characters, payload.summary at most 1,024. */
export const PAGERDUTY_DEDUP_KEY_MAX = 255;
export const PAGERDUTY_SUMMARY_MAX = 1_024;

/** trigger opens (or re-fires) an incident; resolve closes the one opened under the same key. */
export type AlertAction = "trigger" | "resolve";

/** The keeper's three severities onto PagerDuty's four (critical, error, warning, info). */
export const PAGERDUTY_SEVERITY: Readonly<Record<AlertSeverity, "critical" | "error" | "warning" | "info">> = {
  critical: "critical",
  warning: "warning",
  info: "info",
};

interface TargetCommon {
  /** Names the target in logs and results, e.g. "ops-slack". */
  readonly name: string;
  /** Alerts below this severity are not sent here. */
  readonly minSeverity: AlertSeverity;
}

export interface SlackTarget extends TargetCommon {
  readonly kind: "slack";
  readonly webhookUrl: string;
}

export interface TelegramTarget extends TargetCommon {
  readonly kind: "telegram";
  readonly botToken: string;
  readonly chatId: string;
  /** Default https://api.telegram.org; tests point it at a local server. */
  readonly apiBaseUrl?: string;
}

export interface JsonWebhookTarget extends TargetCommon {
  readonly kind: "json";
  readonly url: string;
  /** Extra headers, e.g. an auth header the collector requires (treated as secrets). */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface PagerDutyTarget extends TargetCommon {
  readonly kind: "pagerduty";
  /** The 32-character integration key of an Events API v2 integration (a secret). */
  readonly routingKey: string;
  /** Default PAGERDUTY_EVENTS_URL; tests point it at a local server. */
  readonly eventsUrl?: string;
}

export type AlertTarget = SlackTarget | TelegramTarget | JsonWebhookTarget | PagerDutyTarget;

export interface AlertRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * The one-message text Slack and Telegram show: "[CRITICAL] keeper-base: title" + detail, or
 * "[RESOLVED] keeper-base: title" + detail when the condition has cleared.
 */
export function alertText(alert: Alert, keeper: string, action: AlertAction = "trigger"): string {
  const tag = action === "resolve" ? "RESOLVED" : alert.severity.toUpperCase();
  return `[${tag}] ${keeper}: ${alert.title}\n${alert.detail}`;
}

/** One incident per (keeper, condition): PagerDuty folds re-triggers into it and a resolve closes it. */
export function pagerDutyDedupKey(keeper: string, alertKey: string): string {
  return `${keeper}/${alertKey}`.slice(0, PAGERDUTY_DEDUP_KEY_MAX);
}

/** Builds the request for one target; `text`/`detail` are already redacted by the caller. */
export function buildAlertRequest(
  target: AlertTarget,
  alert: Alert,
  keeper: string,
  at: Date,
  action: AlertAction = "trigger",
): AlertRequest {
  const json = { "content-type": "application/json" };
  switch (target.kind) {
    case "slack":
      return { url: target.webhookUrl, headers: json, body: JSON.stringify({ text: alertText(alert, keeper, action) }) };
    case "telegram": {
      const base = (target.apiBaseUrl ?? TELEGRAM_API_BASE_URL).replace(/\/+$/, "");
      return {
        url: `${base}/bot${target.botToken}/sendMessage`,
        headers: json,
        body: JSON.stringify({ chat_id: target.chatId, text: alertText(alert, keeper, action) }),
      };
    }
    case "json":
      return {
        url: target.url,
        headers: { ...json, ...(target.headers ?? {}) },
        body: JSON.stringify({
          action,
          severity: alert.severity,
          title: alert.title,
          detail: alert.detail,
          at: at.toISOString(),
          keeper,
          key: alert.key,
        }),
      };
    case "pagerduty":
      return {
        url: target.eventsUrl ?? PAGERDUTY_EVENTS_URL,
        headers: json,
        body: JSON.stringify(pagerDutyEvent(target, alert, keeper, at, action)),
      };
  }
}

/**
 * An Events API v2 alert event. A resolve needs only routing_key, event_action and dedup_key; the
 * payload is sent with it anyway (PagerDuty ignores it) so the incident log shows why it cleared.
 */
function pagerDutyEvent(target: PagerDutyTarget, alert: Alert, keeper: string, at: Date, action: AlertAction): Record<string, unknown> {
  const summary = `${action === "resolve" ? "Resolved: " : ""}${alert.title}: ${alert.detail}`;
  return {
    routing_key: target.routingKey,
    event_action: action,
    dedup_key: pagerDutyDedupKey(keeper, alert.key),
    client: "Chimera keeper",
    payload: {
      summary: summary.length > PAGERDUTY_SUMMARY_MAX ? `${summary.slice(0, PAGERDUTY_SUMMARY_MAX - 1)}…` : summary,
      source: keeper,
      severity: PAGERDUTY_SEVERITY[alert.severity],
      timestamp: at.toISOString(),
      component: "keeper",
      class: alert.key.split(":")[0],
      custom_details: { title: alert.title, detail: alert.detail, key: alert.key },
    },
  };
}

/** Values of a target that must never be logged. */
export function targetSecrets(target: AlertTarget): string[] {
  switch (target.kind) {
    case "slack":
      return [target.webhookUrl];
    case "telegram":
      return [target.botToken, `bot${target.botToken}`];
    case "json":
      return [target.url, ...Object.values(target.headers ?? {})];
    case "pagerduty":
      return [target.routingKey];
  }
}
