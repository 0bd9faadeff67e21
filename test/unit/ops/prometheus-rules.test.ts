/**
 * The alerting artefacts, checked by the tools that will load them: every Prometheus rule is
 * unit-tested by `promtool test rules` (Debian package prometheus), the Prometheus config and the
 * Alertmanager routing are validated by promtool / amtool (prometheus-alertmanager), and the Grafana
 * dashboard and provisioning files are checked for what Grafana needs to load them. Whether the
 * series they use exist on a real keeper's /metrics is test/unit/ops/live-keeper.test.ts.
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { parse as parseYaml } from "yaml";
import { requireDebianProgram } from "../../shared/debian-tool";
import { REPO_ROOT, grafanaDashboards, grafanaQueries, metricNamesIn, prometheusRules, unexportedMetrics } from "./ops-artefacts";

const RULE_TESTS = path.join(REPO_ROOT, "ops/prometheus/tests/chimera-keeper.rules.test.yml");
const ALERTMANAGER_CONFIG = path.join(REPO_ROOT, "ops/alertmanager/alertmanager.yml");
const OPERATIONS_DOC = path.join(REPO_ROOT, "docs/operations.md");
const RUNBOOK_SEVERITIES = ["critical", "high", "medium", "low"];

/** The alerts and the runbook severity each must carry. */
const REQUIRED_ALERTS: Readonly<Record<string, string>> = {
  ChimeraBreakerHalted: "critical",
  ChimeraNoNewHead: "critical",
  ChimeraOperatorBalanceLow: "high",
  ChimeraRevertRateHigh: "high",
  ChimeraDailyLossNearLimit: "high",
  ChimeraRacesLost: "medium",
  ChimeraEndpointDemoted: "low",
};

