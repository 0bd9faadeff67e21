/**
 * Discovery's eth_getLogs span adapts to the endpoint (adaptive-log-scan.ts). The endpoint is a real
 * HTTP JSON-RPC server on 127.0.0.1 (port 0) in front of the sandbox node, which refuses eth_getLogs
 * past a result count or a block range with the error each provider family sends (the shapes named
 * in adaptive-log-scan.ts); the keeper talks to it through ethers' JsonRpcProvider, as in production.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import hre from "hardhat";
import { JsonRpcProvider } from "ethers";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { sandboxFixture } from "../../../shared/sandbox-fixture";
import { openAaveBorrowers } from "../../../../sandbox/borrowers";
import type { Sandbox } from "../../../../sandbox";
import type { Address } from "../../../../keeper/config/address-book";
import { decodeAddressWord } from "../../../../keeper/chain/multicall";
import { AdaptiveLogSpan, classifyLogRefusal } from "../../../../keeper/markets/adaptive-log-scan";
import { BorrowerDiscovery } from "../../../../keeper/markets/borrower-discovery";
import { InMemoryCheckpointStore } from "../../../../keeper/markets/checkpoint-store";

type RefusalStyle = "geth" | "infura" | "alchemy" | "reth-results" | "reth-range" | "quicknode";

interface Limits {
  readonly style: RefusalStyle;
  readonly maxResults?: number;
  readonly maxSpan?: number;
}

interface GetLogsRequest {
  readonly from: number;
  readonly to: number;
  readonly refused: boolean;
}

const hex = (n: number) => `0x${n.toString(16)}`;

/** The JSON-RPC error `style`'s endpoint sends; `fitsTo` is the last block of a range from `from` that would pass. */
function refusal(style: RefusalStyle, limits: Limits, from: number, fitsTo: number): { code: number; message: string; data?: unknown } {
  switch (style) {
    case "geth":
      return { code: -32005, message: `query returned more than ${limits.maxResults} results` };
    case "infura":
      return {
        code: -32005,
        message: `query returned more than ${limits.maxResults} results`,
        data: { from: hex(from), limit: limits.maxResults, to: hex(fitsTo) },
      };
    case "alchemy":
      return {
        code: -32602,
        message: `Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response. Based on your parameters, this block range should work: [${hex(from)}, ${hex(fitsTo)}]`,
      };
    case "reth-results":
      return { code: -32602, message: `query exceeds max results ${limits.maxResults}, retry with the range ${from}-${fitsTo}` };
    case "reth-range":
      return { code: -32602, message: `query exceeds max block range ${limits.maxSpan}` };
    case "quicknode":
      return { code: -32614, message: `eth_getLogs is limited to a ${limits.maxSpan!.toLocaleString("en-US")} range` };
  }
}

