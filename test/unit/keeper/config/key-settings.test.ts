/**
 * A mistyped key is refused by name and never echoed, whatever its shape: wrong length, non-hex, a `g` as
 * the last digit, whitespace, quotes, with or without 0x. Property-based over fast-check's malformed keys,
 * for every key variable and every code path that reads one (the parser, the LIVE safeguards). The same
 * keys are tried against the real keeper and tasks as child processes in
 * test/unit/tasks/operator-outputs.test.ts.
 */
import { expect } from "chai";
import fc from "fast-check";
import { Wallet } from "ethers";
import {
  KeySettingError,
  knownSecretValues,
  parsePrivateKeySetting,
  PRIVATE_KEY_VARIABLES,
  readPrivateKeySetting,
} from "../../../../keeper/config/key-settings";
import { checkLiveSafeguards } from "../../../../keeper/config/live-safeguards";
import { redactSecrets } from "../../../../keeper/telemetry/redact";
import { leakedPiece, malformedKey } from "../../../shared/malformed-keys";

// Hardhat's well-known development key #0: public, never funded on a real network.
const VALID_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

describe("key settings: a malformed key is named, never shown", function () {
  it("every malformed key is refused with a message naming the variable and what was expected, holding no piece of the key", function () {
    fc.assert(
      fc.property(fc.constantFrom(...PRIVATE_KEY_VARIABLES), malformedKey, (variable, key) => {
        let error: unknown;
        try {
          readPrivateKeySetting((name) => (name === variable ? key : undefined), variable);
        } catch (caught) {
          error = caught;
        }
        expect(error, `accepted ${JSON.stringify(key)}`).to.be.instanceOf(KeySettingError);
        const message = (error as Error).message;
        expect(message).to.contain(variable).and.contain("expected 64 hex digits");
        expect(leakedPiece(message, key), message).to.equal(undefined);
        expect(leakedPiece(String((error as Error).stack), key)).to.equal(undefined);
      }),
      { numRuns: 300 },
    );
  });

  it("the LIVE safeguards name the variable and hold no piece of the key", function () {
    fc.assert(
      fc.property(malformedKey, malformedKey, (signing, relay) => {
        const violations = checkLiveSafeguards(
          { I_UNDERSTAND_LIVE_RISK: "true", KEEPER_PRIVATE_KEY: signing, FLASHBOTS_AUTH_KEY: relay },
          { usesRelay: true },
        ).join("\n");
        expect(violations)
          .to.contain("KEEPER_PRIVATE_KEY is not a valid private key")
          .and.contain("FLASHBOTS_AUTH_KEY is not a valid private key");
        expect(leakedPiece(violations, signing)).to.equal(undefined);
        expect(leakedPiece(violations, relay)).to.equal(undefined);
      }),
      { numRuns: 200 },
    );
  });

  it("says what is wrong in words: quotes, whitespace, the count of hex digits, the non-hex character's place", function () {
    const body = VALID_KEY.slice(2);
    const problem = (key: string) => {
      try {
        parsePrivateKeySetting("KEEPER_PRIVATE_KEY", key);
      } catch (error) {
        return (error as KeySettingError).problem;
      }
      return "accepted";
    };
    expect(problem(`"${VALID_KEY}"`)).to.contain("quotes");
    expect(problem(`${VALID_KEY.slice(0, 20)} ${VALID_KEY.slice(20)}`)).to.contain("whitespace");
    expect(problem(VALID_KEY.slice(0, 65))).to.equal("it has 63 hex digits");
    expect(problem(`0x${body.slice(0, 63)}g`)).to.contain("character 64");
    expect(problem(`0x${"0".repeat(64)}`)).to.contain("secp256k1");
  });

  it("accepts a valid key with or without 0x, in either case, and derives its address", function () {
    const address = new Wallet(VALID_KEY).address;
    for (const form of [VALID_KEY, VALID_KEY.slice(2), `0X${VALID_KEY.slice(2).toUpperCase()}`]) {
      const parsed = parsePrivateKeySetting("KEEPER_PRIVATE_KEY", form);
      expect(parsed.address).to.equal(address);
      expect(parsed.privateKey).to.equal(VALID_KEY);
    }
    expect(readPrivateKeySetting(() => undefined, "KEEPER_PRIVATE_KEY")).to.equal(undefined);
  });

  it("redaction with the known secret values scrubs a malformed key in every form it could be printed in", function () {
    fc.assert(
      fc.property(malformedKey, (key) => {
        const secrets = knownSecretValues((name) => (name === "DEPLOYER_PRIVATE_KEY" ? key : undefined));
        const unquoted = key.replace(/^["'`]|["'`]$/g, "");
        const text = `invalid BytesLike value (argument="value", value="${unquoted}", code=INVALID_ARGUMENT) ${unquoted.replace(/^0x/i, "")}`;
        expect(leakedPiece(redactSecrets(text, { knownSecrets: secrets }), key)).to.equal(undefined);
      }),
      { numRuns: 200 },
    );
  });
});
