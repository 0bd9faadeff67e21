/**
 * Multicall3 batching: the hand-rolled aggregate3 codec must agree with ethers' ABI coder (using the
 * TypeChain binding of contracts/interfaces/IMulticall3.sol) for arbitrary calls, and the client must send exactly
 * ceil(calls / batchSize) eth_calls, keep results in order, and split a batch the node refuses.
 */
import { expect } from "chai";
import fc from "fast-check";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { sandboxFixture } from "../../../shared/sandbox-fixture";
import { IMulticall3__factory } from "../../../../typechain-types";
import {
  AGGREGATE3_SELECTOR,
  decodeAggregate3Result,
  encodeAddressArgCall,
  encodeAggregate3,
  GET_CURRENT_BLOCK_TIMESTAMP_SELECTOR,
  Multicall3Client,
  type CallProvider,
  type MulticallCall,
} from "../../../../keeper/chain/multicall";
import type { Address } from "../../../../keeper/config/address-book";

const MULTICALL3 = IMulticall3__factory.createInterface();

const hexBytes = (max: number) => fc.uint8Array({ maxLength: max }).map((bytes) => "0x" + Buffer.from(bytes).toString("hex"));
const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((bytes) => ("0x" + Buffer.from(bytes).toString("hex")) as Address);

/** A provider that counts eth_calls and delegates to another. */
function counting(inner: CallProvider): CallProvider & { calls: number } {
  const wrapper = {
    calls: 0,
    call(request: Parameters<CallProvider["call"]>[0]) {
      wrapper.calls += 1;
      return inner.call(request);
    },
  };
  return wrapper;
}

