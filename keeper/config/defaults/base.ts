/**
 * Defaults for Base (and Base Sepolia). DRY: a real network never sends until an operator says LIVE
 * and passes the safeguards. Tier 1 limits. Base has no bundle relay: transactions go raw to the
 * send endpoints and win on priority fee (../shared/BASE.md), so the bid share and its cap matter.
 */
import { marketDefaults } from "../../markets/market-plugin";
import { MARKET_PLUGINS } from "../../markets/registry";
import type { KeeperConfig } from "../schema";
import { BREAKER_DEFAULTS, journalDefaultsFor, GAS_UNITS_FALLBACK, METRICS_DEFAULTS } from "./shared";

export function baseDefaults(network: "base" | "baseSepolia"): KeeperConfig {
  const urlEnv = network === "base" ? "BASE_RPC_URL" : "BASE_SEPOLIA_RPC_URL";
  return {
    network,
    mode: "DRY",
    rpc: {
      read: [{ name: "primary", urlEnv }],
      send: [{ name: "primary", urlEnv }],
      // Heads and oracle logs by eth_subscribe where the operator names a WebSocket endpoint; polling otherwise.
      subscribe: [],
      // Three 200 ms blocks behind the best endpoint: already enough to lose every race on Base.
      maxHeadLagMs: 600,
      requestTimeoutMs: 2_000,
    },
    markets: marketDefaults(MARKET_PLUGINS, network),
    strategy: {
      bidShareOfProfit: 0.2,
      // 5 gwei over ~1M gas is ~0.005 ETH: the most one liquidation may spend on its bid.
      maxPriorityFeeGwei: 5,
      minProfitHaircutBps: 500,
      dustUsd: 5,
      gasUnitsFallback: GAS_UNITS_FALLBACK,
    },
    execution: {
      // Five blocks: a plan that has not landed in a second is priced on a market that has moved on.
      planDeadlineMs: 1_000,
      // Three blocks without a receipt: bump (the deadline leaves room for one bump before it expires).
      inclusionTimeoutMs: 600,
      // Two blocks, doubling to 30 s: a plan that keeps failing costs a simulation every 30 s, not five a second.
      retryBackoff: { initialMs: 400, maxMs: 30_000 },
    },
    limits: {
      tier: 1,
      maxPriorityFeeGwei: 5,
      // Base's base fee is ~0.005 gwei; 10 gwei total means something is badly wrong.
      maxFeePerGasGwei: 10,
      // A minute, as the old 30 blocks of 2 s were.
      borrowerCooldownMs: 60_000,
    },
    breaker: {
      ...BREAKER_DEFAULTS,
      // Fifteen 200 ms blocks without a head: the chain or the endpoint has stopped.
      staleHead: { maxSeconds: 3, severity: "THROTTLED" },
      throttle: { minMsBetweenExecutions: 10_000 },
    },
    journal: journalDefaultsFor(network),
    metrics: { ...METRICS_DEFAULTS },
    alerts: { targets: [], rateLimitPerMinute: 6 },
    operatorBalanceFloorEth: 0.01,
  };
}
