import { expect } from "chai";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadKeeperConfig } from "../../../../keeper/config/load";
import {
  breakerThresholdsFromConfig,
  executionTimingFromConfig,
  riskLimitsFromConfig,
  strategySettingsFromConfig,
} from "../../../../keeper/config/runtime-settings";
import {
  BASE_DENIM_ACTIVATION_MS,
  BASE_SEPOLIA_DENIM_ACTIVATION_MS,
  blockTimeMsFor,
  blocksIn,
  nominalBlockTimeMs,
} from "../../../../keeper/config/block-time";
import { ConfigError } from "../../../../keeper/config/load";
import type { KeeperConfig } from "../../../../keeper/config/schema";
import { TIER_PRESETS } from "../../../../keeper/risk/limits";

const GWEI = 10n ** 9n;
const scratch = mkdtempSync(path.join(tmpdir(), "chimera-settings-"));
function baseConfigWith(overrides: unknown): KeeperConfig {
  const file = path.join(scratch, `c-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(overrides));
  return loadKeeperConfig({ network: "base", file, env: {}, checkEnv: false });
}

describe("runtime settings from config", function () {
  it("a tier alone gives that preset, labelled by its number, with fee caps in wei", function () {
    const { limits, label } = riskLimitsFromConfig(baseConfigWith({ limits: { tier: 2 } }));
    expect(label).to.equal(2);
    expect(limits).to.include(TIER_PRESETS[2]);
    expect(limits.maxPriorityFeePerGasWei).to.equal(5n * GWEI);
    expect(limits.maxFeePerGasWei).to.equal(10n * GWEI);
    // A minute on Base, kept in time: the gate compares it with the clock, never with block numbers.
    expect(limits.borrowerCooldown).to.deep.equal({ amount: 60, unit: "seconds" });
  });

  it("explicit USD limits override the tier field by field and make the label custom", function () {
    const { limits, label } = riskLimitsFromConfig(baseConfigWith({ limits: { tier: 1, maxSingleExecutionUsd: 750 } }));
    expect(label).to.equal("custom");
    expect(limits.maxSingleExecutionUsd).to.equal(750);
    expect(limits.maxDailyVolumeUsd).to.equal(TIER_PRESETS[1].maxDailyVolumeUsd);
  });

  it("strategy settings convert gwei to wei and gas units to bigint", function () {
    const settings = strategySettingsFromConfig(baseConfigWith({ strategy: { maxPriorityFeeGwei: 0.25, gasUnitsFallback: 750_000 } }));
    expect(settings.maxPriorityFeePerGasWei).to.equal(250_000_000n);
    expect(settings.gasUnitsFallback).to.equal(750_000n);
  });

  it("the breaker's daily-loss trip point follows the limits unless set", function () {
    expect(breakerThresholdsFromConfig(baseConfigWith({ limits: { tier: 2 } }), 200).dailyLoss.maxUsd).to.equal(
      TIER_PRESETS[2].maxDailyLossUsd,
    );
    expect(
      breakerThresholdsFromConfig(baseConfigWith({ breaker: { dailyLoss: { maxUsd: 42, severity: "THROTTLED" } } }), 200).dailyLoss,
    ).to.deep.equal({
      maxUsd: 42,
      severity: "THROTTLED",
    });
  });

  describe("time settings become blocks at the chain's block time", function () {
    it("knows each network's block time: Base 200 ms since Denim and 2 s before, Base Sepolia likewise, Ethereum 12 s", function () {
      const beforeDenim = Math.floor(Date.UTC(2025, 8, 25) / 1_000); // the fork tests' pinned block
      const afterDenim = Math.floor(Date.UTC(2026, 11, 6) / 1_000);
      expect(blockTimeMsFor(8453, afterDenim)).to.equal(200);
      expect(blockTimeMsFor(8453, beforeDenim)).to.equal(2_000);
      expect(blockTimeMsFor(8453, BASE_DENIM_ACTIVATION_MS / 1_000)).to.equal(200);
      expect(blockTimeMsFor(8453, BASE_DENIM_ACTIVATION_MS / 1_000 - 1)).to.equal(2_000);
      expect(blockTimeMsFor(84532, BASE_SEPOLIA_DENIM_ACTIVATION_MS / 1_000)).to.equal(200);
      expect(blockTimeMsFor(84532, BASE_SEPOLIA_DENIM_ACTIVATION_MS / 1_000 - 1)).to.equal(2_000);
      expect(blockTimeMsFor(1, afterDenim)).to.equal(12_000);
      expect(blockTimeMsFor(8453, afterDenim, 2_000), "the config's blockTimeMs overrides").to.equal(2_000);
      expect(() => blockTimeMsFor(31337, afterDenim)).to.throw(/set "blockTimeMs"/);
      expect(nominalBlockTimeMs("base")).to.equal(200);
      expect(nominalBlockTimeMs("mainnet")).to.equal(12_000);
    });

    it("converts every time setting, rounding up so nothing gets shorter, per network", function () {
      const base = executionTimingFromConfig(baseConfigWith({}), 200);
      expect(base).to.deep.include({ planDeadlineBlocks: 5, inclusionBlockBudget: 3, maxHeadLagBlocks: 3 });
      expect(base.retryBackoffBlocks).to.deep.equal({ initial: 2, max: 150 });
      // The same Base settings on a fork pinned before Denim: the same times, a tenth of the blocks (rounded up).
      const preDenim = executionTimingFromConfig(baseConfigWith({}), 2_000);
      expect(preDenim).to.deep.include({ planDeadlineBlocks: 1, inclusionBlockBudget: 1, maxHeadLagBlocks: 1 });
      expect(preDenim.retryBackoffBlocks).to.deep.equal({ initial: 1, max: 15 });
      const mainnet = executionTimingFromConfig(loadKeeperConfig({ network: "mainnet", env: {}, checkEnv: false }), 12_000);
      expect(mainnet).to.deep.include({ planDeadlineBlocks: 2, inclusionBlockBudget: 3, maxHeadLagBlocks: 1 });
      expect(mainnet.retryBackoffBlocks).to.deep.equal({ initial: 1, max: 32 });
      expect(breakerThresholdsFromConfig(baseConfigWith({}), 200).throttle.minBlocksBetweenExecutions).to.equal(50);
      expect(breakerThresholdsFromConfig(baseConfigWith({}), 2_000).throttle.minBlocksBetweenExecutions).to.equal(5);
      expect(blocksIn(201, 200, "x")).to.equal(2);
      expect(blocksIn(0, 200, "x", 0)).to.equal(0);
      expect(() => blocksIn(Number.NaN, 200, "execution.planDeadlineMs")).to.throw(/execution\.planDeadlineMs/);
    });

    it("refuses a setting still counted in blocks, naming the field and its replacement", function () {
      let error: unknown;
      try {
        baseConfigWith({ rpc: { headLagBlocks: 3 }, limits: { borrowerCooldown: { amount: 30, unit: "blocks" } } });
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(ConfigError);
      const lines = (error as ConfigError).issues.map((issue) => `${issue.path}: ${issue.message}`);
      expect(lines.some((line) => line.startsWith("rpc.headLagBlocks: counted in blocks") && line.includes("rpc.maxHeadLagMs"))).to.equal(
        true,
      );
      expect(
        lines.some((line) => line.startsWith("limits.borrowerCooldown: counted in blocks") && line.includes("borrowerCooldownMs")),
      ).to.equal(true);
    });

    it("names the field of a bad time and of a back-off whose cap is below its start", function () {
      let error: unknown;
      try {
        baseConfigWith({ execution: { planDeadlineMs: -5, retryBackoff: { initialMs: 1_000, maxMs: 500 } } });
      } catch (caught) {
        error = caught;
      }
      const paths = (error as ConfigError).issues.map((issue) => issue.path);
      expect(paths).to.include.members(["execution.planDeadlineMs", "execution.retryBackoff.maxMs"]);
    });
  });
});
