/**
 * The settings that hold secrets, and the one way a private key setting is read. A key setting's value
 * never reaches an error, a log line or a report, whatever its shape: a mistyped key is described
 * ("it has 63 hex digits", "it is wrapped in quotes") and named by its variable, never echoed — not
 * even in part. Code that signs builds its Wallet only from what `parsePrivateKeySetting` returned, so
 * ethers never sees (and never quotes back) a malformed value.
 */
import { computeAddress } from "ethers";

export const SIGNING_KEY_VARIABLE = "KEEPER_PRIVATE_KEY";
export const RELAY_AUTH_KEY_VARIABLE = "FLASHBOTS_AUTH_KEY";
export const DEPLOYER_KEY_VARIABLE = "DEPLOYER_PRIVATE_KEY";

/** Every variable that holds a private key. */
export const PRIVATE_KEY_VARIABLES = [SIGNING_KEY_VARIABLE, DEPLOYER_KEY_VARIABLE, RELAY_AUTH_KEY_VARIABLE] as const;

/**
 * Every variable whose value is a secret (.env.example): the keys, and the URLs and tokens that embed
 * API keys. Config files may name further URL variables (`urlEnv`); callers add those.
 */
export const SECRET_VARIABLES: readonly string[] = [
  ...PRIVATE_KEY_VARIABLES,
  "BASE_RPC_URL",
  "BASE_RPC_URL_BACKUP",
  "BASE_SEND_RPC_URL",
  "BASE_SEPOLIA_RPC_URL",
  "MAINNET_RPC_URL",
  "LOCALHOST_RPC_URL",
  "FLASHBOTS_RELAY_URL",
  "ETHERSCAN_API_KEY",
  "ALERT_SLACK_WEBHOOK_URL",
  "ALERT_TELEGRAM_BOT_TOKEN",
  "ALERT_WEBHOOK_URL",
];

/** secp256k1 group order: a private key must be in [1, n - 1]. */
const SECP256K1_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

export const PRIVATE_KEY_EXPECTATION = "expected 64 hex digits (32 bytes, 0x prefix optional) in the secp256k1 range";

/** A key setting that is set but unusable. The message names the variable; the value is never in it. */
export class KeySettingError extends Error {
  constructor(
    readonly variable: string,
    readonly problem: string,
  ) {
    super(`${variable} is not a valid private key: ${PRIVATE_KEY_EXPECTATION}, but ${problem}. The value is not shown.`);
    this.name = "KeySettingError";
  }
}

export interface ParsedPrivateKey {
  /** 0x + 64 lower-case hex digits. */
  readonly privateKey: `0x${string}`;
  /** The checksummed address it controls (public). */
  readonly address: string;
}

/**
 * What is wrong with a key's shape, in words that reveal nothing of the value; undefined when it is a
 * usable key. Surrounding whitespace is ignored (settings are trimmed); a 0x prefix is optional.
 */
export function keyShapeProblem(value: string): string | undefined {
  const trimmed = value.trim();
  if (trimmed === "") return "it is empty";
  if (/^["'`]|["'`]$/.test(trimmed)) return "it is wrapped in quotes (remove them: the value is the bare hex)";
  if (/\s/.test(trimmed)) return "it contains whitespace";
  const body = trimmed.replace(/^0x/i, "");
  const nonHex = [...body].filter((character) => !/[0-9a-fA-F]/.test(character)).length;
  if (nonHex > 0) {
    const first = [...body].findIndex((character) => !/[0-9a-fA-F]/.test(character)) + 1;
    return `it contains ${nonHex} character(s) that are not hex digits (the first is character ${first} after any 0x)`;
  }
  if (body.length !== 64) return `it has ${body.length} hex digits`;
  const scalar = BigInt(`0x${body}`);
  if (scalar === 0n || scalar >= SECP256K1_ORDER) return "it is zero or not below the secp256k1 group order";
  return undefined;
}

/** Parses a key setting's value or throws a KeySettingError naming `variable`. */
export function parsePrivateKeySetting(variable: string, value: string): ParsedPrivateKey {
  const problem = keyShapeProblem(value);
  if (problem !== undefined) throw new KeySettingError(variable, problem);
  const privateKey = `0x${value.trim().replace(/^0x/i, "").toLowerCase()}` as const;
  return { privateKey, address: computeAddress(privateKey) };
}

/** The key a setting holds: undefined when unset or empty, a KeySettingError when malformed. */
export function readPrivateKeySetting(setting: (name: string) => string | undefined, variable: string): ParsedPrivateKey | undefined {
  const value = setting(variable);
  if (value === undefined || value.trim() === "") return undefined;
  return parsePrivateKeySetting(variable, value);
}

/**
 * The forms in which a secret value could be printed: as held, trimmed, without quotes, with and
 * without a 0x prefix. Redaction scrubs all of them (it ignores forms shorter than 8 characters).
 */
export function secretForms(value: string): string[] {
  const forms = new Set<string>();
  const trimmed = value.trim();
  const unquoted = trimmed.replace(/^["'`]+|["'`]+$/g, "").trim();
  for (const form of [value, trimmed, unquoted]) {
    forms.add(form);
    if (/^0x/i.test(form)) forms.add(form.slice(2));
    else if (/^[0-9a-fA-F]+$/.test(form)) forms.add(`0x${form}`);
  }
  return [...forms].filter((form) => form.length > 0);
}

/** Every form of every secret setting that is set (SECRET_VARIABLES plus `extraVariables`), for redaction. */
export function knownSecretValues(setting: (name: string) => string | undefined, extraVariables: readonly string[] = []): string[] {
  const values = new Set<string>();
  for (const name of new Set([...SECRET_VARIABLES, ...extraVariables])) {
    const value = setting(name);
    if (value !== undefined && value !== "") for (const form of secretForms(value)) values.add(form);
  }
  return [...values];
}
