/**
 * The keeper's operations endpoint, on 127.0.0.1 by default (metrics and status describe positions
 * and balances; exposing them beyond the host is a deliberate choice, logged as a warning):
 *   GET /         the live dashboard page (with /dashboard.js and /dashboard.css); it polls /status
 *   GET /healthz  200 while the process serves requests (liveness)
 *   GET /readyz   200 when the RPC head is fresh, the journal writable and the breaker not HALTED;
 *                 503 with { ready: false, failing: [...], checks: [...] } otherwise
 *   GET /status   the keeper's status JSON (from a callback), secrets redacted
 *   GET /metrics  Prometheus text format
 * The server owns no keeper state: readiness and status come from callbacks the engine provides.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import type { BreakerState } from "../core/types";
import { DASHBOARD_ROUTES, DASHBOARD_SECURITY_HEADERS, dashboardAsset } from "./dashboard-assets";
import type { KeeperMetrics } from "./metrics";
import { redactSecrets } from "./redact";
import { errorMessage } from "../core/error-message";

export const DEFAULT_METRICS_PORT = 9464;
export const DEFAULT_METRICS_HOST = "127.0.0.1";

/** Facts the engine knows; `evaluateReadiness` turns them into checks. */
export interface ReadinessInputs {
  readonly rpcHeadFresh: boolean;
  /** e.g. "head 12,345,678 is 3 s old (limit 10 s)". */
  readonly rpcHeadDetail?: string;
  readonly journalWritable: boolean;
  readonly journalDetail?: string;
  readonly breakerState: BreakerState;
  /** False while no read endpoint is healthy (keeper/rpc/outage-monitor.ts); absent where there is no pool. */
  readonly rpcEndpointsHealthy?: boolean;
  readonly rpcEndpointsDetail?: string;
  /** Further checks the run adds (e.g. "executor_roles"); each one failing makes /readyz not ready. */
  readonly extraChecks?: readonly ReadinessCheck[];
}

export interface ReadinessCheck {
  readonly name: "rpc_head" | "rpc_endpoints" | "journal" | "breaker" | "readiness_callback" | (string & {});
  readonly ok: boolean;
  readonly detail: string;
}

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: readonly ReadinessCheck[];
}

export function evaluateReadiness(inputs: ReadinessInputs): ReadinessReport {
  const checks: ReadinessCheck[] = [
    {
      name: "rpc_head",
      ok: inputs.rpcHeadFresh,
      detail: inputs.rpcHeadDetail ?? (inputs.rpcHeadFresh ? "RPC head is fresh" : "RPC head is stale"),
    },
    {
      name: "journal",
      ok: inputs.journalWritable,
      detail: inputs.journalDetail ?? (inputs.journalWritable ? "journal is writable" : "journal is not writable"),
    },
    {
      name: "breaker",
      ok: inputs.breakerState !== "HALTED",
      detail: `breaker is ${inputs.breakerState}${inputs.breakerState === "HALTED" ? " (npx hardhat keeper:resume)" : ""}`,
    },
    ...(inputs.extraChecks ?? []),
  ];
  if (inputs.rpcEndpointsHealthy !== undefined) {
    checks.push({
      name: "rpc_endpoints",
      ok: inputs.rpcEndpointsHealthy,
      detail: inputs.rpcEndpointsDetail ?? (inputs.rpcEndpointsHealthy ? "a read endpoint is healthy" : "no read endpoint is healthy"),
    });
  }
  return { ready: checks.every((c) => c.ok), checks };
}

export interface TelemetryServerOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 9464; 0 picks a free port (tests). */
  readonly port?: number;
  readonly metrics: KeeperMetrics;
  readonly readiness: () => ReadinessInputs | Promise<ReadinessInputs>;
  readonly status: () => unknown;
  readonly logger?: Logger;
  /** Exact secrets to scrub from /status and /readyz bodies, as the logger does. */
  readonly knownSecrets?: readonly string[];
  /** 32-byte hex values that are public (the keeper's own transaction hashes) and stay visible in /status. */
  readonly publicValues?: () => readonly string[];
}

