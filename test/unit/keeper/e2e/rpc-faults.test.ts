/**
 * The keeper reading and sending through real HTTP endpoints, one of which is broken: its reads fail
 * (HTTP 500) and its sends are acknowledged but never forwarded (test/shared/fault-proxy.ts, a test
 * double in front of the sandbox's node). The keeper must fail over for every read — discovery,
 * prices, quotes, simulation, receipts — and get its transaction in through the healthy send
 * endpoint, still in the block after the price update.
 */
import hre from "hardhat";
import { expect } from "chai";
import { buildSandbox } from "../../../../sandbox";
import { ReadProviderPool } from "../../../../keeper/rpc/read-provider-pool";
import { RawTxBroadcaster } from "../../../../keeper/submit/raw-tx-broadcaster";
import { FaultProxy } from "../../../shared/fault-proxy";
import { openOneBorrowerSetup, openSandboxKeeperSession, openScratchRun, type ScratchRun } from "../../../shared/keeper-harness";
import { startLocalNode, type LocalNode } from "../../../shared/local-node";

describe("keeper e2e: a broken RPC endpoint", function () {
  this.timeout(300_000);
  let scratch: ScratchRun;
  let node: LocalNode;
  let broken: FaultProxy;

  before(async () => {
    scratch = await openScratchRun(hre, "chimera-faults-");
    node = await startLocalNode(hre);
    broken = await FaultProxy.start({ upstreamUrl: node.url });
  });

  after(async () => {
    await broken.stop();
    await node.close();
    await scratch.close();
  });

  it("fails over every read and gets the liquidation in through the healthy send endpoint, in the next block", async () => {
    const sandbox = await buildSandbox(hre);
    const { operator, executor, borrower, handle } = await openOneBorrowerSetup(hre, sandbox, { seed: 71, debtUsd: 10_000 });

    broken.inject({ method: "eth_sendRawTransaction", fault: { kind: "drop-send" } });
    broken.inject({ fault: { kind: "http-status", status: 500 } });
    // The broken endpoint is listed first: before its first failure it is the preferred one.
    const pool = new ReadProviderPool({
      chainId: node.chainId,
      endpoints: [
        { url: broken.url, label: "broken" },
        { url: node.url, label: "healthy" },
      ],
      hedgeAfterMs: null,
    });
    const broadcaster = new RawTxBroadcaster({
      chainId: node.chainId,
      endpoints: [
        { url: broken.url, label: "broken-send" },
        { url: node.url, label: "healthy-send" },
      ],
      receipts: pool.provider,
    });
    const session = await openSandboxKeeperSession(
      hre,
      { sandbox, executor, operator, journalPath: scratch.journalPath },
      {
        chainId: node.chainId,
        provider: pool.provider,
        broadcaster,
        headLag: () => pool.health().map((h) => ({ endpoint: h.label, lagBlocks: h.headLagBlocks ?? 0 })),
      },
    );
    try {
      const { engine } = session;
      await engine.start();
      const priceBlock = await handle.movePrices([{ symbol: "WETH", usd: (await handle.priceOf("WETH")) * 0.97 }]);
      const reaction = await engine.tick();
      expect(reaction!.decisions.map((d) => d.execution?.status)).to.deep.equal(["sent"]);
      await handle.mine();
      const settled = await engine.tick();
      expect(settled!.settlement.included.map((i) => i.blockNumber)).to.deep.equal([priceBlock + 1]);
      expect(session.journal.getExecution(settled!.settlement.included[0]!.planId)!.borrower.toLowerCase()).to.equal(
        borrower.address.toLowerCase(),
      );

      // The broken endpoint really was asked, and really failed; the send it swallowed changed nothing.
      expect(broken.requests.filter((r) => r.fault === "http-status").length).to.be.greaterThan(0);
      expect(broken.droppedSends).to.have.length(1);
      expect(pool.health().find((h) => h.label === "broken")!.demoted).to.equal(true);
      const metrics = await session.metrics.metricsText();
      expect(metrics).to.match(/^rpc_head_lag_blocks\{endpoint="healthy"/m);
    } finally {
      await session.close("test finished");
      await handle.release();
      broadcaster.destroy();
      pool.destroy();
    }
  });
});
