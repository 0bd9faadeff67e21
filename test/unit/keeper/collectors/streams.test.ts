/**
 * Heads and oracle logs by eth_subscribe, the way the keeper reads Base since Denim, against the clock-driven
 * sandbox node (200 ms blocks, five to a second sharing one timestamp) through a TCP proxy the test cuts:
 *  - HeadStream delivers every head by subscription with Denim's timestampMs; heads that share a whole-second
 *    timestamp are distinct, ordered heads (nothing divides by their zero time delta); while the socket is down the
 *    polling fallback keeps heads coming, and after the reconnect they come by subscription again;
 *  - OracleLogStream + OracleUpdateCollector hand out every AnswerUpdated answer exactly once: from the subscription
 *    when it covers the range, from eth_getLogs for a range the cut left uncovered, never both, none missed.
 * Test double: AnswerUpdatedFeed (MockV3Aggregator plus the AnswerUpdated event real aggregators emit).
 */
import defaultRuntime from "hardhat";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { createClockedRuntime } from "../../../../sandbox/clock/clocked-runtime";
import { expect } from "chai";
import { AnswerUpdatedFeed__factory, type AnswerUpdatedFeed } from "../../../../typechain-types";
import { startClockedNode, type ClockedNode } from "../../../../sandbox/clock";
import { BlockCollector } from "../../../../keeper/collectors/block-collector";
import { HeadStream, parseHead, type Head } from "../../../../keeper/collectors/head-stream";
import { OracleLogStream } from "../../../../keeper/collectors/oracle-log-stream";
import { OracleUpdateCollector } from "../../../../keeper/collectors/oracle-update-collector";
import { WsSubscriptionClient, type WsStateEvent } from "../../../../keeper/rpc/ws-subscription-client";
import type { Address } from "../../../../keeper/config/address-book";
import type { FeedAnswer } from "../../../../keeper/markets/market";
import { TcpProxy } from "../../../shared/tcp-proxy";

