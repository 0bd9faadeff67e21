import { expect } from "chai";
import fc from "fast-check";
import { REDACTED, redactSecrets, redactUrl } from "../../../../keeper/telemetry/redact";

describe("redactUrl (configured endpoints, printed)", function () {
  const R = REDACTED;
  const cases: Array<[string, string, string]> = [
    ["userinfo", "https://alice:s3cretpass@rpc.example.com/", `https://${R}@rpc.example.com/`],
    [
      "Alchemy-style key in the path",
      "https://base-mainnet.g.alchemy.com/v2/AbCdEfGhIjKlMnOpQrStUvWxYz012345",
      `https://base-mainnet.g.alchemy.com/v2/${R}`,
    ],
    [
      "Infura-style hex key",
      "https://base-mainnet.infura.io/v3/0123456789abcdef0123456789abcdef",
      `https://base-mainnet.infura.io/v3/${R}`,
    ],
    [
      "QuickNode token with trailing slash",
      "https://wild-frog.base-mainnet.quiknode.pro/9f8e7d6c5b4a39281706f5e4d3c2b1a098765432/",
      `https://wild-frog.base-mainnet.quiknode.pro/${R}/`,
    ],
    [
      "Ankr key after the chain name",
      "https://rpc.ankr.com/base/aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899",
      `https://rpc.ankr.com/base/${R}`,
    ],
    ["every query value", "https://rpc.example.com/?apikey=XYZ123&region=eu", `https://rpc.example.com/?apikey=${R}&region=${R}`],
    ["a key in a subdomain", "https://a1b2c3d4e5f6a7b8c9d0e1f2.rpc.example.com/", `https://${R}.rpc.example.com/`],
    ["nothing secret to remove", "http://127.0.0.1:8545/", "http://127.0.0.1:8545/"],
    ["a plain network path", "https://mainnet.base.org/", "https://mainnet.base.org/"],
  ];

  for (const [what, input, expected] of cases) {
    it(`redacts ${what}`, function () {
      expect(redactUrl(input)).to.equal(expected);
    });
  }

  it("never echoes a string that is not a URL (it may be a key pasted into the wrong variable)", function () {
    const pasted = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
    expect(redactUrl(pasted)).to.equal("<unparseable URL>");
  });

  it("judges a path segment by the same credential rule as the log redaction (one rule, two printers)", function () {
    const segment = fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/);
    fc.assert(
      fc.property(segment, (value) => {
        const url = `https://rpc.example.com/base/${value}`;
        const hiddenInEndpointLabel = !redactUrl(url).includes(`/${value}`);
        const hiddenInLogText = !redactSecrets(`calling ${url} now`).includes(`/${value}`);
        expect(hiddenInEndpointLabel, value).to.equal(hiddenInLogText);
      }),
      { numRuns: 500 },
    );
  });
});
