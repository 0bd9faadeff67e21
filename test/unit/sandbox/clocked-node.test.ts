/**
 * The sandbox's chain with its own clock (sandbox/clock/): blocks every 200 ms whether anyone sends or not, five to a
 * second sharing one whole-second timestamp, each starting with the BaseTime stand-in's deposit, Denim's millisecond
 * fields served over HTTP and WebSocket, and a block ordered by priority fee. No cadence is asserted (timing targets
 * live in the bench): the slot grid is exact by construction, and the tests check the grid, not the machine.
 * Test double: AnswerUpdatedFeed (MockV3Aggregator plus the AnswerUpdated event real aggregators emit).
 */
import defaultRuntime from "hardhat";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { createClockedRuntime } from "../../../sandbox/clock/clocked-runtime";
import { expect } from "chai";
import WebSocket from "ws";
import { Interface, parseUnits } from "ethers";
import { AnswerUpdatedFeed__factory } from "../../../typechain-types";
import {
  BASE_TIME_ADDRESS,
  DEPOSITOR_ADDRESS,
  TIMESTAMP_MS_CALL,
  startClockedNode,
  type ClockedNode,
  type MinedBlock,
} from "../../../sandbox/clock";

interface RpcBlock {
  number: string;
  timestamp: string;
  timestampMs?: string;
  transactions: { to: string | null; from: string; hash: string }[];
}

async function rpc<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

async function blocksFrom(node: ClockedNode, count: number): Promise<MinedBlock[]> {
  const blocks: MinedBlock[] = [];
  while (blocks.length < count) blocks.push(await node.clock.nextBlock());
  return blocks;
}

