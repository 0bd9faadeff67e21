import { expect } from "chai";
import { loadKeeperConfig } from "../../../../keeper/config/load";
import { redactConfig } from "../../../../keeper/config/redact-config";
import type { KeeperConfig } from "../../../../keeper/config/schema";

describe("redactConfig", function () {
  it("shows which variables are set, never their values", function () {
    const config = loadKeeperConfig({ network: "base", env: {}, checkEnv: false });
    const secretUrl = "https://base.example.invalid/v2/SUPERSECRETKEY";
    const printed = JSON.stringify(redactConfig(config, { BASE_RPC_URL: secretUrl }));
    expect(printed).to.contain("BASE_RPC_URL (set)");
    expect(printed).to.not.contain("SUPERSECRETKEY");
    expect(JSON.stringify(redactConfig(config, {}))).to.contain("BASE_RPC_URL (unset)");
  });

  it("replaces anything shaped like a URL or a private key, as defence in depth", function () {
    const config = loadKeeperConfig({ network: "base", env: {}, checkEnv: false });
    const tampered = {
      ...config,
      journal: { path: `key-${"ab".repeat(32)}.sqlite` },
      rpc: { ...config.rpc, read: [{ name: "https://user:pw@host", urlEnv: "X" }] },
    };
    const printed = JSON.stringify(redactConfig(tampered as KeeperConfig));
    expect(printed).to.not.contain("ab".repeat(32));
    expect(printed).to.not.contain("user:pw");
    expect(printed).to.contain("[REDACTED]");
  });
});
