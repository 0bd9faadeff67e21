/**
 * The keeper reading and sending through real HTTP endpoints, one of which is broken: its reads fail
 * (HTTP 500) and its sends are acknowledged but never forwarded (test/shared/fault-proxy.ts, a test
 * double in front of the sandbox's node). The keeper must fail over for every read — discovery,
 * prices, quotes, simulation, receipts — and get its transaction in through the healthy send
 * endpoint, still in the block after the price update.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import hre from "hardhat";
import { expect } from "chai";
import { buildSandbox } from "../../../../sandbox";
import { openAaveBorrowers } from "../../../../sandbox/borrowers";
import type { Address } from "../../../../keeper/config/address-book";
import { loadKeeperConfig } from "../../../../keeper/config/load";
import { ReadProviderPool } from "../../../../keeper/rpc/read-provider-pool";
import { RawTxBroadcaster } from "../../../../keeper/submit/raw-tx-broadcaster";
import { createLogger } from "../../../../keeper/telemetry/logger";
import { hardhatAccountWallet } from "../../../../keeper/run/hardhat-accounts";
import { openKeeperSession } from "../../../../keeper/run/keeper-session";
import { SandboxMarketHandle } from "../../../../keeper/scenarios/sandbox-market-handle";
import { deploySandboxExecutor } from "../../../../keeper/scenarios/sandbox-executor";
import { FaultProxy } from "../../../shared/fault-proxy";
import { snapshotChain, startLocalNode, type LocalNode } from "../../../shared/local-node";

describe("keeper e2e: a broken RPC endpoint", function () {
  this.timeout(300_000);
  let restore: () => Promise<void>;
  let node: LocalNode;
  let broken: FaultProxy;
  let directory: string;

  before(async () => {
    restore = await snapshotChain();
    node = await startLocalNode(hre);
    broken = await FaultProxy.start({ upstreamUrl: node.url });
    directory = fs.mkdtempSync(path.join(os.tmpdir(), "chimera-faults-"));
  });

  after(async () => {
    await broken.stop();
    await node.close();
    await restore();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it("fails over every read and gets the liquidation in through the healthy send endpoint, in the next block", async () => {
    const sandbox = await buildSandbox(hre);
    const signers = await hre.ethers.getSigners();
    const operator = hardhatAccountWallet(hre, 2);
    const executor = await deploySandboxExecutor(hre, sandbox, {
      owner: signers[1]!.address as Address,
      treasury: signers[3]!.address as Address,
      operator: operator.address as Address,
    });
    const [borrower] = await openAaveBorrowers(hre, sandbox, { count: 1, seed: 71, collateral: "WETH", debt: "USDC", healthFactor: { min: 1.02, max: 1.02 }, debtUsd: { min: 10_000, max: 10_000 } });
    const handle = new SandboxMarketHandle(hre, sandbox);
    await handle.prepare();

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
    const session = await openKeeperSession({
      config: loadKeeperConfig({ network: "hardhat", env: {} }),
      book: sandbox.book,
      chainId: node.chainId,
      executor,
      provider: pool.provider,
      signer: operator,
      broadcaster,
      journalPath: path.join(directory, "journal.sqlite"),
      logger: createLogger({ level: "silent" }),
      knownSecrets: [operator.privateKey],
      setting: () => undefined,
      oracleMode: "poll",
      liveViolations: () => [],
      port: 0,
      onPortBusy: "ephemeral",
      headLag: () => pool.health().map((h) => ({ endpoint: h.label, lagBlocks: h.headLagBlocks ?? 0 })),
    });
    try {
      const { engine } = session;
      await engine.start();
      const priceBlock = await handle.movePrices([{ symbol: "WETH", usd: (await handle.priceOf("WETH")) * 0.97 }]);
      const reaction = await engine.tick();
      expect(reaction!.decisions.map((d) => d.execution?.status)).to.deep.equal(["sent"]);
      await handle.mine();
      const settled = await engine.tick();
      expect(settled!.settlement.included.map((i) => i.blockNumber)).to.deep.equal([priceBlock + 1]);
      expect(session.journal.getExecution(settled!.settlement.included[0]!.planId)!.borrower.toLowerCase()).to.equal(borrower!.address.toLowerCase());

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
