/**
 * An RPC outage is told once, not once per failed call (issue 12, item 5): with the only read endpoint down the
 * keeper logs "read endpoint X down: cause" once, counts what it does not log, backs off with jitter, says "recovered
 * after N s (K further failures not logged)" once, keeps /readyz not ready while no read endpoint is healthy, and
 * alerts on both transitions. Against real HTTP: the in-process chain behind a fault-injecting proxy.
 */
import { expect } from "chai";
import { backoffDelayMs } from "../../../../keeper/rpc/backoff";
import { OutageLog } from "../../../../keeper/rpc/outage-log";
import { RpcOutageMonitor } from "../../../../keeper/rpc/outage-monitor";
import { ReadProviderPool } from "../../../../keeper/rpc/read-provider-pool";
import { evaluateReadiness } from "../../../../keeper/telemetry/http-server";
import type { Alert } from "../../../../keeper/alerts/alert";
import { FaultProxy } from "../../../shared/fault-proxy";
import { startLocalNode, snapshotChain, type LocalNode } from "../../../shared/local-node";

interface Line {
  readonly level: "warn" | "info";
  readonly message: string;
}

function recordingLogger(lines: Line[]) {
  return {
    warn: (_details: object, message: string) => lines.push({ level: "warn", message }),
    info: (_details: object, message: string) => lines.push({ level: "info", message }),
  };
}

describe("RPC outages: told once, backed off, not ready, alerted", function () {
  describe("OutageLog", function () {
    it("logs the first failure with its cause, counts the rest, and logs the recovery with the time and the count", function () {
      const lines: Line[] = [];
      let now = 0;
      const log = new OutageLog("read endpoint primary", recordingLogger(lines), () => now);
      for (let i = 0; i < 1_000; i++) {
        log.fail("eth_blockNumber unreachable: ECONNREFUSED");
        now += 250;
      }
      expect(lines).to.deep.equal([{ level: "warn", message: "read endpoint primary down: eth_blockNumber unreachable: ECONNREFUSED" }]);
      expect(log.recover()).to.deep.include({ state: "recovered", downMs: 250_000, suppressed: 999 });
      expect(lines[1]).to.deep.equal({
        level: "info",
        message: "read endpoint primary recovered after 250.0 s (999 further failure(s) not logged)",
      });
      expect(log.recover(), "already up: nothing to say").to.equal(null);
      expect(lines).to.have.length(2);
    });
  });

  describe("backoffDelayMs", function () {
    it("grows exponentially up to its cap, with full jitter below it", function () {
      const policy = { initialMs: 250, maxMs: 30_000 };
      expect(backoffDelayMs(0, policy, () => 0.999)).to.equal(0);
      expect(backoffDelayMs(1, policy, () => 0.999)).to.equal(249);
      expect(backoffDelayMs(4, policy, () => 0.999)).to.equal(1_998);
      expect(backoffDelayMs(30, policy, () => 0.999)).to.equal(29_970);
      expect(backoffDelayMs(30, policy, () => 0)).to.equal(0);
      const draws = new Set(Array.from({ length: 50 }, () => backoffDelayMs(6, policy)));
      expect(draws.size, "jittered, not a fixed delay").to.be.greaterThan(10);
      expect(() => backoffDelayMs(1, { initialMs: 0, maxMs: 10 })).to.throw(/initialMs/);
    });
  });

  describe("with the only read endpoint down (ReadProviderPool + RpcOutageMonitor over HTTP)", function () {
    let node: LocalNode;
    let restore: () => Promise<void>;
    let proxy: FaultProxy;

    before(async function () {
      restore = await snapshotChain();
      node = await startLocalNode();
    });

    after(async function () {
      await node.close();
      await restore();
    });

    beforeEach(async function () {
      proxy = await FaultProxy.start({ upstreamUrl: node.url });
    });

    afterEach(async function () {
      await proxy.stop();
    });

    it("says down once, is not ready and alerts while it lasts, says recovered once with the suppressed count", async function () {
      const lines: Line[] = [];
      const alerts: Alert[] = [];
      let now = 1_000_000;
      const monitor = new RpcOutageMonitor({
        readEndpoints: ["primary"],
        logger: recordingLogger(lines),
        alerts: { dispatch: async (alert: Alert) => (alerts.push(alert), { delivered: [], failed: [], suppressed: null }) as never },
        clock: () => now,
      });
      const pool = new ReadProviderPool({
        chainId: node.chainId,
        endpoints: [{ url: proxy.url, label: "primary" }],
        callTimeoutMs: 500,
        hedgeAfterMs: null,
        cooldownMs: 60_000,
        clock: () => now,
        onHealthEvent: (event) => monitor.onHealthEvent(event),
      });
      try {
        expect(evaluateReadiness({ ...readyBase, ...monitor.readiness() }).ready).to.equal(true);
        const outage = proxy.inject({ fault: { kind: "http-status", status: 503 } });
        for (let i = 0; i < 40; i++) {
          await pool.request("eth_blockNumber").catch(() => undefined);
          now += 250;
        }
        expect(lines.filter((line) => line.level === "warn")).to.have.length(2); // the endpoint, and "every read endpoint"
        expect(lines[0]!.message, lines[0]!.message).to.match(/^read endpoint primary down: eth_blockNumber http: HTTP 503/);
        const readiness = evaluateReadiness({ ...readyBase, ...monitor.readiness() });
        expect(readiness.ready).to.equal(false);
        expect(readiness.checks.find((check) => check.name === "rpc_endpoints")!.detail).to.match(/no read endpoint is healthy/);
        expect(alerts.map((alert) => `${alert.severity}:${alert.key}`)).to.deep.equal(["critical:rpc-read-endpoints"]);

        outage.remove();
        // Well inside the 60 s cool-down: the only endpoint answering is enough to be ready again.
        await pool.request("eth_blockNumber");
        const recovered = lines.filter((line) => line.level === "info").map((line) => line.message);
        expect(recovered[0]).to.equal("read endpoint primary recovered after 10.0 s (39 further failure(s) not logged)");
        expect(evaluateReadiness({ ...readyBase, ...monitor.readiness() }).ready).to.equal(true);
        expect(alerts.map((alert) => `${alert.severity}:${alert.key}`)).to.deep.equal([
          "critical:rpc-read-endpoints",
          "info:rpc-read-endpoints",
        ]);
        expect(lines).to.have.length(4);
      } finally {
        pool.destroy();
      }
    });
  });
});

const readyBase = { rpcHeadFresh: true, journalWritable: true, breakerState: "NORMAL" as const };
