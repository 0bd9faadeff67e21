/**
 * The Base send path end to end over real HTTP: the in-process Hardhat chain served by
 * startLocalNode, reads through the RPC pool, sends to two private "send endpoints" that are fault
 * proxies in front of the same node. Signing is local (a default Hardhat account's key).
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import hre from "hardhat";
import type { Wallet } from "ethers";
import { ReadProviderPool } from "../../../../keeper/rpc/read-provider-pool";
import type { FeePolicyConfig } from "../../../../keeper/submit/fee-policy";
import { InclusionTracker } from "../../../../keeper/submit/inclusion-tracker";
import { NonceManager } from "../../../../keeper/submit/nonce-manager";
import { RawTxBroadcaster } from "../../../../keeper/submit/raw-tx-broadcaster";
import { RawTxSender } from "../../../../keeper/submit/raw-tx-sender";
import { TransactionPreparer, latestBlockBaseFee } from "../../../../keeper/submit/transaction-preparer";
import type { SubmissionResult, TxRequest } from "../../../../keeper/submit/types";
import type { Address } from "../../../../keeper/core/types";
import { FaultProxy } from "../../../shared/fault-proxy";
import { localNodeWallet, snapshotChain, startLocalNode, type LocalNode } from "../../../shared/local-node";

const GWEI = 10n ** 9n;
const RECIPIENT = "0x000000000000000000000000000000000000bEEF" as Address;
/** Runtime code PUSH1 0 PUSH1 0 REVERT: every call to it reverts. */
const ALWAYS_REVERTS = "0x000000000000000000000000000000000000c0de" as Address;
const SEND_KEY_SEGMENT = "s3ndK3yAbCdEf0123456789SECRET";

const POLICY: FeePolicyConfig = {
  maxFeePerGasCap: 50n * GWEI,
  maxPriorityFeePerGasCap: 5n * GWEI,
  bumpBps: 1_000,
  baseFeeHeadroomBps: 20_000,
  cancelMaxFeePerGasCeiling: 200n * GWEI,
};

const TRANSFER: TxRequest = { to: RECIPIENT, data: "0x", value: 12_345n, gasLimit: 21_000n, priorityFeePerGas: 1n * GWEI };

function sendUrl(proxy: FaultProxy): string {
  return `http://keeper:pa55word@${new URL(proxy.url).host}/${SEND_KEY_SEGMENT}`;
}

/** Mines a block every few ms until `work` settles: sends that were dropped never mine one themselves. */
async function mineUntilSettled<T>(work: Promise<T>): Promise<T> {
  let settled = false;
  const watched = work.finally(() => (settled = true));
  while (!settled) {
    await hre.network.provider.send("evm_mine", []);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return watched;
}

function expectIncluded(result: SubmissionResult): asserts result is Extract<SubmissionResult, { status: "included" }> {
  expect(
    result.status,
    JSON.stringify(result, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v)),
  ).to.equal("included");
}