export interface TelemetryServer {
  readonly host: string;
  readonly port: number;
  /** e.g. http://127.0.0.1:9464 */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Parses KEEPER_METRICS_PORT (or another variable's value): unset → 9464; otherwise an integer in
 * 0…65535, else an error naming the variable and the value.
 */
export function parseMetricsPort(raw: string | undefined, variable = "KEEPER_METRICS_PORT"): number {
  if (raw === undefined || raw.trim() === "") return DEFAULT_METRICS_PORT;
  const value = raw.trim();
  if (!/^\d+$/.test(value) || Number(value) > 65_535) {
    throw new Error(`${variable}="${value}" is not a TCP port; expected an integer from 0 to 65535 (default ${DEFAULT_METRICS_PORT})`);
  }
  return Number(value);
}

export async function startTelemetryServer(options: TelemetryServerOptions): Promise<TelemetryServer> {
  const host = options.host ?? DEFAULT_METRICS_HOST;
  const port = options.port ?? DEFAULT_METRICS_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`telemetry port ${port} is not a TCP port; expected an integer from 0 to 65535`);
  }
  const sendJson = (res: http.ServerResponse, status: number, body: unknown): void => {
    const redaction = { knownSecrets: options.knownSecrets ?? [], publicValues: options.publicValues?.() ?? [] };
    const text = redactSecrets(JSON.stringify(body, bigintAsString), redaction);
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
    res.end(text);
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const route = new URL(req.url ?? "/", "http://localhost").pathname;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" });
      res.end();
      return;
    }
    switch (route) {
      case "/healthz":
        sendJson(res, 200, { ok: true });
        return;
      case "/readyz": {
        let report: ReadinessReport;
        try {
          report = evaluateReadiness(await options.readiness());
        } catch (error) {
          report = {
            ready: false,
            checks: [{ name: "readiness_callback", ok: false, detail: `readiness callback failed: ${errorMessage(error)}` }],
          };
        }
        const failing = report.checks.filter((c) => !c.ok).map((c) => c.name);
        sendJson(res, report.ready ? 200 : 503, { ready: report.ready, failing, checks: report.checks });
        return;
      }
      case "/status":
        try {
          sendJson(res, 200, await options.status());
        } catch (error) {
          sendJson(res, 500, { error: `status callback failed: ${errorMessage(error)}` });
        }
        return;
      case "/metrics": {
        const text = await options.metrics.metricsText();
        res.writeHead(200, { "content-type": options.metrics.contentType });
        res.end(text);
        return;
      }
      default: {
        const asset = dashboardAsset(route);
        if (asset !== undefined) {
          res.writeHead(200, { "content-type": asset.contentType, "cache-control": "no-cache", ...DASHBOARD_SECURITY_HEADERS });
          res.end(req.method === "HEAD" ? undefined : asset.body);
          return;
        }
        sendJson(res, 404, { error: `no route ${route}`, routes: [...DASHBOARD_ROUTES, "/healthz", "/readyz", "/status", "/metrics"] });
      }
    }
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.logger?.error({ err: error, route: req.url }, "telemetry request failed");
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        new Error(
          error.code === "EADDRINUSE"
            ? `telemetry port ${host}:${port} is already in use; set KEEPER_METRICS_PORT to a free port`
            : `telemetry server could not listen on ${host}:${port}: ${error.message}`,
        ),
      );
    };
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve();
    });
  });

  const bound = server.address() as AddressInfo;
  const url = `http://${bound.family === "IPv6" ? `[${bound.address}]` : bound.address}:${bound.port}`;
  if (!isLoopback(host)) {
    options.logger?.warn({ host }, "telemetry server listens beyond loopback: /status and /metrics are readable from the network");
  }
  options.logger?.info({ url }, "telemetry server listening");

  let closing: Promise<void> | undefined;
  return {
    host: bound.address,
    port: bound.port,
    url,
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive connections from a scraper would otherwise hold close() open.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

function bigintAsString(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}
