/**
 * Turns an RPC URL into something safe to print. Providers put credentials in three places: the
 * userinfo (`https://user:pass@host`), a path segment (Alchemy `/v2/<key>`, Infura `/v3/<key>`,
 * QuickNode `/<token>/`, Ankr `/base/<key>`) and the query string (`?apikey=...`). This is the RPC
 * layer's own small guard so that its error messages and health snapshots never carry a key; the
 * logger's general redaction (keeper/telemetry) is a second, independent line of defence.
 */

/**
 * A segment looks like a credential when it is long (24+ characters: every provider's key is), or
 * 12+ characters with a digit in it (random tokens have digits; names like "base-mainnet" do not).
 * Over-redacting a long path name costs nothing; under-redacting leaks a key.
 */
function looksLikeCredential(segment: string): boolean {
  if (segment === "" || /^v\d{1,2}$/.test(segment)) return false;
  if (segment.length >= 24) return true;
  return segment.length >= 12 && /\d/.test(segment);
}

export const REDACTED = "***";

/**
 * Returns `url` with userinfo, credential-like host labels and path segments, every query value and the fragment
 * replaced by `***`. A string that does not parse as a URL is not echoed at all (it may be a key
 * pasted into the wrong variable).
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "<unparseable RPC URL>";
  }
  const userinfo = parsed.username !== "" || parsed.password !== "" ? `${REDACTED}@` : "";
  const path = parsed.pathname
    .split("/")
    .map((segment) => (looksLikeCredential(decodeSafely(segment)) ? REDACTED : segment))
    .join("/");
  // Every query value is redacted, not just the ones named like keys: names vary by provider
  // (apikey, key, token, access_token, x-api-key...) and a value is never needed to tell endpoints apart.
  const queryKeys = [...parsed.searchParams.keys()];
  const query = queryKeys.length > 0 ? `?${queryKeys.map((key) => `${encodeURIComponent(key)}=${REDACTED}`).join("&")}` : "";
  const fragment = parsed.hash !== "" ? `#${REDACTED}` : "";
  // Some providers put the key in a subdomain (`<key>.rpc.example.com`); IP literals never carry one.
  const host = /^[\d.:[\]]+$/.test(parsed.hostname)
    ? parsed.host
    : parsed.host
        .split(".")
        .map((label) => (looksLikeCredential(label) ? REDACTED : label))
        .join(".");
  return `${parsed.protocol}//${userinfo}${host}${path}${query}${fragment}`;
}

function decodeSafely(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
