/**
 * A printable copy of a keeper config. The config holds no secrets by construction (only the NAMES of
 * the variables that do), so this mostly annotates: each `...Env` field shows whether its variable is
 * set, never its value. As defence in depth, any string shaped like a URL with credentials or a
 * private key is replaced anyway.
 */
import type { KeeperConfig } from "./schema";

export const REDACTED = "[REDACTED]";

const KEY_SHAPED = /(^|[^0-9a-fA-F])(0x)?[0-9a-fA-F]{64}([^0-9a-fA-F]|$)/;
const URL_SHAPED = /^[a-z][a-z0-9+.-]*:\/\//i;

export function redactConfig(config: KeeperConfig, env?: Record<string, string | undefined>): Record<string, unknown> {
  return redactNode(config, "", env) as Record<string, unknown>;
}

function redactNode(node: unknown, key: string, env: Record<string, string | undefined> | undefined): unknown {
  if (typeof node === "bigint") return node.toString();
  if (typeof node === "string") {
    if (key.endsWith("Env")) {
      if (env === undefined) return node;
      const value = env[node];
      return `${node} (${value === undefined || value.trim() === "" ? "unset" : "set"})`;
    }
    return URL_SHAPED.test(node) || KEY_SHAPED.test(node) ? REDACTED : node;
  }
  if (Array.isArray(node)) return node.map((item) => redactNode(item, key, env));
  if (node !== null && typeof node === "object") {
    return Object.fromEntries(Object.entries(node).map(([childKey, value]) => [childKey, redactNode(value, childKey, env)]));
  }
  return node;
}
