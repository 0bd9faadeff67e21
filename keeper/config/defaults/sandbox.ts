/**
 * Defaults for the sandbox: the in-process `hardhat` chain (and `localhost`, a node running it).
 * Mode is LIVE: the chain is a throwaway, and the whole point of `npx hardhat keeper` with no
 * arguments is to watch the keeper actually liquidate. Limits are wide for the same reason; the
 * sandbox scenario's "too small" borrower is skipped by the dust floor and the profit check, not by a
 * tier. Empty RPC lists mean "use the Hardhat network's own provider".
 */
import { marketDefaults } from "../../markets/market-plugin";
import { MARKET_PLUGINS } from "../../markets/registry";
import type { KeeperConfig } from "../schema";
import { BREAKER_DEFAULTS, journalDefaultsFor, GAS_UNITS_FALLBACK, METRICS_DEFAULTS } from "./shared";

export function sandboxDefaults(network: "hardhat" | "localhost"): KeeperConfig {
  return {
    network,
    mode: "LIVE",
    rpc: { read: [], send: [], subscribe: [], maxHeadLagMs: 400, requestTimeoutMs: 10_000 },
    markets: marketDefaults(MARKET_PLUGINS, network),
    strategy: { bidShareOfProfit: 0.1, maxPriorityFeeGwei: 2, minProfitHaircutBps: 500, dustUsd: 1, gasUnitsFallback: GAS_UNITS_FALLBACK },
    // The sandbox runs Base's 200 ms blocks: the same times as Base, shorter waits (nobody else uses the chain).
    execution: { planDeadlineMs: 1_000, inclusionTimeoutMs: 600, retryBackoff: { initialMs: 200, maxMs: 6_400 } },
    limits: {
      minProfitUsd: 1,
      maxSingleExecutionUsd: 10_000_000,
      maxDailyVolumeUsd: 1_000_000_000,
      maxDailyLossUsd: 1_000_000,
      maxPriorityFeeGwei: 10,
      maxFeePerGasGwei: 100,
      borrowerCooldownMs: 400,
    },
    breaker: {
      ...BREAKER_DEFAULTS,
      // The in-process chain mines only when a transaction arrives: a quiet head is normal there.
      staleHead: { maxSeconds: 86_400, severity: "THROTTLED" },
      throttle: { minMsBetweenExecutions: 1_000 },
    },
    journal: journalDefaultsFor(network),
    metrics: { ...METRICS_DEFAULTS },
    alerts: { targets: [], rateLimitPerMinute: 6 },
    operatorBalanceFloorEth: 0,
  };
}
