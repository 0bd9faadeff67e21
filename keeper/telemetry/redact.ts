/**
 * Removes secrets from text before it leaves the process: every log line, /status bodies, alert
 * texts and reports go through `redactSecrets`. It works on text rather than on objects so that one
 * function covers structured fields, error messages and stack traces alike, whatever their nesting.
 *
 * What counts as a secret:
 *  - values the caller knows are secret (`knownSecrets`: configured private keys, RPC URLs, tokens);
 *  - any 0x-prefixed 32-byte hex value, the shape of a private key. Transaction and block hashes
 *    have the same shape, so a value stays visible when it sits in a field whose name ends in
 *    "hash"/"hashes" (`txHash`, `blockHash`, `"txHashes": [...]`) or is listed in `publicValues`:
 *    log hashes in such fields, never in free text;
 *  - RPC URL credentials: userinfo, key-looking path segments (`/v2/<key>`, QuickNode tokens,
 *    Telegram `bot<token>`), and query values of key/token/secret parameters;
 *  - auth headers and secret-named fields (Authorization, X-Flashbots-Signature, privateKey,
 *    password, apiKey, mnemonic…), in JSON and in `Name: value` text.
 *
 * Replacements contain no quote or backslash, so redacted JSON stays valid JSON (pino's streamWrite
 * hook requires it).
 *
 * This is the keeper's one redaction module: `redactUrl` below prints configured endpoints, and both
 * judge a URL segment by the same credential rule (`looksLikeCredential`).
 */

export const REDACTED = "[REDACTED]";

export interface RedactionOptions {
  /** Exact values that are secret wherever they appear. Values shorter than 8 characters are ignored. */
  readonly knownSecrets?: readonly string[];
  /** 32-byte hex values known to be public (e.g. the tx hashes a report lists); left visible. */
  readonly publicValues?: readonly string[];
}

const MIN_KNOWN_SECRET_LENGTH = 8;

/** Field and header names whose values are secrets (matched case-insensitively, as a substring of the name). */
const SECRET_NAME_TERMS = [
  "authorization",
  "x-flashbots-signature",
  "flashbots-signature",
  "x-api-key",
  "api-key",
  "api_key",
  "apikey",
  "private-key",
  "private_key",
  "privatekey",
  "mnemonic",
  "seed-phrase",
  "seedphrase",
  "password",
  "passphrase",
  "secret",
  "access_token",
  "accesstoken",
  "auth_token",
  "authtoken",
  "bottoken",
  "bot_token",
];
const SECRET_NAME_ALTERNATION = SECRET_NAME_TERMS.map(escapeRegExp).join("|");

/** `"someSecretName": "value"` in JSON (also inside JSON that was itself escaped into a string). */
const JSON_SECRET_FIELD = new RegExp(
  `(\\\\?"[^"\\\\]*(?:${SECRET_NAME_ALTERNATION})[^"\\\\]*\\\\?"\\s*:\\s*\\\\?")((?:[^"\\\\]|\\\\(?!"))*)(\\\\?")`,
  "gi",
);

/** `Authorization: Bearer abc`, `password=abc` in free text. */
const TEXT_SECRET_FIELD = new RegExp(
  `((?:^|[^A-Za-z0-9])[A-Za-z0-9_-]*(?:${SECRET_NAME_ALTERNATION})\\\\?["']?\\s*[:=]\\s*\\\\?["']?)(?:(?:Bearer|Basic|Token)\\s+)?(?!\\[REDACTED\\])[^\\s"'\\\\,;&}\\]]+`,
  "gi",
);

const URL_PATTERN = /\b((?:https?|wss?):\/\/)([^\s"'<>\\`]+)/gi;

/** Query parameters whose value is a credential. */
const SECRET_QUERY_PARAM = /(key|token|secret|auth|pass|sig|credential)/i;

const HEX32 = /(?<![0-9a-fA-F])0x[0-9a-fA-F]{64}(?![0-9a-fA-F])/g;

/** Right before a hex value: a field named …hash / …hashes (JSON, key=value, or inside a JSON array). */
const PUBLIC_HASH_CONTEXT = /[A-Za-z0-9_]*hash(?:es)?\\?["']?\s*[:=]\s*(?:\[(?:\s*\\?"0x[0-9a-fA-F]{64}\\?"\s*,)*\s*)?\\?["']?$/i;

/** Telegram bot tokens outside a URL: `<bot id>:<35 chars>`. */
const TELEGRAM_TOKEN = /\b(bot)?\d{6,12}:[A-Za-z0-9_-]{30,}/g;

export function redactSecrets(text: string, options: RedactionOptions = {}): string {
  let out = text;
  out = redactKnownSecrets(out, options.knownSecrets ?? []);
  out = out.replace(URL_PATTERN, (_match, scheme: string, rest: string) => scheme + redactUrlRest(rest, options));
  out = out.replace(TELEGRAM_TOKEN, (_match, bot: string | undefined) => `${bot ?? ""}${REDACTED}`);
  out = out.replace(JSON_SECRET_FIELD, (_match, head: string, _value: string, tail: string) => `${head}${REDACTED}${tail}`);
  out = out.replace(TEXT_SECRET_FIELD, (_match, head: string) => `${head}${REDACTED}`);
  out = redactHex32(out, options.publicValues ?? []);
  return out;
}

function redactKnownSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < MIN_KNOWN_SECRET_LENGTH) continue;
    const forms = [secret];
    // A private key also leaks without its 0x prefix.
    if (/^0x[0-9a-fA-F]{64}$/.test(secret)) forms.push(secret.slice(2));
    for (const form of forms) out = out.replace(new RegExp(escapeRegExp(form), "gi"), REDACTED);
  }
  return out;
}

