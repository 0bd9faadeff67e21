/**
 * The relay path as the keeper runs it (Ethereum mainnet's): the execution stage hands a signed
 * transaction to `bundleBroadcaster`, which asks BundleSubmitter (@flashbots/ethers-provider-bundle
 * over real HTTP) to simulate it with eth_callBundle and sends it with eth_sendBundle only if it
 * neither reverts nor costs more gas than the plan allows. The relay is test/shared/local-relay.ts,
 * a test double speaking the Flashbots relay's JSON-RPC and checking X-Flashbots-Signature, in front
 * of the in-process chain. (The whole keeper on this path: test/unit/keeper/execution/bundle-path.test.ts.)
 */
import { expect } from "chai";
import hre from "hardhat";
import { Wallet, id } from "ethers";
import { BundleSubmitter } from "../../../../keeper/submit/bundle-submitter";
import { BundleNotOfferedError, bundleBroadcaster } from "../../../../keeper/execution/bundle-broadcaster";
import type { SignedTx, TxRequest } from "../../../../keeper/submit/types";
import type { Address } from "../../../../keeper/core/types";
import { LocalRelay } from "../../../shared/local-relay";
import { localNodeWallet, snapshotChain, startLocalNode, type LocalNode } from "../../../shared/local-node";
import { openLocalSigning, type LocalSigning } from "./helpers/local-signing";

const GWEI = 10n ** 9n;
const RECIPIENT = "0x000000000000000000000000000000000000bEEF" as Address;
/** Runtime code PUSH1 0 PUSH1 0 REVERT: every call to it reverts. */
const ALWAYS_REVERTS = "0x000000000000000000000000000000000000c0de" as Address;
const TRANSFER: TxRequest = { to: RECIPIENT, data: "0x", value: 777n, gasLimit: 21_000n, priorityFeePerGas: 2n * GWEI };

describe("bundle relay path (bundleBroadcaster over BundleSubmitter)", function () {
  let node: LocalNode;
  let restoreChain: () => Promise<void>;
  let relay: LocalRelay;
  let signing: LocalSigning;
  const signer = localNodeWallet(8);
  /** The relay auth key: a fresh key that holds nothing, distinct from the signer. */
  const authKey = Wallet.createRandom();

  const submitterFor = (relayUrl: string) =>
    BundleSubmitter.create({
      relayUrl,
      authSigner: authKey,
      transactionSignerAddress: signer.address,
      provider: signing.pool.provider,
      chainId: node.chainId,
    });
  const sign = async (request: TxRequest): Promise<SignedTx> =>
    signing.preparer.sign(await signing.preparer.prepare(request, { executionId: "bundle" }));
  const chainNonce = () => hre.ethers.provider.getTransactionCount(signer.address, "latest");

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
    signing = await openLocalSigning(node, signer, "chimera-bundle-");
  });

  afterEach(async function () {
    signing.close();
    await relay.stop();
  });

  it("simulates, then sends, signed by the auth key, and the bundle lands in the next block", async function () {
    const broadcaster = bundleBroadcaster({
      submitter: await submitterFor(relay.url),
      chain: signing.pool.provider,
      maxGasFeesWei: 10n ** 17n,
    });
    const [nonceBefore, head] = await Promise.all([chainNonce(), hre.ethers.provider.getBlockNumber()]);
    const signed = await sign(TRANSFER);

    const report = await broadcaster.broadcast(signed);

    expect(report.acceptedBy[0]).to.match(new RegExp(`for block ${head + 1}\\)$`));
    expect(relay.requests.map((request) => request.method)).to.deep.equal(["eth_callBundle", "eth_sendBundle"]);
    expect(
      relay.requests.every((request) => request.signer === authKey.address),
      "every request signed by the auth key",
    ).to.equal(true);
    expect(relay.bundles.map((bundle) => [bundle.fate, bundle.targetBlock, bundle.txHashes])).to.deep.equal([
      ["landed", head + 1, [signed.hash]],
    ]);
    expect(await chainNonce()).to.equal(nonceBefore + 1);
  });

  it("never sends a bundle whose transaction reverts in the relay's simulation", async function () {
    const broadcaster = bundleBroadcaster({
      submitter: await submitterFor(relay.url),
      chain: signing.pool.provider,
      maxGasFeesWei: 10n ** 17n,
    });
    const nonceBefore = await chainNonce();

    const error = await broadcaster
      .broadcast(await sign({ to: ALWAYS_REVERTS, data: "0x", gasLimit: 60_000n, priorityFeePerGas: 1n * GWEI }))
      .catch((e: unknown) => e);

    expect(error).to.be.instanceOf(BundleNotOfferedError);
    expect((error as Error).message).to.match(/^bundle-simulation-reverted: transaction 0x[0-9a-f]{64} reverts in simulation/);
    expect(relay.requests.map((request) => request.method)).to.deep.equal(["eth_callBundle"]);
    expect(await chainNonce()).to.equal(nonceBefore);
  });

  it("never sends a bundle whose simulated gas fees exceed the plan's budget", async function () {
    const broadcaster = bundleBroadcaster({ submitter: await submitterFor(relay.url), chain: signing.pool.provider, maxGasFeesWei: 1n });

    const error = await broadcaster.broadcast(await sign(TRANSFER)).catch((e: unknown) => e);

    expect(error).to.be.instanceOf(BundleNotOfferedError);
    expect((error as Error).message).to.match(/^bundle-profit-check-failed: simulated gas fees \d+ wei exceed the 1 wei budget/);
    expect(relay.requestsFor("eth_sendBundle")).to.have.length(0);
  });

  it("reports a relay that does not accept its auth key, sending nothing", async function () {
    const strangerRelay = await LocalRelay.start({ upstreamUrl: node.url, allowedSearchers: [Wallet.createRandom().address] });
    try {
      const broadcaster = bundleBroadcaster({
        submitter: await submitterFor(strangerRelay.url),
        chain: signing.pool.provider,
        maxGasFeesWei: 10n ** 17n,
      });
      const nonceBefore = await chainNonce();

      const error = await broadcaster.broadcast(await sign(TRANSFER)).catch((e: unknown) => e);

      expect((error as Error).name).to.equal("RelayRequestError");
      expect((error as Error).message).to.match(/refused eth_callBundle: .*403/);
      expect((error as Error).message).to.include(`searcher ${authKey.address} is not authorised`);
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
      provider: signing.pool.provider,
      chainId: node.chainId,
    }).catch((e: unknown) => e);

    expect((error as Error).message).to.match(/auth key .* must differ from the transaction signing key/);
  });

  describe("local relay signature check (the double refuses what the real relay refuses)", function () {
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
