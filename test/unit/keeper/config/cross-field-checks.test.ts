/**
 * Fields that only make sense together are checked when the config loads, in the file's own units, and
 * every combination validation accepts also works when the keeper builds from it: the fee policy the
 * submit path constructs, the bids the strategy makes against the risk gate's cap, the USD limits the
 * gate holds. Property-based: fast-check picks the numbers, including the edges.
 */
import { expect } from "chai";
import fc from "fast-check";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConfigError, loadKeeperConfig } from "../../../../keeper/config/load";
import { riskLimitsFromConfig, strategySettingsFromConfig } from "../../../../keeper/config/runtime-settings";
import { DEFAULT_FEE_POLICY, validateFeePolicy } from "../../../../keeper/submit/fee-policy";
import { TIER_PRESETS } from "../../../../keeper/risk/limits";

const scratch = mkdtempSync(path.join(tmpdir(), "chimera-cross-field-"));
let files = 0;
function load(overrides: unknown, network = "hardhat") {
  files += 1;
  const file = path.join(scratch, `keeper-${files}.json`);
  writeFileSync(file, JSON.stringify(overrides));
  return loadKeeperConfig({ network, file, env: {}, checkEnv: false });
}

function issuesOf(action: () => unknown): { path: string; message: string }[] {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigError) return [...error.issues];
    throw error;
  }
  return [];
}

/** Gwei values with a few decimals, as an operator writes them. */
const gweiValue = fc.integer({ min: 1, max: 500_000 }).map((milli) => milli / 1000);

