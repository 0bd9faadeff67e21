import { Writable } from "node:stream";
import { expect } from "chai";
import { AlertDispatcher, type DeliveryOutcome } from "../../../../keeper/alerts/alert-dispatcher";
import type { Alert } from "../../../../keeper/alerts/alert";
import { checkOperatorBalance } from "../../../../keeper/alerts/operator-balance";
import { alertTargetsFromConfig, alertTargetsFromSettings } from "../../../../keeper/alerts/targets-from-env";
import type { KeeperConfig } from "../../../../keeper/config/schema";
import type { AlertTarget } from "../../../../keeper/alerts/targets";
import { createLogger } from "../../../../keeper/telemetry/logger";
import { startRecordingServer, type RecordingServer } from "./recording-server";

const BOT_TOKEN = "123456789:AAHk_secretTokenValue0123456789abcdef";
const SLACK_PATH = "/services/T0000000/B0000000/XXXXXXXXXXXXXXXXXXXXXXXX";
const PRIVATE_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const TX_HASH = "0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060";

const alert = (key: string, severity: Alert["severity"], detail = "detail"): Alert => ({ key, severity, title: `title ${key}`, detail });
const outcomes = (deliveries: readonly DeliveryOutcome[]) => Object.fromEntries(deliveries.map((d) => [d.target, d.outcome]));

