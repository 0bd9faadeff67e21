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
      // 3 blocks = 6 s behind the best endpoint: enough to lose every race on Base.
      headLagBlocks: 3,
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
    limits: {
      tier: 1,
      maxPriorityFeeGwei: 5,
      // Base's base fee is ~0.005 gwei; 10 gwei total means something is badly wrong.
      maxFeePerGasGwei: 10,
      borrowerCooldown: { amount: 30, unit: "blocks" },
    },
    breaker: {
      ...BREAKER_DEFAULTS,
      // 5 blocks without a head on a 2 s chain.
      staleHead: { maxSeconds: 10, severity: "THROTTLED" },
    },
    journal: journalDefaultsFor(network),
    metrics: { ...METRICS_DEFAULTS },
    alerts: { targets: [], rateLimitPerMinute: 6 },
    operatorBalanceFloorEth: 0.01,
  };
}
