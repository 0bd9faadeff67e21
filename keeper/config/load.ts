/**
 * Loads a network's keeper configuration: the network's defaults, a JSON file merged over them
 * (`--keeper-config <file>`), a few environment overrides (KEEPER_MODE, KEEPER_METRICS_PORT), then one
 * validation that reports EVERY bad field at once, by path, with what was expected and what was found,
 * then the rules that tie fields together (cross-field-checks.ts), in the units the file uses:
 *
 *   limits.maxDailyLossUsd: expected a positive number, got "abc"
 *
 * With `checkEnv` (the default) it also fails fast on what the environment must supply for this
 * config: every RPC / relay / alert variable it names, and the LIVE safeguards on a real network.
 * Values that may be secrets are never echoed.
 */
import { readFileSync } from "node:fs";
import { ZodArray, ZodDefault, ZodEffects, ZodNullable, ZodObject, ZodOptional, ZodRecord, type ZodIssue, type ZodTypeAny } from "zod";
import { defaultsFor } from "./defaults";
import { USD_LIMIT_FIELDS } from "./runtime-settings";
import { crossFieldIssues } from "./cross-field-checks";
import { checkLiveSafeguards } from "./live-safeguards";
import {
  FIELDS_COUNTED_IN_BLOCKS,
  isRealNetwork,
  KEEPER_NETWORKS,
  keeperConfigSchema,
  type KeeperConfig,
  type KeeperNetwork,
} from "./schema";

