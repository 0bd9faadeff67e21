/**
 * The whole keeper (the engine `npx hardhat keeper` runs) liquidating a Morpho Blue position through Moonwell's
 * Morpho-market OEV wrapper, in the block after a price round the wrapper hides, and the plain way once the round is
 * public.
 *
 * Chain: the sandbox's genuine Morpho Blue, Uniswap V3 and Balancer V2 bytecode, plus a WETH/USDC market whose
 * oracle (MorphoChainlinkOracleDouble) reads WETH through MoonwellOevMorphoWrapperDouble (TEST DOUBLES written from
 * Moonwell's and Morpho's documented behaviour, sandbox/moonwell-morpho-oev-market.ts: neither ships bytecode on npm).
 * The wrapper delays the sandbox's WETH feed by an hour (longer than any tick on a loaded machine) and the executor's
 * owner allowlists the wrapper and the market id.
 */
import hre from "hardhat";
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import fs from "node:fs";
import path from "node:path";
import { ChimeraExecutor__factory } from "../../../../typechain-types";
import type { Address, AddressBook } from "../../../../keeper/config/address-book";
import type { LiquidationPlan } from "../../../../keeper/core/types";
import { loadKeeperConfig } from "../../../../keeper/config/load";
import { hardhatAccountWallet } from "../../../../keeper/run/hardhat-accounts";
import { addMoonwellMorphoOevMarket, openMorphoOevBorrower, type SandboxMorphoOevMarket } from "../../../../sandbox";
import { executorFixture, type ExecutorFixture } from "../../../shared/executor-fixture";
import { makeScratchDirectory, openSandboxKeeperSession } from "../../../shared/keeper-harness";
import { ProtocolKind } from "../../contracts/helpers/plans";
import { dropPrice } from "../../contracts/helpers/positions";

const ROUND_DELAY = 3_600n;
/** An account no other suite uses as a keeper operator. */
const KEEPER_OPERATOR_INDEX = 15;
const executorInterface = ChimeraExecutor__factory.createInterface();

interface MorphoOevRunFixture extends ExecutorFixture {
  readonly oev: SandboxMorphoOevMarket;
  readonly borrowers: readonly HardhatEthersSigner[];
}

/** The market behind the wrapper (nothing hidden yet), two borrowers at 95% of the LLTV, wrapper and market allowlisted. */
async function morphoOevRunFixture(): Promise<MorphoOevRunFixture> {
  const base = await loadFixture(executorFixture);
  const { sandbox, executor, owner } = base;
  const signers = await hre.ethers.getSigners();
  const oev = await addMoonwellMorphoOevMarket(hre, sandbox, { roundDelaySeconds: ROUND_DELAY });
  const borrowers = [signers[11]!, signers[12]!];
  await openMorphoOevBorrower(hre, sandbox, oev, borrowers[0]!, { collateralEth: "8", ltvOfLltv: 0.95 });
  await openMorphoOevBorrower(hre, sandbox, oev, borrowers[1]!, { collateralEth: "5", ltvOfLltv: 0.95 });
  const morpho = await sandbox.morpho.morpho.getAddress();
  await (await executor.connect(owner).setAllowedTarget(await oev.wrapper.getAddress(), true)).wait();
  await (await executor.connect(owner).setAllowedMarkets([{ host: morpho, marketId: oev.marketId }], true)).wait();
  await (await executor.connect(owner).setOperator(hardhatAccountWallet(hre, KEEPER_OPERATOR_INDEX).address, true)).wait();
  return { ...base, oev, borrowers };
}