function redactHex32(text: string, publicValues: readonly string[]): string {
  const publicSet = new Set(publicValues.map((v) => v.toLowerCase()));
  return text.replace(HEX32, (match: string, offset: number) => {
    if (publicSet.has(match.toLowerCase())) return match;
    // Zero is not a private key (secp256k1 keys are 1..n-1): the zero id an error names stays readable.
    if (/^(0x)?0+$/i.test(match)) return match;
    const before = text.slice(Math.max(0, offset - 600), offset);
    return PUBLIC_HASH_CONTEXT.test(before) ? match : REDACTED;
  });
}

/** Redacts the part of a URL after `scheme://`. */
function redactUrlRest(rest: string, options: RedactionOptions): string {
  const authorityEnd = firstIndexOf(rest, ["/", "?", "#"]);
  let authority = rest.slice(0, authorityEnd);
  let remainder = rest.slice(authorityEnd);
  const at = authority.lastIndexOf("@");
  if (at >= 0) authority = `${REDACTED}@${authority.slice(at + 1)}`;

  const fragmentStart = remainder.indexOf("#");
  const fragment = fragmentStart >= 0 ? remainder.slice(fragmentStart) : "";
  if (fragmentStart >= 0) remainder = remainder.slice(0, fragmentStart);
  const queryStart = remainder.indexOf("?");
  const pathPart = queryStart >= 0 ? remainder.slice(0, queryStart) : remainder;
  const query = queryStart >= 0 ? remainder.slice(queryStart + 1) : null;

  const publicSet = new Set((options.publicValues ?? []).map((v) => v.toLowerCase()));
  const redactedPath = pathPart
    .split("/")
    .map((segment) => {
      if (publicSet.has(segment.toLowerCase())) return segment;
      if (/^bot\d+:[A-Za-z0-9_-]+$/.test(segment)) return `bot${REDACTED}`;
      return looksLikeCredential(segment) ? REDACTED : segment;
    })
    .join("/");
  const redactedQuery =
    query === null
      ? ""
      : "?" +
        query
          .split("&")
          .map((pair) => {
            const eq = pair.indexOf("=");
            if (eq < 0) return looksLikeCredential(pair) ? REDACTED : pair;
            const name = pair.slice(0, eq);
            const value = pair.slice(eq + 1);
            return SECRET_QUERY_PARAM.test(name) || looksLikeCredential(value) ? `${name}=${REDACTED}` : pair;
          })
          .join("&");
  return authority + redactedPath + redactedQuery + fragment;
}

/**
 * THE credential rule, for URL path segments, host labels and query values wherever a URL is printed
 * (`redactSecrets` on free text, `redactUrl` on configured endpoints): a segment is a credential when
 * it is long (24+ characters: every provider's key is), or 12+ characters with a digit, or 16+ in mixed
 * case (random tokens have digits or both cases; names like "base-mainnet" or "ethereum-mainnet" have
 * neither). Version segments (`v2`, `v3`) never are. Over-redacting a long path name costs nothing;
 * under-redacting leaks a key.
 */
function looksLikeCredential(segment: string): boolean {
  if (segment === "" || /^v\d{1,2}$/.test(segment)) return false;
  if (segment.length >= 24) return true;
  if (segment.length >= 12 && /\d/.test(segment)) return true;
  return segment.length >= 16 && /[a-z]/.test(segment) && /[A-Z]/.test(segment);
}

/**
 * A configured endpoint URL (RPC, send endpoint, relay) as it may be printed: userinfo, credential-like
 * host labels and path segments, every query value and the fragment replaced by the redaction marker.
 * Providers put keys in all of these (Alchemy `/v2/<key>`, Infura `/v3/<key>`, QuickNode `/<token>/`,
 * Ankr `/base/<key>`, `?apikey=`, `<key>.rpc.example.com`). A string that does not parse as a URL is
 * not echoed at all: it may be a key pasted into the wrong variable.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "<unparseable URL>";
  }
  const userinfo = parsed.username !== "" || parsed.password !== "" ? `${REDACTED}@` : "";
  const pathname = parsed.pathname
    .split("/")
    .map((segment) => (looksLikeCredential(decodeSafely(segment)) ? REDACTED : segment))
    .join("/");
  // Every query value, not just the ones named like keys: names vary by provider, and a value is never
  // needed to tell endpoints apart.
  const queryKeys = [...parsed.searchParams.keys()];
  const query = queryKeys.length > 0 ? `?${queryKeys.map((key) => `${encodeURIComponent(key)}=${REDACTED}`).join("&")}` : "";
  const fragment = parsed.hash !== "" ? `#${REDACTED}` : "";
  // IP literals never carry a key; host names may (`<key>.rpc.example.com`).
  const host = /^[\d.:[\]]+$/.test(parsed.hostname)
    ? parsed.host
    : parsed.host
        .split(".")
        .map((label) => (looksLikeCredential(label) ? REDACTED : label))
        .join(".");
  return `${parsed.protocol}//${userinfo}${host}${pathname}${query}${fragment}`;
}

function decodeSafely(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function firstIndexOf(text: string, needles: readonly string[]): number {
  let first = text.length;
  for (const needle of needles) {
    const index = text.indexOf(needle);
    if (index >= 0 && index < first) first = index;
  }
  return first;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