describe("sandbox clock: a chain that mines on its own", function () {
  this.timeout(120_000);
  /** The clocked chain: its own in-process chain, which may mine several blocks to a second. */
  let hre: HardhatRuntimeEnvironment;
  let node: ClockedNode;

  before(async () => {
    hre = await createClockedRuntime(defaultRuntime);
    node = await startClockedNode(hre, { blockTimeMs: 200 });
  });

  after(async () => {
    await node?.close();
  });

  it("runs on a chain of its own: the default chain keeps Hardhat's one second per automined block, and is refused", async () => {
    // Blocks mined back to back on the default chain never share a timestamp (Hardhat gives previous + 1 s), so
    // the tests that price interest for "the next block" see the block they priced.
    const before = await defaultRuntime.ethers.provider.getBlockNumber();
    for (let i = 0; i < 5; i++) await defaultRuntime.network.provider.send("evm_mine", []);
    const mined = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => defaultRuntime.ethers.provider.getBlock(before + i)));
    for (let i = 1; i < mined.length; i++) expect(mined[i]!.timestamp).to.be.greaterThan(mined[i - 1]!.timestamp);
    await expect(startClockedNode(defaultRuntime)).to.be.rejectedWith(/createClockedRuntime/);
    // ... while the clocked chain is another chain: the clock's blocks are not the default chain's.
    expect((await hre.ethers.provider.getBlockNumber()) > 0).to.equal(true);
    expect(await defaultRuntime.ethers.provider.getBlockNumber()).to.equal(before + 5);
  });

  it("mines blocks with nobody sending, on a 200 ms grid, several sharing one second", async () => {
    const blocks = await blocksFrom(node, 7);
    for (let i = 1; i < blocks.length; i++) {
      expect(blocks[i]!.number).to.equal(blocks[i - 1]!.number + 1);
      expect(blocks[i]!.timestampMs - blocks[i - 1]!.timestampMs).to.equal(200);
      expect(blocks[i]!.timestamp).to.be.at.least(blocks[i - 1]!.timestamp);
      // A block is sealed after the one before it was out, and published after it was sealed: the window a reaction
      // to block i-1 had is sealStartedAtMs(i) - minedAtMs(i-1), never negative.
      expect(blocks[i]!.sealStartedAtMs).to.be.at.least(blocks[i - 1]!.minedAtMs);
      expect(blocks[i]!.minedAtMs).to.be.at.least(blocks[i]!.sealStartedAtMs);
    }
    for (const block of blocks) expect(block.timestamp).to.equal(Math.floor(block.timestampMs / 1_000));
    // Seven slots 200 ms apart span 1.2 s: at least two of them fall in the same whole second.
    const seconds = new Set(blocks.map((block) => block.timestamp));
    expect(seconds.size).to.be.lessThan(blocks.length);
  });

  it("starts every block with the BaseTime deposit, and the chain, the block object and the clock agree on its time", async () => {
    const [mined] = await blocksFrom(node, 1);
    const tag = `0x${mined!.number.toString(16)}`;
    const block = await rpc<RpcBlock>(node.httpUrl, "eth_getBlockByNumber", [tag, true]);
    expect(block.transactions[0]!.to?.toLowerCase()).to.equal(BASE_TIME_ADDRESS.toLowerCase());
    expect(block.transactions[0]!.from.toLowerCase()).to.equal(DEPOSITOR_ADDRESS.toLowerCase());
    expect(Number(BigInt(block.timestampMs!))).to.equal(mined!.timestampMs);
    const onChain = await rpc<string>(node.httpUrl, "eth_call", [{ to: BASE_TIME_ADDRESS, data: TIMESTAMP_MS_CALL }, tag]);
    expect(Number(BigInt(onChain))).to.equal(mined!.timestampMs);
  });

  it("serves timestampMs on newHeads and blockTimestampMs on logs over WebSocket", async () => {
    const [deployer] = await hre.ethers.getSigners();
    const feed = await node.clock.exclusive(async () => {
      const factory = new AnswerUpdatedFeed__factory(deployer);
      const deployment = await factory.deploy(8, 3_000n * 10n ** 8n, { gasLimit: 2_000_000n });
      return deployment;
    });
    await node.clock.nextBlock();
    const ws = new WebSocket(node.wsUrl);
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    const notifications: { subscription: string; result: Record<string, string> }[] = [];
    const answers = new Map<number, string>();
    ws.on("message", (data) => {
      const message = JSON.parse(String(data)) as { id?: number; result?: string; params?: (typeof notifications)[number] };
      if (message.id !== undefined) answers.set(message.id, message.result!);
      else if (message.params) notifications.push(message.params);
    });
    const subscribe = async (id: number, params: unknown[]) => {
      ws.send(JSON.stringify({ jsonrpc: "2.0", id, method: "eth_subscribe", params }));
      while (!answers.has(id)) await new Promise((resolve) => setTimeout(resolve, 10));
      return answers.get(id)!;
    };
    const heads = await subscribe(1, ["newHeads"]);
    const logs = await subscribe(2, ["logs", { address: await feed.getAddress() }]);
    const transmitted = await node.clock.exclusive(() => feed.transmit(2_900n * 10n ** 8n, { gasLimit: 200_000n }));
    let landed: MinedBlock | undefined;
    while (landed === undefined) {
      const block = await node.clock.nextBlock();
      const receipt = await hre.ethers.provider.getTransactionReceipt(transmitted.hash);
      if (receipt !== null) landed = block;
    }
    await node.clock.nextBlock();
    ws.close();
    const head = notifications.find((n) => n.subscription === heads && Number(BigInt(n.result.number!)) === landed!.number);
    expect(head, "a newHeads notification for the block").to.not.equal(undefined);
    expect(Number(BigInt(head!.result.timestampMs!))).to.equal(landed.timestampMs);
    const log = notifications.find((n) => n.subscription === logs);
    expect(log, "the AnswerUpdated log").to.not.equal(undefined);
    expect(Number(BigInt(log!.result.blockNumber!))).to.equal(landed.number);
    expect(Number(BigInt(log!.result.blockTimestampMs!))).to.equal(landed.timestampMs);
    const event = new Interface(["event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt)"]);
    expect(event.parseLog({ topics: log!.result.topics as unknown as string[], data: log!.result.data! })!.args.current).to.equal(
      2_900n * 10n ** 8n,
    );
  });

  it("orders a block by priority fee, whatever the arrival order (as Base's sequencer does)", async () => {
    const signers = await hre.ethers.getSigners();
    const [low, high] = [signers[6]!, signers[7]!];
    const sent = await node.clock.exclusive(async () => {
      const first = await low.sendTransaction({
        to: low.address,
        value: 1n,
        gasLimit: 21_000n,
        maxPriorityFeePerGas: parseUnits("1", "gwei"),
        maxFeePerGas: parseUnits("5", "gwei"),
      });
      const second = await high.sendTransaction({
        to: high.address,
        value: 1n,
        gasLimit: 21_000n,
        maxPriorityFeePerGas: parseUnits("3", "gwei"),
        maxFeePerGas: parseUnits("5", "gwei"),
      });
      return { first, second };
    });
    const [landed] = await blocksFrom(node, 1);
    const block = await rpc<RpcBlock>(node.httpUrl, "eth_getBlockByNumber", [`0x${landed!.number.toString(16)}`, true]);
    const hashes = block.transactions.map((tx) => tx.hash);
    expect(hashes[0], "the deposit first").to.equal(block.transactions[0]!.hash);
    expect(hashes.indexOf(sent.second.hash)).to.be.greaterThan(0);
    expect(hashes.indexOf(sent.second.hash), "the higher priority fee goes first").to.be.lessThan(hashes.indexOf(sent.first.hash));
  });

  it("breaks a priority-fee tie by arrival", async () => {
    const signers = await hre.ethers.getSigners();
    const [early, late] = [signers[8]!, signers[9]!];
    const fee = { maxPriorityFeePerGas: parseUnits("2", "gwei"), maxFeePerGas: parseUnits("5", "gwei"), gasLimit: 21_000n };
    const sent = await node.clock.exclusive(async () => {
      const first = await early.sendTransaction({ to: early.address, value: 1n, ...fee });
      const second = await late.sendTransaction({ to: late.address, value: 1n, ...fee });
      return { first, second };
    });
    const [landed] = await blocksFrom(node, 1);
    const block = await rpc<RpcBlock>(node.httpUrl, "eth_getBlockByNumber", [`0x${landed!.number.toString(16)}`, true]);
    const hashes = block.transactions.map((tx) => tx.hash);
    expect(hashes.indexOf(sent.first.hash)).to.be.lessThan(hashes.indexOf(sent.second.hash));
  });
});
