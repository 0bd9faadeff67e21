/**
 * Transactions of one key that leave at once (execution-stage.ts sends a reaction's plans without waiting for each
 * other's answers) against Hardhat's automining node, which keeps no queue: a later nonce that arrives first is refused
 * ("Nonce too high … transactions can't be queued when automining") and forgotten. broadcastAfterEarlierNonces sends
 * such a refusal again once the earlier sends are answered, and nothing else.
 */
import hre from "hardhat";
import { expect } from "chai";
import { Wallet } from "ethers";
import { broadcastAfterEarlierNonces, providerBroadcaster, type SignedTxBroadcaster } from "../../../../keeper/execution/broadcast";
import { hardhatAccountWallet } from "../../../../keeper/run/hardhat-accounts";

/** An account no other suite sends from. */
const SENDER_INDEX = 17;

describe("execution: transactions of one key sent at once, reaching the node out of order", () => {
  const provider = () => hre.ethers.provider;

  /** Two signed transfers of the sender's next two nonces. */
  async function twoSigned(): Promise<{ raw: string; hash: string }[]> {
    const wallet = hardhatAccountWallet(hre, SENDER_INDEX).connect(provider());
    const nonce = await provider().getTransactionCount(wallet.address, "latest");
    const fee = (await provider().getBlock("latest"))!.baseFeePerGas! * 2n;
    const signed: { raw: string; hash: string }[] = [];
    for (const offset of [0, 1]) {
      const raw = await wallet.signTransaction({
        to: Wallet.createRandom().address,
        value: 1n,
        nonce: nonce + offset,
        gasLimit: 21_000n,
        maxFeePerGas: fee,
        maxPriorityFeePerGas: 1n,
        chainId: (await provider().getNetwork()).chainId,
        type: 2,
      });
      signed.push({ raw, hash: hre.ethers.keccak256(raw) });
    }
    return signed;
  }

  /** The node's broadcaster, with the first send of `holdHash` held back `delayMs`, and every call recorded. */
  function slowFirst(holdHash: string, delayMs: number): SignedTxBroadcaster & { calls: string[] } {
    const node = providerBroadcaster(provider() as never);
    const calls: string[] = [];
    return {
      calls,
      async broadcast(signed) {
        calls.push(signed.hash);
        if (signed.hash === holdHash && calls.filter((h) => h === holdHash).length === 1) {
          await new Promise((resolve) => setTimeout(resolve, delayMs));
        }
        return node.broadcast(signed);
      },
    };
  }

  it("the premise: the automining node refuses the later nonce that comes first, and does not keep it", async () => {
    const [first, second] = await twoSigned();
    const node = providerBroadcaster(provider() as never);
    let refusal = "";
    await node.broadcast(second!).catch((error: Error) => (refusal = error.message));
    expect(refusal).to.match(/nonce too high/i);
    await node.broadcast(first!);
    expect(await provider().getTransactionReceipt(first!.hash), "the earlier one lands").not.to.equal(null);
    expect(await provider().getTransactionReceipt(second!.hash), "the refused one was forgotten").to.equal(null);
  });

  it("sends a refused later nonce again once the earlier send is answered: both land, in nonce order", async () => {
    const [first, second] = await twoSigned();
    const broadcaster = slowFirst(first!.hash, 100);
    const firstSend = broadcastAfterEarlierNonces(broadcaster, first!, null);
    const secondSend = broadcastAfterEarlierNonces(broadcaster, second!, Promise.allSettled([firstSend]));
    await Promise.all([firstSend, secondSend]);
    expect(broadcaster.calls, "the second was refused once, then sent again after the first").to.deep.equal([
      first!.hash,
      second!.hash,
      second!.hash,
    ]);
    const [one, two] = await Promise.all([first, second].map((s) => provider().getTransactionReceipt(s!.hash)));
    expect(one, "the first landed").not.to.equal(null);
    expect(two, "the second landed").not.to.equal(null);
    expect(two!.blockNumber).to.be.greaterThan(one!.blockNumber);
  });

  it("lets a gap refusal stand when nothing was sent before it, and never repeats any other refusal", async () => {
    const [, second] = await twoSigned();
    const broadcaster = slowFirst("0x", 0);
    const alone = await broadcastAfterEarlierNonces(broadcaster, second!, null).catch((error: Error) => error.message);
    expect(alone).to.match(/nonce too high/i);
    expect(broadcaster.calls).to.have.length(1);

    // Garbage the node refuses for another reason, behind an earlier send: not sent again.
    const garbage = { raw: "0x02c0", hash: hre.ethers.keccak256("0x02c0") };
    const refused = await broadcastAfterEarlierNonces(broadcaster, garbage, Promise.resolve()).catch((error: Error) => error.message);
    expect(refused)
      .to.be.a("string")
      .and.not.match(/nonce too high/i);
    expect(broadcaster.calls.filter((hash) => hash === garbage.hash)).to.have.length(1);
  });
});
