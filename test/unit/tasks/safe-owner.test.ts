/**
 * The Safe path end to end, against a GENUINE Safe (singleton + proxy factory + MultiSendCallOnly from
 * @safe-global/safe-smart-account, 2 of 3 owners): ownership is handed to the Safe with the tasks themselves, then
 * every owner-only task writes a Transaction Builder batch instead of sending, and the batch, signed by two owners
 * (EIP-712 over the Safe's getTransactionHash) and executed through execTransaction, makes exactly the change the
 * task was asked for. Nothing is sent by the tasks while the owner is the Safe.
 */
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import hre from "hardhat";
import { AbiCoder, ZeroAddress, getAddress } from "ethers";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { fundAccount } from "../../../sandbox";
import { Journal } from "../../../keeper/journal/journal";
import type { EmergencyResult } from "../../../tasks/emergency";
import type { TaskOutcome } from "../../../tasks/lib/operator-task";
import { txBuilderChecksum, type SafeBatchFile, type SafeBatchInput } from "../../../tasks/lib/safe-batch";
import { morphoMarketId } from "../../../sandbox";
import { NATIVE_TOKEN_ADDRESS } from "../../../tasks/lib/tokens";
import { deploySafe, executeBatch, execSafeCall, safeCallForBatch, type GenuineSafe } from "../../shared/safe-fixture";
import {
  captureTaskIo,
  deployedExecutorFixture,
  scratchDir,
  type CapturedOutput,
  type DeployedExecutor,
} from "./helpers/deployed-executor";
import { rejection } from "./helpers/rejection";

const CREATED_AT = 1_767_225_600_000; // 2026-01-01T00:00:00Z, pinned so the file name and createdAt are predictable

interface SafeOwnedExecutor extends DeployedExecutor {
  readonly genuine: GenuineSafe;
}

function readBatch(outcome: TaskOutcome): { file: string; batch: SafeBatchFile } {
  if (outcome.kind !== "safe-batch") throw new Error(`expected a Safe batch, got ${outcome.kind}`);
  return { file: outcome.batchPath, batch: JSON.parse(fs.readFileSync(outcome.batchPath, "utf8")) as SafeBatchFile };
}

/** An input's canonical ABI type: tuples spelled out from their components, as the tx-builder does. */
function abiType(input: SafeBatchInput): string {
  if (!input.type.startsWith("tuple")) return input.type;
  return `tuple(${(input.components ?? []).map(abiType).join(",")})${input.type.slice("tuple".length)}`;
}

/** Re-encodes a batch transaction from its contractMethod and contractInputsValues, as the tx-builder would. */
function encodeFromMethod(tx: SafeBatchFile["transactions"][number]): string {
  const method = tx.contractMethod!;
  const types = method.inputs.map(abiType);
  const values = method.inputs.map((input) => {
    const text = tx.contractInputsValues![input.name];
    if (input.type === "bool") return text === "true";
    if (input.type.endsWith("[]")) return JSON.parse(text) as unknown[];
    return text;
  });
  const signature = `${method.name}(${types.join(",").replace(/tuple\(/g, "(")})`;
  const selector = hre.ethers.id(signature).slice(0, 10);
  return selector + AbiCoder.defaultAbiCoder().encode(types, values).slice(2);
}

/** Ownership handed to a 2-of-3 Safe through the tasks: transfer-ownership sent by the owner, accept-ownership as a batch. */
async function safeOwnedExecutor(): Promise<SafeOwnedExecutor> {
  const f = await loadFixture(deployedExecutorFixture);
  const signers = await hre.ethers.getSigners();
  const genuine = await deploySafe(signers[0], [signers[5], signers[6], signers[7]], 2);
  const { restore } = captureTaskIo(f, { reportsDir: scratchDir("reports-handover") });
  try {
    await hre.run("transfer-ownership", { to: genuine.address });
    const accept = readBatch((await hre.run("accept-ownership", {})) as TaskOutcome);
    await executeBatch(genuine, accept.batch, [signers[5], signers[7]], signers[0]);
  } finally {
    restore();
  }
  return { ...f, genuine };
}

