/**
 * Collectors turn chain data into typed events: heads with the range of blocks they cover, feed
 * answers (from AnswerUpdated logs, or by polling rounds where feeds emit nothing, as the sandbox's
 * MockV3Aggregator does), and protocol events decoded by the markets' own subscriptions — all markets
 * served by ONE eth_getLogs per range.
 */
import { expect } from "chai";
import hre from "hardhat";
import type { Log } from "ethers";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { sandboxFixture } from "../../../shared/sandbox-fixture";
import { BlockCollector, type BlockSource } from "../../../../keeper/collectors/block-collector";
import type { LogProvider } from "../../../../keeper/collectors/log-range-fetcher";
import { OracleUpdateCollector } from "../../../../keeper/collectors/oracle-update-collector";
import { ProtocolEventCollector } from "../../../../keeper/collectors/protocol-event-collector";
import { Multicall3Client } from "../../../../keeper/chain/multicall";
import type { Address } from "../../../../keeper/config/address-book";
import type { FeedSubscription, ProtocolEventSubscription } from "../../../../keeper/markets/market";
import { MockV3Aggregator__factory } from "../../../../typechain-types";

type GetLogsFilter = Parameters<LogProvider["getLogs"]>[0];

const FEED_A = "0x00000000000000000000000000000000000000aa" as Address;
const FEED_B = "0x00000000000000000000000000000000000000bb" as Address;

function feed(address: Address): FeedSubscription {
  return { market: "m", feed: address, mode: "answer-is-price", affects: [], description: "test feed" };
}

/** A log provider serving a fixed list of logs, filtering by range/address/topic like a node, recording requests. */
function logProvider(logs: { address: string; topics: string[]; data: string; blockNumber: number; index: number }[]) {
  const requests: GetLogsFilter[] = [];
  const provider: LogProvider = {
    async getLogs(filter) {
      requests.push(filter);
      const addresses = filter.address === undefined ? undefined : ([] as string[]).concat(filter.address).map((a) => a.toLowerCase());
      const topic0 = filter.topics?.[0];
      return logs
        .filter((log) => log.blockNumber >= filter.fromBlock && log.blockNumber <= filter.toBlock)
        .filter((log) => !addresses || addresses.includes(log.address.toLowerCase()))
        .filter((log) => topic0 === undefined || topic0 === null || ([] as string[]).concat(topic0).includes(log.topics[0]))
        .map((log) => ({ ...log, transactionHash: "0x" + "00".repeat(32) }) as unknown as Log);
    },
  };
  return { provider, requests };
}

