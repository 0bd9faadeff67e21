/**
 * Reads the operations artefacts (ops/prometheus/rules/*.yml, ops/grafana/dashboards/*.json) and
 * pulls the metric names out of their PromQL, so tests can compare them with what a keeper exports.
 */
import fs from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";

export const REPO_ROOT = path.resolve(__dirname, "../../..");
export const RULES_DIRECTORY = path.join(REPO_ROOT, "ops/prometheus/rules");
export const DASHBOARDS_DIRECTORY = path.join(REPO_ROOT, "ops/grafana/dashboards");

/** Series Prometheus itself makes: scrape health and alert state. */
const PROMETHEUS_BUILTINS = new Set(["up", "ALERTS", "ALERTS_FOR_STATE", "scrape_duration_seconds"]);
/** PromQL words that look like identifiers but are not metric names. */
const PROMQL_KEYWORDS = new Set([
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "bool",
  "and",
  "or",
  "unless",
  "offset",
  "inf",
  "nan",
]);

export interface RuleDefinition {
  readonly alert?: string;
  readonly record?: string;
  readonly expr: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

export function prometheusRules(): RuleDefinition[] {
  return fs
    .readdirSync(RULES_DIRECTORY)
    .filter((file) => /\.ya?ml$/.test(file))
    .flatMap((file) => {
      const parsed = parseYaml(fs.readFileSync(path.join(RULES_DIRECTORY, file), "utf8")) as { groups: { rules: RuleDefinition[] }[] };
      return parsed.groups.flatMap((group) => group.rules);
    });
}

export function prometheusRuleExpressions(): string[] {
  return prometheusRules().map((rule) => rule.expr);
}

interface GrafanaPanel {
  readonly targets?: readonly { readonly expr?: string }[];
  readonly panels?: readonly GrafanaPanel[];
}

export function grafanaDashboards(): { file: string; json: Record<string, unknown> }[] {
  return fs
    .readdirSync(DASHBOARDS_DIRECTORY)
    .filter((file) => file.endsWith(".json"))
    .map((file) => ({ file, json: JSON.parse(fs.readFileSync(path.join(DASHBOARDS_DIRECTORY, file), "utf8")) as Record<string, unknown> }));
}

/** Every panel target's expression and every query variable's query, across the dashboards. */
export function grafanaQueries(): string[] {
  const out: string[] = [];
  const visit = (panels: readonly GrafanaPanel[] | undefined) => {
    for (const panel of panels ?? []) {
      for (const target of panel.targets ?? []) if (typeof target.expr === "string") out.push(target.expr);
      visit(panel.panels);
    }
  };
  for (const { json } of grafanaDashboards()) {
    visit(json.panels as GrafanaPanel[]);
    const variables = (json.templating as { list?: { type: string; query?: unknown }[] } | undefined)?.list ?? [];
    for (const variable of variables) {
      if (variable.type !== "query") continue;
      const query = typeof variable.query === "string" ? variable.query : (variable.query as { query?: string } | undefined)?.query;
      if (query !== undefined) out.push(query.replace(/^label_values\((.*),\s*\w+\)$/, "$1"));
    }
  }
  return out;
}

/**
 * Metric names in a PromQL expression: identifiers that are neither functions (followed by "("),
 * keywords, label names (inside {} or a by/without/on/ignoring list), durations nor strings.
 */
export function metricNamesIn(expression: string): string[] {
  const stripped = expression
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/\$\w+/g, " ")
    // Numbers and durations (offset 5m, 1e3, 0.25).
    .replace(/\b\d+(?:\.\d+)?(?:e[+-]?\d+)?(?:ms|[smhdwy])?\b/gi, " ");
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const name = match[0];
    const rest = stripped.slice((match.index ?? 0) + name.length);
    if (/^\s*\(/.test(rest) || PROMQL_KEYWORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names];
}

/** Families on a /metrics page, from its `# TYPE name kind` lines: name → kind. */
export function exportedMetricFamilies(metricsText: string): Map<string, string> {
  const families = new Map<string, string>();
  for (const match of metricsText.matchAll(/^# TYPE (\S+) (\S+)$/gm)) families.set(match[1]!, match[2]!);
  return families;
}

/** Names from `used` that are neither an exported family, a histogram's/summary's series, nor a Prometheus builtin. */
export function unexportedMetrics(used: Iterable<string>, exported: Map<string, string>): string[] {
  const missing: string[] = [];
  for (const name of used) {
    if (PROMETHEUS_BUILTINS.has(name) || exported.has(name)) continue;
    const base = name.replace(/_(bucket|sum|count)$/, "");
    const kind = exported.get(base);
    if (base !== name && (kind === "histogram" || kind === "summary")) continue;
    missing.push(name);
  }
  return missing.sort();
}
