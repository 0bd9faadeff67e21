/**
 * The whole keeper (the engine `npx hardhat keeper` runs: collectors, Moonwell plug-in, strategy, simulation,
 * signing, sending, settling, journal, metrics) liquidating a Moonwell position through an OEV wrapper.
 *
 * Chain: the sandbox (genuine Uniswap V3, Balancer V2 bytecode) plus the Moonwell market doubles and
 * MoonwellOevWrapperDouble (contracts/test/: TEST DOUBLES written from Moonwell's documented behaviour; Moonwell ships
 * no bytecode on npm, so no genuine Moonwell bytecode exists to run here: the fork test covers the deployed contracts).
 * The WETH feed Moonwell's oracle reads is the wrapper, delaying the sandbox's WETH Chainlink feed by an hour (longer
 * than any tick on a loaded machine; the wrapper's own tests cover the 10 s delay by time travel).
 *
 * What it proves: the keeper starts on a market where nothing is hidden, WETH then falls 5% on the feed (the wrapper
 * hides the round), and at its next tick the keeper liquidates the borrower through the wrapper, inside the hidden
 * window (the comptroller still reports no shortfall at that block), with the executor receiving exactly the
 * liquidator's share the keeper predicted; the journal, the run metrics and the report label it path "oev". A second,
 * smaller borrower behind the same round goes in the same transaction: the first unlock makes the round public.
 */
import hre from "hardhat";
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ChimeraExecutor__factory, MoonwellOevWrapperDouble__factory, type MoonwellOevWrapperDouble } from "../../../../typechain-types";
import type { Address, AddressBook } from "../../../../keeper/config/address-book";
import type { LiquidationPlan } from "../../../../keeper/core/types";
import { loadKeeperConfig } from "../../../../keeper/config/load";
import { hardhatAccountWallet } from "../../../../keeper/run/hardhat-accounts";
import { setPrice } from "../../../../sandbox";
import { ProtocolKind } from "../../contracts/helpers/plans";
import { currentUsdPrice } from "../../contracts/helpers/positions";
import { venueFixture, type VenueFixture } from "../../contracts/helpers/venues";
import { makeScratchDirectory, openSandboxKeeperSession } from "../../../shared/keeper-harness";
import fs from "node:fs";
import path from "node:path";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

const ROUND_DELAY = 3_600n;
/** An account no other suite uses, made an operator of the fixture's executor. */
const KEEPER_OPERATOR_INDEX = 16;
const KEEPER_OPERATOR_ADDRESS = () => hardhatAccountWallet(hre, KEEPER_OPERATOR_INDEX).address;
const executorInterface = ChimeraExecutor__factory.createInterface();

interface OevRunFixture extends VenueFixture {
  readonly wrapper: MoonwellOevWrapperDouble;
  readonly borrower: HardhatEthersSigner;
  /** A smaller borrower behind the same wrapper round (ranked after `borrower`). */
  readonly secondBorrower: HardhatEthersSigner;
}

/** The venue fixture's Moonwell doubles with WETH behind the wrapper (nothing hidden yet) and a borrower at HF 1.03. */
async function oevRunFixture(): Promise<OevRunFixture> {
  const base = await loadFixture(venueFixture);
  const { sandbox, executor, owner, oracle, comptroller, mUSDC, mWETH } = base;
  const { deployer, tokens } = sandbox;
  const signers = await hre.ethers.getSigners();
  const borrower = signers[17];
  const wrapper = await new MoonwellOevWrapperDouble__factory(deployer).deploy(
    sandbox.priceFeeds.WETH,
    oracle,
    signers[18].address,
    4_000n,
    ROUND_DELAY,
    5n,
  );
  await (await oracle.setFeed("WETH", wrapper)).wait();
  await (await executor.connect(owner).setAllowedTargets([await wrapper.getAddress()], true)).wait();
  // The keeper signs with its own operator key: the sandbox e2e suites after this one count account 2's nonce from 0.
  await (await executor.connect(owner).setOperator(KEEPER_OPERATOR_ADDRESS(), true)).wait();
  // Two borrowers at HF 1.03 ($20k and $12k of USDC against WETH): a 5% WETH drop takes both under.
  const secondBorrower = signers[19];
  for (const [account, debtUsd] of [
    [borrower, 20_000],
    [secondBorrower, 12_000],
  ] as const) {
    const collateral = hre.ethers.parseEther(((debtUsd * 1.03) / 0.8 / (await currentUsdPrice(sandbox, "WETH"))).toFixed(18));
    await (await tokens.WETH.connect(account).deposit({ value: collateral })).wait();
    await (await tokens.WETH.connect(account).approve(mWETH, collateral)).wait();
    await (await mWETH.connect(account).mint(collateral)).wait();
    await (await comptroller.connect(account).enterMarkets([await mWETH.getAddress()])).wait();
    await (await mUSDC.connect(account).borrow(BigInt(debtUsd) * 10n ** 6n)).wait();
  }
  return { ...base, wrapper, borrower, secondBorrower };
}

