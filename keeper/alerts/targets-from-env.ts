/**
 * Alert targets from settings (environment or Hardhat vars, through the caller's lookup), either
 * from the config file's `alerts.targets` (each names the variables holding its URL/token/chat id)
 * or from the fixed variables below when the config lists none:
 *   ALERT_SLACK_WEBHOOK_URL                          [ALERT_SLACK_MIN_SEVERITY, default warning]
 *   ALERT_TELEGRAM_BOT_TOKEN + ALERT_TELEGRAM_CHAT_ID [ALERT_TELEGRAM_MIN_SEVERITY, default warning]
 *   ALERT_WEBHOOK_URL (generic JSON)                 [ALERT_WEBHOOK_MIN_SEVERITY, default info]
 *   ALERT_PAGERDUTY_ROUTING_KEY (Events API v2)      [ALERT_PAGERDUTY_MIN_SEVERITY, default warning;
 *                                                     ALERT_PAGERDUTY_EVENTS_URL for an EU service region]
 * None set means no targets (alerts are only logged). A half-configured or malformed target stops
 * start-up with an error naming the setting, never echoing a secret value.
 */
import { isAlertSeverity, type AlertSeverity } from "./alert";
import type { AlertTarget } from "./targets";

export type SettingLookup = (name: string) => string | undefined;

export function alertTargetsFromSettings(lookup: SettingLookup): AlertTarget[] {
  const targets: AlertTarget[] = [];
  const slackUrl = lookup("ALERT_SLACK_WEBHOOK_URL");
  if (slackUrl !== undefined) {
    targets.push({
      kind: "slack",
      name: "slack",
      webhookUrl: requireHttpUrl("ALERT_SLACK_WEBHOOK_URL", slackUrl),
      minSeverity: severitySetting(lookup, "ALERT_SLACK_MIN_SEVERITY", "warning"),
    });
  }
  const botToken = lookup("ALERT_TELEGRAM_BOT_TOKEN");
  const chatId = lookup("ALERT_TELEGRAM_CHAT_ID");
  if ((botToken === undefined) !== (chatId === undefined)) {
    throw new Error(
      `Telegram alerts need both ALERT_TELEGRAM_BOT_TOKEN and ALERT_TELEGRAM_CHAT_ID; only ${botToken === undefined ? "ALERT_TELEGRAM_CHAT_ID" : "ALERT_TELEGRAM_BOT_TOKEN"} is set`,
    );
  }
  if (botToken !== undefined && chatId !== undefined) {
    targets.push({
      kind: "telegram",
      name: "telegram",
      botToken: requireBotToken("ALERT_TELEGRAM_BOT_TOKEN", botToken),
      chatId: requireChatId("ALERT_TELEGRAM_CHAT_ID", chatId),
      minSeverity: severitySetting(lookup, "ALERT_TELEGRAM_MIN_SEVERITY", "warning"),
    });
  }
  const webhookUrl = lookup("ALERT_WEBHOOK_URL");
  if (webhookUrl !== undefined) {
    targets.push({
      kind: "json",
      name: "webhook",
      url: requireHttpUrl("ALERT_WEBHOOK_URL", webhookUrl),
      minSeverity: severitySetting(lookup, "ALERT_WEBHOOK_MIN_SEVERITY", "info"),
    });
  }
  const routingKey = lookup("ALERT_PAGERDUTY_ROUTING_KEY");
  if (routingKey !== undefined) {
    const eventsUrl = lookup("ALERT_PAGERDUTY_EVENTS_URL");
    targets.push({
      kind: "pagerduty",
      name: "pagerduty",
      routingKey: requireRoutingKey("ALERT_PAGERDUTY_ROUTING_KEY", routingKey),
      ...(eventsUrl === undefined ? {} : { eventsUrl: requireHttpUrl("ALERT_PAGERDUTY_EVENTS_URL", eventsUrl) }),
      minSeverity: severitySetting(lookup, "ALERT_PAGERDUTY_MIN_SEVERITY", "warning"),
    });
  }
  return targets;
}

