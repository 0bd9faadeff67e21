import { Writable } from "node:stream";
import { expect } from "chai";
import { REDACTED, componentLogger, createLogger, prefersPrettyLogs, redactSecrets } from "../../../../keeper/telemetry/logger";

// Well-known Hardhat test key #0: public knowledge, never funded on Base.
const PRIVATE_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const TX_HASH = "0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060";
const ALCHEMY_KEY = "Zq3vT8yY0aBcDeFgHiJkLmNoPqRsTuVw";

/** Captures what pino writes, line by line, exactly as a file or collector would receive it. */
function captureStream(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(
        ...chunk
          .toString("utf8")
          .split("\n")
          .filter((l) => l !== ""),
      );
      done();
    },
  });
  return { stream, lines };
}

describe("telemetry: secret redaction", () => {
  describe("#redactSecrets", () => {
    const cases: Array<[string, string, string]> = [
      ["a private key anywhere in a string", `signer key ${PRIVATE_KEY} loaded`, PRIVATE_KEY],
      ["a private key without 0x when it is a known secret", `raw ${PRIVATE_KEY.slice(2)}`, PRIVATE_KEY.slice(2)],
      ["URL userinfo", "rpc https://alice:s3cretPass@rpc.example.org/base failed", "alice:s3cretPass"],
      ["an Alchemy-style /v2/<key> path", `https://base-mainnet.g.alchemy.com/v2/${ALCHEMY_KEY}`, ALCHEMY_KEY],
      [
        "an Infura-style /v3/<hex key>",
        "wss://base-mainnet.infura.io/ws/v3/9aa3d95b3bc440fa88ea12eaa4456161",
        "9aa3d95b3bc440fa88ea12eaa4456161",
      ],
      ["an ?apikey= query value", "https://api.basescan.org/api?module=proxy&apikey=ABCD1234", "ABCD1234"],
      ["a ?token= query value", "https://rpc.example.org/?network=base&token=short", "token=short"],
      [
        "a Telegram bot token in a URL",
        "POST https://api.telegram.org/bot123456789:AAHk_secretTokenValue0123456789abcdef/sendMessage",
        "AAHk_secretTokenValue0123456789abcdef",
      ],
      [
        "an Authorization header in text",
        "headers: Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig",
        "eyJhbGciOiJIUzI1NiJ9.payload.sig",
      ],
      ["an Authorization header in JSON", `{"headers":{"Authorization":"Basic dXNlcjpwYXNz"}}`, "dXNlcjpwYXNz"],
      [
        "an X-Flashbots-Signature header",
        "X-Flashbots-Signature: 0x1234567890abcdef1234567890abcdef12345678:0xdeadbeefcafe",
        "0xdeadbeefcafe",
      ],
      ["a secret-named JSON field", `{"bundleSignerPrivateKey":"not-hex-but-secret"}`, "not-hex-but-secret"],
      ["a password in key=value text", "connecting with password=hunter2hunter2 now", "hunter2hunter2"],
    ];
    for (const [what, input, secret] of cases) {
      it(`removes ${what}`, () => {
        const out = redactSecrets(input, { knownSecrets: [PRIVATE_KEY] });
        expect(out).to.not.include(secret);
        expect(out).to.include(REDACTED);
      });
    }

    it("keeps what an operator needs: hosts, ordinary paths, addresses, and hashes in hash fields", () => {
      const line = JSON.stringify({
        msg: "sent",
        url: "https://mainnet.base.org/",
        endpoint: "https://base-mainnet.g.alchemy.com/v2/",
        operator: "0x2222222222222222222222222222222222222222",
        txHash: TX_HASH,
        txHashes: [TX_HASH, TX_HASH],
      });
      expect(redactSecrets(line)).to.equal(line);
      expect(redactSecrets(`txHash=${TX_HASH}`)).to.equal(`txHash=${TX_HASH}`);
      expect(redactSecrets(`mined ${TX_HASH}`, { publicValues: [TX_HASH] })).to.equal(`mined ${TX_HASH}`);
      // The same 32-byte value outside a hash field is treated as a key.
      expect(redactSecrets(`mined ${TX_HASH}`)).to.equal(`mined ${REDACTED}`);
      // Zero is no secp256k1 key: the zero id a task refuses stays readable; one more digit is a key again.
      const zero = `0x${"0".repeat(64)}`;
      expect(redactSecrets(`--market ${zero} is zero`)).to.equal(`--market ${zero} is zero`);
      expect(redactSecrets(`--market 0x${"0".repeat(63)}1`)).to.equal(`--market ${REDACTED}`);
    });

    it("redacts a known secret even when it sits in a hash field", () => {
      expect(redactSecrets(JSON.stringify({ txHash: PRIVATE_KEY }), { knownSecrets: [PRIVATE_KEY] })).to.not.include(PRIVATE_KEY.slice(2));
    });

    it("keeps JSON valid", () => {
      const line = JSON.stringify({
        msg: `key ${PRIVATE_KEY}`,
        err: { message: `could not reach https://u:p@host/v2/${ALCHEMY_KEY}?apikey=X` },
        headers: { authorization: "Bearer abc def", "x-flashbots-signature": "0xabc:0xdef" },
        nested: JSON.stringify({ authorization: "Bearer inner" }),
      });
      const out = redactSecrets(line);
      const parsed = JSON.parse(out) as { headers: Record<string, string>; nested: string };
      expect(parsed.headers.authorization).to.equal(REDACTED);
      expect(parsed.nested).to.not.include("inner");
      expect(out).to.not.include(ALCHEMY_KEY);
    });
  });

  describe("#createLogger", () => {
    it("redacts every secret shape in what reaches the destination, through child loggers and errors", () => {
      const { stream, lines } = captureStream();
      const rpcUrl = `https://base-mainnet.g.alchemy.com/v2/${ALCHEMY_KEY}`;
      const root = createLogger({ format: "json", destination: stream, base: { keeper: "test" }, knownSecrets: [PRIVATE_KEY, rpcUrl] });
      const log = componentLogger(root, "executor");
      log.info({ privateKey: PRIVATE_KEY, rpcUrl }, "starting");
      log.warn(`fallback to https://bob:pw123456@rpc.example.org and ${PRIVATE_KEY.slice(2)}`);
      log.error(
        {
          err: new Error(`send failed: 401 from ${rpcUrl}`),
          headers: { Authorization: "Bearer tok_abcdef123456", "X-Flashbots-Signature": "0xaa:0xbb" },
        },
        "send failed",
      );
      log.info({ txHash: TX_HASH }, "included");

      expect(lines).to.have.length(4);
      const all = lines.join("\n");
      for (const secret of [PRIVATE_KEY.slice(2), ALCHEMY_KEY, "pw123456", "tok_abcdef123456", "0xaa:0xbb"]) {
        expect(all).to.not.include(secret);
      }
      const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(parsed.every((p) => p.component === "executor" && p.keeper === "test")).to.equal(true);
      expect(parsed[3].txHash).to.equal(TX_HASH);
    });

    it("writes pretty, still redacted, output when asked", () => {
      const { stream, lines } = captureStream();
      const log = createLogger({ format: "pretty", destination: stream });
      log.info(`key ${PRIVATE_KEY}`);
      const all = lines.join("\n");
      expect(all).to.include("INFO");
      expect(all).to.not.include(PRIVATE_KEY);
      expect(() => JSON.parse(lines[0])).to.throw();
    });

    it("chooses pretty only on a terminal outside production", () => {
      expect(prefersPrettyLogs({ isTty: true, production: false })).to.equal(true);
      expect(prefersPrettyLogs({ isTty: false, production: false })).to.equal(false);
      expect(prefersPrettyLogs({ isTty: true, production: true })).to.equal(false);
    });

    it("lets a component log at its own level", () => {
      const { stream, lines } = captureStream();
      const root = createLogger({ format: "json", destination: stream, level: "info" });
      componentLogger(root, "markets", "debug").debug("visible");
      componentLogger(root, "strategy").debug("hidden");
      expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).to.deep.equal(["visible"]);
    });
  });
});
