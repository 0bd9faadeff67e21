/**
 * The operator tasks' reads of a keeper key (rotate-key's in-flight check and its ETH sweep) on a chain
 * without the `pending` tag (Base since Denim: "the pending tag has no equivalent; read latest"). The node is
 * the in-process chain with automine off, so a sent transaction waits in its pool as one does between two
 * 200 ms blocks. Test double: the provider refuses any request naming `pending`, the way such a node may
 * (written from Base's Denim notes, not from a node's code); every other request reaches the real chain.
 */
import { expect } from "chai";
import hre from "hardhat";
import { BrowserProvider, type Eip1193Provider, type Wallet } from "ethers";
import type { Address } from "../../../keeper/core/types";
import { Journal } from "../../../keeper/journal/journal";
import { hardhatAccountWallet } from "../../../keeper/run/hardhat-accounts";
import { PLAIN_TRANSFER_GAS, planSweep } from "../../../tasks/lib/eth-sweep";
import { readKeyInFlight } from "../../../tasks/lib/key-in-flight";
import { attempt, makePlan, makeTempDir, removeDir } from "../keeper/journal/journal-fixtures";

/** A Denim-like node: any request that names the `pending` tag is refused. */
function pendingRefusingProvider(): BrowserProvider {
  const node: Eip1193Provider = {
    request: async ({ method, params }) => {
      if (JSON.stringify(params ?? []).includes('"pending"')) throw new Error(`${method}: invalid block tag "pending" (none since Denim)`);
      return hre.network.provider.request({ method, params: params as unknown[] });
    },
  };
  // No request cache: two reads 250 ms apart must both reach the chain (ethers caches identical requests by default).
  return new BrowserProvider(node, undefined, { cacheTimeout: -1 });
}

describe("tasks: a keeper key's nonce and in-flight work without the pending tag", function () {
  this.timeout(60_000);
  let dir: string;
  let journal: Journal;
  let wallet: Wallet;
  let provider: BrowserProvider;
  const treasury = "0x000000000000000000000000000000000000dEaD";

  beforeEach(async () => {
    dir = makeTempDir("no-pending");
    journal = Journal.open(`${dir}/journal.sqlite`);
    wallet = hardhatAccountWallet(hre, 12).connect(hre.ethers.provider);
    provider = pendingRefusingProvider();
    await hre.network.provider.send("evm_setAutomine", [false]);
  });

  afterEach(async () => {
    await hre.network.provider.send("evm_mine", []);
    await hre.network.provider.send("evm_setAutomine", [true]);
    journal.close();
    removeDir(dir);
  });

  /** Journals a transfer at `nonce` as sent (and sends it to the node's pool, unmined). */
  async function sentIntent(planId: string, nonce: number): Promise<void> {
    const signer = wallet.address as Address;
    journal.planExecution(makePlan({ id: planId }), { mode: "LIVE" });
    journal.markSimulated(planId);
    const tx = attempt(3, nonce, { signer });
    journal.recordIntent(planId, { signer, nonce, maxFeePerGas: tx.maxFeePerGas, maxPriorityFeePerGas: tx.maxPriorityFeePerGas });
    const sent = await wallet.sendTransaction({ to: treasury, value: 1n, nonce, gasLimit: PLAIN_TRANSFER_GAS });
    journal.markSigned(planId, { ...tx, txHash: sent.hash });
    journal.markSent(planId);
  }

  it("the double refuses the tag, so a read of it would fail these tests", async () => {
    await expect(provider.getTransactionCount(wallet.address, "pending")).to.be.rejectedWith(/pending/);
  });

  it("the sweep's nonce is latest without a journal, and one past an open intent's nonce with it", async () => {
    const latest = await hre.ethers.provider.getTransactionCount(wallet.address, "latest");
    expect((await planSweep(provider, wallet.address, treasury)).nonce).to.equal(latest);

    await sentIntent("plan-on-the-wire", latest);
    // The node holds it unmined: `latest` has not moved, the journal's claim has.
    expect(await hre.ethers.provider.getTransactionCount(wallet.address, "latest")).to.equal(latest);
    expect((await planSweep(provider, wallet.address, treasury, journal)).nonce).to.equal(latest + 1);
    expect((await planSweep(provider, wallet.address, treasury)).nonce).to.equal(latest);
  });

  it("an open intent above latest is in flight; once its nonce is mined it is settled on chain, not waited for", async () => {
    const latest = await hre.ethers.provider.getTransactionCount(wallet.address, "latest");
    expect((await readKeyInFlight(provider, wallet.address, journal)).inFlight).to.equal(false);

    await sentIntent("plan-in-flight", latest);
    const before = await readKeyInFlight(provider, wallet.address, journal);
    expect(before.inFlight).to.equal(true);
    expect(before.latestNonce).to.equal(latest);
    expect(before.openIntents.map((intent) => intent.planId)).to.deep.equal(["plan-in-flight"]);

    await hre.network.provider.send("evm_mine", []);
    const after = await readKeyInFlight(provider, wallet.address, journal);
    expect(after.latestNonce).to.equal(latest + 1);
    expect(after.inFlight).to.equal(false);
    expect(after.settledOnChain.map((intent) => intent.planId)).to.deep.equal(["plan-in-flight"]);
  });
});
