/**
 * The bundle relay path over real HTTP: @flashbots/ethers-provider-bundle talking to the local relay
 * (test/shared/local-relay.ts), which checks the X-Flashbots-Signature header, simulates on and
 * lands bundles in the in-process Hardhat chain.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import hre from "hardhat";
import { Wallet, id } from "ethers";
import { ReadProviderPool } from "../../../../keeper/rpc/read-provider-pool";
import { BundleSubmitter } from "../../../../keeper/submit/bundle-submitter";
import { BundleTxSender } from "../../../../keeper/submit/bundle-tx-sender";
import type { FeePolicyConfig } from "../../../../keeper/submit/fee-policy";
import { NonceManager } from "../../../../keeper/submit/nonce-manager";
import { TransactionPreparer, latestBlockBaseFee } from "../../../../keeper/submit/transaction-preparer";
import type { SubmissionResult, TxRequest } from "../../../../keeper/submit/types";
import type { Address } from "../../../../keeper/core/types";
import { LocalRelay } from "../../../shared/local-relay";
import { localNodeWallet, snapshotChain, startLocalNode, type LocalNode } from "../../../shared/local-node";

const GWEI = 10n ** 9n;
const RECIPIENT = "0x000000000000000000000000000000000000bEEF" as Address;
/** Runtime code PUSH1 0 PUSH1 0 REVERT: every call to it reverts. */
const ALWAYS_REVERTS = "0x000000000000000000000000000000000000c0de" as Address;

const POLICY: FeePolicyConfig = {
  maxFeePerGasCap: 50n * GWEI,
  maxPriorityFeePerGasCap: 5n * GWEI,
  bumpBps: 1_000,
  baseFeeHeadroomBps: 20_000,
  cancelMaxFeePerGasCeiling: 200n * GWEI,
};

const TRANSFER: TxRequest = { to: RECIPIENT, data: "0x", value: 777n, gasLimit: 21_000n, priorityFeePerGas: 2n * GWEI };

function expectStatus<S extends SubmissionResult["status"]>(
  result: SubmissionResult,
  status: S,
): asserts result is Extract<SubmissionResult, { status: S }> {
  expect(
    result.status,
    JSON.stringify(result, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v)),
  ).to.equal(status);
}

