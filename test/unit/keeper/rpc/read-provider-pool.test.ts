/**
 * ReadProviderPool against real HTTP: the in-process Hardhat chain served over JSON-RPC, with a
 * fault-injecting proxy in front of each of two endpoints. Endpoint URLs carry fake credentials so
 * every error message can be checked for leaks.
 */
import { expect } from "chai";
import hre from "hardhat";
import { ReadProviderPool, type EndpointHealthEvent, type ReadProviderPoolOptions } from "../../../../keeper/rpc/read-provider-pool";
import { AllRpcEndpointsFailedError, RpcAnswerError } from "../../../../keeper/rpc/rpc-errors";
import { REDACTED } from "../../../../keeper/telemetry/redact";
import { FaultProxy, type InjectedFault } from "../../../shared/fault-proxy";
import { startLocalNode, snapshotChain, type LocalNode } from "../../../shared/local-node";

const SECRET_PATH_KEY = "k3yAbCdEf0123456789xyzSECRET";
const ACCOUNT = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
/** Init code PUSH1 0 PUSH1 0 REVERT: an eth_call of it reverts on every honest node. */
const REVERTING_INITCODE = "0x60006000fd";

/** A proxy URL with userinfo and a key-like path segment, as real provider URLs have. */
function credentialUrl(proxy: FaultProxy): string {
  const { host } = new URL(proxy.url);
  return `http://operator:hunter2pass@${host}/v2/${SECRET_PATH_KEY}`;
}

function expectNoSecrets(text: string): void {
  expect(text).to.not.include(SECRET_PATH_KEY);
  expect(text).to.not.include("hunter2pass");
}

