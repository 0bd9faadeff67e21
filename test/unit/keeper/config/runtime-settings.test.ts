import { expect } from "chai";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadKeeperConfig } from "../../../../keeper/config/load";
import { breakerThresholdsFromConfig, riskLimitsFromConfig, strategySettingsFromConfig } from "../../../../keeper/config/runtime-settings";
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
    expect(limits.borrowerCooldown).to.deep.equal({ amount: 30, unit: "blocks" });
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
    expect(breakerThresholdsFromConfig(baseConfigWith({ limits: { tier: 2 } })).dailyLoss.maxUsd).to.equal(TIER_PRESETS[2].maxDailyLossUsd);
    expect(
      breakerThresholdsFromConfig(baseConfigWith({ breaker: { dailyLoss: { maxUsd: 42, severity: "THROTTLED" } } })).dailyLoss,
    ).to.deep.equal({
      maxUsd: 42,
      severity: "THROTTLED",
    });
  });
});