describe("keeper e2e: a Moonwell liquidation through the OEV wrapper", function () {
  this.timeout(120_000);

  /** The keeper engine on the fixture's chain, recording every plan it simulates. */
  async function openSession(f: OevRunFixture) {
    const scratch = makeScratchDirectory("chimera-oev-e2e-");
    const operator = hardhatAccountWallet(hre, KEEPER_OPERATOR_INDEX);
    const executor = (await f.executor.getAddress()) as Address;
    const book: AddressBook = {
      ...f.sandbox.book,
      moonwell: {
        label: "sandbox-doubles",
        comptroller: (await f.comptroller.getAddress()) as Address,
        oracle: (await f.oracle.getAddress()) as Address,
        markets: { USDC: (await f.mUSDC.getAddress()) as Address, WETH: (await f.mWETH.getAddress()) as Address },
        deployBlock: 0,
      },
    };
    const file = path.join(scratch.path, "keeper.json");
    fs.writeFileSync(file, JSON.stringify({ mode: "LIVE", markets: { moonwell: { enabled: true } } }));
    const planned: LiquidationPlan[] = [];
    const session = await openSandboxKeeperSession(
      hre,
      { sandbox: f.sandbox, executor, operator, journalPath: path.join(scratch.path, "journal.sqlite") },
      {
        config: loadKeeperConfig({ network: "hardhat", file, env: {} }),
        book,
        hooks: { beforeSimulate: (plan) => void planned.push(plan) },
      },
    );
    return { session, planned, scratch, executor };
  }

  it("liquidates through the wrapper at the tick after the price step, inside the hidden window, receiving the predicted share", async function () {
    const f = await loadFixture(oevRunFixture);
    const { session, planned, scratch, executor } = await openSession(f);
    try {
      await session.engine.start();
      await session.engine.tick(); // settles whatever start-up sent (the venue fixture's plain-path borrower)
      const borrower = f.borrower.address.toLowerCase();
      expect(
        planned.some((p) => p.candidate.key.borrower === borrower),
        "nothing to do before the step",
      ).to.equal(false);

      // The price step: WETH -5% on its Chainlink feed (pools follow). The wrapper hides the new round.
      await setPrice(hre, f.sandbox, "WETH", (await currentUsdPrice(f.sandbox, "WETH")) * 0.95, { movePools: true });
      const round = await f.sandbox.priceFeeds.WETH.latestRoundData();
      const stepHead = await hre.ethers.provider.getBlockNumber();
      await session.engine.tick();
      await session.engine.tick(); // settles the receipt

      const plan = planned.find((p) => p.candidate.key.borrower === borrower);
      expect(plan, "a plan for the borrower").to.not.equal(undefined);
      expect(plan!.candidate.call!.shape).to.equal("MoonwellOev");
      expect(plan!.candidate.call!.oevWrapper).to.equal((await f.wrapper.getAddress()).toLowerCase());

      const logs = await hre.ethers.provider.getLogs({
        address: executor,
        topics: [executorInterface.getEvent("Liquidated").topicHash],
        fromBlock: stepHead + 1,
      });
      const liquidated = logs
        .map((log) => ({ log, event: executorInterface.parseLog(log)! }))
        .filter((l) => l.event.args.borrower.toLowerCase() === borrower);
      expect(liquidated, "one liquidation of the borrower").to.have.length(1);
      const { log, event } = liquidated[0];
      expect(log.blockNumber, "landed in the block after the step").to.equal(stepHead + 1);
      expect(event.args.protocol).to.equal(BigInt(ProtocolKind.MoonwellOev));
      expect(event.args.collateralSeized, "the executor received the predicted share").to.equal(plan!.candidate.expectedCollateral);
      const receipt = (await hre.ethers.provider.getTransactionReceipt(log.transactionHash))!;
      const wrapperAddress = (await f.wrapper.getAddress()).toLowerCase();
      const paid = receipt.logs
        .filter((l) => l.address.toLowerCase() === wrapperAddress)
        .map((l) => f.wrapper.interface.parseLog(l)!)
        .find((e) => e.name === "PriceUpdatedEarlyAndLiquidated")!;
      expect(paid.args.liquidatorFee).to.equal(event.args.collateralSeized);
      const block = (await hre.ethers.provider.getBlock(log.blockNumber))!;
      expect(BigInt(block.timestamp), "inside the hidden window").to.be.lessThan(round.updatedAt + ROUND_DELAY);

      // The second borrower depends on the same round: the first liquidation through the wrapper makes it public, and a
      // rival acting on public prices needs only the next block. So it went out with the first (one reaction chunk,
      // one liquidateBatch), not in a later transaction (docs/oev.md, "the quick-start race").
      const second = f.secondBorrower.address.toLowerCase();
      const secondLogs = logs.filter((l) => executorInterface.parseLog(l)!.args.borrower.toLowerCase() === second);
      expect(secondLogs, "one liquidation of the second borrower").to.have.length(1);
      expect(secondLogs[0].blockNumber, "in the block that unlocked the round").to.equal(log.blockNumber);
      expect(secondLogs[0].transactionHash, "in the transaction that unlocked the round").to.equal(log.transactionHash);

      const opportunity = session.journal.listOpportunities({}).find((o) => o.planId === plan!.id)!;
      expect(opportunity.sizingRule).to.match(/^moonwell-oev\(liquidator 40% of bonus\)/);
      expect(session.journal.getExecution(plan!.id)!.state).to.equal("included");
      const metrics = await session.metrics.metricsText();
      // One transaction won (the batch of both borrowers).
      expect(metrics).to.match(/liquidations_total\{[^}]*path="oev",result="won"[^}]*\} 1/);
    } finally {
      await session.close("test finished");
      scratch.remove();
    }
  });
  it("finds a round already hidden when it starts and liquidates both borrowers through the wrapper in one transaction", async function () {
    const f = await loadFixture(oevRunFixture);
    await setPrice(hre, f.sandbox, "WETH", (await currentUsdPrice(f.sandbox, "WETH")) * 0.95, { movePools: true });
    const round = await f.sandbox.priceFeeds.WETH.latestRoundData();
    expect(await f.wrapper.cachedRoundId(), "hidden before the keeper starts").to.not.equal(round.roundId);
    const startHead = await hre.ethers.provider.getBlockNumber();
    const { session, planned, scratch, executor } = await openSession(f);
    try {
      await session.engine.start(); // its first read finds the hidden round; the start-up reaction plans through the wrapper
      await session.engine.tick();
      const ours = [f.borrower, f.secondBorrower].map((b) => b.address.toLowerCase());
      const logs = (
        await hre.ethers.provider.getLogs({
          address: executor,
          topics: [executorInterface.getEvent("Liquidated").topicHash],
          fromBlock: startHead + 1,
        })
      )
        .map((log) => ({ log, event: executorInterface.parseLog(log)! }))
        .filter((l) => ours.includes(l.event.args.borrower.toLowerCase()));
      expect(logs.map((l) => l.event.args.borrower.toLowerCase()).sort()).to.deep.equal([...ours].sort());
      for (const { event } of logs) expect(event.args.protocol).to.equal(BigInt(ProtocolKind.MoonwellOev));
      expect(logs[0]!.log.transactionHash, "one transaction: the first unlock makes the round public").to.equal(
        logs[1]!.log.transactionHash,
      );
      const block = (await hre.ethers.provider.getBlock(logs[0]!.log.blockNumber))!;
      expect(BigInt(block.timestamp), "inside the hidden window").to.be.lessThan(round.updatedAt + ROUND_DELAY);
      expect(
        planned.filter((p) => ours.includes(p.candidate.key.borrower)).every((p) => p.candidate.call?.shape === "MoonwellOev"),
      ).to.equal(true);
    } finally {
      await session.close("test finished");
      scratch.remove();
    }
  });
});
