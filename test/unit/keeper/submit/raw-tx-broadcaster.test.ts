/**
 * The Base send path's last step as the keeper runs it: RawTxBroadcaster sends one signed transaction
 * to every private send endpoint over real HTTP. The endpoints are fault proxies (test/shared/fault-proxy.ts,
 * a test double) in front of the in-process Hardhat chain served by startLocalNode; the transaction is
 * numbered, priced and signed by the keeper's own NonceManager and TransactionPreparer.
 * (What the execution stage does with a refusal, nonce hand-back and resync included, is in
 * test/unit/keeper/execution/execution-stage.test.ts.)
 */
import { expect } from "chai";
import hre from "hardhat";
import type { Wallet } from "ethers";
import { BroadcastRejectedError, RawTxBroadcaster } from "../../../../keeper/submit/raw-tx-broadcaster";
import type { SignedTx, TxRequest } from "../../../../keeper/submit/types";
import type { Address } from "../../../../keeper/core/types";
import { FaultProxy } from "../../../shared/fault-proxy";
import { localNodeWallet, snapshotChain, startLocalNode, type LocalNode } from "../../../shared/local-node";
import { openLocalSigning, type LocalSigning } from "./helpers/local-signing";

const GWEI = 10n ** 9n;
const RECIPIENT = "0x000000000000000000000000000000000000bEEF" as Address;
const SEND_KEY_SEGMENT = "s3ndK3yAbCdEf0123456789SECRET";
const TRANSFER: TxRequest = { to: RECIPIENT, data: "0x", value: 12_345n, gasLimit: 21_000n, priorityFeePerGas: 1n * GWEI };

function sendUrl(proxy: FaultProxy): string {
  return `http://keeper:pa55word@${new URL(proxy.url).host}/${SEND_KEY_SEGMENT}`;
}

describe("RawTxBroadcaster (Base: every send endpoint at once)", function () {
  let node: LocalNode;
  let restoreChain: () => Promise<void>;
  let sendA: FaultProxy;
  let sendB: FaultProxy;
  let wallet: Wallet;
  let signing: LocalSigning;
  let broadcaster: RawTxBroadcaster;

  const chainNonce = () => hre.ethers.provider.getTransactionCount(wallet.address, "latest");
  const recipientBalance = () => hre.ethers.provider.getBalance(RECIPIENT);
  const signTransfer = async (): Promise<SignedTx> =>
    signing.preparer.sign(await signing.preparer.prepare(TRANSFER, { executionId: "transfer" }));

  before(async function () {
    restoreChain = await snapshotChain();
    node = await startLocalNode();
    wallet = localNodeWallet(7);
  });

  after(async function () {
    await node.close();
    await restoreChain();
  });

  beforeEach(async function () {
    sendA = await FaultProxy.start({ upstreamUrl: node.url });
    sendB = await FaultProxy.start({ upstreamUrl: node.url });
    signing = await openLocalSigning(node, wallet, "chimera-raw-broadcaster-");
    broadcaster = new RawTxBroadcaster({
      chainId: node.chainId,
      endpoints: [
        { url: sendUrl(sendA), label: "send-a" },
        { url: sendUrl(sendB), label: "send-b" },
      ],
      timeoutMs: 1_000,
      receipts: signing.pool.provider,
    });
  });

  afterEach(async function () {
    broadcaster.destroy();
    signing.close();
    await Promise.all([sendA.stop(), sendB.stop()]);
  });

  it("gets the transaction in once when one send endpoint fails", async function () {
    sendA.inject({ method: "eth_sendRawTransaction", fault: { kind: "http-status", status: 500 } });
    const [nonceBefore, balanceBefore] = await Promise.all([chainNonce(), recipientBalance()]);

    const signed = await signTransfer();
    const report = await broadcaster.broadcast(signed);

    expect(report.acceptedBy).to.deep.equal(["send-b"]);
    const answers = await report.allAnswers;
    expect(answers.map((answer) => [answer.endpoint, answer.outcome])).to.deep.include.members([
      ["send-a", "unreachable"],
      ["send-b", "accepted"],
    ]);
    expect(await chainNonce(), "the nonce is used exactly once").to.equal(nonceBefore + 1);
    expect(await recipientBalance(), "the transfer happened exactly once").to.equal(balanceBefore + TRANSFER.value!);
    expect((await hre.ethers.provider.getTransactionReceipt(signed.hash))?.status).to.equal(1);
  });

  it("counts the second endpoint's 'nonce too low' for the same, already mined transaction as a success", async function () {
    const balanceBefore = await recipientBalance();

    const report = await broadcaster.broadcast(await signTransfer());

    const outcomes = (await report.allAnswers).map((answer) => answer.outcome).sort();
    // Both proxies front one automining node: whichever is second finds the nonce already used.
    expect(outcomes).to.deep.equal(["accepted", "nonce-too-low"]);
    expect(report.acceptedBy).to.have.length(1);
    expect(await recipientBalance()).to.equal(balanceBefore + TRANSFER.value!);
  });

  it("refuses with every endpoint's reason, endpoints named by label and no credential, when all refuse", async function () {
    for (const proxy of [sendA, sendB]) {
      proxy.inject({
        method: "eth_sendRawTransaction",
        fault: { kind: "rpc-error", message: "insufficient funds for gas * price + value" },
      });
    }
    const nonceBefore = await chainNonce();

    const error = await broadcaster.broadcast(await signTransfer()).catch((e: unknown) => e);

    expect(error).to.be.instanceOf(BroadcastRejectedError);
    const rejected = error as BroadcastRejectedError;
    expect(rejected.reason).to.equal("refused-by-all-endpoints");
    expect(rejected.message).to.include("send-a → insufficient-funds");
    expect(rejected.message).to.include("send-b → insufficient-funds");
    expect(rejected.message).to.not.include(SEND_KEY_SEGMENT);
    expect(rejected.message).to.not.include("pa55word");
    expect(await chainNonce(), "nothing reached the chain").to.equal(nonceBefore);
  });

  it("says the nonce is consumed when another transaction already used it", async function () {
    const signed = await signTransfer();
    // Another sender on the same key (which the key lock exists to prevent) moves the chain ahead first.
    await (await localNodeWallet(7, hre.ethers.provider).sendTransaction({ to: RECIPIENT, value: 1n })).wait();

    const error = await broadcaster.broadcast(signed).catch((e: unknown) => e);

    expect(error).to.be.instanceOf(BroadcastRejectedError);
    expect((error as BroadcastRejectedError).reason).to.equal("nonce-consumed");
    expect((error as BroadcastRejectedError).message).to.match(/nonce-too-low/);
    expect(await hre.ethers.provider.getTransaction(signed.hash)).to.equal(null);
  });
});