describe("keeper/chain Multicall3Client", function () {
  describe("#codec", function () {
    it("encodes aggregate3 calldata exactly as the ABI coder does", function () {
      fc.assert(
        fc.property(
          fc.array(fc.record({ target: address, callData: hexBytes(100), allowFailure: fc.boolean() }), { maxLength: 12 }),
          (calls) => {
            const expected = MULTICALL3.encodeFunctionData("aggregate3", [
              calls.map((c) => ({ target: c.target, allowFailure: c.allowFailure, callData: c.callData })),
            ]);
            expect(encodeAggregate3(calls)).to.equal(expected);
          },
        ),
      );
    });

    it("decodes aggregate3 results exactly as the ABI coder does", function () {
      fc.assert(
        fc.property(fc.array(fc.record({ success: fc.boolean(), returnData: hexBytes(200) }), { maxLength: 12 }), (results) => {
          const encoded = MULTICALL3.encodeFunctionResult("aggregate3", [results.map((r) => [r.success, r.returnData])]);
          expect(decodeAggregate3Result(encoded)).to.deep.equal(results);
        }),
      );
    });

    it("uses the selectors of Multicall3's own ABI", function () {
      expect(AGGREGATE3_SELECTOR).to.equal(MULTICALL3.getFunction("aggregate3").selector);
      expect(GET_CURRENT_BLOCK_TIMESTAMP_SELECTOR).to.equal(MULTICALL3.getFunction("getCurrentBlockTimestamp").selector);
    });

    it("refuses malformed input with a message naming the problem", function () {
      expect(() => encodeAggregate3([{ target: "0x1234" as Address, callData: "0x" }])).to.throw(/not a 20-byte address/);
      expect(() => encodeAggregate3([{ target: ("0x" + "11".repeat(20)) as Address, callData: "0xabc" }])).to.throw(
        /odd number of hex digits/,
      );
      expect(() => decodeAggregate3Result("0x" + "00".repeat(31) + "20")).to.throw(/truncated/);
    });
  });

  describe("#aggregate3 on the sandbox", function () {
    it("sends ceil(calls / batchSize) eth_calls and returns every result in call order", async function () {
      const sandbox = await loadFixture(sandboxFixture);
      const provider = counting(hre.ethers.provider);
      const client = new Multicall3Client(provider, sandbox.book.multicall3, { batchSize: 40 });
      const weth = sandbox.tokens.WETH;
      const signers = await hre.ethers.getSigners();
      // Give each signer a distinct WETH balance so order mistakes cannot go unnoticed.
      for (const [i, signer] of signers.slice(0, 5).entries()) {
        await (await weth.connect(signer).deposit({ value: BigInt(i + 1) * 1_000n })).wait();
      }
      const selector = weth.interface.getFunction("balanceOf").selector;
      const accounts = Array.from({ length: 101 }, (_, i) => signers[i % 5].address);
      const calls: MulticallCall[] = accounts.map((account) => ({
        target: sandbox.book.weth,
        callData: encodeAddressArgCall(selector, account),
      }));

      const results = await client.aggregate3(calls);
      expect(provider.calls).to.equal(Math.ceil(101 / 40));
      expect(client.stats).to.deep.equal({ rpcCalls: 3, subCalls: 101 });
      const direct = await Promise.all(accounts.map((account) => weth.balanceOf(account)));
      expect(results.map((r) => BigInt(r.returnData))).to.deep.equal(direct);
      expect(results.every((r) => r.success)).to.equal(true);
    });

    it("reports a reverting sub-call as failed without failing its batch, and aggregate3Strict names it", async function () {
      const sandbox = await loadFixture(sandboxFixture);
      const client = new Multicall3Client(hre.ethers.provider, sandbox.book.multicall3);
      const calls: MulticallCall[] = [
        { target: sandbox.book.weth, callData: sandbox.tokens.WETH.interface.encodeFunctionData("totalSupply") },
        // Pool.getReserveData with a malformed argument: the pool's ABI decoder reverts.
        { target: sandbox.book.aaveV3!.pool, callData: "0x35ea6a75" },
      ];
      const results = await client.aggregate3(calls);
      expect(results.map((r) => r.success)).to.deep.equal([true, false]);
      await expect(client.aggregate3Strict([calls[0], { ...calls[1], label: "Pool.getReserveData(<nothing>)" }])).to.be.rejectedWith(
        /Pool\.getReserveData\(<nothing>\) reverted/,
      );
    });

    it("says Multicall3 is missing when its address has no code", async function () {
      await loadFixture(sandboxFixture);
      const client = new Multicall3Client(hre.ethers.provider, ("0x" + "42".repeat(20)) as Address);
      await expect(client.aggregate3([{ target: ("0x" + "42".repeat(20)) as Address, callData: "0x" }])).to.be.rejectedWith(
        /is Multicall3 deployed/,
      );
    });
  });

  describe("#batch splitting", function () {
    it("halves a batch the node refuses until it fits, keeping results in order", async function () {
      const sandbox = await loadFixture(sandboxFixture);
      const real = hre.ethers.provider;
      // A node that refuses any eth_call carrying more than 3 sub-calls (a stand-in for a gas or size cap).
      const picky = counting({
        async call(request) {
          const count = Number(BigInt("0x" + request.data.slice(10 + 64, 10 + 128)));
          if (count > 3) throw new Error("response size exceeded");
          return real.call(request);
        },
      });
      const client = new Multicall3Client(picky, sandbox.book.multicall3, { batchSize: 10 });
      const calls = Array.from({ length: 10 }, () => ({
        target: sandbox.book.weth,
        callData: sandbox.tokens.WETH.interface.encodeFunctionData("decimals"),
      }));
      const results = await client.aggregate3(calls);
      expect(results).to.have.length(10);
      expect(results.every((r) => BigInt(r.returnData) === 18n)).to.equal(true);
      // 10 → 5+5 → (3+2)+(3+2): 1 + 2 + 4 requests.
      expect(picky.calls).to.equal(7);
    });

    it("rejects nonsensical options by name", function () {
      const provider: CallProvider = { call: async () => "0x" };
      expect(() => new Multicall3Client(provider, ("0x" + "11".repeat(20)) as Address, { batchSize: 0 })).to.throw(
        /batchSize must be a positive integer/,
      );
      expect(() => new Multicall3Client(provider, ("0x" + "11".repeat(20)) as Address, { maxConcurrentBatches: 1.5 })).to.throw(
        /maxConcurrentBatches must be a positive integer/,
      );
    });
  });
});
