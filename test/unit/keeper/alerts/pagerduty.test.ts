/**
 * PagerDuty as an alert target, through the real dispatcher and real HTTP. PagerDuty is unreachable
 * offline, so a local server on 127.0.0.1 stands in for POST /v2/enqueue; it is a test double written
 * from PagerDuty's published Events API v2 documentation ("Send an Alert Event"): it accepts only a
 * valid event (routing_key; event_action trigger | acknowledge | resolve; dedup_key of at most 255
 * characters, required to acknowledge or resolve; for a trigger payload.summary of at most 1,024
 * characters, payload.source, payload.severity critical | error | warning | info, an ISO 8601
 * payload.timestamp, string component/group/class and an object custom_details when present),
 * answers 202 {"status":"success","message":"Event processed","dedup_key"} like PagerDuty, 400
 * {"status":"invalid event"} otherwise, and can be told to answer 429 (rate limited) first.
 */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { expect } from "chai";
import { AlertDispatcher } from "../../../../keeper/alerts/alert-dispatcher";
import type { Alert } from "../../../../keeper/alerts/alert";
import { alertTargetsFromConfig, alertTargetsFromSettings } from "../../../../keeper/alerts/targets-from-env";
import { PAGERDUTY_SUMMARY_MAX, type AlertTarget, type PagerDutyTarget } from "../../../../keeper/alerts/targets";
import { Journal } from "../../../../keeper/journal/journal";
import { createLogger } from "../../../../keeper/telemetry/logger";
import { closeNow, listenOnLoopback, readBody, respond } from "../../../shared/loopback-http";
import { startRecordingServer } from "./recording-server";

const ROUTING_KEY = "R0UTINGkey0123456789abcdefABCDEF";
const SEVERITIES = ["critical", "error", "warning", "info"];
const ACTIONS = ["trigger", "acknowledge", "resolve"];

interface PagerDutyEvent {
  readonly routing_key: string;
  readonly event_action: string;
  readonly dedup_key?: string;
  readonly payload?: {
    readonly summary: string;
    readonly source: string;
    readonly severity: string;
    readonly timestamp?: string;
    readonly component?: string;
    readonly group?: string;
    readonly class?: string;
    readonly custom_details?: Record<string, unknown>;
  };
}

/** The Events API v2 rules for one event; an empty list means PagerDuty would accept it. */
function schemaErrors(body: unknown): string[] {
  const errors: string[] = [];
  if (typeof body !== "object" || body === null) return ["the body is not a JSON object"];
  const event = body as Record<string, unknown>;
  if (typeof event.routing_key !== "string" || event.routing_key.length !== 32)
    errors.push("routing_key must be the 32-character integration key");
  if (!ACTIONS.includes(String(event.event_action))) errors.push(`event_action must be one of ${ACTIONS.join(", ")}`);
  if (event.dedup_key !== undefined && (typeof event.dedup_key !== "string" || event.dedup_key.length > 255))
    errors.push("dedup_key must be a string of at most 255 characters");
  if (event.event_action !== "trigger" && typeof event.dedup_key !== "string") errors.push("acknowledge and resolve need a dedup_key");
  if (event.event_action === "trigger") {
    const payload = event.payload as Record<string, unknown> | undefined;
    if (typeof payload !== "object" || payload === null) return [...errors, "a trigger needs a payload"];
    if (typeof payload.summary !== "string" || payload.summary.length === 0 || payload.summary.length > 1024)
      errors.push("payload.summary must be 1 to 1024 characters");
    if (typeof payload.source !== "string" || payload.source.length === 0) errors.push("payload.source is required");
    if (!SEVERITIES.includes(String(payload.severity))) errors.push(`payload.severity must be one of ${SEVERITIES.join(", ")}`);
    if (payload.timestamp !== undefined && Number.isNaN(Date.parse(String(payload.timestamp))))
      errors.push("payload.timestamp must be ISO 8601");
    for (const field of ["component", "group", "class"]) {
      if (payload[field] !== undefined && typeof payload[field] !== "string") errors.push(`payload.${field} must be a string`);
    }
    if (payload.custom_details !== undefined && (typeof payload.custom_details !== "object" || payload.custom_details === null))
      errors.push("payload.custom_details must be an object");
  }
  return errors;
}

