import { expect } from "chai";
import { EventEmitter } from "node:events";
import { ClockedProvider, type SubscribableProvider } from "../../../sandbox/clock/clocked-provider";

/**
 * The node's millisecond fields on logs cost one block read and one BaseTime read per BLOCK, not per log: a busy
 * step's eth_getLogs returns hundreds of logs from a few blocks, and a read per log queued hundreds of requests on the
 * node the clock and the keeper share. A double of Hardhat's provider (EIP-1193 requests, counted) serves them.
 */
describe("ClockedProvider: millisecond fields read once per block", () => {
  const blocks: Record<string, { hash: string; timestamp: string; part: number }> = {
    "0x10": { hash: "0xaa", timestamp: "0x64", part: 400 },
    "0x11": { hash: "0xbb", timestamp: "0x64", part: 600 },
  };
  const logs = Array.from({ length: 40 }, (_, i) => {
    const blockNumber = i % 2 === 0 ? "0x10" : "0x11";
    return { blockNumber, blockHash: blocks[blockNumber]!.hash, logIndex: `0x${i.toString(16)}`, data: "0x" };
  });

  function doubleProvider() {
    const calls: Record<string, number> = {};
    const inner = Object.assign(new EventEmitter(), {
      request: async ({ method, params }: { method: string; params?: readonly unknown[] }) => {
        calls[method] = (calls[method] ?? 0) + 1;
        await new Promise((resolve) => setImmediate(resolve));
        if (method === "eth_getLogs") return logs;
        if (method === "eth_getBlockByNumber") {
          const block = blocks[String(params![0])]!;
          return { number: params![0], hash: block.hash, timestamp: block.timestamp };
        }
        if (method === "eth_getStorageAt") return `0x${blocks[String(params![2])]!.part.toString(16).padStart(64, "0")}`;
        throw new Error(`unexpected ${method}`);
      },
    }) as unknown as SubscribableProvider;
    return { provider: new ClockedProvider(inner), calls, inner: inner as unknown as EventEmitter };
  }

  it("serves blockTimestampMs on every log of a 40-log answer with two block reads and two BaseTime reads", async () => {
    const { provider, calls } = doubleProvider();
    const served = (await provider.request({ method: "eth_getLogs", params: [{}] })) as { blockNumber: string; blockTimestampMs: string }[];
    expect(served).to.have.length(40);
    for (const log of served) {
      const block = blocks[log.blockNumber]!;
      expect(Number(BigInt(log.blockTimestampMs))).to.equal(Number(BigInt(block.timestamp)) * 1_000 + block.part);
    }
    expect(calls.eth_getBlockByNumber).to.equal(2);
    expect(calls.eth_getStorageAt).to.equal(2);
    // Asked again, the blocks are known.
    await provider.request({ method: "eth_getLogs", params: [{}] });
    expect([calls.eth_getBlockByNumber, calls.eth_getStorageAt]).to.deep.equal([2, 2]);
  });

  it("stamps the notifications of a block the clock announced without asking the node, and checks its seconds", async () => {
    const { provider, calls, inner } = doubleProvider();
    const pushed: { result: { blockTimestampMs?: string; timestampMs?: string } }[] = [];
    provider.addListener("notification", (payload) => pushed.push(payload as (typeof pushed)[number]));
    // The clock seals 0x10 at 100.4 s and 0x11 at 100.6 s (ChainClockOptions.onSealing).
    provider.knowSealedBlock(0x10, 100_400);
    provider.knowSealedBlock(0x11, 100_600);
    const reads = () => [calls.eth_getBlockByNumber ?? 0, calls.eth_getStorageAt ?? 0];

    const served = (await provider.request({ method: "eth_getLogs", params: [{}] })) as { blockTimestampMs: string }[];
    expect(served.map((log) => Number(BigInt(log.blockTimestampMs)))).to.include.members([100_400, 100_600]);
    expect(reads()).to.deep.equal([0, 0]);

    inner.emit("notification", { subscription: "0xs", result: { blockNumber: "0x11", blockHash: "0xbb", logIndex: "0x0" } });
    inner.emit("notification", { subscription: "0xh", result: { number: "0x10", hash: "0xaa", parentHash: "0x01", timestamp: "0x64" } });
    await new Promise((resolve) => setImmediate(resolve));
    expect(pushed.map((p) => Number(BigInt(p.result.blockTimestampMs ?? p.result.timestampMs!)))).to.deep.equal([100_600, 100_400]);
    expect(reads()).to.deep.equal([0, 0]);

    // A header whose seconds disagree with the announcement (another block of that number) is read from the node.
    inner.emit("notification", { subscription: "0xh", result: { number: "0x10", hash: "0xcc", parentHash: "0x01", timestamp: "0x65" } });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls.eth_getStorageAt).to.equal(1);
    expect(Number(BigInt(pushed[2]!.result.timestampMs!))).to.equal(0x65 * 1_000 + 400);
  });
});

/**
 * The race clock of the reaction benchmark: when a raw transaction reached the node, taken as its request arrives
 * (before the chain handles it), by the hash the node answered. A double of Hardhat's provider answers the send.
 */
describe("ClockedProvider: when a transaction reached the node", () => {
  it("records the arrival of each eth_sendRawTransaction by its hash, and nothing for a refused one", async () => {
    let now = 1_000;
    const inner = Object.assign(new EventEmitter(), {
      request: async ({ params }: { method: string; params?: readonly unknown[] }) => {
        now += 40; // the chain's own handling time is not the arrival
        if (params![0] === "0xbad") throw new Error("nonce too low");
        return "0xABC1";
      },
    }) as unknown as SubscribableProvider;
    const provider = new ClockedProvider(inner, () => now);
    expect(await provider.request({ method: "eth_sendRawTransaction", params: ["0x02f8"] })).to.equal("0xABC1");
    expect(provider.arrivalOf("0xabc1")).to.equal(1_000);
    await provider.request({ method: "eth_sendRawTransaction", params: ["0xbad"] }).catch(() => undefined);
    expect(provider.arrivalOf("0xbad")).to.equal(undefined);
  });
});
