import { expect } from "chai";
import { redactUrl } from "../../../../keeper/rpc/redact-url";

describe("redactUrl", function () {
  const cases: Array<[string, string, string]> = [
    ["userinfo", "https://alice:s3cretpass@rpc.example.com/", "https://***@rpc.example.com/"],
    [
      "Alchemy-style key in the path",
      "https://base-mainnet.g.alchemy.com/v2/AbCdEfGhIjKlMnOpQrStUvWxYz012345",
      "https://base-mainnet.g.alchemy.com/v2/***",
    ],
    ["Infura-style hex key", "https://base-mainnet.infura.io/v3/0123456789abcdef0123456789abcdef", "https://base-mainnet.infura.io/v3/***"],
    [
      "QuickNode token with trailing slash",
      "https://wild-frog.base-mainnet.quiknode.pro/9f8e7d6c5b4a39281706f5e4d3c2b1a098765432/",
      "https://wild-frog.base-mainnet.quiknode.pro/***/",
    ],
    [
      "Ankr key after the chain name",
      "https://rpc.ankr.com/base/aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899",
      "https://rpc.ankr.com/base/***",
    ],
    ["every query value", "https://rpc.example.com/?apikey=XYZ123&region=eu", "https://rpc.example.com/?apikey=***&region=***"],
    ["a key in a subdomain", "https://a1b2c3d4e5f6a7b8c9d0e1f2.rpc.example.com/", "https://***.rpc.example.com/"],
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
    expect(redactUrl(pasted)).to.equal("<unparseable RPC URL>");
  });
});
