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
import { LIQUIDATION_PATHS, type LiquidationPath } from "../oracles/liquidation-path";

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

/** Base produces a block every 200 ms since Denim: buckets resolve "next block" from "stuck for minutes". */
export const INCLUSION_LATENCY_BUCKETS_SECONDS = [0.2, 0.4, 0.6, 1, 2, 4, 6, 10, 20, 30, 60, 120, 300];
/** From the event seen to the signed transaction: 1 ms (a prepared plan) up to 10 s (a stalled RPC). */
export const DECISION_LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10];
/** Blocks from the oracle update's block N to inclusion: N+1 is the goal, N+5 is a second at 200 ms blocks. */
export const INCLUSION_BLOCKS_BUCKETS = [1, 2, 3, 4, 5, 10, 20, 50];
/** Oracle update → liquidation, on the chain's own millisecond clock: N+1 is 0.2 s on Base. */
export const PRICE_TO_INCLUSION_BUCKETS_SECONDS = [0.2, 0.4, 0.6, 0.8, 1, 1.5, 2, 4, 10, 30];
export const RACE_RESULTS = ["won", "lost"] as const;
export type RaceResult = (typeof RACE_RESULTS)[number];

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
  /** The newest head the keeper processed, when it processed it, and how late that was after the block's time. */
  readonly headBlock: Gauge;
  readonly headSeenTimestamp: Gauge;
  readonly headLag: Gauge;
  readonly operatorBalanceFloorEth: Gauge;
  readonly dailyLossUsd: Gauge;
  readonly dailyLossLimitUsd: Gauge;
  readonly decisionLatency: Histogram;
  /** Blocks from the oracle update's block (or the head a plan was detected at) to the liquidation's block. */
  readonly inclusionBlocks: Histogram;
  /** From the oracle update's block to the liquidation's block, on the chain's millisecond clock (Denim's timestampMs). */
  readonly priceToInclusion: Histogram;
  /** Liquidations that landed (won) or found the position taken by someone else's liquidation (lost). */
  readonly races: Counter<"result">;
  readonly endpointDemoted: Gauge<"endpoint">;
  /** Sent liquidations by path (oev: through an OEV wrapper; open: the plain call) and race result. */
  readonly liquidations: Counter<"path" | "result">;
  /** Realised profit of included liquidations by path, USD (losses count negative in neither: see loss_realized_usd_total). */
  readonly liquidationProfitUsd: Counter<"path">;
  private readonly lastOperatorBalanceEth = new Map<string, number>();

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
    this.priceToInclusion = new Histogram({
      name: name("price_to_inclusion_seconds"),
      help: "From the oracle update's block to the liquidation's block, chain time (Denim's timestampMs), seconds",
      buckets: PRICE_TO_INCLUSION_BUCKETS_SECONDS,
      registers,
    });
    this.headBlock = new Gauge({
      name: name("head_block_number"),
      help: "Number of the newest block the keeper has processed",
      registers,
    });
    this.headSeenTimestamp = new Gauge({
      name: name("head_seen_timestamp_seconds"),
      help: "Unix time at which the keeper processed its newest head (alert on time() minus this)",
      registers,
    });
    this.headLag = new Gauge({
      name: name("head_lag_seconds"),
      help: "How long after its own (millisecond, Denim's timestampMs) time the newest head reached the keeper, seconds",
      registers,
    });
    this.operatorBalanceFloorEth = new Gauge({
      name: name("operator_balance_floor_eth"),
      help: "Configured ETH floor under which an operator key raises an alert (operatorBalanceFloorEth)",
      registers,
    });
    this.dailyLossUsd = new Gauge({
      name: name("daily_loss_usd"),
      help: "Realised losses of the current UTC day as the risk gate counts them, USD",
      registers,
    });
    this.dailyLossLimitUsd = new Gauge({
      name: name("daily_loss_limit_usd"),
      help: "The risk gate's maximum daily loss in force (tier or config), USD",
      registers,
    });
    this.decisionLatency = new Histogram({
      name: name("decision_latency_seconds"),
      help: "From the event a plan reacts to (oracle answer, block) to its signed transaction (or DRY simulation), seconds",
      buckets: DECISION_LATENCY_BUCKETS_SECONDS,
      registers,
    });
    this.inclusionBlocks = new Histogram({
      name: name("inclusion_blocks"),
      help: "Blocks from the oracle update's block N (else the head the plan was detected at) to the block its transaction landed in (1 = N+1)",
      buckets: INCLUSION_BLOCKS_BUCKETS,
      registers,
    });
    this.races = new Counter({
      name: name("races_total"),
      help: "Liquidation races: won (ours landed and liquidated) or lost (someone else's liquidation of the position landed first; the keeper's own faults are not races)",
      labelNames: ["result"],
      registers,
    });
    this.endpointDemoted = new Gauge({
      name: name("rpc_endpoint_demoted"),
      help: "1 while a read endpoint is demoted by the failover pool (faults or head lag), else 0",
      labelNames: ["endpoint"],
      registers,
    });

    this.liquidations = new Counter({
      name: name("liquidations_total"),
      help: "Sent liquidations by path (oev: through a Moonwell OEV wrapper, open: the protocol's own call) and result (won: included; lost: sent and not included, whether a rival took it or it reverted)",
      labelNames: ["path", "result"],
      registers,
    });
    this.liquidationProfitUsd = new Counter({
      name: name("liquidation_profit_usd_total"),
      help: "Realised profit of included liquidations by path (oev, open), USD",
      labelNames: ["path"],
      registers,
    });

    // Series that exist from the start, so dashboards and alerts see 0 rather than "no data".
    for (const result of SIMULATION_RESULTS) this.simulations.labels(result).inc(0);
    for (const outcome of EXECUTION_OUTCOMES) this.executions.labels(outcome).inc(0);
    for (const result of RACE_RESULTS) this.races.labels(result).inc(0);
    for (const path of LIQUIDATION_PATHS) {
      for (const result of RACE_RESULTS) this.liquidations.labels(path, result).inc(0);
      this.liquidationProfitUsd.labels(path).inc(0);
    }
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

  /** A sent liquidation settled: its path, whether it won, and (won) the profit it realised, USD. */
  recordLiquidation(path: LiquidationPath, result: RaceResult, realisedProfitUsd: number | null): void {
    this.liquidations.labels(path, result).inc();
    if (result === "won" && realisedProfitUsd !== null && Number.isFinite(realisedProfitUsd) && realisedProfitUsd > 0) {
      this.liquidationProfitUsd.labels(path).inc(realisedProfitUsd);
    }
  }

  setOperatorBalanceWei(operator: string, wei: bigint): void {
    const eth = weiToEth(wei);
    this.operatorBalanceEth.labels(operator).set(eth);
    this.lastOperatorBalanceEth.set(operator.toLowerCase(), eth);
  }

  /** The balance last set for `operator`, ETH; undefined before the first read. */
  operatorBalanceEthOf(operator: string): number | undefined {
    return this.lastOperatorBalanceEth.get(operator.toLowerCase());
  }

  /** A new head: its number, when the keeper saw it (epoch ms) and the block's own time (epoch ms, when known). */
  recordHead(block: number, seenAtMs: number, blockTimestampMs: number | null): void {
    this.headBlock.set(block);
    this.headSeenTimestamp.set(seenAtMs / 1_000);
    if (blockTimestampMs !== null) this.headLag.set(Math.max(0, seenAtMs - blockTimestampMs) / 1_000);
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