export interface ConfigIssue {
  /** Dotted path of the field, with [i] for list items ("rpc.read[0].urlEnv"); "" for the whole file. */
  readonly path: string;
  readonly message: string;
}

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    super(
      `Invalid keeper configuration (${source}): ${issues.length} problem${issues.length === 1 ? "" : "s"}\n` +
        issues.map((issue) => `  - ${issue.path === "" ? "" : `${issue.path}: `}${issue.message}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

export interface LoadKeeperConfigOptions {
  /** The Hardhat network the keeper runs on. */
  readonly network: string;
  /** A JSON config file merged over the network's defaults. */
  readonly file?: string;
  /** Environment (or Hardhat vars) as a plain record; never read from process.env implicitly. */
  readonly env: Record<string, string | undefined>;
  /** Check the variables the config names and the LIVE safeguards (default true). Reports and other
   * read-only tools may pass false to load a config on a machine without the secrets. */
  readonly checkEnv?: boolean;
}

export function loadKeeperConfig(options: LoadKeeperConfigOptions): KeeperConfig {
  const source = options.file === undefined ? `defaults for ${options.network}` : `${options.file} over defaults for ${options.network}`;
  if (!(KEEPER_NETWORKS as readonly string[]).includes(options.network)) {
    throw new ConfigError(source, [
      { path: "network", message: `expected one of ${KEEPER_NETWORKS.join(", ")}, got ${describeValue(options.network)}` },
    ]);
  }
  const network = options.network as KeeperNetwork;

  let merged: unknown = defaultsFor(network);
  if (options.file !== undefined) {
    const fromFile = readConfigFile(options.file, source);
    if (isPlainObject(fromFile) && "network" in fromFile && fromFile.network !== network) {
      throw new ConfigError(source, [
        {
          path: "network",
          message: `the file is for ${describeValue(fromFile.network)} but the keeper runs on "${network}"; run with --network ${String(fromFile.network)} or fix the file`,
        },
      ]);
    }
    merged = withoutDefaultLimitsUnderFileTier(deepMerge(merged, fromFile), fromFile);
  }
  const overrideIssues: ConfigIssue[] = [];
  merged = applyEnvOverrides(merged as Record<string, unknown>, options.env, overrideIssues);

  const parsed = keeperConfigSchema.safeParse(merged);
  const issues: ConfigIssue[] = [...overrideIssues];
  if (!parsed.success) issues.push(...parsed.error.issues.flatMap((issue) => describeIssue(issue, merged)));
  if (!parsed.success || issues.length > 0) throw new ConfigError(source, issues);

  const config = parsed.data;
  const crossIssues = crossFieldIssues(config);
  if (crossIssues.length > 0) throw new ConfigError(source, crossIssues);
  if (options.checkEnv ?? true) {
    const envIssues = checkEnvironment(config, options.env);
    if (envIssues.length > 0) throw new ConfigError(source, envIssues);
  }
  return config;
}

function readConfigFile(file: string, source: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(source, [{ path: "", message: `cannot read ${file}: ${(error as Error).message}` }]);
  }
  try {
    const value: unknown = JSON.parse(text);
    if (!isPlainObject(value)) throw new Error("the top level must be an object");
    return value;
  } catch (error) {
    throw new ConfigError(source, [{ path: "", message: `${file} is not a JSON object: ${(error as Error).message}` }]);
  }
}

/**
 * A file that picks a tier means that tier's USD limits. Field-by-field merging would otherwise keep the
 * defaults' explicit USD limits (the sandbox sets them all) on top of the tier and silently turn
 * `"tier": 1` into custom limits. USD limits the file itself gives still override its tier.
 */
function withoutDefaultLimitsUnderFileTier(merged: unknown, fromFile: unknown): unknown {
  if (!isPlainObject(fromFile) || !isPlainObject(fromFile.limits) || fromFile.limits.tier === undefined) return merged;
  if (!isPlainObject(merged) || !isPlainObject(merged.limits)) return merged;
  const fileLimits = fromFile.limits;
  const limits = { ...merged.limits };
  for (const field of USD_LIMIT_FIELDS) if (!(field in fileLimits)) delete limits[field];
  return { ...merged, limits };
}

/** Objects merge key by key; anything else (lists included) in `override` replaces `base`. */
export function deepMerge(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override === undefined ? base : override;
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) result[key] = deepMerge(base[key], value);
  return result;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** KEEPER_MODE=dry|live and KEEPER_METRICS_PORT=<port> override the file. */
function applyEnvOverrides(
  config: Record<string, unknown>,
  env: Record<string, string | undefined>,
  issues: ConfigIssue[],
): Record<string, unknown> {
  const result = { ...config };
  const mode = env.KEEPER_MODE?.trim();
  if (mode !== undefined && mode !== "") {
    const upper = mode.toUpperCase();
    if (upper === "DRY" || upper === "LIVE") result.mode = upper;
    else issues.push({ path: "mode", message: `expected "dry" or "live" in KEEPER_MODE, got ${describeValue(mode)}` });
  }
  const port = env.KEEPER_METRICS_PORT?.trim();
  if (port !== undefined && port !== "") {
    const metrics = isPlainObject(result.metrics) ? result.metrics : {};
    if (/^\d+$/.test(port)) result.metrics = { ...metrics, port: Number(port) };
    else issues.push({ path: "metrics.port", message: `expected a TCP port (1-65535) in KEEPER_METRICS_PORT, got ${describeValue(port)}` });
  }
  return result;
}

function formatPath(path: ReadonlyArray<string | number>): string {
  return path.reduce<string>((text, part) => (typeof part === "number" ? `${text}[${part}]` : text === "" ? part : `${text}.${part}`), "");
}

function valueAt(root: unknown, path: ReadonlyArray<string | number>): unknown {
  let node = root;
  for (const part of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string | number, unknown>)[part];
  }
  return node;
}

/**
 * What was found, for an error message. Strings that look like URLs or keys are described, not shown:
 * a config error must not be how a secret reaches a terminal or a CI log.
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") {
    // A URL, a 32-byte hex run (a private key's shape) or a long blob: describe, do not show.
    if (/:\/\//.test(value) || /[0-9a-fA-F]{64}/.test(value) || value.length > 100) {
      return "a string that is not shown (it looks like a URL or a key; config files must name environment variables, not hold secrets)";
    }
    return JSON.stringify(value);
  }
  return String(value);
}

function describeIssue(issue: ZodIssue, input: unknown): ConfigIssue[] {
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => {
      const path = formatPath([...issue.path, key]);
      const replacement = FIELDS_COUNTED_IN_BLOCKS[path];
      return {
        path,
        message:
          replacement !== undefined
            ? `counted in blocks, which Base's 200 ms blocks (Denim) made ten times shorter; set ${replacement} (milliseconds) instead`
            : unknownFieldMessage(fieldsAt(keeperConfigSchema, issue.path)),
      };
    });
  }
  return [{ path: formatPath(issue.path), message: `${issue.message}, got ${describeValue(valueAt(input, issue.path))}` }];
}

