/**
 * The keeper's Prometheus metrics, in a Registry of its own (never prom-client's global one, so two
 * keepers or a test and a keeper in one process do not share counters). Names are exactly the ones
 * the operations issue lists; `prefix` (e.g. "chimera_") is opt-in for deployments that scrape
 * several bots into one Prometheus.
 *
 * Label values must be low-cardinality names: `endpoint` is an endpoint's configured name, never its
 * URL (URLs can carry API keys); `operator` is the operator address.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { BreakerState, KeeperMode } from "../core/types";

export interface KeeperMetricsOptions {
  /** Prepended to every metric name. Default "" (the exact names from the issue). */
  readonly prefix?: string;
  /** Labels on every series, e.g. { network: "base" }. */
  readonly defaultLabels?: Readonly<Record<string, string>>;
  /** Also export Node's process metrics (CPU, memory, event-loop lag). Default true. */
  readonly processMetrics?: boolean;
}

/** Numeric encoding of the breaker state for the `breaker_state` gauge. */
export const BREAKER_STATE_VALUE: Readonly<Record<BreakerState, number>> = { NORMAL: 0, THROTTLED: 1, HALTED: 2 };
/** Numeric encoding of the mode for the `keeper_mode` gauge. */
export const KEEPER_MODE_VALUE: Readonly<Record<KeeperMode, number>> = { DRY: 0, LIVE: 1 };

export const SIMULATION_RESULTS = ["success", "revert", "error"] as const;
export type SimulationResult = (typeof SIMULATION_RESULTS)[number];
export const EXECUTION_OUTCOMES = ["included", "failed", "replaced", "dropped"] as const;
export type ExecutionOutcome = (typeof EXECUTION_OUTCOMES)[number];

/** Base produces a block every 2 s: buckets resolve "next block" from "stuck for minutes". */
export const INCLUSION_LATENCY_BUCKETS_SECONDS = [1, 2, 4, 6, 10, 20, 30, 60, 120, 300];

export class KeeperMetrics {
  readonly registry: Registry;
  readonly opportunitiesDetected: Counter;
  readonly simulations: Counter<"result">;
  readonly transactionsSent: Counter;
  readonly inclusionLatency: Histogram;
  readonly profitRealizedUsd: Counter;
  /** Realised losses, positive numbers (a counter cannot go down, so losses get their own). */
  readonly lossRealizedUsd: Counter;
  readonly gasSpentEth: Counter;
  readonly breakerState: Gauge;
  readonly rpcHeadLag: Gauge<"endpoint">;
  readonly operatorBalanceEth: Gauge<"operator">;
  readonly executions: Counter<"outcome">;
  readonly keeperMode: Gauge;

  constructor(options: KeeperMetricsOptions = {}) {
    const prefix = options.prefix ?? "";
    if (prefix !== "" && !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(prefix)) {
      throw new Error(`metrics prefix "${prefix}" is not a valid Prometheus name prefix; expected [a-zA-Z_][a-zA-Z0-9_]*`);
    }
    const name = (n: string) => `${prefix}${n}`;
    const registry = new Registry();
    if (options.defaultLabels !== undefined) registry.setDefaultLabels({ ...options.defaultLabels });
    const registers = [registry];
    this.registry = registry;

    this.opportunitiesDetected = new Counter({
      name: name("opportunities_detected_total"),
      help: "Liquidatable candidates the strategy evaluated",
      registers,
    });
    this.simulations = new Counter({
      name: name("simulations_total"),
      help: "Pre-send simulations, by result (success, revert, error)",
      labelNames: ["result"],
      registers,
    });
    this.transactionsSent = new Counter({
      name: name("transactions_sent_total"),
      help: "Signed transactions handed to a send endpoint (replacements included)",
      registers,
    });
    this.inclusionLatency = new Histogram({
      name: name("inclusion_latency_seconds"),
      help: "Seconds from first send to the receipt of an included execution",
      buckets: INCLUSION_LATENCY_BUCKETS_SECONDS,
      registers,
    });
    this.profitRealizedUsd = new Counter({
      name: name("profit_realized_usd_total"),
      help: "Realised profit of included executions, USD",
      registers,
    });
    this.lossRealizedUsd = new Counter({
      name: name("loss_realized_usd_total"),
      help: "Realised losses (negative profits, gas of failed executions not included), USD",
      registers,
    });
    this.gasSpentEth = new Counter({
      name: name("gas_spent_eth_total"),
      help: "Gas fees paid by operator keys, ETH (reverted and cancel transactions included)",
      registers,
    });
    this.breakerState = new Gauge({
      name: name("breaker_state"),
      help: "Circuit breaker: 0 NORMAL, 1 THROTTLED, 2 HALTED",
      registers,
    });
    this.rpcHeadLag = new Gauge({
      name: name("rpc_head_lag_blocks"),
      help: "Blocks each read endpoint's head trails the best head seen",
      labelNames: ["endpoint"],
      registers,
    });
    this.operatorBalanceEth = new Gauge({
      name: name("operator_balance_eth"),
      help: "ETH balance of each operator key",
      labelNames: ["operator"],
      registers,
    });
    this.executions = new Counter({
      name: name("executions_total"),
      help: "Settled executions, by outcome (included, failed, replaced, dropped)",
      labelNames: ["outcome"],
      registers,
    });
    this.keeperMode = new Gauge({
      name: name("keeper_mode"),
      help: "Keeper mode: 0 DRY, 1 LIVE",
      registers,
    });

    // Series that exist from the start, so dashboards and alerts see 0 rather than "no data".
    for (const result of SIMULATION_RESULTS) this.simulations.labels(result).inc(0);
    for (const outcome of EXECUTION_OUTCOMES) this.executions.labels(outcome).inc(0);
    this.setBreakerState("NORMAL");
    this.setMode("DRY");
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix });
  }

  setBreakerState(state: BreakerState): void {
    this.breakerState.set(BREAKER_STATE_VALUE[state]);
  }

  setMode(mode: KeeperMode): void {
    this.keeperMode.set(KEEPER_MODE_VALUE[mode]);
  }

  /** Adds a settled execution's realised P&L: gains to profit, losses (as positive USD) to loss. */
  recordRealisedProfitUsd(usd: number): void {
    if (!Number.isFinite(usd)) throw new Error(`realised profit must be a finite USD amount, got ${usd}`);
    if (usd >= 0) this.profitRealizedUsd.inc(usd);
    else this.lossRealizedUsd.inc(-usd);
  }

  /** Adds a receipt's fee: gasUsed × effectiveGasPrice (+ L1 fee if known), in wei. */
  recordGasSpentWei(wei: bigint): void {
    if (wei < 0n) throw new Error(`gas spent cannot be negative, got ${wei} wei`);
    this.gasSpentEth.inc(weiToEth(wei));
  }

  setOperatorBalanceWei(operator: string, wei: bigint): void {
    this.operatorBalanceEth.labels(operator).set(weiToEth(wei));
  }

  /** The Prometheus text exposition of every metric. */
  metricsText(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** Wei to ETH as a float, exact to the float's precision for any realistic balance. */
export function weiToEth(wei: bigint): number {
  const whole = wei / 10n ** 18n;
  const fraction = wei % 10n ** 18n;
  return Number(whole) + Number(fraction) / 1e18;
}
