import { expect } from "chai";
import type { BreakerState } from "../../../../keeper/core/types";
import {
  DEFAULT_METRICS_PORT,
  evaluateReadiness,
  parseMetricsPort,
  startTelemetryServer,
  type ReadinessInputs,
  type TelemetryServer,
} from "../../../../keeper/telemetry/http-server";
import { KeeperMetrics, weiToEth } from "../../../../keeper/telemetry/metrics";
import { OPERATIONS_ISSUE_METRICS } from "../../../shared/keeper-harness";

/** The operations issue's metrics plus the keeper's own per-execution and mode gauges. */
const REQUIRED_METRICS = [...OPERATIONS_ISSUE_METRICS, "executions_total", "keeper_mode"];

describe("telemetry: metrics and HTTP server", () => {
  let server: TelemetryServer | undefined;
  let readiness: ReadinessInputs;
  let metrics: KeeperMetrics;

  beforeEach(async () => {
    metrics = new KeeperMetrics({ defaultLabels: { network: "test" }, processMetrics: false });
    readiness = { rpcHeadFresh: true, journalWritable: true, breakerState: "NORMAL" };
    server = await startTelemetryServer({
      port: 0,
      metrics,
      readiness: () => readiness,
      status: () => ({ mode: "DRY", nonce: 5n, rpc: "https://base-mainnet.g.alchemy.com/v2/Zq3vT8yY0aBcDeFgHiJkLmNoPqRsTuVw" }),
    });
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("binds to 127.0.0.1 on an ephemeral port and answers /healthz", async () => {
    expect(server!.host).to.equal("127.0.0.1");
    expect(server!.port).to.be.greaterThan(0);
    const res = await fetch(`${server!.url}/healthz`);
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal({ ok: true });
  });

  it("serves every required metric name in Prometheus text format, with recorded values", async () => {
    metrics.opportunitiesDetected.inc(3);
    metrics.simulations.labels("revert").inc();
    metrics.inclusionLatency.observe(2.5);
    metrics.recordRealisedProfitUsd(12.5);
    metrics.recordRealisedProfitUsd(-2);
    metrics.recordGasSpentWei(1_500_000_000_000_000n);
    metrics.setBreakerState("THROTTLED");
    metrics.setMode("LIVE");
    metrics.rpcHeadLag.labels("primary").set(4);
    metrics.setOperatorBalanceWei("0x2222222222222222222222222222222222222222", 2n * 10n ** 17n);

    const res = await fetch(`${server!.url}/metrics`);
    expect(res.status).to.equal(200);
    expect(res.headers.get("content-type")).to.match(/^text\/plain/);
    const text = await res.text();
    for (const name of REQUIRED_METRICS) expect(text, name).to.match(new RegExp(`^# TYPE ${name} `, "m"));
    expect(text).to.include('opportunities_detected_total{network="test"} 3');
    expect(text).to.include('simulations_total{result="revert",network="test"} 1');
    expect(text).to.include('simulations_total{result="success",network="test"} 0');
    expect(text).to.include('inclusion_latency_seconds_bucket{le="4",network="test"} 1');
    expect(text).to.include('profit_realized_usd_total{network="test"} 12.5');
    expect(text).to.include('loss_realized_usd_total{network="test"} 2');
    expect(text).to.include('gas_spent_eth_total{network="test"} 0.0015');
    expect(text).to.include('breaker_state{network="test"} 1');
    expect(text).to.include('keeper_mode{network="test"} 1');
    expect(text).to.include('rpc_head_lag_blocks{endpoint="primary",network="test"} 4');
    expect(text).to.include('operator_balance_eth{operator="0x2222222222222222222222222222222222222222",network="test"} 0.2');
  });

  it("prefixes names only when asked and rejects an invalid prefix", async () => {
    const prefixed = new KeeperMetrics({ prefix: "chimera_", processMetrics: false });
    const text = await prefixed.metricsText();
    expect(text).to.match(/^# TYPE chimera_breaker_state gauge/m);
    expect(text).to.not.match(/^# TYPE breaker_state /m);
    expect(() => new KeeperMetrics({ prefix: "9bad-" })).to.throw(/metrics prefix "9bad-"/);
  });

  it("answers /readyz 200 when every check passes and 503 naming each failing check", async () => {
    let res = await fetch(`${server!.url}/readyz`);
    expect(res.status).to.equal(200);
    expect(((await res.json()) as { failing: string[] }).failing).to.deep.equal([]);

    readiness = { rpcHeadFresh: false, rpcHeadDetail: "head is 45 s old (limit 10 s)", journalWritable: false, breakerState: "HALTED" };
    res = await fetch(`${server!.url}/readyz`);
    expect(res.status).to.equal(503);
    const body = (await res.json()) as { ready: boolean; failing: string[]; checks: Array<{ name: string; detail: string }> };
    expect(body.ready).to.equal(false);
    expect(body.failing).to.deep.equal(["rpc_head", "journal", "breaker"]);
    expect(body.checks.find((c) => c.name === "rpc_head")!.detail).to.equal("head is 45 s old (limit 10 s)");
    expect(body.checks.find((c) => c.name === "breaker")!.detail).to.include("keeper:resume");
  });

  it("treats a THROTTLED breaker as ready and only HALTED as not", () => {
    const states: BreakerState[] = ["NORMAL", "THROTTLED", "HALTED"];
    expect(
      states.map((breakerState) => evaluateReadiness({ rpcHeadFresh: true, journalWritable: true, breakerState }).ready),
    ).to.deep.equal([true, true, false]);
  });

  it("answers 503 when the readiness callback throws", async () => {
    await server!.close();
    server = await startTelemetryServer({
      port: 0,
      metrics,
      readiness: () => {
        throw new Error("provider gone");
      },
      status: () => ({}),
    });
    const res = await fetch(`${server.url}/readyz`);
    expect(res.status).to.equal(503);
    expect(JSON.stringify(await res.json())).to.include("readiness callback failed: provider gone");
  });

  it("serves /status as JSON with bigints as strings and secrets redacted", async () => {
    const res = await fetch(`${server!.url}/status`);
    expect(res.status).to.equal(200);
    const body = (await res.json()) as { mode: string; nonce: string; rpc: string };
    expect(body.mode).to.equal("DRY");
    expect(body.nonce).to.equal("5");
    expect(body.rpc).to.not.include("Zq3vT8yY0aBcDeFgHiJkLmNoPqRsTuVw");
  });

  it("returns 404 for unknown routes and 405 for other methods", async () => {
    expect((await fetch(`${server!.url}/nope`)).status).to.equal(404);
    expect((await fetch(`${server!.url}/metrics`, { method: "POST" })).status).to.equal(405);
  });

  it("closes cleanly even with a keep-alive connection open, and frees the port", async () => {
    await fetch(`${server!.url}/healthz`, { keepalive: true });
    const port = server!.port;
    await server!.close();
    await server!.close(); // idempotent
    server = await startTelemetryServer({ port, metrics, readiness: () => readiness, status: () => ({}) });
    expect(server.port).to.equal(port);
  });

  it("names the variable and value of a bad KEEPER_METRICS_PORT", () => {
    expect(parseMetricsPort(undefined)).to.equal(DEFAULT_METRICS_PORT);
    expect(parseMetricsPort(" 0 ")).to.equal(0);
    expect(parseMetricsPort("9100")).to.equal(9100);
    expect(() => parseMetricsPort("70000")).to.throw(/KEEPER_METRICS_PORT="70000" is not a TCP port/);
    expect(() => parseMetricsPort("http")).to.throw(/KEEPER_METRICS_PORT="http"/);
  });

  it("converts wei to ETH without losing the fraction", () => {
    expect(weiToEth(1n)).to.equal(1e-18);
    expect(weiToEth(123_456_789_000_000_000_000n)).to.equal(123.456789);
  });
});
