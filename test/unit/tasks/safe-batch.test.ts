/**
 * The Transaction Builder file format, without a chain: the checksum reproduces the tx-builder app's own published
 * test vector (safe-global/safe-react-apps, apps/tx-builder/src/lib/checksum.test.js), so the app will find our
 * files unmodified; and the files hold only what its importer accepts (strings for values and inputs).
 */
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { Interface, getAddress, id } from "ethers";
import {
  batchTransaction,
  buildSafeBatch,
  canonicalBatchSerialisation,
  txBuilderChecksum,
  writeSafeBatch,
  type SafeBatchFile,
} from "../../../tasks/lib/safe-batch";
import { scratchDir } from "./helpers/deployed-executor";

/** The tx-builder's checksum test fixture, verbatim in content (a fact about their format, not code). */
const TX_BUILDER_VECTOR = {
  version: "1.0",
  chainId: "4",
  createdAt: 1646321521061,
  meta: {
    name: "test batch file",
    txBuilderVersion: "1.4.0",
    checksum: "",
    createdFromSafeAddress: "0xDF8a1Ce35c9a6ACE153B4e0767942f1E2291a1Aa",
    createdFromOwnerAddress: "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6",
  },
  transactions: [
    {
      to: "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6",
      value: "0",
      contractMethod: { inputs: [{ internalType: "address", name: "paramAddress", type: "address" }], name: "testAddress", payable: false },
      contractInputsValues: { paramAddress: "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6" },
    },
    {
      to: "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6",
      value: "0",
      contractMethod: { inputs: [{ internalType: "bool", name: "paramBool", type: "bool" }], name: "testBool", payable: false },
      contractInputsValues: { paramAddress: "", paramBool: "false" },
    },
    {
      to: "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6",
      value: "2000000000000000000",
      data: "0x42f4579000000000000000000000000049d4450977e2c95362c13d3a31a09311e0ea26a6",
    },
  ],
};
const TX_BUILDER_VECTOR_CHECKSUM = "0x832ecdb6653751ed00b79dede73864163e46e71815b72e11e506d6399bedffc9";

const ABI = [
  {
    type: "function",
    name: "setAllowedTargets",
    stateMutability: "nonpayable",
    inputs: [
      { internalType: "address[]", name: "targets", type: "address[]" },
      { internalType: "bool", name: "allowed", type: "bool" },
    ],
    outputs: [],
  },
  {
    type: "function",
    name: "rescueTokens",
    stateMutability: "nonpayable",
    inputs: [
      { internalType: "address", name: "token", type: "address" },
      { internalType: "uint256", name: "amount", type: "uint256" },
    ],
    outputs: [],
  },
] as const;
const EXECUTOR = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const SAFE = "0xDF8a1Ce35c9a6ACE153B4e0767942f1E2291a1Aa";

function sampleBatch(createdAt = 1_700_000_000_000): SafeBatchFile {
  const iface = new Interface(ABI);
  return buildSafeBatch({
    chainId: 8453,
    safe: SAFE.toLowerCase(),
    name: "Chimera test",
    description: "two calls",
    createdAt,
    transactions: [
      batchTransaction(iface, ABI, {
        to: EXECUTOR,
        method: "rescueTokens",
        args: ["0x4200000000000000000000000000000000000006", 10n ** 30n],
      }),
      batchTransaction(iface, ABI, { to: EXECUTOR, method: "setAllowedTargets", args: [[EXECUTOR.toLowerCase()], true] }),
    ],
  });
}

describe("tasks/lib/safe-batch: Transaction Builder files", () => {
  it("serialises exactly like the tx-builder: its published vector hashes to its published checksum", () => {
    expect(id(canonicalBatchSerialisation(TX_BUILDER_VECTOR))).to.equal(TX_BUILDER_VECTOR_CHECKSUM);
    // Key order must not matter (the app sorts keys).
    const reordered = Object.fromEntries(Object.entries(TX_BUILDER_VECTOR).reverse());
    expect(id(canonicalBatchSerialisation(reordered))).to.equal(TX_BUILDER_VECTOR_CHECKSUM);
  });

  it("checksums the file without meta.checksum, as the app's validateChecksum does, and any edit breaks it", () => {
    const batch = sampleBatch();
    expect(batch.meta.checksum).to.equal(txBuilderChecksum(batch));
    const { checksum, ...meta } = batch.meta;
    expect(checksum).to.equal(id(canonicalBatchSerialisation({ ...batch, meta })));
    const edited = { ...batch, transactions: [...batch.transactions].reverse() };
    expect(txBuilderChecksum(edited)).to.not.equal(checksum);
  });

  it("writes only strings where the importer refuses numbers, with checksummed addresses and decoded inputs", () => {
    const batch = sampleBatch();
    expect(batch.version).to.equal("1.0");
    expect(batch.chainId).to.equal("8453");
    expect(batch.meta.createdFromSafeAddress).to.equal(getAddress(SAFE));
    for (const tx of batch.transactions) {
      expect(tx.value).to.equal("0");
      expect(Object.values(tx.contractInputsValues!).every((v) => typeof v === "string")).to.equal(true);
    }
    expect(batch.transactions[0].contractInputsValues).to.deep.equal({
      token: "0x4200000000000000000000000000000000000006",
      amount: (10n ** 30n).toString(),
    });
    expect(batch.transactions[1].contractInputsValues).to.deep.equal({ targets: JSON.stringify([EXECUTOR]), allowed: "true" });
    expect(batch.transactions[1].contractMethod!.inputs[0]).to.deep.equal({
      internalType: "address[]",
      name: "targets",
      type: "address[]",
    });
  });

  it("names files <task>-<chainId>-<createdAt>.json under reports/safe and never overwrites one", () => {
    const reports = scratchDir("batches");
    const first = writeSafeBatch(reports, "withdraw", sampleBatch(42));
    const second = writeSafeBatch(reports, "withdraw", sampleBatch(42));
    expect(first).to.equal(path.join(reports, "safe", "withdraw-8453-42.json"));
    expect(second).to.equal(path.join(reports, "safe", "withdraw-8453-42-2.json"));
    const parsed = JSON.parse(fs.readFileSync(first, "utf8")) as SafeBatchFile;
    expect(txBuilderChecksum(parsed)).to.equal(parsed.meta.checksum);
  });
});
