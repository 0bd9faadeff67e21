/**
 * A real HTTP server on 127.0.0.1 (ephemeral port) standing in for Slack, Telegram and a JSON
 * collector: it records every request and answers with a status the test chooses. It is a test
 * double because those services are unreachable offline; the dispatcher under test speaks real HTTP
 * to it through fetch.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export interface RecordingServer {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Status for the next responses (default 200), and an optional delay to exercise timeouts. */
  respondWith(status: number, body?: string, delayMs?: number): void;
  close(): Promise<void>;
}

export async function startRecordingServer(): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  let status = 200;
  let responseBody = '{"ok":true}';
  let delayMs = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      const reply = () => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(responseBody);
      };
      if (delayMs > 0) setTimeout(reply, delayMs);
      else reply();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    respondWith(nextStatus, nextBody = '{"ok":false,"description":"test failure"}', nextDelayMs = 0) {
      status = nextStatus;
      responseBody = nextBody;
      delayMs = nextDelayMs;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
