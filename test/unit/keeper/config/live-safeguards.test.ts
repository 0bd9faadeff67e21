import { expect } from "chai";
import { computeAddress } from "ethers";
import { addressOfPrivateKey, checkLiveSafeguards } from "../../../../keeper/config/live-safeguards";

// Hardhat's well-known development keys: public, never funded on a real network.
const SIGNING_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const OTHER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const SECP256K1_ORDER_HEX = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";

const SAFE_ENV = { I_UNDERSTAND_LIVE_RISK: "true", KEEPER_PRIVATE_KEY: SIGNING_KEY, FLASHBOTS_AUTH_KEY: OTHER_KEY };

describe("checkLiveSafeguards", function () {
  it("passes with the acknowledgement, a valid signing key and a distinct relay key", function () {
    expect(checkLiveSafeguards(SAFE_ENV, { usesRelay: true })).to.deep.equal([]);
    expect(checkLiveSafeguards({ I_UNDERSTAND_LIVE_RISK: "true", KEEPER_PRIVATE_KEY: SIGNING_KEY }, { usesRelay: false })).to.deep.equal(
      [],
    );
  });

  it("requires I_UNDERSTAND_LIVE_RISK to be exactly true", function () {
    for (const value of [undefined, "", "TRUE", "yes", "1"]) {
      const violations = checkLiveSafeguards({ ...SAFE_ENV, I_UNDERSTAND_LIVE_RISK: value }, { usesRelay: true });
      expect(violations, String(value)).to.have.length(1);
      expect(violations[0]).to.contain("I_UNDERSTAND_LIVE_RISK");
    }
  });

  it("requires KEEPER_PRIVATE_KEY to be set and a valid key, without echoing it", function () {
    expect(checkLiveSafeguards({ ...SAFE_ENV, KEEPER_PRIVATE_KEY: undefined }, { usesRelay: false })[0]).to.contain(
      "KEEPER_PRIVATE_KEY is not set",
    );
    const bad = "0xdeadbeefdeadbeefdeadbeef";
    const violations = checkLiveSafeguards({ ...SAFE_ENV, KEEPER_PRIVATE_KEY: bad }, { usesRelay: false });
    expect(violations[0]).to.contain("KEEPER_PRIVATE_KEY is not a valid private key");
    expect(violations.join("\n")).to.not.contain("deadbeef");
  });

  it("rejects keys outside the secp256k1 range (zero, the group order)", function () {
    expect(addressOfPrivateKey(`0x${"0".repeat(64)}`)).to.equal(undefined);
    expect(addressOfPrivateKey(`0x${SECP256K1_ORDER_HEX}`)).to.equal(undefined);
    expect(addressOfPrivateKey(SIGNING_KEY)).to.equal(computeAddress(SIGNING_KEY));
  });

  it("with a relay, requires FLASHBOTS_AUTH_KEY set and valid", function () {
    expect(checkLiveSafeguards({ ...SAFE_ENV, FLASHBOTS_AUTH_KEY: undefined }, { usesRelay: true })[0]).to.contain(
      "FLASHBOTS_AUTH_KEY is not set",
    );
    expect(checkLiveSafeguards({ ...SAFE_ENV, FLASHBOTS_AUTH_KEY: "nope" }, { usesRelay: true })[0]).to.contain(
      "FLASHBOTS_AUTH_KEY is not a valid private key",
    );
  });

  it("compares derived addresses, not strings: the same key without 0x or in upper case is caught", function () {
    for (const sameKey of [SIGNING_KEY, SIGNING_KEY.slice(2), `0x${SIGNING_KEY.slice(2).toUpperCase()}`, ` ${SIGNING_KEY} `]) {
      const violations = checkLiveSafeguards({ ...SAFE_ENV, FLASHBOTS_AUTH_KEY: sameKey }, { usesRelay: true });
      expect(violations, sameKey).to.have.length(1);
      expect(violations[0]).to.contain("same key").and.contain(computeAddress(SIGNING_KEY));
      expect(violations[0]).to.not.contain(SIGNING_KEY.slice(2, 20));
    }
  });

  it("ignores the relay key when no relay is used", function () {
    expect(checkLiveSafeguards({ ...SAFE_ENV, FLASHBOTS_AUTH_KEY: SIGNING_KEY }, { usesRelay: false })).to.deep.equal([]);
  });

  it("reports every violation at once", function () {
    expect(checkLiveSafeguards({}, { usesRelay: true })).to.have.length(3);
  });
});
