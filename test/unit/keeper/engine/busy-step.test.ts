/**
 * A busy step on the sandbox (genuine Aave V3 and Uniswap V3 bytecode; the step-locked driver, so the outcome is
 * deterministic): one price update pushes a cluster of positions below HF 1 at once. The keeper ranks them, sends
 * the first one ALONE (it leaves before the rest are sized), simulates each later chunk's plans together (all calls in flight at once), and
 * sends plans sharing a flash loan as ONE liquidateBatch when that beats sending them one by one — checked on chain:
 * every position is liquidated, the first by `liquidate`, the rest by `liquidateBatch` transactions carrying several
 * positions each, whose gas is below what the same liquidations cost one by one.
 */
import hre from "hardhat";
import { expect } from "chai";
import { ChimeraExecutor__factory } from "../../../../typechain-types";
import { buildSandbox, openAaveBorrowers, type OpenedBorrower } from "../../../../sandbox";
import { SandboxMarketHandle } from "../../../../keeper/scenarios/sandbox-market-handle";
import type { KeeperSession } from "../../../../keeper/run/keeper-session";
import { deployKeeperExecutor, openSandboxKeeperSession, openScratchRun, type ScratchRun } from "../../../shared/keeper-harness";

const executorInterface = ChimeraExecutor__factory.createInterface();

describe("keeper: a busy step fits in a block (first alone, the rest simulated together and batched where it pays)", function () {
  this.timeout(600_000);
  let scratch: ScratchRun;
  let session: KeeperSession;
  let handle: SandboxMarketHandle;
  let borrowers: OpenedBorrower[];
  let executor: string;

  before(async () => {
    scratch = await openScratchRun(hre, "chimera-busy-");
    const sandbox = await buildSandbox(hre);
    const roles = await deployKeeperExecutor(hre, sandbox);
    executor = roles.executor;
    borrowers = await openAaveBorrowers(hre, sandbox, {
      count: 9,
      seed: 3_131,
      collateral: "WETH",
      debt: "USDC",
      healthFactor: { min: 1.02, max: 1.025 },
      debtUsd: { min: 5_000, max: 15_000 },
    });
    handle = new SandboxMarketHandle(hre, sandbox);
    await handle.prepare();
    session = await openSandboxKeeperSession(hre, {
      sandbox,
      executor: roles.executor,
      operator: roles.operator,
      journalPath: scratch.journalPath,
    });
    await session.engine.start();
  });

  after(async () => {
    await session?.close("test finished");
    await handle?.release();
    await scratch?.close();
  });

  it("liquidates every position of the step: the first alone, the rest in liquidateBatch transactions that use less gas", async () => {
    const priceBlock = await handle.movePrices([{ symbol: "WETH", usd: (await handle.priceOf("WETH")) * 0.96 }]);
    const reaction = await session.engine.tick();
    const sent = (reaction?.decisions ?? []).filter((d) => d.execution?.status === "sent");
    expect(sent.length, "every position decided and sent").to.equal(borrowers.length);
    await handle.mine();
    await session.engine.tick();

    const block = await hre.ethers.provider.getBlock(priceBlock + 1, true);
    const ours = block!.prefetchedTransactions.filter((tx) => tx.to?.toLowerCase() === executor.toLowerCase());
    const kinds = ours.map((tx) => executorInterface.parseTransaction({ data: tx.data })!.name);
    expect(kinds[0], "the first liquidation leaves alone").to.equal("liquidate");
    expect(kinds.filter((kind) => kind === "liquidateBatch").length, "the rest share transactions").to.be.greaterThan(0);

    const liquidated = new Map<string, { tx: string; gasUsed: bigint; kind: string }>();
    for (const tx of ours) {
      const receipt = (await hre.ethers.provider.getTransactionReceipt(tx.hash))!;
      expect(receipt.status).to.equal(1);
      for (const log of receipt.logs) {
        const parsed = (() => {
          try {
            return executorInterface.parseLog(log);
          } catch {
            return null;
          }
        })();
        if (parsed?.name === "Liquidated") {
          liquidated.set(String(parsed.args.borrower).toLowerCase(), {
            tx: tx.hash,
            gasUsed: receipt.gasUsed,
            kind: executorInterface.parseTransaction({ data: tx.data })!.name,
          });
        }
      }
    }
    expect([...liquidated.keys()].sort()).to.deep.equal(borrowers.map((b) => b.address.toLowerCase()).sort());
    // Batching pays: a batch's gas per position is below the single liquidation's.
    const single = [...liquidated.values()].find((l) => l.kind === "liquidate")!;
    const batchTxs = new Map<string, { gasUsed: bigint; positions: number }>();
    for (const l of liquidated.values()) {
      if (l.kind !== "liquidateBatch") continue;
      const entry = batchTxs.get(l.tx) ?? { gasUsed: l.gasUsed, positions: 0 };
      entry.positions += 1;
      batchTxs.set(l.tx, entry);
    }
    for (const batch of batchTxs.values()) {
      expect(batch.positions).to.be.at.least(2);
      expect(batch.gasUsed / BigInt(batch.positions)).to.be.lessThan(single.gasUsed);
    }
    // The journal and the engine count positions, not transactions.
    expect(session.engine.totals.included).to.equal(borrowers.length);
  });
});
