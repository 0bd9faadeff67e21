/**
 * The HTTP plumbing the loopback JSON-RPC test doubles (fault-proxy.ts, local-relay.ts) share: a server on an
 * ephemeral 127.0.0.1 port, reading a request body, answering, and closing without waiting on open sockets.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

/** Starts an HTTP server on a free port of 127.0.0.1; `url` ends with "/". Rejects if it cannot listen. */
export async function listenOnLoopback(): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/` };
}

/** Closes `server` now: hung requests and keep-alive sockets would otherwise hold it (and mocha) open. */
export async function closeNow(server: http.Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}

export function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export function respond(res: http.ServerResponse, status: number, body: string, contentType = "application/json"): void {
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(body) });
  res.end(body);
}