describe("config: cross-field checks, in operator units", function () {
  it("limits.maxPriorityFeeGwei above limits.maxFeePerGasGwei is refused at load; anything accepted builds a valid fee policy", function () {
    fc.assert(
      fc.property(gweiValue, gweiValue, (priority, maxFee) => {
        const limits = { maxPriorityFeeGwei: priority, maxFeePerGasGwei: maxFee };
        const strategy = { maxPriorityFeeGwei: Math.min(priority, 0.001) };
        const issues = issuesOf(() => load({ limits, strategy }));
        const mine = issues.filter((issue) => issue.path === "limits.maxPriorityFeeGwei");
        if (priority > maxFee) {
          expect(mine, `${priority} > ${maxFee}`).to.have.length(1);
          expect(mine[0]!.message).to.contain(`${maxFee} gwei`).and.contain(`${priority} gwei`).and.contain("limits.maxFeePerGasGwei");
          expect(mine[0]!.message, "operator units, not wei").to.not.match(/\d{10,}/);
          return;
        }
        expect(issues, JSON.stringify(issues)).to.deep.equal([]);
        const config = load({ limits, strategy });
        const { limits: runtime } = riskLimitsFromConfig(config);
        // What the submit path builds at start-up (keeper/engine/assemble-keeper.ts) must not throw.
        validateFeePolicy({
          ...DEFAULT_FEE_POLICY,
          maxFeePerGasCap: runtime.maxFeePerGasWei,
          maxPriorityFeePerGasCap: runtime.maxPriorityFeePerGasWei,
          cancelMaxFeePerGasCeiling: runtime.maxFeePerGasWei * 2n,
        });
      }),
      { numRuns: 100 },
    );
  });

  it("the strategy's bid cap above the risk gate's cap is refused; when accepted, every bid the strategy can make passes the gate", function () {
    fc.assert(
      fc.property(gweiValue, gweiValue, (bid, cap) => {
        const overrides = { strategy: { maxPriorityFeeGwei: bid }, limits: { maxPriorityFeeGwei: cap, maxFeePerGasGwei: 1_000 } };
        const issues = issuesOf(() => load(overrides));
        if (bid > cap) {
          expect(issues.map((issue) => issue.path)).to.deep.equal(["strategy.maxPriorityFeeGwei"]);
          expect(issues[0]!.message).to.contain("priority-fee-cap").and.contain(`${cap} gwei`);
          return;
        }
        expect(issues).to.deep.equal([]);
        const config = load(overrides);
        expect(
          strategySettingsFromConfig(config).maxPriorityFeePerGasWei <= riskLimitsFromConfig(config).limits.maxPriorityFeePerGasWei,
        ).to.equal(true);
      }),
      { numRuns: 100 },
    );
  });

  it("a fee below 1 wei (it would round to 0) is refused, naming the field", function () {
    const issues = issuesOf(() => load({ limits: { maxPriorityFeeGwei: 1e-10, maxFeePerGasGwei: 1e-10 } }));
    expect(issues.map((issue) => issue.path)).to.include.members(["limits.maxPriorityFeeGwei", "limits.maxFeePerGasGwei"]);
    expect(issues[0]!.message).to.contain("1 wei");
  });

  it("USD limits no plan could meet are refused, with the tier's preset values where the tier supplies them", function () {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5_000 }),
        fc.integer({ min: 1, max: 5_000 }),
        fc.integer({ min: 1, max: 5_000 }),
        (minProfit, single, daily) => {
          const limits = { minProfitUsd: minProfit, maxSingleExecutionUsd: single, maxDailyVolumeUsd: daily, maxDailyLossUsd: 10 };
          const paths = issuesOf(() => load({ limits })).map((issue) => issue.path);
          expect(paths.includes("limits.minProfitUsd"), `${minProfit} vs ${single}`).to.equal(minProfit >= single);
          expect(paths.includes("limits.maxSingleExecutionUsd"), `${single} vs ${daily}`).to.equal(single > daily);
        },
      ),
      { numRuns: 100 },
    );
    // Tier 1 supplies maxSingleExecutionUsd 500: a file raising only minProfitUsd above it is caught, in dollars.
    const tierIssue = issuesOf(() => load({ limits: { tier: 1, minProfitUsd: 600 } }, "hardhat"));
    expect(tierIssue.map((issue) => issue.path)).to.deep.equal(["limits.minProfitUsd"]);
    expect(tierIssue[0]!.message).to.contain(`$${TIER_PRESETS[1].maxSingleExecutionUsd} (tier 1)`).and.contain("$600");
  });

  it("a relay on Base, duplicate endpoint names and no enabled market are refused", function () {
    const env = { BASE_RPC_URL: "https://base.example.invalid", FLASHBOTS_RELAY_URL: "https://relay.example.invalid" };
    files += 1;
    const relayFile = path.join(scratch, `relay-${files}.json`);
    writeFileSync(relayFile, JSON.stringify({ relay: { urlEnv: "FLASHBOTS_RELAY_URL", kind: "flashbots" } }));
    expect(issuesOf(() => loadKeeperConfig({ network: "base", file: relayFile, env })).map((issue) => issue.path)).to.deep.equal(["relay"]);

    const twice = {
      rpc: {
        read: [
          { name: "a", urlEnv: "X_URL" },
          { name: "a", urlEnv: "Y_URL" },
        ],
        send: [],
        maxHeadLagMs: 400,
        requestTimeoutMs: 1,
      },
    };
    expect(issuesOf(() => load(twice)).map((issue) => issue.path)).to.deep.equal(["rpc.read[1].name"]);

    const none = { markets: { aaveV3: { enabled: false }, morphoBlue: { enabled: false }, moonwell: { enabled: false } } };
    expect(issuesOf(() => load(none)).map((issue) => issue.path)).to.deep.equal(["markets"]);
  });

  it("metrics.host beyond loopback needs metrics.exposeBeyondLoopback: true", function () {
    for (const host of ["0.0.0.0", "::", "192.168.1.10", "keeper.internal"]) {
      const issues = issuesOf(() => load({ metrics: { host } }));
      expect(
        issues.map((issue) => issue.path),
        host,
      ).to.deep.equal(["metrics.host"]);
      expect(issues[0]!.message).to.contain("metrics.exposeBeyondLoopback");
      expect(load({ metrics: { host, exposeBeyondLoopback: true } }).metrics.host).to.equal(host);
    }
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "localhost"])
      expect(
        issuesOf(() => load({ metrics: { host } })),
        host,
      ).to.deep.equal([]);
  });
});
