/**
 * The keeper's relay path (Ethereum mainnet's): the execution stage hands each signed liquidation to a
 * relay as a one-transaction bundle, simulated by the relay (eth_callBundle) before eth_sendBundle.
 * The relay is test/shared/local-relay.ts, a test double speaking the Flashbots relay's JSON-RPC and
 * checking X-Flashbots-Signature, in front of this test's sandbox served over HTTP.
 */
import hre from "hardhat";
import { expect } from "chai";
import { JsonRpcProvider, Wallet } from "ethers";
import { buildSandbox } from "../../../../sandbox";
import { openAaveBorrowers } from "../../../../sandbox/borrowers";
import { BundleSubmitter } from "../../../../keeper/submit/bundle-submitter";
import { bundleBroadcaster } from "../../../../keeper/execution/bundle-broadcaster";
import { SandboxMarketHandle } from "../../../../keeper/scenarios/sandbox-market-handle";
import { deployKeeperExecutor, openSandboxKeeperSession, openScratchRun, type ScratchRun } from "../../../shared/keeper-harness";
import { LocalRelay } from "../../../shared/local-relay";
import { startLocalNode, type LocalNode } from "../../../shared/local-node";

describe("execution: the bundle-relay path", function () {
  this.timeout(300_000);
  let scratch: ScratchRun;
  let node: LocalNode;
  let relay: LocalRelay;

  before(async () => {
    scratch = await openScratchRun(hre, "chimera-bundle-");
    node = await startLocalNode(hre);
  });

  after(async () => {
    await relay?.stop();
    await node.close();
    await scratch.close();
  });

  it("offers each liquidation as a simulated, signed bundle; it lands in the next block; a bundle the relay sees revert is never sent", async () => {
    const sandbox = await buildSandbox(hre);
    const { operator, executor } = await deployKeeperExecutor(hre, sandbox);
    const authKey = Wallet.createRandom();
    const [first] = await openAaveBorrowers(hre, sandbox, {
      count: 1,
      seed: 61,
      collateral: "WETH",
      debt: "USDC",
      healthFactor: { min: 1.02, max: 1.02 },
      debtUsd: { min: 10_000, max: 10_000 },
    });
    const [second] = await openAaveBorrowers(hre, sandbox, {
      count: 1,
      seed: 62,
      collateral: "WETH",
      debt: "USDC",
      healthFactor: { min: 1.06, max: 1.06 },
      debtUsd: { min: 10_000, max: 10_000 },
    });
    const handle = new SandboxMarketHandle(hre, sandbox);
    await handle.prepare();
    relay = await LocalRelay.start({ upstreamUrl: node.url, allowedSearchers: [authKey.address] });
    const submitter = await BundleSubmitter.create({
      relayUrl: relay.url,
      authSigner: authKey,
      transactionSignerAddress: operator.address,
      provider: new JsonRpcProvider(node.url, node.chainId, { staticNetwork: true }),
      chainId: node.chainId,
    });
    let spoil = false;
    const session = await openSandboxKeeperSession(
      hre,
      { sandbox, executor, operator, journalPath: scratch.journalPath },
      {
        broadcaster: bundleBroadcaster({ submitter, chain: hre.ethers.provider, maxGasFeesWei: 10n ** 17n }),
        knownSecrets: [operator.privateKey, authKey.privateKey],
        hooks: {
          // For the second liquidation only: after our own simulation passed and the transaction is
          // signed, the pools move against it, so the relay's simulation of the bundle reverts.
          afterSigned: async () => {
            if (spoil) await handle.movePoolsOnly([{ symbol: "WETH", usd: (await handle.priceOf("WETH")) * 0.6 }]);
          },
        },
      },
    );
    // The relay double simulates a bundle by executing it with automine on (and lands it itself), so
    // the chain automines while the keeper ticks; the handle's price steps still come one block each.
    const automine = (on: boolean) => hre.network.provider.send("evm_setAutomine", [on]);
    try {
      const { engine } = session;
      await engine.start();

      const priceBlock = await handle.movePrices([{ symbol: "WETH", usd: (await handle.priceOf("WETH")) * 0.97 }]);
      await automine(true);
      const sent = await engine.tick();
      expect(
        sent!.decisions.map((d) => d.execution?.status),
        JSON.stringify(
          sent!.decisions.map((d) => d.execution),
          (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v),
        ),
      ).to.deep.equal(["sent"]);
      expect(relay.requests.map((r) => r.method)).to.deep.equal(["eth_callBundle", "eth_sendBundle"]);
      expect(
        relay.requests.every((r) => r.signer === authKey.address),
        "every relay request signed by the auth key",
      ).to.equal(true);
      expect(relay.bundles.map((b) => [b.fate, b.targetBlock])).to.deep.equal([["landed", priceBlock + 1]]);
      // The relay built the block as the bundle arrived, so the same tick's bookkeeping already saw the receipt.
      const included = [...sent!.settlement.included, ...((await engine.tick())?.settlement.included ?? [])];
      expect(included.map((i) => i.blockNumber)).to.deep.equal([priceBlock + 1]);
      expect(session.journal.getExecution(included[0]!.planId)!.borrower.toLowerCase()).to.equal(first!.address.toLowerCase());

      spoil = true;
      const nonceBefore = await hre.ethers.provider.getTransactionCount(operator.address, "latest");
      await automine(false);
      await handle.movePrices([{ symbol: "WETH", usd: (await handle.priceOf("WETH")) * 0.96 }]);
      await automine(true);
      const refused = await engine.tick();
      const attempt = refused!.decisions.find((d) => d.decision.candidate.key.borrower.toLowerCase() === second!.address.toLowerCase());
      expect(attempt?.execution?.status).to.equal("not-sent");
      expect(relay.requests.map((r) => r.method).slice(2)).to.deep.equal(["eth_callBundle"]);
      expect(relay.bundles).to.have.length(1);
      expect(await hre.ethers.provider.getTransactionCount(operator.address, "latest")).to.equal(nonceBefore);
      const execution = session.journal.getExecution(attempt!.execution!.planId)!;
      expect(execution.state).to.equal("dropped");
      expect(execution.error).to.match(/bundle-simulation-reverted/);
    } finally {
      await session.close("test finished");
      await handle.release();
    }
  });
});
