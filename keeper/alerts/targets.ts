/**
 * Alert destinations and the exact HTTP request each one expects:
 *  - slack:    POST <webhook url> {"text": "..."} (Slack incoming webhooks; Discord's /slack-compatible
 *              endpoints and Mattermost accept the same body)
 *  - telegram: POST <apiBaseUrl>/bot<token>/sendMessage {"chat_id": ..., "text": "..."}
 *  - json:     POST <url> {"severity","title","detail","at","keeper","key"} for any collector
 * A target's URL and token are secrets (a Slack webhook URL is a write credential): `targetSecrets`
 * lists them so logs and errors scrub them.
 */
import type { Alert, AlertSeverity } from "./alert";

export const TELEGRAM_API_BASE_URL = "https://api.telegram.org";

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

export type AlertTarget = SlackTarget | TelegramTarget | JsonWebhookTarget;

export interface AlertRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The one-message text Slack and Telegram show: "[CRITICAL] keeper-base: title" + detail. */
export function alertText(alert: Alert, keeper: string): string {
  return `[${alert.severity.toUpperCase()}] ${keeper}: ${alert.title}\n${alert.detail}`;
}

/** Builds the request for one target; `text`/`detail` are already redacted by the caller. */
export function buildAlertRequest(target: AlertTarget, alert: Alert, keeper: string, at: Date): AlertRequest {
  const json = { "content-type": "application/json" };
  switch (target.kind) {
    case "slack":
      return { url: target.webhookUrl, headers: json, body: JSON.stringify({ text: alertText(alert, keeper) }) };
    case "telegram": {
      const base = (target.apiBaseUrl ?? TELEGRAM_API_BASE_URL).replace(/\/+$/, "");
      return {
        url: `${base}/bot${target.botToken}/sendMessage`,
        headers: json,
        body: JSON.stringify({ chat_id: target.chatId, text: alertText(alert, keeper) }),
      };
    }
    case "json":
      return {
        url: target.url,
        headers: { ...json, ...(target.headers ?? {}) },
        body: JSON.stringify({
          severity: alert.severity,
          title: alert.title,
          detail: alert.detail,
          at: at.toISOString(),
          keeper,
          key: alert.key,
        }),
      };
  }
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
  }
}