describe("tasks: the owner is a genuine Safe (2 of 3)", () => {
  let f: SafeOwnedExecutor;
  let output: CapturedOutput;
  let restore: () => void = () => undefined;
  let reportsDir: string;
  let signersOfBatch: Awaited<ReturnType<typeof hre.ethers.getSigners>>;

  beforeEach(async () => {
    f = await loadFixture(safeOwnedExecutor);
    signersOfBatch = (await hre.ethers.getSigners()).slice(5, 7);
    reportsDir = scratchDir("reports");
    fs.copyFileSync(path.join(f.reportsDir, "sandbox-hardhat.json"), path.join(reportsDir, "sandbox-hardhat.json"));
    ({ output, restore } = captureTaskIo(f, { reportsDir, now: () => CREATED_AT }));
  });
  afterEach(() => restore());

  async function nonces(): Promise<number[]> {
    return Promise.all([f.owner, f.operator, f.outsider].map((s) => hre.ethers.provider.getTransactionCount(s.address)));
  }

  it("ownership reached the Safe through transfer-ownership and an executed accept-ownership batch", async () => {
    expect(await f.executor.owner()).to.equal(f.genuine.address);
    expect(await f.executor.pendingOwner()).to.equal(ZeroAddress);
    const status = await hre.run("status", { journal: path.join(scratchDir("journal"), "none.sqlite") });
    expect(status.owner.safe).to.deep.equal({
      threshold: 2,
      owners: f.genuine.owners.map((o) => o.address),
      version: await f.genuine.safe.VERSION(),
    });
  });

  it("unpause writes a Transaction Builder batch (sending nothing) that two owners sign and execute", async () => {
    await f.executor.connect(f.operator).pause();
    const before = await nonces();
    const outcome = (await hre.run("unpause", {})) as TaskOutcome;
    expect(await nonces()).to.deep.equal(before);
    expect(await f.executor.paused()).to.equal(true);

    const { file, batch } = readBatch(outcome);
    expect(path.basename(file)).to.equal(`unpause-8453-${CREATED_AT}.json`);
    expect(path.dirname(file)).to.equal(path.join(reportsDir, "safe"));
    expect(batch.version).to.equal("1.0");
    expect(batch.chainId).to.equal("8453");
    expect(batch.createdAt).to.equal(CREATED_AT);
    expect(batch.meta.createdFromSafeAddress).to.equal(f.genuine.address);
    expect(batch.meta.checksum).to.equal(txBuilderChecksum(batch));
    expect(batch.transactions).to.have.length(1);
    expect(batch.transactions[0]).to.deep.include({ to: f.address, value: "0", data: f.executor.interface.encodeFunctionData("unpause") });
    expect(batch.transactions[0].contractMethod).to.deep.equal({ inputs: [], name: "unpause", payable: false });
    expect(output.text()).to.include("Safe{Wallet}").and.to.include("Transaction Builder").and.to.include(file);

    await executeBatch(f.genuine, batch, signersOfBatch, f.outsider);
    expect(await f.executor.paused()).to.equal(false);
  });

  it("a batch with one signature of the two required is refused by the Safe and changes nothing", async () => {
    await f.executor.connect(f.operator).pause();
    const { batch } = readBatch((await hre.run("unpause", {})) as TaskOutcome);
    const call = safeCallForBatch(batch, await f.genuine.multiSendCallOnly.getAddress());
    await rejection(execSafeCall(f.genuine, [signersOfBatch[0]], call, f.outsider), /GS020/);
    expect(await f.executor.paused()).to.equal(true);
  });

  it("set-operator, set-treasury, allow-target and allow-market batches carry readable methods whose values encode to the same calldata", async () => {
    const weth = f.sandbox.book.tokens.WETH.address;
    const usdc = f.sandbox.book.tokens.USDC.address;
    const morpho = f.sandbox.book.morphoBlue!.morpho;
    const marketId = morphoMarketId(f.sandbox.book.morphoBlue!.markets[0]);
    const batches = [
      readBatch((await hre.run("set-operator", { operator: f.outsider.address })) as TaskOutcome).batch,
      readBatch((await hre.run("set-treasury", { treasury: f.outsider.address })) as TaskOutcome).batch,
      readBatch((await hre.run("allow-target", { target: `${weth},${usdc}` })) as TaskOutcome).batch,
      // A tuple[] argument: the market (host, id) pairs.
      readBatch((await hre.run("allow-market", { host: morpho, market: marketId, remove: true })) as TaskOutcome).batch,
    ];
    for (const batch of batches) {
      for (const tx of batch.transactions) {
        expect(encodeFromMethod(tx)).to.equal(tx.data);
        expect(Object.values(tx.contractInputsValues!).every((value) => typeof value === "string")).to.equal(true);
      }
      await executeBatch(f.genuine, batch, signersOfBatch, f.outsider);
    }
    expect(await f.executor.isOperator(f.outsider.address)).to.equal(true);
    expect(await f.executor.treasury()).to.equal(f.outsider.address);
    expect(await f.executor.isAllowedTarget(weth)).to.equal(true);
    expect(await f.executor.isAllowedTarget(usdc)).to.equal(true);
    expect(await f.executor.isAllowedMarket(morpho, marketId)).to.equal(false);
  });

  it("withdraw --all is ONE batch of rescueTokens calls; through MultiSendCallOnly it pays every balance to the Safe", async () => {
    await fundAccount(hre, f.sandbox, "USDC", f.address as `0x${string}`, 4_200_000n);
    await fundAccount(hre, f.sandbox, "WETH", f.address as `0x${string}`, 10n ** 17n);
    await fundAccount(hre, f.sandbox, "ETH", f.address as `0x${string}`, 5n * 10n ** 16n);
    const safeBefore = {
      usdc: await f.sandbox.tokens.USDC.balanceOf(f.genuine.address),
      weth: await f.sandbox.tokens.WETH.balanceOf(f.genuine.address),
      eth: await hre.ethers.provider.getBalance(f.genuine.address),
    };
    const before = await nonces();
    const { batch } = readBatch((await hre.run("withdraw", { all: true })) as TaskOutcome);
    expect(await nonces()).to.deep.equal(before);
    const rescued = batch.transactions.map((tx) => tx.contractInputsValues!.token).sort();
    const expected = [NATIVE_TOKEN_ADDRESS, f.sandbox.book.tokens.WETH.address, f.sandbox.book.tokens.USDC.address]
      .map((a) => getAddress(a))
      .sort();
    expect(rescued).to.deep.equal(expected);

    await executeBatch(f.genuine, batch, signersOfBatch, f.outsider);
    expect(await f.sandbox.tokens.USDC.balanceOf(f.address)).to.equal(0n);
    expect(await f.sandbox.tokens.WETH.balanceOf(f.address)).to.equal(0n);
    expect(await hre.ethers.provider.getBalance(f.address)).to.equal(0n);
    expect((await f.sandbox.tokens.USDC.balanceOf(f.genuine.address)) - safeBefore.usdc).to.equal(4_200_000n);
    expect((await f.sandbox.tokens.WETH.balanceOf(f.genuine.address)) - safeBefore.weth).to.equal(10n ** 17n);
    expect((await hre.ethers.provider.getBalance(f.genuine.address)) - safeBefore.eth).to.equal(5n * 10n ** 16n);
  });

  it("emergency: the operator pauses, the keeper is asked to halt, and the owners' batch drains the executor", async () => {
    await fundAccount(hre, f.sandbox, "USDC", f.address as `0x${string}`, 9_000_000n);
    const journalPath = path.join(scratchDir("journal"), "keeper-hardhat.sqlite");
    Journal.open(journalPath).close();
    const result = (await hre.run("emergency", { journal: journalPath })) as EmergencyResult;
    expect(result.pause.kind).to.equal("sent");
    expect(await f.executor.paused()).to.equal(true);
    expect(result.halt.kind).to.equal("requested");
    if (result.withdraw.kind !== "safe-batch") throw new Error(`expected a Safe batch, got ${result.withdraw.kind}`);
    const { batch } = readBatch(result.withdraw.outcome);
    expect(batch.transactions.map((tx) => tx.contractMethod!.name)).to.deep.equal(["rescueTokens"]);

    await executeBatch(f.genuine, batch, signersOfBatch, f.outsider);
    expect(await f.sandbox.tokens.USDC.balanceOf(f.address)).to.equal(0n);
    expect(output.text()).to.include("What the owner must do next");
  });

  it("emergency with no operator left: the pause goes FIRST into the owners' batch, which pauses and drains", async () => {
    const revoke = readBatch((await hre.run("set-operator", { operator: f.operator.address, remove: true })) as TaskOutcome).batch;
    await executeBatch(f.genuine, revoke, signersOfBatch, f.outsider);
    await fundAccount(hre, f.sandbox, "WETH", f.address as `0x${string}`, 10n ** 16n);
    const result = (await hre.run("emergency", { journal: path.join(scratchDir("journal"), "absent.sqlite") })) as EmergencyResult;
    expect(result.pause.kind).to.equal("in-owner-batch");
    expect(result.halt.kind).to.equal("no-journal");
    expect(await f.executor.paused()).to.equal(false);
    if (result.withdraw.kind !== "safe-batch") throw new Error(`expected a Safe batch, got ${result.withdraw.kind}`);
    const { batch } = readBatch(result.withdraw.outcome);
    expect(batch.transactions.map((tx) => tx.contractMethod!.name)).to.deep.equal(["pause", "rescueTokens"]);

    await executeBatch(f.genuine, batch, signersOfBatch, f.outsider);
    expect(await f.executor.paused()).to.equal(true);
    expect(await f.sandbox.tokens.WETH.balanceOf(f.address)).to.equal(0n);
  });

  it("--dry-run with a Safe owner writes no file", async () => {
    await f.executor.connect(f.operator).pause();
    const outcome = (await hre.run("unpause", { dryRun: true })) as TaskOutcome;
    expect(outcome.kind).to.equal("dry-run");
    expect(fs.existsSync(path.join(reportsDir, "safe"))).to.equal(false);
    expect(output.text()).to.include(f.executor.interface.encodeFunctionData("unpause"));
  });
});