describe("alerts", () => {
  let server: RecordingServer;
  let now: number;
  let targets: AlertTarget[];

  beforeEach(async () => {
    server = await startRecordingServer();
    now = Date.UTC(2026, 0, 1);
    targets = [
      { kind: "slack", name: "slack", webhookUrl: `${server.url}${SLACK_PATH}`, minSeverity: "warning" },
      {
        kind: "telegram",
        name: "telegram",
        botToken: BOT_TOKEN,
        chatId: "-1001234567890",
        apiBaseUrl: server.url,
        minSeverity: "critical",
      },
      {
        kind: "json",
        name: "json",
        url: `${server.url}/collector`,
        minSeverity: "info",
        headers: { authorization: "Bearer collector-token-1" },
      },
    ];
  });

  afterEach(async () => {
    await server.close();
  });

  const dispatcher = (overrides: Partial<ConstructorParameters<typeof AlertDispatcher>[0]> = {}) =>
    new AlertDispatcher({ keeper: "chimera-test", targets, clock: () => now, ...overrides });

  it("delivers the body each kind of target expects", async () => {
    const at = new Date(Date.UTC(2026, 0, 1, 12));
    const result = await dispatcher().dispatch({
      key: "breaker-halted",
      severity: "critical",
      title: "Breaker HALTED",
      detail: "3 consecutive reverts",
      at,
    });
    expect(outcomes(result.deliveries)).to.deep.equal({ slack: "delivered", telegram: "delivered", json: "delivered" });

    const byPath = Object.fromEntries(server.requests.map((r) => [r.path, r]));
    expect(JSON.parse(byPath[SLACK_PATH].body)).to.deep.equal({ text: "[CRITICAL] chimera-test: Breaker HALTED\n3 consecutive reverts" });
    expect(JSON.parse(byPath[`/bot${BOT_TOKEN}/sendMessage`].body)).to.deep.equal({
      chat_id: "-1001234567890",
      text: "[CRITICAL] chimera-test: Breaker HALTED\n3 consecutive reverts",
    });
    const collector = byPath["/collector"];
    expect(JSON.parse(collector.body)).to.deep.equal({
      action: "trigger",
      severity: "critical",
      title: "Breaker HALTED",
      detail: "3 consecutive reverts",
      at: at.toISOString(),
      keeper: "chimera-test",
      key: "breaker-halted",
    });
    expect(collector.headers.authorization).to.equal("Bearer collector-token-1");
    expect(server.requests.every((r) => r.method === "POST" && r.headers["content-type"] === "application/json")).to.equal(true);
  });

  it("sends an alert only to targets whose minimum severity it meets", async () => {
    const result = await dispatcher().dispatch(alert("rpc-lag", "warning"));
    expect(outcomes(result.deliveries)).to.deep.equal({ slack: "delivered", telegram: "below-min-severity", json: "delivered" });
    expect(server.requests.map((r) => r.path).sort()).to.deep.equal(["/collector", SLACK_PATH].sort());
  });

  it("rate-limits per (target, key) and lets the key through again after the cooldown", async () => {
    const d = dispatcher({ rateLimits: { perKeyCooldownMs: 60_000 } });
    expect(outcomes((await d.dispatch(alert("low-balance", "info"))).deliveries).json).to.equal("delivered");
    // Same key, now warning: slack has not had it yet, json has (within cooldown).
    expect(outcomes((await d.dispatch(alert("low-balance", "warning"))).deliveries)).to.deep.equal({
      slack: "delivered",
      telegram: "below-min-severity",
      json: "rate-limited",
    });
    expect(outcomes((await d.dispatch(alert("other-key", "info"))).deliveries).json).to.equal("delivered");
    now += 60_000;
    expect(outcomes((await d.dispatch(alert("low-balance", "warning"))).deliveries)).to.deep.include({
      slack: "delivered",
      json: "delivered",
    });
    expect(server.requests.filter((r) => r.path === "/collector")).to.have.length(3);
  });

  it("caps attempts per minute globally, but never drops a critical alert for it", async () => {
    const d = dispatcher({ targets: [targets[2]], rateLimits: { globalPerMinute: 3 } });
    for (const key of ["a", "b", "c"]) expect(outcomes((await d.dispatch(alert(key, "warning"))).deliveries).json).to.equal("delivered");
    const limited = (await d.dispatch(alert("d", "warning"))).deliveries[0];
    expect(limited).to.deep.include({ outcome: "rate-limited" });
    expect((limited as { reason: string }).reason).to.include("3 alerts per minute");
    expect((await d.dispatch(alert("halted", "critical"))).deliveries[0].outcome).to.equal("delivered");
    now += 60_001;
    expect((await d.dispatch(alert("d", "warning"))).deliveries[0].outcome).to.equal("delivered");
    expect(server.requests).to.have.length(5);
  });

  it("reports failing targets without throwing, and logs them with secrets redacted", async () => {
    const lines: string[] = [];
    const logger = createLogger({
      format: "json",
      destination: new Writable({ write: (c: Buffer, _e, done) => (lines.push(c.toString()), done()) }),
    });
    const closed = await startRecordingServer();
    const closedUrl = closed.url;
    await closed.close();
    const failing: AlertTarget[] = [
      { kind: "telegram", name: "telegram-500", botToken: BOT_TOKEN, chatId: "1", apiBaseUrl: server.url, minSeverity: "info" },
      { kind: "telegram", name: "telegram-down", botToken: BOT_TOKEN, chatId: "1", apiBaseUrl: closedUrl, minSeverity: "info" },
      { kind: "json", name: "json-slow", url: `${server.url}/slow`, minSeverity: "info" },
    ];
    server.respondWith(500, `{"ok":false,"description":"echo of bot${BOT_TOKEN}"}`, 300);
    const result = await new AlertDispatcher({ keeper: "k", targets: failing, logger, timeoutMs: 150, clock: () => now }).dispatch(
      alert("x", "critical"),
    );

    expect(result.deliveries.map((d) => d.outcome)).to.deep.equal(["failed", "failed", "failed"]);
    const errors = result.deliveries.map((d) => (d as { error: string }).error);
    expect(errors[1]).to.match(/ECONNREFUSED/);
    expect(errors[0]).to.match(/timed out|HTTP 500/);
    expect(errors[2]).to.match(/timed out/);
    const logged = lines.join("\n");
    // One line for the alert itself, one per failed delivery.
    expect(lines).to.have.length(4);
    expect(lines.filter((l) => l.includes("alert delivery failed"))).to.have.length(3);
    expect(logged).to.include("alert delivery failed");
    expect(logged + errors.join("\n")).to.not.include(BOT_TOKEN.split(":")[1]);
  });

  it("reports an HTTP error status with the response excerpt", async () => {
    server.respondWith(403, '{"ok":false,"description":"Forbidden: bot was blocked"}');
    const result = await dispatcher({ targets: [targets[1]] }).dispatch(alert("x", "critical"));
    expect(result.deliveries[0]).to.deep.include({ outcome: "failed" });
    expect((result.deliveries[0] as { error: string }).error).to.equal('HTTP 403: {"ok":false,"description":"Forbidden: bot was blocked"}');
  });

  it("redacts secrets from the alert text that leaves the process, keeping declared public hashes", async () => {
    await dispatcher({ targets: [targets[2]] }).dispatch({
      key: "leak",
      severity: "critical",
      title: "Config dump",
      detail: `key ${PRIVATE_KEY} tx ${TX_HASH} rpc https://base-mainnet.g.alchemy.com/v2/Zq3vT8yY0aBcDeFgHiJkLmNoPqRsTuVw`,
      publicValues: [TX_HASH],
    });
    const body = JSON.parse(server.requests[0].body) as { detail: string };
    expect(body.detail).to.not.include(PRIVATE_KEY.slice(2));
    expect(body.detail).to.not.include("Zq3vT8yY0aBcDeFgHiJkLmNoPqRsTuVw");
    expect(body.detail).to.include(TX_HASH);
  });

  it("rejects two targets with the same name", () => {
    expect(() => dispatcher({ targets: [targets[0], { ...targets[2], name: "slack" }] })).to.throw(
      /alert target name "slack" is used twice/,
    );
  });

  describe("#checkOperatorBalance", () => {
    const floor = 5n * 10n ** 16n; // 0.05 ETH
    it("returns nothing at or above the floor", () => {
      expect(checkOperatorBalance(floor, floor, "0xAbC")).to.equal(null);
      expect(checkOperatorBalance(floor + 1n, floor)).to.equal(null);
    });
    it("warns below the floor and is critical below half of it", () => {
      const warning = checkOperatorBalance(floor - 1n, floor, "0xAbC")!;
      expect(warning).to.include({ key: "operator-balance-low:0xabc", severity: "warning" });
      expect(warning.detail).to.include("below the 0.05 ETH floor");
      expect(checkOperatorBalance(floor / 2n, floor)!.severity).to.equal("warning");
      expect(checkOperatorBalance(floor / 2n - 1n, floor)!.severity).to.equal("critical");
    });
    it("rejects a negative floor", () => {
      expect(() => checkOperatorBalance(0n, -1n)).to.throw(/floor must be >= 0 wei, got -1/);
    });
  });

  describe("#alertTargetsFromConfig", () => {
    const lookup = (settings: Record<string, string>) => (name: string) => settings[name];
    // Typed as the config schema's own alert targets: the config file's shape feeds straight in.
    const configured: KeeperConfig["alerts"]["targets"] = [
      { kind: "slack", urlEnv: "OPS_SLACK_URL", minSeverity: "warning" },
      { kind: "telegram", urlEnv: "OPS_TG_TOKEN", chatIdEnv: "OPS_TG_CHAT", minSeverity: "critical" },
      { kind: "json", urlEnv: "OPS_JSON_URL", minSeverity: "info" },
    ];
    it("resolves each target's variables and names targets after them", () => {
      const built = alertTargetsFromConfig(
        configured,
        lookup({
          OPS_SLACK_URL: "https://hooks.slack.com/services/T/B/X",
          OPS_TG_TOKEN: BOT_TOKEN,
          OPS_TG_CHAT: "@chimera_ops",
          OPS_JSON_URL: "https://collector.example/a",
        }),
      );
      expect(built.map((t) => [t.name, t.minSeverity])).to.deep.equal([
        ["slack:OPS_SLACK_URL", "warning"],
        ["telegram:OPS_TG_TOKEN", "critical"],
        ["json:OPS_JSON_URL", "info"],
      ]);
      expect(built[1]).to.include({ botToken: BOT_TOKEN, chatId: "@chimera_ops" });
    });
    it("names the unset variable", () => {
      expect(() => alertTargetsFromConfig(configured.slice(1, 2), lookup({ OPS_TG_TOKEN: BOT_TOKEN }))).to.throw(
        /alert target telegram:OPS_TG_TOKEN: OPS_TG_CHAT is not set; it must hold the Telegram chat id/,
      );
      expect(() => alertTargetsFromConfig(configured.slice(0, 1), lookup({}))).to.throw(
        /OPS_SLACK_URL is not set; it must hold the webhook URL/,
      );
    });
  });

  describe("#alertTargetsFromSettings", () => {
    const lookup = (settings: Record<string, string>) => (name: string) => settings[name];
    it("builds the configured targets with their severities", () => {
      const built = alertTargetsFromSettings(
        lookup({
          ALERT_SLACK_WEBHOOK_URL: "https://hooks.slack.com/services/T/B/X",
          ALERT_TELEGRAM_BOT_TOKEN: BOT_TOKEN,
          ALERT_TELEGRAM_CHAT_ID: "-100123",
          ALERT_TELEGRAM_MIN_SEVERITY: "Critical",
          ALERT_WEBHOOK_URL: "http://127.0.0.1:9000/alerts",
        }),
      );
      expect(built.map((t) => [t.kind, t.minSeverity])).to.deep.equal([
        ["slack", "warning"],
        ["telegram", "critical"],
        ["json", "info"],
      ]);
      expect(alertTargetsFromSettings(lookup({}))).to.deep.equal([]);
    });
    it("names the setting that is wrong without echoing secrets", () => {
      expect(() => alertTargetsFromSettings(lookup({ ALERT_TELEGRAM_BOT_TOKEN: BOT_TOKEN }))).to.throw(
        /only ALERT_TELEGRAM_BOT_TOKEN is set/,
      );
      expect(() => alertTargetsFromSettings(lookup({ ALERT_SLACK_WEBHOOK_URL: "http://hooks.example.com/secretpath" }))).to.throw(
        /ALERT_SLACK_WEBHOOK_URL must use https/,
      );
      try {
        alertTargetsFromSettings(lookup({ ALERT_SLACK_WEBHOOK_URL: "http://hooks.example.com/secretpath" }));
      } catch (error) {
        expect((error as Error).message).to.not.include("secretpath");
      }
      expect(() =>
        alertTargetsFromSettings(lookup({ ALERT_WEBHOOK_URL: "https://x.example", ALERT_WEBHOOK_MIN_SEVERITY: "loud" })),
      ).to.throw(/ALERT_WEBHOOK_MIN_SEVERITY="loud" is not a severity; expected info, warning or critical/);
      expect(() => alertTargetsFromSettings(lookup({ ALERT_TELEGRAM_BOT_TOKEN: "nope", ALERT_TELEGRAM_CHAT_ID: "1" }))).to.throw(
        /ALERT_TELEGRAM_BOT_TOKEN is not a bot token/,
      );
    });
  });
});
