/**
 * What must be true before the keeper may send real transactions on a real network (LIVE), checked
 * at start-up and by `keeper:mode --mode live` alike. Call it only for LIVE on a network other than
 * the sandbox (see isRealNetwork in schema.ts); the sandbox needs none of this.
 *
 * Returns human-readable violations (empty = safe to go LIVE). Messages name the variable and what it
 * must hold and never echo a key: only addresses derived from keys, which are public anyway.
 */
import {
  keyShapeProblem,
  parsePrivateKeySetting,
  PRIVATE_KEY_EXPECTATION,
  RELAY_AUTH_KEY_VARIABLE,
  SIGNING_KEY_VARIABLE,
} from "./key-settings";

export { RELAY_AUTH_KEY_VARIABLE, SIGNING_KEY_VARIABLE } from "./key-settings";
export const LIVE_RISK_ACKNOWLEDGEMENT = "I_UNDERSTAND_LIVE_RISK";

/** The address of a well-formed private key, or undefined when the value is not one. */
export function addressOfPrivateKey(value: string): string | undefined {
  return keyShapeProblem(value) === undefined ? parsePrivateKeySetting("key", value).address : undefined;
}

type KeyCheck = { readonly address: string } | { readonly violation: string };

function checkKey(env: Record<string, string | undefined>, name: string, purpose: string): KeyCheck {
  const value = env[name];
  if (value === undefined || value.trim() === "") {
    return { violation: `${name} is not set; LIVE needs ${purpose}. Set it with \`npx hardhat vars set ${name}\` or in the environment.` };
  }
  const problem = keyShapeProblem(value);
  if (problem !== undefined) {
    return { violation: `${name} is not a valid private key: ${PRIVATE_KEY_EXPECTATION}, but ${problem}. The value is not shown.` };
  }
  return { address: parsePrivateKeySetting(name, value).address };
}

export function checkLiveSafeguards(env: Record<string, string | undefined>, opts: { usesRelay: boolean }): string[] {
  const violations: string[] = [];

  const acknowledgement = env[LIVE_RISK_ACKNOWLEDGEMENT];
  if (acknowledgement !== "true") {
    violations.push(
      `${LIVE_RISK_ACKNOWLEDGEMENT} must be exactly "true" to run LIVE on a real network (it is ${acknowledgement === undefined ? "unset" : `"${acknowledgement.slice(0, 16)}"`}): LIVE signs and sends transactions that spend real funds.`,
    );
  }

  const signing = checkKey(env, SIGNING_KEY_VARIABLE, "the operator key that signs liquidations");
  if ("violation" in signing) violations.push(signing.violation);

  if (opts.usesRelay) {
    const auth = checkKey(env, RELAY_AUTH_KEY_VARIABLE, "a bundle-relay auth key (it signs relay requests, never transactions)");
    if ("violation" in auth) {
      violations.push(auth.violation);
    } else if ("address" in signing && auth.address === signing.address) {
      violations.push(
        `${RELAY_AUTH_KEY_VARIABLE} and ${SIGNING_KEY_VARIABLE} are the same key (both derive ${auth.address}): the relay auth key only identifies the keeper to the relay (it signs the X-Flashbots-Signature header) and must not also control funds, so a leak of one never exposes the other. Generate a separate key for ${RELAY_AUTH_KEY_VARIABLE}.`,
      );
    }
  }
  return violations;
}
