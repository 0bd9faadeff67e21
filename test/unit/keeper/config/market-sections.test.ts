/**
 * The config's `markets` section is built from the market plug-in table: one section per plug-in, its
 * own schema and per-network defaults. What an operator sees: the defaults each network had, a bad
 * field reported at its path by the plug-in's own message, a section for a protocol no plug-in
 * provides refused by name.
 */
import { expect } from "chai";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConfigError, loadKeeperConfig } from "../../../../keeper/config/load";
import { MARKET_PLUGINS } from "../../../../keeper/markets/registry";

const scratch = mkdtempSync(path.join(tmpdir(), "chimera-markets-"));

function loadWith(markets: unknown, network = "base"): ReturnType<typeof loadKeeperConfig> {
  const file = path.join(scratch, `markets-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ markets }));
  return loadKeeperConfig({ network, file, env: {}, checkEnv: false });
}

function issuesOf(load: () => unknown): { path: string; message: string }[] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((issue) => ({ path: issue.path, message: issue.message }));
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("config: one markets section per market plug-in", function () {
  it("defaults each network to what its plug-ins say: Moonwell only on Base, wider batches on the sandbox, Aave's rules from the address book", function () {
    const base = loadKeeperConfig({ network: "base", env: {}, checkEnv: false }).markets;
    expect(Object.keys(base)).to.deep.equal(MARKET_PLUGINS.map((plugin) => plugin.name));
    expect(base).to.deep.equal({
      aaveV3: { enabled: true, batchSize: 200 },
      morphoBlue: { enabled: true, batchSize: 200 },
      moonwell: { enabled: true, batchSize: 200 },
    });
    expect(loadKeeperConfig({ network: "mainnet", env: {}, checkEnv: false }).markets.moonwell).to.deep.equal({
      enabled: false,
      batchSize: 200,
    });
    expect(loadKeeperConfig({ network: "hardhat", env: {} }).markets).to.deep.equal({
      aaveV3: { enabled: true, batchSize: 250 },
      morphoBlue: { enabled: true, batchSize: 250 },
      moonwell: { enabled: false, batchSize: 250 },
    });
  });

  it("takes a file's override of one plug-in's field and keeps the others' defaults", function () {
    const markets = loadWith({ moonwell: { batchSize: 50 }, morphoBlue: { marketIds: [`0x${"12".repeat(32)}`] } }).markets;
    expect(markets.moonwell).to.deep.equal({ enabled: true, batchSize: 50 });
    expect(markets.morphoBlue).to.deep.equal({ enabled: true, batchSize: 200, marketIds: [`0x${"12".repeat(32)}`] });
  });

  it("reports a bad field at its path with the plug-in's message, and refuses a section no plug-in provides", function () {
    expect(issuesOf(() => loadWith({ moonwell: { batchSize: 0 } }))).to.deep.include({
      path: "markets.moonwell.batchSize",
      message: "expected a positive integer, got 0",
    });
    expect(issuesOf(() => loadWith({ aaveV3: { liquidationRules: "v4" } }))[0]?.path).to.equal("markets.aaveV3.liquidationRules");
    const unknown = issuesOf(() => loadWith({ compoundV2: { enabled: true, batchSize: 10 } }));
    expect(unknown.map((issue) => issue.path)).to.deep.equal(["markets.compoundV2"]);
    expect(unknown[0]?.message).to.contain("unknown field");
  });
});
