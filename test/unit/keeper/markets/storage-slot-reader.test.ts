/**
 * The storage path's two pieces of hand-written EVM code, run on the in-process node: the sandbox's
 * straight-line storage writer (sandbox/storage-writer.ts) must leave exactly the words it was given,
 * and the keeper's straight-line slot reader must return, for every key, what eth_getStorageAt and
 * the looping reference reader return — across call boundaries (MAX_SLOTS_PER_CALL) and for keys
 * never written (zero).
 */
import { expect } from "chai";
import hre from "hardhat";
import {
  MAX_SLOTS_PER_CALL,
  MAX_STRAIGHT_LINE_SLOTS,
  readStorageSlots,
  SLOT_READER_RUNTIME_CODE,
  straightLineReaderCode,
  type RawRpcProvider,
} from "../../../../keeper/markets/storage-slot-reader";
import { writeStorageWords, WORDS_PER_WRITE } from "../../../../sandbox/storage-writer";

const CONTRACT = "0x00000000000000000000000000000000005107e5";
const send = (method: string, params: unknown[]) => hre.network.provider.send(method, params);
const provider: RawRpcProvider = { send };
const word = (n: bigint) => "0x" + n.toString(16).padStart(64, "0");

describe("storage slot reader and sandbox storage writer", function () {
  // Keys spread over the key space; values distinct and large enough to fill the word.
  const written = Array.from({ length: 2 * WORDS_PER_WRITE + 7 }, (_, i) => {
    const key = word(BigInt(i) * 0x9e3779b97f4a7c15n + 3n);
    const value = word((BigInt(i + 1) << 200n) | BigInt(i * 31 + 1));
    return [key, value] as const;
  });
  let stats: { rpcCalls: number };

  before(async function () {
    await send("hardhat_setCode", [CONTRACT, "0x6001600055"]); // some code, to be restored after writing
    await writeStorageWords(hre, CONTRACT, written);
  });

  it("the writer stores every word (a short last transaction included) and restores the contract's code", async function () {
    expect(await send("eth_getCode", [CONTRACT, "latest"])).to.equal("0x6001600055");
    for (const index of [0, WORDS_PER_WRITE - 1, WORDS_PER_WRITE, written.length - 2, written.length - 1]) {
      const [key, value] = written[index];
      expect(await send("eth_getStorageAt", [CONTRACT, key, "latest"]), `word ${index}`).to.equal(value);
    }
  });

  it("reads every written and unwritten key as eth_getStorageAt does, across several calls", async function () {
    const unwritten = Array.from({ length: MAX_SLOTS_PER_CALL + 13 }, (_, i) => word(0xdead0000n + BigInt(i)));
    const keys = [...written.map(([key]) => key), ...unwritten];
    stats = { rpcCalls: 0 };
    const values = await readStorageSlots(provider, CONTRACT, keys, "latest", stats);
    expect(stats.rpcCalls).to.equal(Math.ceil(keys.length / MAX_SLOTS_PER_CALL));
    expect(values.slice(0, written.length)).to.deep.equal(written.map(([, value]) => BigInt(value)));
    expect(values.slice(written.length).every((v) => v === 0n)).to.equal(true);
    for (const index of [1, written.length - 1, keys.length - 1]) {
      expect(values[index]).to.equal(BigInt((await send("eth_getStorageAt", [CONTRACT, keys[index], "latest"])) as string));
    }
  });

  it("the straight-line reader answers as the looping reader does, at every length up to its limit", async function () {
    for (const length of [1, 2, 33, MAX_STRAIGHT_LINE_SLOTS]) {
      const keys = Array.from({ length }, (_, i) => written[(i * 7) % written.length][0]);
      const data = "0x" + keys.map((key) => key.slice(2)).join("");
      const call = (code: string) => send("eth_call", [{ to: CONTRACT, data, gas: "0xe4e1c0" }, "latest", { [CONTRACT]: { code } }]);
      expect(await call(straightLineReaderCode(length)), `${length} slots`).to.equal(await call(SLOT_READER_RUNTIME_CODE));
    }
  });

  it("refuses a length its offsets cannot address", function () {
    expect(() => straightLineReaderCode(0)).to.throw(/1\.\.2047/);
    expect(() => straightLineReaderCode(MAX_STRAIGHT_LINE_SLOTS + 1)).to.throw(/got 2048/);
  });
});