describe("keeper/collectors: heads and oracle logs by subscription, with a tested reconnect", function () {
  this.timeout(180_000);
  /** The clocked chain: its own in-process chain, which may mine several blocks to a second. */
  let hre: HardhatRuntimeEnvironment;
  let node: ClockedNode;
  let proxy: TcpProxy;
  let client: WsSubscriptionClient;
  let heads: HeadStream;
  let feed: AnswerUpdatedFeed;
  const states: WsStateEvent[] = [];
  const seen: Head[] = [];

  before(async () => {
    hre = await createClockedRuntime(defaultRuntime);
    const [deployer] = await hre.ethers.getSigners();
    feed = await new AnswerUpdatedFeed__factory(deployer).deploy(8, 3_000n * 10n ** 8n);
    await feed.waitForDeployment();
    node = await startClockedNode(hre);
    const url = new URL(node.wsUrl);
    proxy = await TcpProxy.start({ host: url.hostname, port: Number(url.port) });
    client = new WsSubscriptionClient({ url: proxy.wsUrl, label: "node-ws", heartbeatMs: 500, onStateChange: (e) => states.push(e) });
    expect(await client.start()).to.equal(true);
    heads = new HeadStream({ rpc: hre.ethers.provider, subscriber: client, pollIntervalMs: 100, staleAfterMs: 1_000 });
    heads.onHead((head) => seen.push(head));
    await heads.start();
  });

  after(async () => {
    heads?.stop();
    client?.close();
    await proxy?.close();
    await node?.close();
  });

  async function blocks(count: number): Promise<void> {
    for (let i = 0; i < count; i++) await node.clock.nextBlock();
  }

  it("delivers every head by subscription with timestampMs; heads sharing a second stay distinct and ordered", async () => {
    seen.length = 0;
    await blocks(8);
    const pushed = seen.filter((head) => head.via === "subscription");
    expect(pushed.length).to.be.at.least(6);
    for (let i = 1; i < pushed.length; i++) {
      expect(pushed[i]!.number).to.equal(pushed[i - 1]!.number + 1);
      expect(pushed[i]!.timestampMs - pushed[i - 1]!.timestampMs).to.equal(200);
      expect(pushed[i]!.timestamp).to.equal(Math.floor(pushed[i]!.timestampMs / 1_000));
    }
    expect(new Set(pushed.map((head) => head.timestamp)).size, "several heads share one whole second").to.be.lessThan(pushed.length);
    // A node without Denim's field: the whole second, never a division by a zero delta.
    expect(parseHead({ number: "0x10", timestamp: "0x64" }, "poll", 0)).to.include({ number: 16, timestampMs: 100_000 });
  });

  it("keeps heads coming by polling while the socket is cut, then by subscription again after the reconnect", async () => {
    const collector = new BlockCollector(heads.asBlockSource(hre.ethers.provider), heads.latest!.number);
    const ranges: { fromBlock: number; toBlock: number }[] = [];
    seen.length = 0;
    proxy.refuse(1_200);
    proxy.drop();
    for (let i = 0; i < 10; i++) {
      await node.clock.nextBlock();
      const head = await collector.poll();
      if (head !== null) ranges.push(head.range);
    }
    expect(
      seen.some((head) => head.via === "poll"),
      "polled while down",
    ).to.equal(true);
    const deadline = Date.now() + 20_000;
    while (!client.connected && Date.now() < deadline) await node.clock.nextBlock();
    seen.length = 0;
    await blocks(5);
    expect(
      seen.some((head) => head.via === "subscription"),
      "pushed again after the reconnect",
    ).to.equal(true);
    expect(states.map((state) => state.type)).to.include.members(["connected", "disconnected"]);
    expect(states.filter((s) => s.type === "connected" && s.reconnect)).to.have.length.at.least(1);
    // The ranges the engine would process cover every block, with no gap and no overlap.
    for (let i = 1; i < ranges.length; i++) expect(ranges[i]!.fromBlock).to.equal(ranges[i - 1]!.toBlock + 1);
  });

  it("hands out every answer exactly once: from the subscription, or over HTTP for what a cut left uncovered", async () => {
    const stream = new OracleLogStream({ subscriber: client, rpc: hre.ethers.provider });
    const collector = new OracleUpdateCollector(hre.ethers.provider, [], { mode: "logs", stream });
    const address = (await feed.getAddress()).toLowerCase() as Address;
    collector.setSubscriptions([{ market: "m", feed: address, mode: "answer-is-price", affects: [], description: "feed" }]);
    const blockCollector = new BlockCollector(heads.asBlockSource(hre.ethers.provider), heads.latest!.number);
    const answers: FeedAnswer[] = [];
    const collect = async () => {
      const head = await blockCollector.poll();
      if (head !== null) answers.push(...(await collector.collect(head.range)));
    };
    const transmit = async (usd: bigint) => {
      const sent = await node.clock.exclusive(() => feed.transmit(usd * 10n ** 8n, { gasLimit: 200_000n }));
      let receipt = null;
      while (receipt === null) {
        await node.clock.nextBlock();
        await collect();
        receipt = await hre.ethers.provider.getTransactionReceipt(sent.hash);
      }
      return receipt.blockNumber;
    };
    while (!stream.covers(heads.latest!.number + 1)) {
      await node.clock.nextBlock();
      await collect();
    }
    const streamedBefore = collector.streamedRanges;
    const first = await transmit(2_990n);
    await blocks(2);
    await collect();
    expect(collector.streamedRanges, "served from the subscription alone").to.be.greaterThan(streamedBefore);
    expect(answers[0]!.blockTimestampMs, "answers pushed by the subscription carry Denim's blockTimestampMs").to.be.a("number");

    // Cut the socket and land an answer while it is down.
    proxy.refuse(1_000);
    proxy.drop();
    const whileDown = await transmit(2_980n);
    const deadline = Date.now() + 20_000;
    while (!stream.covers(heads.latest!.number + 1) && Date.now() < deadline) {
      await node.clock.nextBlock();
      await collect();
    }
    const afterReconnect = await transmit(2_970n);
    await blocks(2);
    await collect();

    const byBlock = answers.map((answer) => [answer.blockNumber, answer.answer]);
    expect(byBlock).to.deep.equal([
      [first, 2_990n * 10n ** 8n],
      [whileDown, 2_980n * 10n ** 8n],
      [afterReconnect, 2_970n * 10n ** 8n],
    ]);
    stream.stop();
  });
});