describe("ReadProviderPool", function () {
  let node: LocalNode;
  let restoreChain: () => Promise<void>;
  let primary: FaultProxy;
  let secondary: FaultProxy;
  let pool: ReadProviderPool;
  let events: EndpointHealthEvent[];
  let now: number;

  function makePool(overrides: Partial<ReadProviderPoolOptions> = {}): ReadProviderPool {
    return new ReadProviderPool({
      chainId: node.chainId,
      endpoints: [
        { url: credentialUrl(primary), label: "primary" },
        { url: credentialUrl(secondary), label: "secondary" },
      ],
      callTimeoutMs: 400,
      hedgeAfterMs: null,
      maxHeadLagBlocks: 3,
      cooldownMs: 10_000,
      clock: () => now,
      onHealthEvent: (event) => events.push(event),
      ...overrides,
    });
  }

  function healthOf(label: string) {
    const snapshot = pool.health().find((entry) => entry.label === label);
    if (snapshot === undefined) throw new Error(`no endpoint ${label}`);
    return snapshot;
  }

  before(async function () {
    restoreChain = await snapshotChain();
    node = await startLocalNode();
  });

  after(async function () {
    await node.close();
    await restoreChain();
  });

  beforeEach(async function () {
    primary = await FaultProxy.start({ upstreamUrl: node.url });
    secondary = await FaultProxy.start({ upstreamUrl: node.url });
    events = [];
    now = 1_000_000;
    pool = makePool();
  });

  afterEach(async function () {
    pool.destroy();
    await Promise.all([primary.stop(), secondary.stop()]);
  });

  describe("#request failover", function () {
    const faults: Array<{ name: string; fault: InjectedFault; kind: string }> = [
      { name: "a JSON-RPC node error", fault: { kind: "rpc-error", code: -32000, message: "header not found" }, kind: "node-error" },
      { name: "HTTP 500", fault: { kind: "http-status", status: 500 }, kind: "http" },
      { name: "HTTP 429", fault: { kind: "http-status", status: 429, body: "rate limited" }, kind: "http" },
      { name: "a hang (timeout)", fault: { kind: "hang" }, kind: "timeout" },
      { name: "malformed JSON", fault: { kind: "malformed-json" }, kind: "malformed" },
      { name: "a non-hex balance", fault: { kind: "garbage-result", result: "lots" }, kind: "invalid-result" },
      { name: "a number where hex is due", fault: { kind: "garbage-result", result: 12345 }, kind: "invalid-result" },
    ];

    for (const { name, fault, kind } of faults) {
      it(`serves from the healthy endpoint and demotes the other on ${name}`, async function () {
        primary.inject({ method: "eth_getBalance", fault });
        const expected = await hre.ethers.provider.getBalance(ACCOUNT);

        const balance = await pool.request<string>("eth_getBalance", [ACCOUNT, "latest"]);

        expect(BigInt(balance)).to.equal(expected);
        const health = healthOf("primary");
        expect(health.demoted).to.equal(true);
        expect(health.lastFault?.kind).to.equal(kind);
        expect(events.map((event) => `${event.type}:${event.endpoint}`)).to.deep.equal(["demoted:primary"]);
        expectNoSecrets(JSON.stringify(pool.health()) + JSON.stringify(events));
      });
    }

    it("stops asking a demoted endpoint first, so it costs one timeout, not one per call", async function () {
      primary.inject({ method: "eth_chainId", fault: { kind: "hang" } });
      await pool.request("eth_chainId");
      const primaryCallsAfterDemotion = primary.requestsFor("eth_chainId").length;

      for (let i = 0; i < 3; i++) await pool.request("eth_chainId");

      expect(primaryCallsAfterDemotion).to.equal(1);
      expect(primary.requestsFor("eth_chainId")).to.have.length(1);
      expect(secondary.requestsFor("eth_chainId")).to.have.length(4);
      expect(pool.heads().preferredEndpoint).to.equal("secondary");
    });

    it("returns a revert to the caller without failing over or demoting anyone", async function () {
      const error = await pool.request("eth_call", [{ data: REVERTING_INITCODE }, "latest"]).catch((e: unknown) => e);

      expect(error).to.be.instanceOf(RpcAnswerError);
      expect((error as RpcAnswerError).message).to.match(/revert/i);
      expect(secondary.requestsFor("eth_call")).to.have.length(0);
      expect(healthOf("primary").demoted).to.equal(false);
    });

    it("fails with every endpoint's reason, redacted, when all endpoints are bad — and does not hang", async function () {
      primary.inject({ fault: { kind: "hang" } });
      secondary.inject({ fault: { kind: "http-status", status: 500 } });

      const error = await pool.request("eth_blockNumber").catch((e: unknown) => e);

      expect(error).to.be.instanceOf(AllRpcEndpointsFailedError);
      const message = (error as Error).message;
      expect(message).to.include("eth_blockNumber");
      expect(message).to.match(/primary → timeout/);
      expect(message).to.match(/secondary → http \(HTTP 500/);
      expectNoSecrets(message);
    });

    it("names the redacted URL, not the raw one, when an endpoint has no label", async function () {
      pool.destroy();
      pool = makePool({ endpoints: [{ url: credentialUrl(primary) }] });
      primary.inject({ fault: { kind: "http-status", status: 503 } });

      const error = await pool.request("eth_blockNumber").catch((e: unknown) => e);

      const message = (error as Error).message;
      expect(message).to.include(`http://${REDACTED}@${new URL(primary.url).host}/v2/${REDACTED}`);
      expectNoSecrets(message);
    });

    it("hedges a slow call to the next endpoint and takes the first valid answer", async function () {
      pool.destroy();
      pool = makePool({ hedgeAfterMs: 50, callTimeoutMs: 5_000 });
      primary.inject({ method: "eth_gasPrice", fault: { kind: "hang", ms: 1_500 } });

      const gasPrice = await pool.request<string>("eth_gasPrice");

      expect(BigInt(gasPrice) > 0n).to.equal(true);
      // The hedge went out while the primary was still holding the call.
      expect(secondary.requestsFor("eth_gasPrice")).to.have.length(1);
      expect(primary.requestsFor("eth_gasPrice")).to.have.length(1);
    });
  });

  describe("#refreshHeads", function () {
    it("demotes an endpoint whose head lags the best by more than K blocks", async function () {
      await hre.network.provider.send("hardhat_mine", ["0xa"]);
      const head = await hre.ethers.provider.getBlockNumber();
      primary.inject({ method: "eth_blockNumber", fault: { kind: "lagging-head", blocksBehind: 6 } });

      const heads = await pool.refreshHeads();

      expect(heads.bestLatestBlock).to.equal(head);
      expect(heads.preferredEndpoint).to.equal("secondary");
      expect(heads.headLagBlocks).to.equal(0);
      expect(heads.lastHeadAt).to.equal(now);
      const lagging = healthOf("primary");
      expect(lagging.demoted).to.equal(true);
      expect(lagging.headLagBlocks).to.equal(6);
      expect(lagging.demotionReason).to.match(/lagging/);
    });

    it("tolerates a lag of up to K blocks", async function () {
      primary.inject({ method: "eth_blockNumber", fault: { kind: "lagging-head", blocksBehind: 3 } });

      await pool.refreshHeads();

      expect(healthOf("primary").demoted).to.equal(false);
      expect(healthOf("primary").headLagBlocks).to.equal(3);
    });

    it("fails over a lagging eth_blockNumber answer once the best head is known", async function () {
      await pool.refreshHeads();
      await hre.network.provider.send("hardhat_mine", ["0x5"]);
      await pool.refreshHeads();
      const head = await hre.ethers.provider.getBlockNumber();
      primary.inject({ method: "eth_blockNumber", fault: { kind: "lagging-head", blocksBehind: 5 } });

      const answered = await pool.request<string>("eth_blockNumber");

      expect(Number(BigInt(answered))).to.equal(head);
      expect(healthOf("primary").lastFault?.kind).to.equal("lagging");
    });

    it("never asks for the pending block (Denim: it has no equivalent on Base)", async function () {
      await hre.network.provider.send("hardhat_mine", ["0x4"]);
      await pool.refreshHeads();
      await pool.refreshHeads();
      for (const proxy of [primary, secondary]) {
        const pendingReads = proxy.requestsFor("eth_getBlockByNumber").filter((request) => JSON.stringify(request).includes("pending"));
        expect(pendingReads).to.have.length(0);
      }
    });

    it("restores a demoted endpoint after its cool-down when a probe succeeds, not before", async function () {
      primary.inject({ method: "eth_blockNumber", fault: { kind: "http-status", status: 500 }, times: 1 });
      await pool.refreshHeads();
      expect(healthOf("primary").demoted).to.equal(true);

      await pool.refreshHeads();
      expect(healthOf("primary").demoted, "still cooling down: not probed").to.equal(true);
      expect(primary.requestsFor("eth_blockNumber")).to.have.length(1);

      now += 10_000;
      await pool.refreshHeads();

      expect(healthOf("primary").demoted).to.equal(false);
      expect(events.map((event) => `${event.type}:${event.endpoint}`)).to.deep.equal(["demoted:primary", "restored:primary"]);
    });

    it("keeps a demoted endpoint demoted when its probe fails again", async function () {
      primary.inject({ method: "eth_blockNumber", fault: { kind: "malformed-json" } });
      await pool.refreshHeads();
      now += 10_000;

      await pool.refreshHeads();

      expect(healthOf("primary").demoted).to.equal(true);
      expect(healthOf("primary").consecutiveFailures).to.equal(2);
    });
  });

  describe("#provider (ethers over the pool)", function () {
    it("serves ethers calls through failover", async function () {
      primary.inject({ fault: { kind: "http-status", status: 502 } });

      const [blockNumber, balance] = await Promise.all([pool.provider.getBlockNumber(), pool.provider.getBalance(ACCOUNT)]);

      expect(blockNumber).to.equal(await hre.ethers.provider.getBlockNumber());
      expect(balance).to.equal(await hre.ethers.provider.getBalance(ACCOUNT));
      expect(healthOf("primary").demoted).to.equal(true);
    });

    it("surfaces a revert as ethers' CALL_EXCEPTION", async function () {
      const error = await pool.provider.call({ data: REVERTING_INITCODE }).catch((e: unknown) => e);

      expect((error as { code?: string }).code).to.equal("CALL_EXCEPTION");
    });
  });
});