function run(program: string, args: readonly string[]): { status: number; output: string } {
  const result = spawnSync(program, args, { cwd: REPO_ROOT, encoding: "utf8" });
  return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

describe("ops: Prometheus rules, Alertmanager routing and the Grafana dashboard", () => {
  describe("rules as written", () => {
    const rules = prometheusRules();

    it("has every alert the runbook asks for, with its severity, a summary and a runbook section that exists", () => {
      const doc = fs.readFileSync(OPERATIONS_DOC, "utf8");
      const anchors = new Set([...doc.matchAll(/^#+ .*?\{#([a-z0-9-]+)\}|<a id="([a-z0-9-]+)"><\/a>/gm)].map((m) => m[1] ?? m[2]));
      for (const [name, severity] of Object.entries(REQUIRED_ALERTS)) {
        const rule = rules.find((r) => r.alert === name);
        expect(rule, name).to.not.equal(undefined);
        expect(rule!.labels?.severity, `${name} severity`).to.equal(severity);
      }
      for (const rule of rules.filter((r) => r.alert !== undefined)) {
        expect(RUNBOOK_SEVERITIES, `${rule.alert} severity`).to.include(rule.labels?.severity);
        expect(rule.annotations?.summary, `${rule.alert} summary`).to.be.a("string").and.not.equal("");
        const anchor = /^docs\/operations\.md#([a-z0-9-]+)$/.exec(rule.annotations?.runbook ?? "")?.[1];
        expect(anchor, `${rule.alert} runbook annotation`).to.be.a("string");
        expect(anchors.has(anchor!), `docs/operations.md has the section #${anchor} for ${rule.alert}`).to.equal(true);
      }
    });

    it("has a promtool case in which each alert fires", () => {
      const tests = parseYaml(fs.readFileSync(RULE_TESTS, "utf8")) as {
        tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
      };
      const firing = new Set(
        tests.tests.flatMap((t) => (t.alert_rule_test ?? []).filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)),
      );
      const silent = new Set(
        tests.tests.flatMap((t) => (t.alert_rule_test ?? []).filter((a) => a.exp_alerts.length === 0).map((a) => a.alertname)),
      );
      for (const rule of rules.filter((r) => r.alert !== undefined)) {
        expect(firing.has(rule.alert!), `${rule.alert} fires in a test`).to.equal(true);
        expect(silent.has(rule.alert!), `${rule.alert} stays silent in a test`).to.equal(true);
      }
    });

    it("finds metric names in PromQL, not functions, keywords, labels or durations", () => {
      expect(
        metricNamesIn(
          'sum by (job, le) (rate(a_total{outcome="failed", x=~"y|z"}[5m])) / on (job) group_left b_seconds_bucket > 0.5 and time() - c offset 5m',
        ).sort(),
      ).to.deep.equal(["a_total", "b_seconds_bucket", "c"]);
      expect(unexportedMetrics(["a_bucket", "b_total", "up"], new Map([["a", "histogram"]]))).to.deep.equal(["b_total"]);
    });
  });

  describe("with promtool", () => {
    let promtool: string;
    before(function () {
      promtool = requireDebianProgram(this, "promtool", "prometheus");
    });

    it("passes every rule unit test (promtool test rules)", () => {
      const result = run(promtool, ["test", "rules", RULE_TESTS]);
      expect(result.status, result.output).to.equal(0);
      expect(result.output).to.include("SUCCESS");
    });

    it("accepts the rules and the Prometheus configuration that loads them", () => {
      const rules = run(promtool, [
        "check",
        "rules",
        ...fs.readdirSync(path.join(REPO_ROOT, "ops/prometheus/rules")).map((f) => `ops/prometheus/rules/${f}`),
      ]);
      expect(rules.status, rules.output).to.equal(0);
      const config = run(promtool, ["check", "config", "ops/prometheus/prometheus.yml"]);
      expect(config.status, config.output).to.equal(0);
      expect(config.output).to.match(/SUCCESS: \d+ rules found/);
    });
  });

  describe("with amtool", () => {
    let amtool: string;
    before(function () {
      amtool = requireDebianProgram(this, "amtool", "prometheus-alertmanager");
    });

    it("accepts the Alertmanager configuration", () => {
      const result = run(amtool, ["check-config", ALERTMANAGER_CONFIG]);
      expect(result.status, result.output).to.equal(0);
    });

    it("pages PagerDuty for critical and high, and sends every severity to Slack", () => {
      const receivers = (severity: string) =>
        execFileSync(amtool, ["config", "routes", "test", `--config.file=${ALERTMANAGER_CONFIG}`, `severity=${severity}`, "alertname=X"], {
          encoding: "utf8",
          stdio: ["ignore", "pipe", "ignore"],
        })
          .trim()
          .split(",")
          .sort();
      expect(receivers("critical")).to.deep.equal(["pagerduty", "slack"]);
      expect(receivers("high")).to.deep.equal(["pagerduty", "slack"]);
      expect(receivers("medium")).to.deep.equal(["slack"]);
      expect(receivers("low")).to.deep.equal(["slack"]);
    });
  });

  describe("Grafana", () => {
    it("provisions the Prometheus datasource the dashboard selects, and the folder the dashboards live in", () => {
      const datasources = parseYaml(
        fs.readFileSync(path.join(REPO_ROOT, "ops/grafana/provisioning/datasources/prometheus.yml"), "utf8"),
      ) as {
        datasources: { type: string; uid: string; url: string }[];
      };
      expect(datasources.datasources.map((d) => d.type)).to.deep.equal(["prometheus"]);
      const providers = parseYaml(fs.readFileSync(path.join(REPO_ROOT, "ops/grafana/provisioning/dashboards/chimera.yml"), "utf8")) as {
        providers: { type: string; options: { path: string } }[];
      };
      expect(providers.providers[0]!.options.path).to.equal("/var/lib/grafana/dashboards");
    });

    it("lays out every dashboard with unique ids on the 24-column grid, every query on the selected datasource", () => {
      for (const { file, json } of grafanaDashboards()) {
        expect(json.uid, `${file} uid`).to.be.a("string");
        const panels = json.panels as { id: number; type: string; gridPos: { x: number; w: number }; datasource?: { uid: string } }[];
        const ids = panels.map((p) => p.id);
        expect(new Set(ids).size, `${file} panel ids`).to.equal(ids.length);
        for (const panel of panels) {
          expect(panel.gridPos.x + panel.gridPos.w, `${file} panel ${panel.id} width`).to.be.at.most(24);
          if (panel.type !== "row") expect(panel.datasource?.uid, `${file} panel ${panel.id} datasource`).to.equal("${datasource}");
        }
      }
      expect(grafanaQueries().length).to.be.greaterThan(20);
    });
  });
});