describe("keeper/collectors", function () {
  describe("BlockCollector", function () {
    it("reports each new head with the range of blocks since the previous one, and nothing when the chain is still", async function () {
      let head = 100;
      const source: BlockSource = {
        getBlockNumber: async () => head,
        getBlock: async (n) => ({ number: n, timestamp: 1_000 + n * 2 }),
      };
      const collector = new BlockCollector(source, 97);
      expect(await collector.poll()).to.deep.equal({
        type: "block",
        number: 100,
        timestamp: 1_200,
        // A source without Denim's millisecond field: the whole second is all there is.
        timestampMs: 1_200_000,
        range: { fromBlock: 98, toBlock: 100 },
      });
      expect(await collector.poll()).to.equal(null);
      head = 101;
      expect((await collector.poll())?.range).to.deep.equal({ fromBlock: 101, toBlock: 101 });
      head = 105;
      expect((await collector.poll())?.range).to.deep.equal({ fromBlock: 102, toBlock: 105 });
      const fresh = new BlockCollector(source);
      expect((await fresh.poll())?.range).to.deep.equal({ fromBlock: 105, toBlock: 105 });
    });

    it("names the block when the node reports a head it cannot return", async function () {
      const collector = new BlockCollector({ getBlockNumber: async () => 7, getBlock: async () => null });
      await expect(collector.poll()).to.be.rejectedWith(/head 7 but returned no block/);
    });
  });

  describe("OracleUpdateCollector (logs)", function () {
    it("decodes AnswerUpdated logs of watched feeds, negative answers included, in chain order", async function () {
      const iface = MockV3Aggregator__factory.createInterface();
      const answer = (address: Address, current: bigint, round: bigint, blockNumber: number, index: number) => {
        const encoded = iface.encodeEventLog("AnswerUpdated", [current, round, 1_700_000_000n + round]);
        return { address, topics: encoded.topics, data: encoded.data, blockNumber, index };
      };
      const { provider, requests } = logProvider([
        answer(FEED_B, 250_000_000n, 9n, 12, 3),
        answer(FEED_A, -5n, 4n, 12, 1),
        answer(FEED_A, 300_000_000_000n, 3n, 10, 0),
        answer("0x00000000000000000000000000000000000000cc" as Address, 1n, 1n, 11, 0), // not watched
      ]);
      const collector = new OracleUpdateCollector(provider, [feed(FEED_A), feed(FEED_B)], { maxBlockSpan: 2 });
      const answers = await collector.collect({ fromBlock: 10, toBlock: 13 });
      expect(answers.map((a) => [a.feed, a.answer, a.roundId, a.blockNumber])).to.deep.equal([
        [FEED_A, 300_000_000_000n, 3n, 10],
        [FEED_A, -5n, 4n, 12],
        [FEED_B, 250_000_000n, 9n, 12],
      ]);
      expect(answers[0].updatedAt).to.equal(1_700_000_003);
      // Two chunks of at most two blocks, one request each.
      expect(requests.map((r) => [r.fromBlock, r.toBlock])).to.deep.equal([
        [10, 11],
        [12, 13],
      ]);
      expect(collector.requests).to.equal(2);
    });
  });

  describe("OracleUpdateCollector (poll) on the sandbox", function () {
    it("reports exactly the feeds whose round moved, with their new answer", async function () {
      const sandbox = await loadFixture(sandboxFixture);
      const multicall = new Multicall3Client(hre.ethers.provider, sandbox.book.multicall3);
      const weth = (await sandbox.priceFeeds.WETH.getAddress()) as Address;
      const usdc = (await sandbox.priceFeeds.USDC.getAddress()) as Address;
      const collector = new OracleUpdateCollector(hre.ethers.provider, [feed(weth), feed(usdc)], { mode: "poll", multicall });
      const start = await hre.ethers.provider.getBlockNumber();
      await (await sandbox.priceFeeds.WETH.updateAnswer(2_500n * 10n ** 8n)).wait();
      const end = await hre.ethers.provider.getBlockNumber();

      const answers = await collector.collect({ fromBlock: start + 1, toBlock: end });
      expect(answers.map((a) => [a.feed, a.answer])).to.deep.equal([[weth.toLowerCase(), 2_500n * 10n ** 8n]]);
      expect(answers[0].roundId).to.equal(await sandbox.priceFeeds.WETH.latestRound());
      // Nothing moved since: nothing reported.
      await hre.network.provider.send("evm_mine");
      const later = await hre.ethers.provider.getBlockNumber();
      expect(await collector.collect({ fromBlock: end + 1, toBlock: later })).to.deep.equal([]);
    });

    it("refuses poll mode without a Multicall3 client", function () {
      expect(() => new OracleUpdateCollector({ getLogs: async () => [] }, [], { mode: "poll" })).to.throw(/needs options.multicall/);
    });
  });

  describe("ProtocolEventCollector", function () {
    it("serves every subscription from one eth_getLogs per range and gives each only the logs it asked for", async function () {
      const TOPIC_X = "0x" + "11".repeat(32);
      const TOPIC_Y = "0x" + "22".repeat(32);
      const base = { data: "0x", index: 0 };
      const { provider, requests } = logProvider([
        { ...base, address: FEED_A, topics: [TOPIC_X], blockNumber: 5 },
        { ...base, address: FEED_A, topics: [TOPIC_Y], blockNumber: 6 },
        { ...base, address: FEED_B, topics: [TOPIC_Y], blockNumber: 7 },
      ]);
      const decodeAs =
        (market: string): ProtocolEventSubscription["decode"] =>
        (log) => [
          {
            type: "market-changed",
            market,
            action: log.topics[0] === TOPIC_X ? "X" : "Y",
            blockNumber: log.blockNumber,
            logIndex: log.index,
            transactionHash: log.transactionHash,
          },
        ];
      const onlyX: ProtocolEventSubscription = { market: "first", addresses: [FEED_A], topics: [TOPIC_X], decode: decodeAs("first") };
      const everything: ProtocolEventSubscription = { market: "second", addresses: [FEED_B], topics: [], decode: decodeAs("second") };
      const collector = new ProtocolEventCollector(provider, [onlyX, everything]);
      const events = await collector.collect({ fromBlock: 0, toBlock: 10 });
      expect(events.map((e) => [e.market, e.action, e.blockNumber])).to.deep.equal([
        ["first", "X", 5],
        ["second", "Y", 7],
      ]);
      expect(requests).to.have.length(1);
      // One subscription wants every event of its addresses, so no topic filter is sent.
      expect(requests[0].topics).to.equal(undefined);

      collector.setSubscriptions([onlyX]);
      await collector.collect({ fromBlock: 0, toBlock: 10 });
      expect(requests[1].topics).to.deep.equal([[TOPIC_X]]);
    });
  });
});
