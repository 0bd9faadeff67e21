/**
 * Rules that tie two fields together, checked when the config is loaded, in the units the operator
 * wrote (gwei, USD) and naming both fields. Each of them would otherwise pass validation and fail later:
 * at start-up in wei ("invalid fee policy: maxPriorityFeePerGasCap (50000000000)…"), or silently at run
 * time (every profitable plan refused, a limit that can never be met).
 */
import type { ConfigIssue } from "./load";
import { riskLimitsFromConfig } from "./runtime-settings";
import type { KeeperConfig } from "./schema";

/** Smallest fee a gwei field can express: 1 wei. Below it the value rounds to 0 wei. */
const ONE_WEI_IN_GWEI = 1e-9;

const gwei = (value: number) => `${value} gwei`;
const usd = (value: number) => `$${value.toLocaleString("en-US")}`;

export function crossFieldIssues(config: KeeperConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const { limits, strategy } = config;

  for (const [path, value] of [
    ["strategy.maxPriorityFeeGwei", strategy.maxPriorityFeeGwei],
    ["limits.maxPriorityFeeGwei", limits.maxPriorityFeeGwei],
    ["limits.maxFeePerGasGwei", limits.maxFeePerGasGwei],
  ] as const) {
    if (value < ONE_WEI_IN_GWEI) {
      issues.push({ path, message: `expected at least 0.000000001 gwei (1 wei; smaller values round to 0 wei), got ${gwei(value)}` });
    }
  }
  if (limits.maxPriorityFeeGwei > limits.maxFeePerGasGwei) {
    issues.push({
      path: "limits.maxPriorityFeeGwei",
      message:
        `expected at most limits.maxFeePerGasGwei (${gwei(limits.maxFeePerGasGwei)}): the priority fee is part of the max fee ` +
        `per gas, so no transaction could carry it, got ${gwei(limits.maxPriorityFeeGwei)}`,
    });
  }
  if (strategy.maxPriorityFeeGwei > limits.maxPriorityFeeGwei) {
    issues.push({
      path: "strategy.maxPriorityFeeGwei",
      message:
        `expected at most limits.maxPriorityFeeGwei (${gwei(limits.maxPriorityFeeGwei)}): the strategy would bid up to ` +
        `${gwei(strategy.maxPriorityFeeGwei)} and the risk gate refuses every bid above its cap, so the most profitable ` +
        `plans would be refused ("priority-fee-cap")`,
    });
  }

  // USD limits as the risk gate will hold them: a tier's preset with explicit fields laid over it.
  const effective = riskLimitsFromConfig(config).limits;
  const source = (field: "minProfitUsd" | "maxSingleExecutionUsd" | "maxDailyVolumeUsd") =>
    limits[field] === undefined && limits.tier !== undefined ? ` (tier ${limits.tier})` : "";
  if (effective.minProfitUsd >= effective.maxSingleExecutionUsd) {
    issues.push({
      path: "limits.minProfitUsd",
      message:
        `expected less than limits.maxSingleExecutionUsd (${usd(effective.maxSingleExecutionUsd)}${source("maxSingleExecutionUsd")}): ` +
        `a liquidation's profit is a fraction of the debt it repays, so no plan could pass both, got ${usd(effective.minProfitUsd)}${source("minProfitUsd")}`,
    });
  }
  if (effective.maxSingleExecutionUsd > effective.maxDailyVolumeUsd) {
    issues.push({
      path: "limits.maxSingleExecutionUsd",
      message:
        `expected at most limits.maxDailyVolumeUsd (${usd(effective.maxDailyVolumeUsd)}${source("maxDailyVolumeUsd")}): one ` +
        `liquidation cannot exceed the day's volume, got ${usd(effective.maxSingleExecutionUsd)}${source("maxSingleExecutionUsd")}`,
    });
  }

  if (config.relay !== undefined && (config.network === "base" || config.network === "baseSepolia")) {
    issues.push({
      path: "relay",
      message: `expected no relay on ${config.network}: Base has no bundle relay (transactions go raw to rpc.send), got a ${config.relay.kind} relay`,
    });
  }
  for (const list of ["read", "send"] as const) {
    const names = config.rpc[list].map((endpoint) => endpoint.name);
    names.forEach((name, index) => {
      if (names.indexOf(name) !== index) {
        issues.push({
          path: `rpc.${list}[${index}].name`,
          message: `expected a name not used by another rpc.${list} endpoint (metrics and logs tell endpoints apart by it), got "${name}" twice`,
        });
      }
    });
  }
  if (!Object.values(config.markets).some((market) => market.enabled)) {
    issues.push({ path: "markets", message: "expected at least one market with enabled: true; with none the keeper watches nothing" });
  }
  if (!isLoopbackHost(config.metrics.host) && config.metrics.exposeBeyondLoopback !== true) {
    issues.push({
      path: "metrics.host",
      message:
        `expected a loopback address (127.0.0.1, ::1, localhost) unless metrics.exposeBeyondLoopback is true: /status and /metrics ` +
        `describe positions, balances and the operator's address to anyone who can reach ${JSON.stringify(config.metrics.host)}, got ${JSON.stringify(config.metrics.host)}`,
    });
  }
  return issues;
}

/** 127.0.0.0/8, ::1 and "localhost": reachable only from this machine. */
export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The warning a run prints when the telemetry server listens beyond loopback (allowed by exposeBeyondLoopback). */
export function telemetryExposureWarning(config: KeeperConfig): string | null {
  if (isLoopbackHost(config.metrics.host)) return null;
  return (
    `WARNING: the telemetry server listens on ${config.metrics.host}:${config.metrics.port}, beyond loopback ` +
    `(metrics.exposeBeyondLoopback): /status and /metrics are readable by anyone who can reach this host; firewall it.`
  );
}
