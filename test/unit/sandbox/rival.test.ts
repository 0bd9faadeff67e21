/**
 * The rival liquidator (sandbox/rival/) on the clock-driven chain: it sees the same oracle update, liquidates with its
 * own key and inventory after its delay, bids its own priority fee, and stays quiet when told not to react. Test
 * double: AnswerUpdatedFeed over the sandbox's MockV3Aggregator feeds (the AnswerUpdated event real aggregators emit).
 */
import defaultRuntime from "hardhat";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { createClockedRuntime } from "../../../sandbox/clock/clocked-runtime";
import { expect } from "chai";
import { parseUnits } from "ethers";
import { buildSandbox, openAaveBorrowers, type OpenedBorrower, type Sandbox } from "../../../sandbox";
import { startClockedNode, type ClockedNode } from "../../../sandbox/clock";
import { positionsPricedBy, RivalLiquidator } from "../../../sandbox/rival";
import { hardhatAccountWallet } from "../../../keeper/run/hardhat-accounts";
import { ClockedMarketHandle } from "../../../keeper/scenarios/clocked-market-handle";
import { SandboxMarketHandle } from "../../../keeper/scenarios/sandbox-market-handle";

describe("sandbox rival: a competing liquidator on the clock", function () {
  this.timeout(300_000);
  /** The clocked chain: its own in-process chain, which may mine several blocks to a second. */
  let hre: HardhatRuntimeEnvironment;
  let sandbox: Sandbox;
  let node: ClockedNode;
  let rival: RivalLiquidator;
  let borrowers: OpenedBorrower[];
  let handle: ClockedMarketHandle;

  before(async () => {
    hre = await createClockedRuntime(defaultRuntime);
    sandbox = await buildSandbox(hre);
    borrowers = await openAaveBorrowers(hre, sandbox, {
      count: 2,
      seed: 4242,
      collateral: "WETH",
      debt: "USDC",
      healthFactor: { min: 1.02, max: 1.06 },
      debtUsd: { min: 10_000, max: 10_000 },
    });
    const market = new SandboxMarketHandle(hre, sandbox);
    await market.prepareMarketMaker();
    node = await startClockedNode(hre);
    handle = new ClockedMarketHandle(market, node.clock, () => 0.5);
    rival = await RivalLiquidator.start({
      hre,
      sandbox,
      clock: node.clock,
      wallet: hardhatAccountWallet(hre, 5),
      borrowers,
      reaction: null,
    });
  });

  after(async () => {
    await rival?.stop();
    await node?.close();
  });

  it("sends nothing while it is not reacting, even with a position under water", async () => {
    const lower = borrowers.find((b) => b.targetHealthFactor === Math.min(...borrowers.map((x) => x.targetHealthFactor)))!;
    const price = (await handle.priceOf("WETH")) / lower.targetHealthFactor - 1;
    await handle.movePrices([{ symbol: "WETH", usd: price }]);
    await handle.mine();
    await handle.mine();
    expect(rival.attempts).to.have.length(0);
  });

  it("liquidates with its own key after its delay, bidding its own priority fee", async () => {
    rival.setReaction({ delayMs: 0, priorityFeeGwei: 3 });
    // The next update (any feed move) is what it reacts to.
    const step = await handle.movePricesReport([{ symbol: "WETH", usd: (await handle.priceOf("WETH")) * 0.999 }]);
    for (let i = 0; i < 3 && rival.attempts.length === 0; i++) await handle.mine();
    expect(rival.attempts.length).to.be.greaterThan(0);
    const attempt = rival.attempts[0]!;
    expect(attempt.priceBlock).to.equal(step.block.number);
    let receipt = await hre.ethers.provider.getTransactionReceipt(attempt.txHash);
    for (let i = 0; i < 5 && receipt === null; i++) {
      await handle.mine();
      receipt = await hre.ethers.provider.getTransactionReceipt(attempt.txHash);
    }
    expect(receipt!.status).to.equal(1);
    expect(receipt!.from.toLowerCase()).to.equal(rival.address.toLowerCase());
    expect(receipt!.blockNumber).to.be.greaterThan(step.block.number);
    const tx = await hre.ethers.provider.getTransaction(attempt.txHash);
    expect(tx!.maxPriorityFeePerGas).to.equal(parseUnits("3", "gwei"));
    const liquidation = receipt!.logs
      .map((log) => {
        try {
          return sandbox.aave.pool.interface.parseLog(log);
        } catch {
          return null;
        }
      })
      .find((parsed) => parsed?.name === "LiquidationCall");
    expect(liquidation!.args.user.toLowerCase()).to.equal(attempt.borrower.toLowerCase());
    expect(liquidation!.args.liquidator.toLowerCase()).to.equal(rival.address.toLowerCase());
  });
});

describe("sandbox rival: reads only the positions an update prices", () => {
  const position = (address: string, collateral: string, debt: string) => ({ address, collateral, debt }) as unknown as OpenedBorrower;
  const book = [position("0xa", "WETH", "USDC"), position("0xb", "cbBTC", "USDC"), position("0xc", "cbBTC", "WETH")];

  it("a WETH update reads the positions holding WETH as collateral or debt, not the cbBTC/USDC ones", () => {
    expect(positionsPricedBy(book, new Set(["WETH"])).map((b) => b.address)).to.deep.equal(["0xa", "0xc"]);
    expect(positionsPricedBy(book, new Set(["USDC"])).map((b) => b.address)).to.deep.equal(["0xa", "0xb"]);
    expect(positionsPricedBy(book, new Set([undefined]))).to.deep.equal([]);
  });
});
