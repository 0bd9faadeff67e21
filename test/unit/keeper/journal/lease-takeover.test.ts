/**
 * A standby that takes the leader lease over must go on to liquidate what is already liquidatable, even when
 * its takeover fails part-way. Taking over reads the chain (the key's nonce, open intents, the breaker's
 * conditions) before it reacts; on a loaded machine one of those reads can time out. The takeover is then
 * started again from the top on the next block; before, the engine counted itself leading after the failed
 * attempt and never reacted to the position the price step had already put under water (bench/failover.ts
 * saw standbys take over and not liquidate within 120 s).
 *
 * Two real keeper sessions in this process on one PostgreSQL journal (the run's embedded server), the sandbox's
 * genuine Aave market; the standby's node answers one nonce read with an error, as a node that timed out would.
 */
import hre from "hardhat";
import { expect } from "chai";
import { loadFixture, takeSnapshot } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersProvider } from "@nomicfoundation/hardhat-ethers/internal/hardhat-ethers-provider";
import type { KeeperSession } from "../../../../keeper/run/keeper-session";
import { ChimeraExecutor__factory } from "../../../../typechain-types";
import { openOneBorrowerSetup, openSandboxKeeperSession } from "../../../shared/keeper-harness";
import { postgresServer } from "../../../shared/postgres-server";
import { sandboxFixture } from "../../../shared/sandbox-fixture";

/** hre's provider, except that the next `failures` getTransactionCount calls fail. */
function providerFailingNonceReads(): { provider: HardhatEthersProvider; fail: (times: number) => void } {
  let failures = 0;
  const provider = new Proxy(hre.ethers.provider, {
    get(target, property) {
      if (property === "getTransactionCount" && failures > 0) {
        return async () => {
          failures -= 1;
          throw new Error("test: the node did not answer eth_getTransactionCount in time");
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { provider, fail: (times) => void (failures = times) };
}

async function isLeader(session: KeeperSession): Promise<boolean> {
  const metric = await session.metrics.registry.getSingleMetricAsString("keeper_is_leader");
  return / 1$/m.test(metric);
}

describe("leadership: a takeover that fails part-way", function () {
  this.timeout(300_000);

  it("is started again on the next block, and the new leader liquidates the position that was already under water", async () => {
    const sandbox = await loadFixture(sandboxFixture);
    // The operator's liquidation and nonce stay in this test: later files expect an operator that has sent nothing.
    const untouched = await takeSnapshot();
    const { operator, executor, borrower, handle } = await openOneBorrowerSetup(hre, sandbox, { seed: 961, debtUsd: 10_000 });
    const journalPath = await (await postgresServer()).createDatabase("takeover");
    const inputs = { sandbox, executor, operator, journalPath };
    const standbyNode = providerFailingNonceReads();
    const executorInterface = ChimeraExecutor__factory.createInterface();
    const liquidations = async () =>
      (
        await hre.ethers.provider.getLogs({ address: executor, topics: [executorInterface.getEvent("Liquidated").topicHash], fromBlock: 0 })
      ).filter((log) => executorInterface.parseLog(log)!.args.borrower.toLowerCase() === borrower.address.toLowerCase()).length;

    const leader = await openSandboxKeeperSession(hre, inputs);
    let standby: KeeperSession | null = null;
    try {
      await leader.engine.start();
      standby = await openSandboxKeeperSession(hre, inputs, { provider: standbyNode.provider as never });
      await standby.engine.start();
      expect(await isLeader(leader)).to.equal(true);
      expect(await isLeader(standby)).to.equal(false);

      // The price step, seen by the standby alone: the position is under water in its memory, and it may not send.
      await handle.movePrices([{ symbol: "WETH", usd: (await handle.priceOf("WETH")) * 0.97 }]);
      await standby.engine.tick();
      expect(await liquidations()).to.equal(0);

      await leader.close("test: the leader stops and hands the lease back");
      for (let wait = 0; wait < 100 && !(await isLeader(standby)); wait++) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await isLeader(standby), "the standby holds the lease").to.equal(true);

      standbyNode.fail(1);
      let failure: unknown = null;
      await standby.engine.tick().catch((error: unknown) => (failure = error));
      expect(String(failure), "the takeover failed part-way, reading the key's nonce").to.contain("eth_getTransactionCount");
      expect((standby.engine.status().leadership as { role: string }).role, "not leading after a failed takeover").to.equal("standby");

      for (let block = 0; block < 5 && (await liquidations()) === 0; block++) {
        await handle.mine();
        await standby.engine.tick();
      }
      expect(await liquidations(), "liquidated once by the new leader").to.equal(1);
      expect((standby.engine.status().leadership as { role: string }).role).to.equal("leader");
    } finally {
      await standby?.close("test finished");
      await leader.close("test finished").catch(() => undefined);
      await handle.release();
      await untouched.restore();
    }
  });
});
