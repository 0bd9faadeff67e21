/**
 * A keeper alone on its SQLite journal (no shared database, so no lease fence) still refuses to send a plan whose
 * deadline block has passed by the time it is signed: it could only revert PlanExpired and burn gas. Before, only
 * keepers sharing a Postgres journal had the send fence; a single keeper relied on its simulation at `latest`, and
 * a machine too loaded to send within the plan's blocks sent anyway.
 *
 * The real keeper session on the sandbox's genuine Aave market; "too slow" is made by mining blocks between signing
 * and sending (the execution stage's afterSigned seam), as a stalled process would let the chain move on.
 */
import hre from "hardhat";
import { expect } from "chai";
import { loadFixture, takeSnapshot } from "@nomicfoundation/hardhat-network-helpers";
import { ChimeraExecutor__factory } from "../../../../typechain-types";
import { makeScratchDirectory, openOneBorrowerSetup, openSandboxKeeperSession } from "../../../shared/keeper-harness";
import { sandboxFixture } from "../../../shared/sandbox-fixture";

describe("submit: the deadline fence on a keeper alone on its SQLite journal", function () {
  this.timeout(300_000);

  it("records a plan signed past its deadline block as not sent, and sends nothing to the chain", async () => {
    const sandbox = await loadFixture(sandboxFixture);
    // The operator's nonce stays in this test: later files expect an operator that has sent nothing.
    const untouched = await takeSnapshot();
    const scratch = makeScratchDirectory("chimera-deadline-fence-");
    const { operator, executor, handle } = await openOneBorrowerSetup(hre, sandbox, { seed: 977, debtUsd: 10_000 });
    let stalled = 0;
    const session = await openSandboxKeeperSession(
      hre,
      { sandbox, executor, operator, journalPath: `${scratch.path}/journal.sqlite` },
      {
        hooks: {
          // The process stalls between signing and sending while the chain moves on past the plan's deadline.
          afterSigned: async () => {
            stalled += 1;
            await hre.network.provider.send("hardhat_mine", ["0x8"]);
          },
        },
      },
    );
    try {
      expect(session.journal.backend).to.equal("sqlite");
      await session.engine.start();
      await handle.movePrices([{ symbol: "WETH", usd: (await handle.priceOf("WETH")) * 0.97 }]);
      const report = await session.engine.tick();
      expect(stalled, "a plan was signed").to.be.greaterThan(0);
      const executions = (report?.decisions ?? []).map((decision) => decision.execution).filter((e) => e !== undefined);
      expect(executions.map((e) => e!.status)).to.include("not-sent");
      expect(executions.map((e) => e!.status)).to.not.include("sent");
      const journaled = session.journal.listExecutions();
      expect(journaled.map((e) => e.state)).to.include("dropped");
      expect(journaled.find((e) => e.state === "dropped")!.error).to.match(/could only revert PlanExpired/);

      await handle.mine();
      const executorInterface = ChimeraExecutor__factory.createInterface();
      const head = await hre.ethers.provider.getBlockNumber();
      const ours = [];
      for (let block = head - 12; block <= head; block++) {
        const txs = (await hre.ethers.provider.getBlock(block, true))?.prefetchedTransactions ?? [];
        ours.push(...txs.filter((tx) => tx.to?.toLowerCase() === executor.toLowerCase()));
      }
      expect(
        ours.map((tx) => executorInterface.parseTransaction({ data: tx.data })?.name),
        "nothing of ours reached the chain",
      ).to.deep.equal([]);
    } finally {
      await session.close("test finished");
      await handle.release();
      await untouched.restore();
      scratch.remove();
    }
  });
});