function unknownFieldMessage(fields: readonly string[] | undefined): string {
  return fields === undefined
    ? "unknown field (check its spelling)"
    : `unknown field (check its spelling); expected one of: ${fields.join(", ")}`;
}

/** The fields the object at `path` of `schema` takes (through defaults, optionals, refinements, arrays, records); undefined if none is found. */
function fieldsAt(schema: ZodTypeAny, path: readonly (string | number)[]): string[] | undefined {
  let current: ZodTypeAny | undefined = schema;
  for (let index = 0; ; index++) {
    for (;;) {
      if (current instanceof ZodEffects) current = current.innerType();
      else if (current instanceof ZodDefault) current = current._def.innerType;
      else if (current instanceof ZodOptional || current instanceof ZodNullable) current = current.unwrap();
      else break;
    }
    if (index === path.length) return current instanceof ZodObject ? Object.keys(current.shape) : undefined;
    const segment = path[index]!;
    if (current instanceof ZodObject) current = current.shape[String(segment)];
    else if (current instanceof ZodArray) current = current.element;
    else if (current instanceof ZodRecord) current = current.valueSchema;
    else return undefined;
    if (current === undefined) return undefined;
  }
}

const URL_PATTERN = /^(https?|wss?):\/\/[^\s]+$/i;

function envValue(env: Record<string, string | undefined>, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

/** The variables this config names must be set (and hold URLs); LIVE on a real network must be safe. */
function checkEnvironment(config: KeeperConfig, env: Record<string, string | undefined>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const requireUrl = (path: string, name: string, what: string) => {
    const value = env[name]?.trim();
    if (value === undefined || value === "") {
      issues.push({
        path,
        message: `environment variable ${name} is not set; it must hold ${what} (npx hardhat vars set ${name}, or see .env.example)`,
      });
    } else if (!URL_PATTERN.test(value)) {
      issues.push({ path, message: `environment variable ${name} does not hold an http(s) or ws(s) URL (its value is not shown)` });
    }
  };
  const requireSet = (path: string, name: string, what: string) => {
    const value = env[name]?.trim();
    if (value === undefined || value === "") {
      issues.push({ path, message: `environment variable ${name} is not set; it must hold ${what} (see .env.example)` });
    }
  };

  config.rpc.read.forEach((endpoint, index) =>
    requireUrl(`rpc.read[${index}].urlEnv`, endpoint.urlEnv, `the URL of read endpoint "${endpoint.name}"`),
  );
  config.rpc.send.forEach((endpoint, index) =>
    requireUrl(`rpc.send[${index}].urlEnv`, endpoint.urlEnv, `the URL of send endpoint "${endpoint.name}"`),
  );
  config.rpc.subscribe.forEach((endpoint, index) => {
    const path = `rpc.subscribe[${index}].urlEnv`;
    requireUrl(path, endpoint.urlEnv, `the ws(s):// URL of subscription endpoint "${endpoint.name}"`);
    const value = envValue(env, endpoint.urlEnv);
    if (value !== undefined && URL_PATTERN.test(value) && !/^wss?:\/\//i.test(value)) {
      issues.push({
        path,
        message: `environment variable ${endpoint.urlEnv} must hold a ws:// or wss:// URL for eth_subscribe (its value is not shown)`,
      });
    }
  });
  if (config.relay) requireUrl("relay.urlEnv", config.relay.urlEnv, "the bundle relay URL");
  config.alerts.targets.forEach((target, index) => {
    if (target.kind === "telegram") {
      requireSet(`alerts.targets[${index}].urlEnv`, target.urlEnv, "the Telegram bot token");
      if (target.chatIdEnv) requireSet(`alerts.targets[${index}].chatIdEnv`, target.chatIdEnv, "the Telegram chat id");
    } else {
      requireUrl(`alerts.targets[${index}].urlEnv`, target.urlEnv, `the ${target.kind} webhook URL`);
    }
  });
  if (config.mode === "LIVE" && isRealNetwork(config.network)) {
    for (const violation of checkLiveSafeguards(env, { usesRelay: config.relay !== undefined })) {
      issues.push({ path: "mode", message: `LIVE refused: ${violation}` });
    }
  }
  return issues;
}