interface PagerDutyDouble {
  readonly url: string;
  readonly events: PagerDutyEvent[];
  readonly rejected: string[][];
  /** The next `count` requests are answered 429 before the event is looked at. */
  rateLimitNext(count: number): void;
  close(): Promise<void>;
}

async function startPagerDutyDouble(): Promise<PagerDutyDouble> {
  const { server, url } = await listenOnLoopback();
  const events: PagerDutyEvent[] = [];
  const rejected: string[][] = [];
  let throttled = 0;
  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    void readBody(req).then((text) => {
      if (req.method !== "POST" || req.url !== "/v2/enqueue" || !String(req.headers["content-type"]).startsWith("application/json")) {
        respond(res, 404, '{"status":"not found"}');
        return;
      }
      if (throttled > 0) {
        throttled -= 1;
        respond(res, 429, '{"status":"throttle exceeded"}');
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        respond(res, 400, '{"status":"invalid event","message":"Event object is invalid","errors":["not JSON"]}');
        return;
      }
      const errors = schemaErrors(body);
      if (errors.length > 0) {
        rejected.push(errors);
        respond(res, 400, JSON.stringify({ status: "invalid event", message: "Event object is invalid", errors }));
        return;
      }
      const event = body as PagerDutyEvent;
      events.push(event);
      respond(res, 202, JSON.stringify({ status: "success", message: "Event processed", dedup_key: event.dedup_key ?? "generated" }));
    });
  });
  return {
    url: `${url}v2/enqueue`,
    events,
    rejected,
    rateLimitNext: (count) => {
      throttled = count;
    },
    close: () => closeNow(server),
  };
}

const halted: Alert = { key: "breaker-halted", severity: "critical", title: "Circuit breaker HALTED", detail: "3 consecutive reverts" };

