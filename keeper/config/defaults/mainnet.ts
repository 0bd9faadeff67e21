/**
 * Defaults for Ethereum mainnet, where Chimera uses the Flashbots bundle relay (eth_callBundle then
 * eth_sendBundle) instead of raw transactions. DRY and tier 1, as on every real network. Gas is
 * dearer, so the dust floor and the fee caps are higher, and a head is stale after five 12 s slots.
 */
import { marketDefaults } from "../../markets/market-plugin";
import { MARKET_PLUGINS } from "../../markets/registry";
import type { KeeperConfig } from "../schema";
import { BREAKER_DEFAULTS, journalDefaultsFor, GAS_UNITS_FALLBACK, METRICS_DEFAULTS } from "./shared";

export function mainnetDefaults(): KeeperConfig {
  return {
    network: "mainnet",
    mode: "DRY",
    rpc: {
      read: [{ name: "primary", urlEnv: "MAINNET_RPC_URL" }],
      send: [{ name: "primary", urlEnv: "MAINNET_RPC_URL" }],
      subscribe: [],
      // One 12 s slot.
      maxHeadLagMs: 12_000,
      requestTimeoutMs: 5_000,
    },
    relay: { urlEnv: "FLASHBOTS_RELAY_URL", kind: "flashbots" },
    markets: marketDefaults(MARKET_PLUGINS, "mainnet"),
    strategy: {
      bidShareOfProfit: 0.3,
      maxPriorityFeeGwei: 50,
      minProfitHaircutBps: 500,
      dustUsd: 100,
      gasUnitsFallback: GAS_UNITS_FALLBACK,
    },
    // Two slots to land, a bump after three, retries from one slot up to 32.
    execution: { planDeadlineMs: 24_000, inclusionTimeoutMs: 36_000, retryBackoff: { initialMs: 12_000, maxMs: 384_000 } },
    limits: { tier: 1, maxPriorityFeeGwei: 50, maxFeePerGasGwei: 300, borrowerCooldownMs: 60_000 },
    breaker: { ...BREAKER_DEFAULTS, staleHead: { maxSeconds: 60, severity: "THROTTLED" }, throttle: { minMsBetweenExecutions: 60_000 } },
    journal: journalDefaultsFor("mainnet"),
    metrics: { ...METRICS_DEFAULTS },
    alerts: { targets: [], rateLimitPerMinute: 6 },
    operatorBalanceFloorEth: 0.2,
  };
}