/** A config file's alert target: the kind, the variable names holding its secrets, a severity. */
export interface ConfiguredAlertTarget {
  readonly kind: "slack" | "telegram" | "json" | "pagerduty";
  /**
   * Slack/JSON: the variable holding the webhook URL. Telegram: the variable holding the bot token.
   * PagerDuty: the variable holding the Events API v2 routing (integration) key.
   */
  readonly urlEnv: string;
  /** Telegram only: the variable holding the chat id. */
  readonly chatIdEnv?: string;
  /** PagerDuty only: the events endpoint when it is not the default (EU service regions). Not a secret. */
  readonly eventsUrl?: string;
  readonly minSeverity: AlertSeverity;
}

/**
 * Resolves the config's targets through `lookup`. Each target is named after its kind and variable
 * (e.g. "slack:OPS_SLACK_URL"), so two targets of one kind stay distinct in logs and rate limits.
 */
export function alertTargetsFromConfig(configured: readonly ConfiguredAlertTarget[], lookup: SettingLookup): AlertTarget[] {
  return configured.map((target): AlertTarget => {
    const name = `${target.kind}:${target.urlEnv}`;
    const secret = lookup(target.urlEnv);
    if (secret === undefined) {
      throw new Error(`alert target ${name}: ${target.urlEnv} is not set; it must hold the ${SECRET_NAME[target.kind]}`);
    }
    switch (target.kind) {
      case "slack":
        return { kind: "slack", name, webhookUrl: requireHttpUrl(target.urlEnv, secret), minSeverity: target.minSeverity };
      case "json":
        return { kind: "json", name, url: requireHttpUrl(target.urlEnv, secret), minSeverity: target.minSeverity };
      case "pagerduty":
        return {
          kind: "pagerduty",
          name,
          routingKey: requireRoutingKey(target.urlEnv, secret),
          ...(target.eventsUrl === undefined ? {} : { eventsUrl: requireHttpUrl(`${name} eventsUrl`, target.eventsUrl) }),
          minSeverity: target.minSeverity,
        };
      case "telegram": {
        if (target.chatIdEnv === undefined)
          throw new Error(`alert target ${name}: a Telegram target needs chatIdEnv, the variable holding the chat id`);
        const chatId = lookup(target.chatIdEnv);
        if (chatId === undefined)
          throw new Error(`alert target ${name}: ${target.chatIdEnv} is not set; it must hold the Telegram chat id`);
        return {
          kind: "telegram",
          name,
          botToken: requireBotToken(target.urlEnv, secret),
          chatId: requireChatId(target.chatIdEnv, chatId),
          minSeverity: target.minSeverity,
        };
      }
    }
  });
}

const SECRET_NAME: Readonly<Record<ConfiguredAlertTarget["kind"], string>> = {
  slack: "webhook URL",
  json: "webhook URL",
  telegram: "bot token",
  pagerduty: "PagerDuty Events API v2 routing key",
};

/** PagerDuty shows integration keys as 32 letters and digits; the error never echoes the value. */
function requireRoutingKey(name: string, value: string): string {
  if (!/^[A-Za-z0-9]{32}$/.test(value.trim())) {
    throw new Error(`${name} is not a PagerDuty routing key; expected the 32-character Integration Key of an Events API v2 integration`);
  }
  return value.trim();
}

function requireBotToken(name: string, value: string): string {
  if (!/^\d+:[A-Za-z0-9_-]{20,}$/.test(value)) {
    throw new Error(`${name} is not a bot token; expected <bot id>:<secret> as BotFather prints it`);
  }
  return value;
}

function requireChatId(name: string, value: string): string {
  if (!/^-?\d+$/.test(value) && !/^@[A-Za-z0-9_]{5,}$/.test(value)) {
    throw new Error(`${name}="${value}" is not a chat id; expected a number (e.g. -1001234567890) or @channelname`);
  }
  return value;
}

function severitySetting(lookup: SettingLookup, name: string, fallback: AlertSeverity): AlertSeverity {
  const value = lookup(name);
  if (value === undefined) return fallback;
  const normalised = value.trim().toLowerCase();
  if (!isAlertSeverity(normalised)) throw new Error(`${name}="${value}" is not a severity; expected info, warning or critical`);
  return normalised;
}

/** Webhook URLs are credentials: the error says what is wrong without printing the value. */
function requireHttpUrl(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${name} is not a URL; expected https://…`);
  }
  const loopback = url.hostname === "127.0.0.1" || url.hostname === "localhost" || url.hostname === "[::1]";
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new Error(`${name} must use https (plain http is allowed only for a loopback collector); got ${url.protocol}//${url.hostname}`);
  }
  return value;
}