describe("keeper e2e: a Morpho Blue liquidation through Moonwell's Morpho OEV wrapper", function () {
  this.timeout(180_000);

  async function session(f: MorphoOevRunFixture) {
    const scratch = makeScratchDirectory("chimera-morpho-oev-e2e-");
    const morphoBlue = f.sandbox.book.morphoBlue!;
    const book: AddressBook = { ...f.sandbox.book, morphoBlue: { ...morphoBlue, markets: [...morphoBlue.markets, f.oev.params] } };
    const file = path.join(scratch.path, "keeper.json");
    fs.writeFileSync(file, JSON.stringify({ mode: "LIVE" }));
    const planned: LiquidationPlan[] = [];
    const opened = await openSandboxKeeperSession(
      hre,
      {
        sandbox: f.sandbox,
        executor: (await f.executor.getAddress()) as Address,
        operator: hardhatAccountWallet(hre, KEEPER_OPERATOR_INDEX),
        journalPath: path.join(scratch.path, "journal.sqlite"),
      },
      {
        config: loadKeeperConfig({ network: "hardhat", file, env: {} }),
        book,
        hooks: { beforeSimulate: (plan) => void planned.push(plan) },
      },
    );
    return { opened, planned, scratch };
  }

  async function liquidatedLogs(executor: string, fromBlock: number) {
    const logs = await hre.ethers.provider.getLogs({
      address: executor,
      topics: [executorInterface.getEvent("Liquidated").topicHash],
      fromBlock,
    });
    return logs.map((log) => ({ log, event: executorInterface.parseLog(log)! }));
  }

  it("liquidates both borrowers through the wrapper in the block after the hidden round, receiving the liquidator's share", async function () {
    const f = await loadFixture(morphoOevRunFixture);
    const { opened, planned, scratch } = await session(f);
    try {
      await opened.engine.start();
      await opened.engine.tick();
      await dropPrice(f.sandbox, "WETH", 0.1);
      const round = await f.sandbox.priceFeeds.WETH!.latestRoundData();
      const stepHead = await hre.ethers.provider.getBlockNumber();
      // The market still shows the old price: a plain liquidation would be refused ("position is healthy").
      expect(await f.oev.wrapper.cachedRoundId()).to.not.equal(round.roundId);
      await opened.engine.tick();
      await opened.engine.tick(); // settles the receipt

      const ours = planned.filter((p) => p.candidate.call?.shape === "MoonwellMorphoOev");
      expect(ours.map((p) => p.candidate.key.borrower).sort()).to.deep.equal(f.borrowers.map((b) => b.address.toLowerCase()).sort());
      const liquidated = await liquidatedLogs(await f.executor.getAddress(), stepHead + 1);
      expect(liquidated, "both borrowers liquidated").to.have.length(2);
      for (const { log, event } of liquidated) {
        expect(event.args.protocol).to.equal(BigInt(ProtocolKind.MoonwellMorphoOev));
        expect(log.blockNumber, "in the block after the step").to.equal(stepHead + 1);
        const plan = ours.find((p) => p.candidate.key.borrower === event.args.borrower.toLowerCase())!;
        // The wrapper prices its split with the feeds' answers, the keeper with the oracle's formula: within 0.01%.
        const predicted = plan.candidate.expectedCollateral;
        expect(event.args.collateralSeized).to.be.closeTo(predicted, predicted / 10_000n + 1n);
        expect(plan.candidate.sizingRule).to.match(/^moonwell-oev-morpho\(liquidator 40% of bonus\)/);
      }
      expect(liquidated[0]!.log.transactionHash, "one transaction: the first unlock makes the round public").to.equal(
        liquidated[1]!.log.transactionHash,
      );
      const block = (await hre.ethers.provider.getBlock(stepHead + 1))!;
      expect(BigInt(block.timestamp), "inside the hidden window").to.be.lessThan(round.updatedAt + ROUND_DELAY);
      expect(await f.oev.wrapper.cachedRoundId(), "the keeper's call unlocked the round").to.equal(round.roundId);
      const metrics = await opened.metrics.metricsText();
      expect(metrics).to.match(/liquidations_total\{[^}]*path="oev",result="won"[^}]*\} 1/);
    } finally {
      await opened.close("test finished");
      scratch.remove();
    }
  });

  it("finds a round already hidden when it starts and liquidates both borrowers through the wrapper", async function () {
    const f = await loadFixture(morphoOevRunFixture);
    await dropPrice(f.sandbox, "WETH", 0.1);
    const round = await f.sandbox.priceFeeds.WETH!.latestRoundData();
    expect(await f.oev.wrapper.cachedRoundId(), "hidden before the keeper starts").to.not.equal(round.roundId);
    const startHead = await hre.ethers.provider.getBlockNumber();
    const { opened, planned, scratch } = await session(f);
    try {
      await opened.engine.start(); // its first read finds the hidden round; the start-up reaction plans through the wrapper
      await opened.engine.tick();
      const liquidated = await liquidatedLogs(await f.executor.getAddress(), startHead + 1);
      expect(liquidated.map((l) => l.event.args.borrower.toLowerCase()).sort()).to.deep.equal(
        f.borrowers.map((b) => b.address.toLowerCase()).sort(),
      );
      // Each liquidation (block, transaction, borrower, protocol) and each plan simulated, for a failure's message.
      const seen = JSON.stringify({
        liquidated: liquidated.map((l) => [l.log.blockNumber, l.log.transactionHash, l.event.args.borrower, Number(l.event.args.protocol)]),
        planned: planned.map((p) => [p.id, p.candidate.call?.shape]),
      });
      for (const { event } of liquidated) expect(event.args.protocol, seen).to.equal(BigInt(ProtocolKind.MoonwellMorphoOev));
      expect(planned.every((p) => p.candidate.call?.shape === "MoonwellMorphoOev")).to.equal(true);
    } finally {
      await opened.close("test finished");
      scratch.remove();
    }
  });

  it("sizes Morpho Blue's own call for a round whose log it processes only after the delay made the round public", async function () {
    const f = await loadFixture(morphoOevRunFixture);
    const { opened, planned, scratch } = await session(f);
    try {
      await opened.engine.start();
      await opened.engine.tick();
      await dropPrice(f.sandbox, "WETH", 0.1);
      // The keeper is busy for the whole delay: the round's log is processed once the wrapper shows the round itself.
      await time.increase(ROUND_DELAY);
      const publicHead = await hre.ethers.provider.getBlockNumber();
      await opened.engine.tick();
      await opened.engine.tick();
      const liquidated = await liquidatedLogs(await f.executor.getAddress(), publicHead);
      expect(liquidated, "both borrowers liquidated").to.have.length(2);
      for (const { event } of liquidated) expect(event.args.protocol, "the plain call").to.equal(BigInt(ProtocolKind.MorphoBlue));
      expect(
        planned.some((p) => p.candidate.call?.shape === "MoonwellMorphoOev"),
        "never through the wrapper: its share would go to the protocol for a public price",
      ).to.equal(false);
    } finally {
      await opened.close("test finished");
      scratch.remove();
    }
  });

  it("falls back to Morpho Blue's own call once the round is public, when the wrapper could not be used meanwhile", async function () {
    const f = await loadFixture(morphoOevRunFixture);
    // The owner has not allowlisted the wrapper: every plan through it fails simulation (TargetNotAllowed), sends nothing.
    await (await f.executor.connect(f.owner).setAllowedTarget(await f.oev.wrapper.getAddress(), false)).wait();
    const { opened, planned, scratch } = await session(f);
    try {
      await opened.engine.start();
      await opened.engine.tick();
      await dropPrice(f.sandbox, "WETH", 0.1);
      const stepHead = await hre.ethers.provider.getBlockNumber();
      await opened.engine.tick();
      expect(
        planned.some((p) => p.candidate.call?.shape === "MoonwellMorphoOev"),
        "planned through the wrapper while hidden",
      ).to.equal(true);
      expect(await liquidatedLogs(await f.executor.getAddress(), stepHead + 1), "nothing sent while hidden").to.have.length(0);

      await time.increase(ROUND_DELAY);
      const publicHead = await hre.ethers.provider.getBlockNumber();
      planned.length = 0;
      await opened.engine.tick();
      await opened.engine.tick();
      const liquidated = await liquidatedLogs(await f.executor.getAddress(), publicHead + 1);
      expect(liquidated.map((l) => l.event.args.borrower.toLowerCase()).sort()).to.deep.equal(
        f.borrowers.map((b) => b.address.toLowerCase()).sort(),
      );
      for (const { event } of liquidated) expect(event.args.protocol).to.equal(BigInt(ProtocolKind.MorphoBlue));
      expect(
        planned.every((p) => p.candidate.call?.shape === "MorphoBlue"),
        "plain plans only once public",
      ).to.equal(true);
    } finally {
      await opened.close("test finished");
      scratch.remove();
    }
  });
});