describe("BundleTxSender (bundle relay path)", function () {
  let node: LocalNode;
  let restoreChain: () => Promise<void>;
  let relay: LocalRelay;
  let pool: ReadProviderPool;
  let lockDirectory: string;
  let nonces: NonceManager;
  let preparer: TransactionPreparer;
  let sender: BundleTxSender;
  const signer = localNodeWallet(8);
  /** The relay auth key: a fresh key that holds nothing, distinct from the signer. */
  const authKey = Wallet.createRandom();

  async function senderFor(relayUrl: string): Promise<BundleTxSender> {
    const submitter = await BundleSubmitter.create({
      relayUrl,
      authSigner: authKey,
      transactionSignerAddress: signer.address,
      provider: pool.provider,
      chainId: node.chainId,
    });
    return new BundleTxSender({
      preparer,
      submitter,
      chain: pool.provider,
      targetBlocks: 3,
      pollIntervalMs: 10,
      blockWaitTimeoutMs: 10_000,
    });
  }

  const chainNonce = () => hre.ethers.provider.getTransactionCount(signer.address, "latest");
  const recipientBalance = () => hre.ethers.provider.getBalance(RECIPIENT);

  before(async function () {
    restoreChain = await snapshotChain();
    node = await startLocalNode();
    await hre.network.provider.send("hardhat_setCode", [ALWAYS_REVERTS, "0x60006000fd"]);
  });

  after(async function () {
    await node.close();
    await restoreChain();
  });

  beforeEach(async function () {
    relay = await LocalRelay.start({ upstreamUrl: node.url, allowedSearchers: [authKey.address] });
    pool = new ReadProviderPool({ chainId: node.chainId, endpoints: [{ url: node.url, label: "node" }], hedgeAfterMs: null });
    lockDirectory = fs.mkdtempSync(path.join(os.tmpdir(), "chimera-bundle-sender-"));
    nonces = await NonceManager.open({ address: signer.address, chainId: node.chainId, source: pool.provider, lockDirectory });
    preparer = await TransactionPreparer.create({
      signer,
      chainId: node.chainId,
      nonces,
      fees: POLICY,
      baseFee: latestBlockBaseFee(pool.provider),
    });
    sender = await senderFor(relay.url);
  });

  afterEach(async function () {
    nonces.close();
    pool.destroy();
    await relay.stop();
    fs.rmSync(lockDirectory, { recursive: true, force: true });
  });

  it("simulates, then sends, and the bundle lands in its target block", async function () {
    const [nonceBefore, balanceBefore, head] = await Promise.all([chainNonce(), recipientBalance(), hre.ethers.provider.getBlockNumber()]);

    const result = await sender.submit(TRANSFER, { executionId: "bundle-1" });

    expectStatus(result, "included");
    expect(result.blockNumber).to.equal(head + 1);
    expect(relay.requests.map((request) => request.method)).to.deep.equal(["eth_callBundle", "eth_sendBundle"]);
    expect(
      relay.requests.every((request) => request.signer === authKey.address),
      "every request signed by the auth key",
    ).to.equal(true);
    expect(relay.bundles.map((bundle) => bundle.fate)).to.deep.equal(["landed"]);
    expect(relay.bundles[0].txHashes).to.deep.equal([result.txHash]);
    expect(await chainNonce()).to.equal(nonceBefore + 1);
    expect(await recipientBalance()).to.equal(balanceBefore + TRANSFER.value!);
  });

  it("re-simulates and re-offers for the next block after a lost auction", async function () {
    relay.missNextBundles(1);
    const head = await hre.ethers.provider.getBlockNumber();

    const result = await sender.submit(TRANSFER, { executionId: "bundle-2" });

    expectStatus(result, "included");
    expect(result.blockNumber).to.equal(head + 2);
    expect(relay.bundles.map((bundle) => [bundle.fate, bundle.targetBlock])).to.deep.equal([
      ["missed", head + 1],
      ["landed", head + 2],
    ]);
    expect(relay.requestsFor("eth_callBundle")).to.have.length(2);
  });

  it("reports not included after N target blocks, and re-reads the unused nonce", async function () {
    relay.missNextBundles(3);
    const nonceBefore = await chainNonce();

    const result = await sender.submit(TRANSFER, { executionId: "bundle-3" });

    expectStatus(result, "not-included");
    expect(result.blocksWaited).to.equal(3);
    expect(relay.bundles.map((bundle) => bundle.fate)).to.deep.equal(["missed", "missed", "missed"]);
    expect(await chainNonce()).to.equal(nonceBefore);
    expect(nonces.peek, "nothing is in flight: the nonce is free again").to.equal(nonceBefore);
  });

  it("never sends a bundle whose transaction reverts in simulation", async function () {
    const nonceBefore = await chainNonce();

    const result = await sender.submit(
      { to: ALWAYS_REVERTS, data: "0x", gasLimit: 60_000n, priorityFeePerGas: 1n * GWEI },
      { executionId: "bundle-4" },
    );

    expectStatus(result, "rejected");
    expect(result.reason).to.equal("bundle-simulation-reverted");
    expect(relay.requestsFor("eth_callBundle")).to.have.length(1);
    expect(relay.requestsFor("eth_sendBundle")).to.have.length(0);
    expect(await chainNonce()).to.equal(nonceBefore);
    expect(nonces.peek).to.equal(nonceBefore);
  });

  it("never sends a bundle that fails the profit check (gas cost above the plan's limit)", async function () {
    const result = await sender.submit(TRANSFER, { executionId: "bundle-5", maxGasCostWei: 1n });

    expectStatus(result, "rejected");
    expect(result.reason).to.equal("bundle-profit-check-failed");
    expect(result.detail).to.match(/exceed the plan's maxGasCostWei 1/);
    expect(relay.requestsFor("eth_sendBundle")).to.have.length(0);
  });

  it("is refused by a relay that does not accept its auth key", async function () {
    const strangerRelay = await LocalRelay.start({ upstreamUrl: node.url, allowedSearchers: [Wallet.createRandom().address] });
    try {
      const strangerSender = await senderFor(strangerRelay.url);
      const nonceBefore = await chainNonce();

      const result = await strangerSender.submit(TRANSFER, { executionId: "bundle-6" });

      expectStatus(result, "rejected");
      expect(result.reason).to.equal("relay-refused");
      expect(result.detail).to.match(/403/);
      expect(result.detail).to.include(`searcher ${authKey.address} is not authorised`);
      expect(strangerRelay.bundles).to.have.length(0);
      expect(await chainNonce()).to.equal(nonceBefore);
    } finally {
      await strangerRelay.stop();
    }
  });

  it("refuses an auth key equal to the transaction signing key", async function () {
    const error = await BundleSubmitter.create({
      relayUrl: relay.url,
      authSigner: signer,
      transactionSignerAddress: signer.address,
      provider: pool.provider,
      chainId: node.chainId,
    }).catch((e: unknown) => e);

    expect((error as Error).message).to.match(/auth key .* must differ from the transaction signing key/);
  });

  describe("local relay signature check", function () {
    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_callBundle", params: [{ txs: ["0x00"], blockNumber: "0x1" }] });

    async function post(header: string | null, payload = body): Promise<{ status: number; message: string }> {
      const response = await fetch(relay.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...(header === null ? {} : { "x-flashbots-signature": header }) },
        body: payload,
      });
      const answer = (await response.json()) as { error?: { message: string } };
      return { status: response.status, message: answer.error?.message ?? "" };
    }

    it("rejects a request without the header", async function () {
      expect(await post(null)).to.deep.equal({ status: 403, message: "missing X-Flashbots-Signature header" });
    });

    it("rejects a header whose signature is by another key than it claims", async function () {
      const forger = Wallet.createRandom();
      const answer = await post(`${authKey.address}:${await forger.signMessage(id(body))}`);
      expect(answer.status).to.equal(403);
      expect(answer.message).to.equal(`signer address does not equal expected, got ${forger.address}, expected ${authKey.address}`);
    });

    it("rejects a body changed after signing", async function () {
      const signature = await authKey.signMessage(id(body));
      const answer = await post(`${authKey.address}:${signature}`, body.replace('"0x1"', '"0x2"'));
      expect(answer.status).to.equal(403);
      expect(answer.message).to.match(/signer address does not equal expected/);
    });
  });
});