describe("alerts: PagerDuty Events API v2", () => {
  let pagerDuty: PagerDutyDouble;
  let now: number;
  let target: PagerDutyTarget;

  beforeEach(async () => {
    pagerDuty = await startPagerDutyDouble();
    now = Date.UTC(2026, 0, 1, 12);
    target = { kind: "pagerduty", name: "pagerduty", routingKey: ROUTING_KEY, eventsUrl: pagerDuty.url, minSeverity: "info" };
  });

  afterEach(() => pagerDuty.close());

  const dispatcher = (overrides: Partial<ConstructorParameters<typeof AlertDispatcher>[0]> = {}) =>
    new AlertDispatcher({ keeper: "chimera-base", targets: [target], clock: () => now, retryDelayMs: 10, ...overrides });

  it("triggers an incident PagerDuty accepts, with the dedup key of the condition and the mapped severity", async () => {
    const result = await dispatcher().dispatch({ ...halted, at: new Date(now) });
    expect(result.deliveries).to.deep.equal([{ target: "pagerduty", outcome: "delivered", status: 202 }]);
    expect(pagerDuty.rejected).to.deep.equal([]);
    const [event] = pagerDuty.events;
    expect(event).to.deep.include({ routing_key: ROUTING_KEY, event_action: "trigger", dedup_key: "chimera-base/breaker-halted" });
    expect(event!.payload).to.deep.include({
      summary: "Circuit breaker HALTED: 3 consecutive reverts",
      source: "chimera-base",
      severity: "critical",
      timestamp: new Date(now).toISOString(),
      component: "keeper",
      class: "breaker-halted",
    });
  });

  it("maps every keeper severity to a PagerDuty one", async () => {
    const d = dispatcher();
    for (const severity of ["critical", "warning", "info"] as const) await d.dispatch({ ...halted, key: `k-${severity}`, severity });
    expect(pagerDuty.events.map((e) => e.payload?.severity)).to.deep.equal(["critical", "warning", "info"]);
  });

  it("resolves the incident with the same dedup key once the condition clears, once", async () => {
    const d = dispatcher();
    await d.dispatch(halted);
    expect(d.openIncidents()).to.deep.equal(["breaker-halted"]);
    const resolved = await d.resolve("breaker-halted", "resumed by alice");
    expect(resolved?.deliveries.map((x) => x.outcome)).to.deep.equal(["delivered"]);
    expect(await d.resolve("breaker-halted")).to.equal(null);
    expect(await d.resolve("never-raised")).to.equal(null);
    expect(pagerDuty.events.map((e) => [e.event_action, e.dedup_key])).to.deep.equal([
      ["trigger", "chimera-base/breaker-halted"],
      ["resolve", "chimera-base/breaker-halted"],
    ]);
    expect(d.openIncidents()).to.deep.equal([]);
    expect(d.recent().map((entry) => entry.action)).to.deep.equal(["resolve", "trigger"]);
  });

  it("tracks a level-checked condition: one trigger while it holds (rate-limited), one resolve when it stops", async () => {
    const d = dispatcher({ rateLimits: { perKeyCooldownMs: 60_000 } });
    const low: Alert = { key: "operator-balance-low:0xabc", severity: "warning", title: "Operator balance low", detail: "0.004 ETH" };
    for (let block = 0; block < 5; block++) {
      await d.track(low.key, low);
      now += 2_000;
    }
    await d.track(low.key, null);
    await d.track(low.key, null);
    expect(pagerDuty.events.map((e) => e.event_action)).to.deep.equal(["trigger", "resolve"]);
    // Listed and journaled once, not once per block.
    expect(d.recent().map((entry) => entry.action)).to.deep.equal(["resolve", "trigger"]);
    expect(() => d.track("other", low)).to.throw(/given an alert keyed "operator-balance-low:0xabc"/);
  });

  it("retries a 429 and a refused connection as PagerDuty asks, but not an invalid event", async () => {
    pagerDuty.rateLimitNext(2);
    const retried = await dispatcher().dispatch(halted);
    expect(retried.deliveries[0]).to.deep.include({ outcome: "delivered" });
    expect(pagerDuty.events).to.have.length(1);

    pagerDuty.rateLimitNext(3);
    const exhausted = await dispatcher().dispatch(halted);
    expect(exhausted.deliveries[0]).to.deep.include({ outcome: "failed" });
    expect((exhausted.deliveries[0] as { error: string }).error).to.match(/^HTTP 429/);

    const invalid = await dispatcher({ targets: [{ ...target, routingKey: "short" }] }).dispatch(halted);
    expect(invalid.deliveries[0]).to.deep.include({ outcome: "failed" });
    expect(pagerDuty.rejected).to.have.length(1);
    expect(pagerDuty.rejected[0]).to.include("routing_key must be the 32-character integration key");
  });

  it("keeps the summary within 1,024 characters and the routing key out of logs and errors", async () => {
    const lines: string[] = [];
    const logger = createLogger({
      format: "json",
      destination: new Writable({ write: (c: Buffer, _e, done) => (lines.push(c.toString()), done()) }),
    });
    await dispatcher({ logger }).dispatch({ ...halted, detail: "x".repeat(5_000) });
    expect(pagerDuty.events[0]!.payload!.summary.length).to.be.at.most(PAGERDUTY_SUMMARY_MAX);
    const down = await dispatcher({
      logger,
      targets: [{ ...target, eventsUrl: "http://127.0.0.1:1/v2/enqueue" }],
      pagerDutyRetries: 0,
    }).dispatch(halted);
    expect(down.deliveries[0]).to.deep.include({ outcome: "failed" });
    expect(lines.join("\n") + JSON.stringify(down)).to.not.include(ROUTING_KEY);
  });

  it("tells chat targets too: a [RESOLVED] line to those that heard the alert", async () => {
    const chat = await startRecordingServer();
    try {
      const slack: AlertTarget = { kind: "slack", name: "slack", webhookUrl: `${chat.url}/slack`, minSeverity: "warning" };
      const d = dispatcher({ targets: [slack] });
      await d.dispatch({ ...halted, severity: "info", key: "quiet" });
      await d.resolve("quiet");
      await d.dispatch(halted);
      await d.resolve("breaker-halted", "resumed");
      expect(chat.requests.map((r) => (JSON.parse(r.body) as { text: string }).text)).to.deep.equal([
        "[CRITICAL] chimera-base: Circuit breaker HALTED\n3 consecutive reverts",
        "[RESOLVED] chimera-base: Circuit breaker HALTED\nresumed",
      ]);
    } finally {
      await chat.close();
    }
  });

  it("journals alerts and, after a restart, resolves the incident the previous run opened", async () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), "chimera-pd-"));
    const journal = Journal.open(path.join(directory, "journal.sqlite"));
    try {
      await dispatcher({ journal }).dispatch(halted);
      await dispatcher({ journal }).dispatch({ ...halted, key: "cleared-before-restart" });
      const before = dispatcher({ journal });
      before.restoreOpenIncidents(journal.listSystemEvents({ kinds: ["alert"] }));
      await before.resolve("cleared-before-restart");

      const restarted = dispatcher({ journal });
      expect(restarted.restoreOpenIncidents(journal.listSystemEvents({ kinds: ["alert"] }))).to.deep.equal(["breaker-halted"]);
      await restarted.resolve("breaker-halted", "resumed after the restart");
      expect(pagerDuty.events.map((e) => [e.event_action, e.dedup_key])).to.deep.equal([
        ["trigger", "chimera-base/breaker-halted"],
        ["trigger", "chimera-base/cleared-before-restart"],
        ["resolve", "chimera-base/cleared-before-restart"],
        ["resolve", "chimera-base/breaker-halted"],
      ]);
      const journaled = journal.listSystemEvents({ kinds: ["alert"] }).map((e) => (e.data as { action: string; key: string }).action);
      expect(journaled).to.deep.equal(["trigger", "trigger", "resolve", "resolve"]);
    } finally {
      journal.close();
      fs.rmSync(directory, { recursive: true, force: true });
    }
  });

  describe("settings", () => {
    const lookup = (settings: Record<string, string>) => (name: string) => settings[name];

    it("builds a PagerDuty target from ALERT_PAGERDUTY_ROUTING_KEY, warning and above by default", () => {
      const [built] = alertTargetsFromSettings(lookup({ ALERT_PAGERDUTY_ROUTING_KEY: ROUTING_KEY }));
      expect(built).to.deep.equal({ kind: "pagerduty", name: "pagerduty", routingKey: ROUTING_KEY, minSeverity: "warning" });
      const [eu] = alertTargetsFromSettings(
        lookup({ ALERT_PAGERDUTY_ROUTING_KEY: ROUTING_KEY, ALERT_PAGERDUTY_EVENTS_URL: "https://events.eu.pagerduty.com/v2/enqueue" }),
      );
      expect(eu).to.deep.include({ eventsUrl: "https://events.eu.pagerduty.com/v2/enqueue" });
    });

    it("refuses a malformed routing key without echoing it, from the environment or the config", () => {
      const bad = "not-a-key-but-a-secret-anyway";
      for (const build of [
        () => alertTargetsFromSettings(lookup({ ALERT_PAGERDUTY_ROUTING_KEY: bad })),
        () => alertTargetsFromConfig([{ kind: "pagerduty", urlEnv: "OPS_PD_KEY", minSeverity: "critical" }], lookup({ OPS_PD_KEY: bad })),
      ]) {
        expect(build).to.throw(/is not a PagerDuty routing key; expected the 32-character Integration Key/);
        try {
          build();
        } catch (error) {
          expect((error as Error).message).to.not.include(bad);
        }
      }
      expect(() => alertTargetsFromConfig([{ kind: "pagerduty", urlEnv: "OPS_PD_KEY", minSeverity: "critical" }], lookup({}))).to.throw(
        /OPS_PD_KEY is not set; it must hold the PagerDuty Events API v2 routing key/,
      );
    });
  });
});
