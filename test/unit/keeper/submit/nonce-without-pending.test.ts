/**
 * The key's next nonce on a chain without the `pending` tag (Base since Denim: "the pending tag has no
 * equivalent; read latest"). The node here is the in-process chain with automine off, so a sent transaction
 * waits in its pool exactly as one does between two 200 ms blocks, behind a reader that refuses `pending`
 * the way such a node does. The nonce manager must take the nonce from `latest` and the journal's open
 * executions: a transaction on the wire but not mined holds its nonce; one the journal settled (mined, or
 * dropped as never sent) does not. Test double: the `pending`-refusing reader, standing in for a Denim node.
 */
import { expect } from "chai";
import hre from "hardhat";
import type { Wallet } from "ethers";
import type { Address } from "../../../../keeper/core/types";
import { Journal } from "../../../../keeper/journal/journal";
import { hardhatAccountWallet } from "../../../../keeper/run/hardhat-accounts";
import { NonceManager, type NonceSource } from "../../../../keeper/submit/nonce-manager";
import { journaledTransfer } from "../../../shared/journaled-transfer";
import { makePlan, makeTempDir, removeDir } from "../journal/journal-fixtures";

/** A node without `pending`: it refuses the tag (as a Denim node may) and answers `latest` from the chain. */
class DenimNonceReader implements NonceSource {
  readonly tags: string[] = [];
  async getTransactionCount(address: string, blockTag: string): Promise<number> {
    this.tags.push(blockTag);
    if (blockTag === "pending") throw new Error('invalid block tag "pending": not supported since Denim, use "latest"');
    return hre.ethers.provider.getTransactionCount(address, blockTag);
  }
}

describe("submit: the next nonce without the pending tag (latest + the journal's open claims)", function () {
  this.timeout(60_000);
  let dir: string;
  let journal: Journal;
  let wallet: Wallet;
  let reader: DenimNonceReader;
  let manager: NonceManager | null = null;
  let planCounter = 0;

  beforeEach(async () => {
    dir = makeTempDir("nonce-denim");
    journal = Journal.open(`${dir}/journal.sqlite`);
    wallet = hardhatAccountWallet(hre, 11).connect(hre.ethers.provider);
    reader = new DenimNonceReader();
    await hre.network.provider.send("evm_setAutomine", [false]);
  });

  afterEach(async () => {
    manager?.close();
    manager = null;
    await hre.network.provider.send("evm_mine", []);
    await hre.network.provider.send("evm_setAutomine", [true]);
    journal.close();
    removeDir(dir);
  });

  /** A transfer signed at `nonce`, journaled up to `sent` (and actually sent to the node) unless `broadcast` is false. */
  async function journaledTransferAt(nonce: number, options: { broadcast: boolean }) {
    const { raw, planId, hash } = await journaledTransfer(journal, wallet, {
      nonce,
      value: BigInt(1 + planCounter),
      planId: `nonce-${planCounter++}`,
    });
    if (options.broadcast) {
      await hre.ethers.provider.broadcastTransaction(raw);
      journal.markSent(planId, "accepted by node");
    }
    return { planId, hash };
  }

  async function open(): Promise<NonceManager> {
    manager = await NonceManager.open({ address: wallet.address, chainId: 8453, source: reader, claims: journal, lockDirectory: dir });
    return manager;
  }

  it("never asks for pending, and a sent transaction still in the node's pool holds its nonce", async () => {
    const mined = await hre.ethers.provider.getTransactionCount(wallet.address, "latest");
    await journaledTransferAt(mined, { broadcast: true });
    expect(await hre.ethers.provider.getTransactionCount(wallet.address, "latest"), "not mined yet").to.equal(mined);

    const nonces = await open();
    expect(await nonces.next()).to.equal(mined + 1);
    expect(reader.tags).to.deep.equal(["latest"]);
  });

  it("takes the chain's latest count alone once the journal has nothing open (a fresh key, or everything settled)", async () => {
    const mined = await hre.ethers.provider.getTransactionCount(wallet.address, "latest");
    const nonces = await open();
    expect(nonces.peek).to.equal(mined);
  });

  it("re-reads both on resync: a mined claim is counted by latest, a claim dropped unsent frees its nonce", async () => {
    const mined = await hre.ethers.provider.getTransactionCount(wallet.address, "latest");
    const sent = await journaledTransferAt(mined, { broadcast: true });
    const unsent = await journaledTransferAt(mined + 1, { broadcast: false });
    const nonces = await open();
    expect(nonces.peek, "both journaled nonces are held").to.equal(mined + 2);

    await hre.network.provider.send("evm_mine", []);
    const receipt = await hre.ethers.provider.getTransactionReceipt(sent.hash);
    expect(receipt?.status).to.equal(1);
    journal.markDropped(unsent.planId, "reconciled: never reached a node");
    // The sent one is still open in this journal (settled on the next tick), but latest already counts it.
    expect(await nonces.resync()).to.equal(mined + 1);
    expect(reader.tags.every((tag) => tag === "latest")).to.equal(true);
  });

  it("ignores other keys' claims", async () => {
    const mined = await hre.ethers.provider.getTransactionCount(wallet.address, "latest");
    const other = hardhatAccountWallet(hre, 12);
    const planId = "other-key";
    journal.planExecution(makePlan({ id: planId }), { mode: "LIVE" });
    journal.markSimulated(planId);
    journal.recordIntent(planId, { signer: other.address as Address, nonce: mined + 40, maxFeePerGas: 1n, maxPriorityFeePerGas: 1n });
    const nonces = await open();
    expect(nonces.peek).to.equal(mined);
  });
});
