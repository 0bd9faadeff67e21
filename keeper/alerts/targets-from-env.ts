/**
 * Alert targets from settings (environment or Hardhat vars, through the caller's lookup):
 *   ALERT_SLACK_WEBHOOK_URL                          [ALERT_SLACK_MIN_SEVERITY, default warning]
 *   ALERT_TELEGRAM_BOT_TOKEN + ALERT_TELEGRAM_CHAT_ID [ALERT_TELEGRAM_MIN_SEVERITY, default warning]
 *   ALERT_WEBHOOK_URL (generic JSON)                 [ALERT_WEBHOOK_MIN_SEVERITY, default info]
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
    if (!/^\d+:[A-Za-z0-9_-]{20,}$/.test(botToken)) {
      throw new Error("ALERT_TELEGRAM_BOT_TOKEN is not a bot token; expected <bot id>:<secret> as BotFather prints it");
    }
    if (!/^-?\d+$/.test(chatId) && !/^@[A-Za-z0-9_]{5,}$/.test(chatId)) {
      throw new Error(`ALERT_TELEGRAM_CHAT_ID="${chatId}" is not a chat id; expected a number (e.g. -1001234567890) or @channelname`);
    }
    targets.push({
      kind: "telegram",
      name: "telegram",
      botToken,
      chatId,
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
  return targets;
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
