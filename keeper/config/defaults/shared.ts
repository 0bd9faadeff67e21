/**
 * Defaults every network shares. Network files override what differs; a user's file (--config)
 * overrides both. Breaker severities and their reasons live with DEFAULT_BREAKER_THRESHOLDS.
 */
import { DEFAULT_BREAKER_THRESHOLDS } from "../../risk/circuit-breaker";
import type { KeeperConfig } from "../schema";

export const METRICS_DEFAULTS: KeeperConfig["metrics"] = { port: 9464, host: "127.0.0.1" };

/** Issue 6's default journal location, one file per network (see keeper/journal/journal-path.ts). */
export function defaultJournalPathFor(network: string): string {
  return `data/keeper-${network}.sqlite`;
}

/**
 * The journal: that file, unless KEEPER_DATABASE_URL names a PostgreSQL database; a 3 s leader lease
 * renewed every second (a standby takes over about 2-3 s after a leader stops).
 */
export function journalDefaultsFor(network: string): KeeperConfig["journal"] {
  return { path: defaultJournalPathFor(network), databaseUrlEnv: "KEEPER_DATABASE_URL", lease: { seconds: 3, refreshSeconds: 1 } };
}

/** dailyLoss.maxUsd is left out so it follows the limits' maxDailyLossUsd. The throttle is a time, per network. */
export const BREAKER_DEFAULTS: KeeperConfig["breaker"] = {
  failureRate: { ...DEFAULT_BREAKER_THRESHOLDS.failureRate },
  dailyLoss: { severity: DEFAULT_BREAKER_THRESHOLDS.dailyLoss.severity },
  consecutiveFailures: { ...DEFAULT_BREAKER_THRESHOLDS.consecutiveFailures },
  profitDeviation: { ...DEFAULT_BREAKER_THRESHOLDS.profitDeviation },
  staleHead: { ...DEFAULT_BREAKER_THRESHOLDS.staleHead },
  sequencer: { ...DEFAULT_BREAKER_THRESHOLDS.sequencer },
  executorPaused: { ...DEFAULT_BREAKER_THRESHOLDS.executorPaused },
  throttle: { minMsBetweenExecutions: 10_000 },
};

/** Flash loan + liquidation + (Compound) redeem, swap excluded: a measured upper bound rounded up. */
export const GAS_UNITS_FALLBACK = 900_000;