describe("RawTxSender (Base raw-transaction path)", function () {
  let node: LocalNode;
  let restoreChain: () => Promise<void>;
  let readProxy: FaultProxy;
  let sendA: FaultProxy;
  let sendB: FaultProxy;
  let pool: ReadProviderPool;
  let lockDirectory: string;
  let wallet: Wallet;
  let nonces: NonceManager;
  let broadcaster: RawTxBroadcaster;
  let sender: RawTxSender;

  async function buildSender(policy: FeePolicyConfig): Promise<void> {
    nonces?.close();
    nonces = await NonceManager.open({ address: wallet.address, chainId: node.chainId, source: pool.provider, lockDirectory });
    const preparer = await TransactionPreparer.create({
      signer: wallet,
      chainId: node.chainId,
      nonces,
      fees: policy,
      baseFee: latestBlockBaseFee(pool.provider),
    });
    sender = new RawTxSender({
      preparer,
      broadcaster,
      tracker: new InclusionTracker({ chain: pool.provider, pollIntervalMs: 10 }),
      chain: pool.provider,
      inclusionBlockBudget: 2,
      inclusionTimeoutMs: 20_000,
    });
  }

  const chainNonce = () => hre.ethers.provider.getTransactionCount(wallet.address, "latest");
  const recipientBalance = () => hre.ethers.provider.getBalance(RECIPIENT);

  before(async function () {
    restoreChain = await snapshotChain();
    node = await startLocalNode();
    await hre.network.provider.send("hardhat_setCode", [ALWAYS_REVERTS, "0x60006000fd"]);
    wallet = localNodeWallet(7);
  });

  after(async function () {
    await node.close();
    await restoreChain();
  });

  beforeEach(async function () {
    readProxy = await FaultProxy.start({ upstreamUrl: node.url });
    sendA = await FaultProxy.start({ upstreamUrl: node.url });
    sendB = await FaultProxy.start({ upstreamUrl: node.url });
    pool = new ReadProviderPool({ chainId: node.chainId, endpoints: [{ url: readProxy.url, label: "read" }], hedgeAfterMs: null });
    broadcaster = new RawTxBroadcaster({
      chainId: node.chainId,
      endpoints: [
        { url: sendUrl(sendA), label: "send-a" },
        { url: sendUrl(sendB), label: "send-b" },
      ],
      timeoutMs: 1_000,
      receipts: pool.provider,
    });
    lockDirectory = fs.mkdtempSync(path.join(os.tmpdir(), "chimera-raw-sender-"));
    await buildSender(POLICY);
  });

  afterEach(async function () {
    nonces.close();
    broadcaster.destroy();
    pool.destroy();
    await Promise.all([readProxy.stop(), sendA.stop(), sendB.stop()]);
    fs.rmSync(lockDirectory, { recursive: true, force: true });
  });

  it("lands the transaction once when one send endpoint fails", async function () {
    sendA.inject({ method: "eth_sendRawTransaction", fault: { kind: "http-status", status: 500 } });
    const [nonceBefore, balanceBefore] = await Promise.all([chainNonce(), recipientBalance()]);

    const result = await sender.submit(TRANSFER, { executionId: "exec-1" });

    expectIncluded(result);
    expect(result.nonce).to.equal(nonceBefore);
    expect(await chainNonce(), "the nonce is used exactly once").to.equal(nonceBefore + 1);
    expect(await recipientBalance(), "the transfer happened exactly once").to.equal(balanceBefore + TRANSFER.value!);
    const receipt = await hre.ethers.provider.getTransactionReceipt(result.txHash);
    expect(receipt?.status).to.equal(1);
    expect(result.gasUsed).to.equal(21_000n);
    expect(result.effectiveGasPrice).to.equal(receipt?.gasPrice);
    expect(sendA.requestsFor("eth_sendRawTransaction")).to.have.length(1);
    expect(sendB.requestsFor("eth_sendRawTransaction")).to.have.length(1);
  });

  it("counts the second endpoint's 'nonce too low' for the same, already mined transaction as a success", async function () {
    const balanceBefore = await recipientBalance();

    const signed = await sender.sign(await sender.prepare(TRANSFER, { executionId: "exec-2" }));
    const report = await sender.broadcast(signed);

    expect(report.path).to.equal("raw");
    if (report.path !== "raw") return;
    const answers = await report.allAnswers;
    const outcomes = answers.map((answer) => answer.outcome).sort();
    // Both proxies front one automining node: whichever is second finds the nonce already used.
    expect(outcomes).to.deep.equal(["accepted", "nonce-too-low"]);
    expect(await recipientBalance()).to.equal(balanceBefore + TRANSFER.value!);
    expect(nonces.resyncCount, "no error, no re-read").to.equal(0);
  });

  it("reports a receipt with status 0 as reverted", async function () {
    const result = await sender.submit(
      { to: ALWAYS_REVERTS, data: "0x", gasLimit: 60_000n, priorityFeePerGas: 1n * GWEI },
      { executionId: "exec-revert" },
    );

    expect(result.status).to.equal("reverted");
    if (result.status !== "reverted") return;
    expect(result.gasUsed > 0n).to.equal(true);
  });

  it("returns 'rejected' with each endpoint's reason, redacted, and re-reads the nonce when every endpoint refuses", async function () {
    for (const proxy of [sendA, sendB]) {
      proxy.inject({
        method: "eth_sendRawTransaction",
        fault: { kind: "rpc-error", message: "insufficient funds for gas * price + value" },
      });
    }
    const nonceBefore = await chainNonce();

    const result = await sender.submit(TRANSFER, { executionId: "exec-3" });

    expect(result.status).to.equal("rejected");
    if (result.status !== "rejected") return;
    expect(result.reason).to.equal("refused-by-all-endpoints");
    expect(result.detail).to.include("send-a → insufficient-funds");
    expect(result.detail).to.include("send-b → insufficient-funds");
    expect(result.detail).to.not.include(SEND_KEY_SEGMENT);
    expect(result.detail).to.not.include("pa55word");
    expect(nonces.resyncCount).to.equal(1);
    expect(nonces.peek, "the unused nonce is handed out again").to.equal(nonceBefore);
  });

  it("re-reads the nonce after another transaction used it, then sends at the right nonce", async function () {
    // Another sender on the same key (which the lock exists to prevent) moves the chain ahead.
    await (await localNodeWallet(7, hre.ethers.provider).sendTransaction({ to: RECIPIENT, value: 1n })).wait();
    const balanceBefore = await recipientBalance();

    const refused = await sender.submit(TRANSFER, { executionId: "exec-4" });

    expect(refused.status).to.equal("rejected");
    if (refused.status !== "rejected") return;
    expect(refused.reason).to.equal("nonce-consumed");
    expect(refused.detail).to.match(/nonce-too-low/);
    expect(nonces.peek).to.equal(await chainNonce());

    const retried = await sender.submit(TRANSFER, { executionId: "exec-4-retry" });

    expectIncluded(retried);
    expect(await recipientBalance()).to.equal(balanceBefore + TRANSFER.value!);
  });

  it("reports a dropped send as not included, then replaces it with both fees raised ≥ 10% and lands once", async function () {
    for (const proxy of [sendA, sendB]) proxy.inject({ method: "eth_sendRawTransaction", fault: { kind: "drop-send" }, times: 1 });
    const [nonceBefore, balanceBefore] = await Promise.all([chainNonce(), recipientBalance()]);

    const stuck = await mineUntilSettled(sender.submit(TRANSFER, { executionId: "exec-5" }));

    expect(stuck.status).to.equal("not-included");
    if (stuck.status !== "not-included") return;
    expect(stuck.blocksWaited).to.be.at.least(2);
    expect(sendA.droppedSends).to.have.length(1);

    const replaced = await sender.replace(stuck.attempts);

    expectIncluded(replaced);
    const [original, replacement] = replaced.attempts;
    expect(replacement.prepared.kind).to.equal("replacement");
    expect(replacement.prepared.nonce).to.equal(original.prepared.nonce);
    expect(replacement.prepared.replaces).to.equal(original.hash);
    expect(replacement.prepared.fees.maxFeePerGas * 10n >= original.prepared.fees.maxFeePerGas * 11n).to.equal(true);
    expect(replacement.prepared.fees.maxPriorityFeePerGas * 10n >= original.prepared.fees.maxPriorityFeePerGas * 11n).to.equal(true);
    expect(replaced.txHash).to.equal(replacement.hash);
    expect(await chainNonce()).to.equal(nonceBefore + 1);
    expect(await recipientBalance()).to.equal(balanceBefore + TRANSFER.value!);
  });

  it("cancels with a zero-value self-transfer at the same nonce when a bump would cross the cap", async function () {
    // The bid is already at the priority cap: any bump crosses it.
    const atCap: TxRequest = { ...TRANSFER, priorityFeePerGas: POLICY.maxPriorityFeePerGasCap };
    for (const proxy of [sendA, sendB]) proxy.inject({ method: "eth_sendRawTransaction", fault: { kind: "drop-send" }, times: 1 });
    const [nonceBefore, balanceBefore] = await Promise.all([chainNonce(), recipientBalance()]);

    const stuck = await mineUntilSettled(sender.submit(atCap, { executionId: "exec-6" }));
    expect(stuck.status).to.equal("not-included");
    const cancelled = await sender.replace(stuck.attempts);

    expectIncluded(cancelled);
    const cancel = cancelled.attempts[1].prepared;
    expect(cancel.kind).to.equal("cancel");
    expect(cancel.to).to.equal(wallet.address);
    expect(cancel.value).to.equal(0n);
    expect(cancel.data).to.equal("0x");
    expect(cancel.fees.maxPriorityFeePerGas * 10n >= atCap.priorityFeePerGas * 11n).to.equal(true);
    expect(await chainNonce()).to.equal(nonceBefore + 1);
    expect(await recipientBalance(), "the cancelled call never ran").to.equal(balanceBefore);
  });

  it("calls the journal hooks in order, and sends nothing when recording the intent fails", async function () {
    const seen: string[] = [];
    const result = await sender.submit(
      TRANSFER,
      { executionId: "exec-7" },
      {
        onPrepared: (prepared) => void seen.push(`prepared:${prepared.nonce}`),
        onSigned: (signed) => void seen.push(`signed:${signed.hash}`),
        onBroadcast: (signed, report) => void seen.push(`broadcast:${report.path}`),
      },
    );
    expectIncluded(result);
    expect(seen).to.deep.equal([`prepared:${result.nonce}`, `signed:${result.txHash}`, "broadcast:raw"]);

    const nextNonce = nonces.peek;
    const sendsBefore = sendA.requestsFor("eth_sendRawTransaction").length;
    const failure = await sender
      .submit(TRANSFER, { executionId: "exec-8" }, { onPrepared: () => Promise.reject(new Error("journal is read-only")) })
      .catch((e: unknown) => e);

    expect((failure as Error).message).to.equal("journal is read-only");
    expect(sendA.requestsFor("eth_sendRawTransaction")).to.have.length(sendsBefore);
    expect(nonces.peek, "the reserved nonce was given back").to.equal(nextNonce);
  });
});
