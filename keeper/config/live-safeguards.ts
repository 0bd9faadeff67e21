/**
 * What must be true before the keeper may send real transactions on a real network (LIVE), checked
 * at start-up and by `keeper:mode --mode live` alike. Call it only for LIVE on a network other than
 * the sandbox (see isRealNetwork in schema.ts); the sandbox needs none of this.
 *
 * Returns human-readable violations (empty = safe to go LIVE). Messages name the variable and what it
 * must hold and never echo a key: only addresses derived from keys, which are public anyway.
 */
import { computeAddress } from "ethers";

/** secp256k1 group order: a private key must be in [1, n - 1]. */
const SECP256K1_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

export const LIVE_RISK_ACKNOWLEDGEMENT = "I_UNDERSTAND_LIVE_RISK";
export const SIGNING_KEY_VARIABLE = "KEEPER_PRIVATE_KEY";
export const RELAY_AUTH_KEY_VARIABLE = "FLASHBOTS_AUTH_KEY";

/** The address of a well-formed private key, or undefined when the value is not one. */
export function addressOfPrivateKey(value: string): string | undefined {
  const hex = value.trim().replace(/^0x/i, "");
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return undefined;
  const scalar = BigInt(`0x${hex}`);
  if (scalar === 0n || scalar >= SECP256K1_ORDER) return undefined;
  return computeAddress(`0x${hex}`);
}

type KeyCheck = { readonly address: string } | { readonly violation: string };

function checkKey(env: Record<string, string | undefined>, name: string, purpose: string): KeyCheck {
  const value = env[name];
  if (value === undefined || value.trim() === "") {
    return { violation: `${name} is not set; LIVE needs ${purpose}. Set it with \`npx hardhat vars set ${name}\` or in the environment.` };
  }
  const address = addressOfPrivateKey(value);
  if (address === undefined) {
    return {
      violation: `${name} is not a valid private key: expected 32 bytes as 64 hex digits (0x prefix optional) in the secp256k1 range; the value is not shown.`,
    };
  }
  return { address };
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
