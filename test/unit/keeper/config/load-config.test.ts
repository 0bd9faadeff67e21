import { expect } from "chai";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConfigError, loadKeeperConfig } from "../../../../keeper/config/load";
import { defaultsFor } from "../../../../keeper/config/defaults";
import { KEEPER_NETWORKS, keeperConfigSchema } from "../../../../keeper/config/schema";
import { riskLimitsFromConfig } from "../../../../keeper/config/runtime-settings";
import { TIER_PRESETS } from "../../../../keeper/risk/limits";

const scratch = mkdtempSync(path.join(tmpdir(), "chimera-config-"));
let fileCounter = 0;
function configFile(contents: unknown): string {
  fileCounter += 1;
  const file = path.join(scratch, `config-${fileCounter}.json`);
  writeFileSync(file, typeof contents === "string" ? contents : JSON.stringify(contents));
  return file;
}

/** Loads and returns the ConfigError, failing the test if loading succeeds. */
function configError(load: () => unknown): ConfigError {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

const BASE_ENV = { BASE_RPC_URL: "https://base.example.invalid/v2/secret-api-key-123" };

describe("loadKeeperConfig", function () {
  describe("defaults", function () {
    it("every network's defaults validate", function () {
      for (const network of KEEPER_NETWORKS) {
        expect(() => loadKeeperConfig({ network, env: {}, checkEnv: false }), network).to.not.throw();
      }
    });

    it("real networks default to DRY; the sandbox to LIVE", function () {
      expect(loadKeeperConfig({ network: "base", env: BASE_ENV }).mode).to.equal("DRY");
      expect(loadKeeperConfig({ network: "mainnet", env: {}, checkEnv: false }).mode).to.equal("DRY");
      expect(loadKeeperConfig({ network: "hardhat", env: {} }).mode).to.equal("LIVE");
    });

    it("metrics default to 127.0.0.1:9464 and the journal to data/keeper-<network>.sqlite", function () {
      const config = loadKeeperConfig({ network: "base", env: BASE_ENV });
      expect(config.metrics).to.deep.equal({ port: 9464, host: "127.0.0.1" });
      expect(config.journal.path).to.equal("data/keeper-base.sqlite");
    });

    it("refuses an unknown network by name", function () {
      const error = configError(() => loadKeeperConfig({ network: "optimism", env: {} }));
      expect(error.issues[0]?.path).to.equal("network");
      expect(error.message).to.contain('got "optimism"');
    });
  });

  describe("--config file", function () {
    it("merges the file over the defaults: objects field by field, lists replaced", function () {
      const file = configFile({
        network: "base",
        rpc: {
          read: [
            { name: "a", urlEnv: "BASE_RPC_URL" },
            { name: "b", urlEnv: "BASE_RPC_URL_BACKUP" },
          ],
        },
        strategy: { dustUsd: 12 },
      });
      const config = loadKeeperConfig({ network: "base", file, env: { ...BASE_ENV, BASE_RPC_URL_BACKUP: "wss://backup.example.invalid" } });
      expect(config.rpc.read.map((endpoint) => endpoint.name)).to.deep.equal(["a", "b"]);
      expect(config.rpc.send).to.deep.equal([{ name: "primary", urlEnv: "BASE_RPC_URL" }]); // from defaults
      expect(config.strategy.dustUsd).to.equal(12);
      expect(config.strategy.bidShareOfProfit).to.equal(0.2); // from defaults
    });

    it("reports EVERY bad field by path, with what was expected and what was found", function () {
      const file = configFile({
        limits: { maxDailyLossUsd: "abc", borrowerCooldownMs: "3 minutes" },
        strategy: { bidShareOfProfit: 1.5, minProfitHaircutBps: 12.5 },
        metrics: { port: 70_000 },
        rpc: { read: [{ name: "x", urlEnv: "lowercase_name" }] },
        mode: "live-ish",
      });
      const error = configError(() => loadKeeperConfig({ network: "base", file, env: BASE_ENV }));
      const lines = error.issues.map((issue) => `${issue.path}: ${issue.message}`);
      expect(lines).to.include.members([
        'limits.maxDailyLossUsd: expected a positive number, got "abc"',
        'limits.borrowerCooldownMs: expected an integer >= 0, got "3 minutes"',
        "strategy.bidShareOfProfit: expected a number between 0 and 1, got 1.5",
        "strategy.minProfitHaircutBps: expected an integer number of basis points (0-10000), got 12.5",
        "metrics.port: expected a TCP port (1-65535), got 70000",
        'mode: expected "DRY" or "LIVE", got "live-ish"',
      ]);
      expect(lines.some((line) => line.startsWith("rpc.read[0].urlEnv: expected the NAME of an environment variable"))).to.equal(true);
      expect(error.message).to.contain("limits.maxDailyLossUsd");
    });

    it("names misspelt fields instead of ignoring them", function () {
      const file = configFile({ strategy: { dustUSD: 5 } });
      const error = configError(() => loadKeeperConfig({ network: "base", file, env: BASE_ENV }));
      expect(error.issues.map((issue) => issue.path)).to.deep.equal(["strategy.dustUSD"]);
      expect(error.issues[0]?.message).to.contain("unknown field");
      // It names what the object does take (the schema's own fields, not a file to go and read).
      expect(error.issues[0]?.message).to.match(/expected one of: .*\bdustUsd\b/);
      const nested = configError(() =>
        loadKeeperConfig({ network: "base", file: configFile({ journal: { lease: { second: 3 } } }), env: BASE_ENV }),
      );
      expect(nested.issues[0]).to.deep.include({
        path: "journal.lease.second",
        message: "unknown field (check its spelling); expected one of: seconds, refreshSeconds",
      });
    });

    it("never echoes a URL put where a variable name belongs", function () {
      const file = configFile({ rpc: { read: [{ name: "oops", urlEnv: "https://base-mainnet.example.invalid/v2/SECRETKEY" }] } });
      const error = configError(() => loadKeeperConfig({ network: "base", file, env: BASE_ENV }));
      expect(error.message).to.contain("rpc.read[0].urlEnv");
      expect(error.message).to.not.contain("SECRETKEY");
      expect(error.message).to.contain("not shown");
    });

    it("without a tier, every USD limit must be given", function () {
      // A file cannot delete the defaults' tier (it merges), so check the schema rule on its own: the
      // sandbox defaults use explicit limits; drop two of them.
      const sandbox = defaultsFor("hardhat");
      const { minProfitUsd: _dropped, maxDailyLossUsd: _alsoDropped, ...partialLimits } = sandbox.limits;
      const result = keeperConfigSchema.safeParse({ ...sandbox, limits: partialLimits });
      expect(result.success).to.equal(false);
      if (result.success) return;
      expect(result.error.issues.map((issue) => issue.path.join("."))).to.have.members(["limits.minProfitUsd", "limits.maxDailyLossUsd"]);
    });

    it("a file that picks a tier gets that tier's limits, not the defaults' explicit ones", function () {
      // The sandbox defaults give every USD limit explicitly; a file choosing tier 1 must not inherit them.
      const tierOnly = riskLimitsFromConfig(loadKeeperConfig({ network: "hardhat", file: configFile({ limits: { tier: 1 } }), env: {} }));
      expect(tierOnly.label).to.equal(1);
      expect(tierOnly.limits.maxSingleExecutionUsd).to.equal(TIER_PRESETS[1].maxSingleExecutionUsd);
      expect(tierOnly.limits.maxDailyVolumeUsd).to.equal(TIER_PRESETS[1].maxDailyVolumeUsd);
      // A USD limit the file gives itself still overrides its tier.
      const tierWithOverride = riskLimitsFromConfig(
        loadKeeperConfig({ network: "hardhat", file: configFile({ limits: { tier: 2, minProfitUsd: 80 } }), env: {} }),
      );
      expect(tierWithOverride.label).to.equal("custom");
      expect(tierWithOverride.limits.minProfitUsd).to.equal(80);
      expect(tierWithOverride.limits.maxSingleExecutionUsd).to.equal(TIER_PRESETS[2].maxSingleExecutionUsd);
    });

    it("refuses a file written for another network, an unreadable file and invalid JSON", function () {
      expect(
        configError(() => loadKeeperConfig({ network: "base", file: configFile({ network: "mainnet" }), env: BASE_ENV })).message,
      ).to.contain('"mainnet"');
      expect(
        configError(() => loadKeeperConfig({ network: "base", file: path.join(scratch, "missing.json"), env: BASE_ENV })).message,
      ).to.contain("cannot read");
      expect(configError(() => loadKeeperConfig({ network: "base", file: configFile("{ not json"), env: BASE_ENV })).message).to.contain(
        "not a JSON object",
      );
    });
  });

  describe("environment", function () {
    it("names the RPC variable a real network needs when it is unset", function () {
      const error = configError(() => loadKeeperConfig({ network: "base", env: {} }));
      expect(error.issues).to.deep.include({
        path: "rpc.read[0].urlEnv",
        message:
          'environment variable BASE_RPC_URL is not set; it must hold the URL of read endpoint "primary" (npx hardhat vars set BASE_RPC_URL, or see .env.example)',
      });
    });

    it("refuses a variable that holds no URL, without showing its value", function () {
      const error = configError(() => loadKeeperConfig({ network: "base", env: { BASE_RPC_URL: "not-a-url-but-maybe-a-secret" } }));
      expect(error.message).to.contain("does not hold an http(s) or ws(s) URL");
      expect(error.message).to.not.contain("maybe-a-secret");
    });

    it("KEEPER_MODE and KEEPER_METRICS_PORT override the file; bad values are named", function () {
      const config = loadKeeperConfig({ network: "hardhat", env: { KEEPER_MODE: "dry", KEEPER_METRICS_PORT: "9999" } });
      expect(config.mode).to.equal("DRY");
      expect(config.metrics.port).to.equal(9999);
      const error = configError(() => loadKeeperConfig({ network: "hardhat", env: { KEEPER_MODE: "yolo", KEEPER_METRICS_PORT: "abc" } }));
      expect(error.issues.map((issue) => issue.path)).to.have.members(["mode", "metrics.port"]);
    });

    it("LIVE on a real network without the safeguards stops start-up with every violation", function () {
      const error = configError(() => loadKeeperConfig({ network: "base", env: { ...BASE_ENV, KEEPER_MODE: "live" } }));
      const modeIssues = error.issues.filter((issue) => issue.path === "mode");
      expect(modeIssues.map((issue) => issue.message).join("\n"))
        .to.contain("I_UNDERSTAND_LIVE_RISK")
        .and.contain("KEEPER_PRIVATE_KEY");
    });

    it("LIVE on the sandbox needs no safeguards", function () {
      expect(loadKeeperConfig({ network: "hardhat", env: {} }).mode).to.equal("LIVE");
    });

    it("checkEnv: false loads a real network's config without its secrets (for reports)", function () {
      expect(loadKeeperConfig({ network: "base", env: {}, checkEnv: false }).network).to.equal("base");
    });
  });

  describe("example files (keeper/config/networks)", function () {
    const examples = path.join(__dirname, "../../../../keeper/config/networks");
    for (const [network, file] of [
      ["base", "base.example.json"],
      ["mainnet", "mainnet.example.json"],
      ["hardhat", "hardhat.example.json"],
    ] as const) {
      it(`${file} validates for ${network}`, function () {
        const config = loadKeeperConfig({ network, file: path.join(examples, file), env: {}, checkEnv: false });
        expect(config.network).to.equal(network);
      });
    }
  });
});