/** An HTTP JSON-RPC endpoint forwarding to the in-process node, enforcing `limits` on eth_getLogs. */
async function startLimitedEndpoint(limits: Limits): Promise<{ url: string; requests: GetLogsRequest[]; close: () => Promise<void> }> {
  const requests: GetLogsRequest[] = [];
  const answer = async (call: { id: unknown; method: string; params?: unknown[] }) => {
    const params = call.params ?? [];
    try {
      if (call.method === "eth_getLogs") {
        const filter = params[0] as { fromBlock: string; toBlock: string };
        const from = Number(filter.fromBlock);
        const to = Number(filter.toBlock);
        if (limits.maxSpan !== undefined && to - from + 1 > limits.maxSpan) {
          requests.push({ from, to, refused: true });
          return { jsonrpc: "2.0", id: call.id, error: refusal(limits.style, limits, from, from + limits.maxSpan - 1) };
        }
        const logs = (await hre.network.provider.send("eth_getLogs", params)) as { blockNumber: string }[];
        if (limits.maxResults !== undefined && logs.length > limits.maxResults) {
          requests.push({ from, to, refused: true });
          // The widest range from `from` holding at most maxResults logs (at least one block).
          const firstTooMany = Number(logs[limits.maxResults].blockNumber);
          const fitsTo = Math.max(from, firstTooMany - 1);
          return { jsonrpc: "2.0", id: call.id, error: refusal(limits.style, limits, from, fitsTo) };
        }
        requests.push({ from, to, refused: false });
        return { jsonrpc: "2.0", id: call.id, result: logs };
      }
      return { jsonrpc: "2.0", id: call.id, result: await hre.network.provider.send(call.method, params) };
    } catch (error) {
      return { jsonrpc: "2.0", id: call.id, error: { code: -32603, message: error instanceof Error ? error.message : String(error) } };
    }
  };
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      const payload = JSON.parse(body) as Parameters<typeof answer>[0] | Parameters<typeof answer>[0][];
      const reply = Array.isArray(payload) ? Promise.all(payload.map(answer)) : answer(payload);
      void reply.then((out) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(out));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

interface History {
  sandbox: Sandbox;
  borrowers: string[];
  head: number;
}

/** Borrowers opened in three groups (several blocks each) with 15,000 empty blocks between the groups. */
async function historyFixture(): Promise<History> {
  const sandbox = await loadFixture(sandboxFixture);
  const borrowers: string[] = [];
  for (let group = 0; group < 3; group++) {
    if (group > 0) await hre.network.provider.send("hardhat_mine", [hex(15_000)]);
    const opened = await openAaveBorrowers(hre, sandbox, {
      count: 6,
      seed: 180 + group,
      collateral: "WETH",
      debt: "USDC",
      healthFactor: { min: 1.2, max: 2 },
      debtUsd: { min: 100, max: 5_000 },
      batchSize: 2,
    });
    borrowers.push(...opened.map((b) => b.address.toLowerCase()));
  }
  return { sandbox, borrowers, head: await hre.ethers.provider.getBlockNumber() };
}

async function discoverThrough(
  limits: Limits,
): Promise<{ found: string[]; requests: GetLogsRequest[]; history: History; span: AdaptiveLogSpan }> {
  const history = await loadFixture(historyFixture);
  const endpoint = await startLimitedEndpoint(limits);
  const provider = new JsonRpcProvider(endpoint.url, undefined, { batchMaxCount: 1 });
  try {
    const pool = await history.sandbox.aave.pool.getAddress();
    const discovery = new BorrowerDiscovery(provider, new InMemoryCheckpointStore(), {
      checkpointKey: "test:Borrow",
      filter: { address: pool, topics: [history.sandbox.aave.pool.interface.getEvent("Borrow").topicHash] },
      borrowersOf: (log) => (log.topics.length > 2 ? [decodeAddressWord(log.topics[2]) as Address] : []),
    });
    const result = await discovery.discover(0, history.head);
    expect(result.checkpoint).to.equal(history.head);
    expect(result.logRequests).to.equal(endpoint.requests.length);
    return { found: [...result.newBorrowers], requests: endpoint.requests, history, span: discovery.span };
  } finally {
    provider.destroy();
    await endpoint.close();
  }
}

/** Accepted requests cover [0, head] exactly once, in order. */
function expectExactCoverage(requests: readonly GetLogsRequest[], head: number): void {
  let next = 0;
  for (const request of requests.filter((r) => !r.refused)) {
    expect(request.from).to.equal(next);
    next = request.to + 1;
  }
  expect(next).to.equal(head + 1);
}

describe("keeper/markets adaptive eth_getLogs span (discovery against a limited HTTP endpoint)", function () {
  this.timeout(180_000);

  for (const style of ["geth", "infura", "alchemy", "reth-results"] as const) {
    it(`${style}: shrinks on a result-count refusal, grows back on success, and finds every borrower once`, async function () {
      const { found, requests, history, span } = await discoverThrough({ style, maxResults: 2 });
      expect(found.sort()).to.deep.equal([...history.borrowers].sort());
      expectExactCoverage(requests, history.head);
      const refusals = requests.filter((r) => r.refused);
      expect(refusals.length, "the endpoint refused some requests").to.be.greaterThan(0);
      // Where the endpoint named a range that fits, the next request is exactly that range.
      if (style !== "geth") {
        const i = requests.indexOf(refusals[0]);
        expect(requests[i + 1].from).to.equal(refusals[0].from);
        expect(requests[i + 1].refused).to.equal(false);
      }
      // After the narrowest accepted request the span grew again (doubling through the empty stretches).
      const accepted = requests.filter((r) => !r.refused).map((r) => r.to - r.from + 1);
      const narrowest = accepted.indexOf(Math.min(...accepted));
      expect(Math.max(...accepted.slice(narrowest + 1)), JSON.stringify(accepted)).to.be.at.least(16 * accepted[narrowest]);
      expect(span.ceiling, "a result-count limit does not cap the span for good").to.equal(100_000);
    });
  }

  for (const style of ["reth-range", "quicknode"] as const) {
    it(`${style}: adopts the endpoint's stated block-range limit and never exceeds it again`, async function () {
      const { found, requests, history, span } = await discoverThrough({ style, maxSpan: 3_000 });
      expect(found.sort()).to.deep.equal([...history.borrowers].sort());
      expectExactCoverage(requests, history.head);
      expect(requests.filter((r) => r.refused)).to.have.length(1);
      expect(span.ceiling).to.equal(3_000);
      expect(Math.max(...requests.filter((r) => !r.refused).map((r) => r.to - r.from + 1))).to.equal(3_000);
    });
  }

  it("reads the limits out of each provider family's refusal, and nothing out of other errors", function () {
    const cases: [unknown, ReturnType<typeof classifyLogRefusal>][] = [
      [new Error("query returned more than 10000 results"), { kind: "too-many-results", fitsTo: undefined, maxSpan: undefined }],
      [
        {
          message: "could not coalesce error",
          error: { code: -32005, message: "query returned more than 10000 results", data: { from: "0x64", to: "0x96" } },
        },
        { kind: "too-many-results", fitsTo: 150, maxSpan: undefined },
      ],
      [
        new Error("query exceeds max results 20000, retry with the range 100-120"),
        { kind: "too-many-results", fitsTo: 120, maxSpan: undefined },
      ],
      [new Error("query exceeds max block range 100000"), { kind: "range-too-wide", fitsTo: undefined, maxSpan: 100_000 }],
      [new Error("exceed maximum block range: 5000"), { kind: "range-too-wide", fitsTo: undefined, maxSpan: 5_000 }],
      [new Error("eth_getLogs is limited to a 10,000 range"), { kind: "range-too-wide", fitsTo: undefined, maxSpan: 10_000 }],
      [new Error("block range is too wide"), { kind: "range-too-wide", fitsTo: undefined, maxSpan: undefined }],
      [
        new Error(
          "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range ... this block range should work: [0x64, 0x70]",
        ),
        { kind: "too-many-results", fitsTo: 112, maxSpan: 2_000 },
      ],
    ];
    for (const [error, expected] of cases) expect(classifyLogRefusal(error, 100), String((error as Error).message)).to.deep.equal(expected);
    expect(classifyLogRefusal(new Error("connect ECONNREFUSED 127.0.0.1:8545"), 100)).to.equal(null);
    expect(classifyLogRefusal(new Error("header not found"), 100)).to.equal(null);
    // A suggested range that does not start at the request's first block is not trusted.
    expect(classifyLogRefusal(new Error("query exceeds max results 5, retry with the range 7-9"), 100)?.fitsTo).to.equal(undefined);
  });

  it("an unexplained refusal halves the span without capping it; a stated one shrinks to what fits", function () {
    const span = new AdaptiveLogSpan(1_000, 8_000);
    span.refused(null, 1_000, 0);
    expect([span.current, span.ceiling]).to.deep.equal([500, 8_000]);
    span.accepted();
    span.accepted();
    expect(span.current).to.equal(2_000);
    span.refused({ kind: "too-many-results", fitsTo: 10_099 }, 2_000, 10_000);
    expect([span.current, span.ceiling]).to.deep.equal([100, 8_000]);
    span.refused({ kind: "range-too-wide", maxSpan: 64 }, 100, 20_000);
    expect([span.current, span.ceiling]).to.deep.equal([64, 64]);
    span.accepted();
    expect(span.current).to.equal(64);
    expect(() => new AdaptiveLogSpan(0, 10)).to.throw(/positive integers/);
  });
});
