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
import { HealthBook, positionsPricedBy, RivalLiquidator } from "../../../sandbox/rival";
import type { SubscribableProvider } from "../../../sandbox/clock/clocked-provider";
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
  /** Every method the rival asked the chain, in order (it talks through a recording wrapper of the in-process chain). */
  const rivalCalls: string[] = [];

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
      provider: recordingProvider(hre.network.provider as unknown as SubscribableProvider, rivalCalls),
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
    const price = (await handle.priceOf("WETH")) * 0.999;
    rivalCalls.length = 0;
    const step = await handle.movePricesReport([{ symbol: "WETH", usd: price }]);
    for (let i = 0; i < 3 && rival.attempts.length === 0; i++) await handle.mine();
    expect(rival.attempts.length).to.be.greaterThan(0);
    // From the update to its send it read nothing: the update came by subscription, the health from its book.
    expect(rivalCalls.slice(0, rival.attempts.length)).to.deep.equal(rival.attempts.map(() => "eth_sendRawTransaction"));
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

  it("reads a position again once a pool log names it: no second shot at one it already liquidated", async () => {
    // The liquidation's pool logs made it read the position anew (HF back above 1); a further small drop does not
    // put it under by the book, as the health it read before the liquidation (under 1) would.
    await handle.mine();
    await rival.settled();
    const sent = rival.attempts.length;
    await handle.movePricesReport([{ symbol: "WETH", usd: (await handle.priceOf("WETH")) * 0.9995 }]);
    for (let i = 0; i < 3; i++) await handle.mine();
    expect(rival.attempts).to.have.length(sent);
    expect(rivalCalls).to.include("eth_call");
  });
});

function recordingProvider(chain: SubscribableProvider, calls: string[]): SubscribableProvider {
  return {
    request: (args) => {
      calls.push(args.method);
      return chain.request(args);
    },
    addListener: (event, listener) => chain.addListener(event, listener),
    removeListener: (event, listener) => chain.removeListener(event, listener),
  };
}

describe("sandbox rival: the health book carries a reading forward by the feed answers", () => {
  const WAD = 10n ** 18n;
  const borrower = { address: "0xAa", collateral: "WETH", debt: "USDC" } as unknown as OpenedBorrower;

  it("scales the read health factor by the collateral and debt price moves since the read", () => {
    const book = new HealthBook();
    book.record("0xaa", { healthFactor: (WAD * 105n) / 100n, collateralPrice: 3_000n, debtPrice: 100n });
    expect(book.healthOf(borrower)).to.equal((WAD * 105n) / 100n);
    book.setPrice("WETH", 2_850n);
    expect(book.healthOf(borrower)).to.equal((((WAD * 105n) / 100n) * 2_850n) / 3_000n);
    expect(book.underwater([borrower])).to.deep.equal([borrower]);
    book.setPrice("USDC", 90n);
    expect(book.underwater([borrower])).to.deep.equal([]);
  });

  it("has no health for a position never read, or one without debt", () => {
    const book = new HealthBook();
    book.setPrice("WETH", 1n);
    expect(book.healthOf(borrower)).to.equal(null);
    book.record("0xaa", { healthFactor: null, collateralPrice: 3_000n, debtPrice: 100n });
    expect(book.healthOf(borrower)).to.equal(null);
    expect(book.underwater([borrower])).to.deep.equal([]);
  });
});

describe("sandbox rival: judges only the positions an update prices", () => {
  const position = (address: string, collateral: string, debt: string) => ({ address, collateral, debt }) as unknown as OpenedBorrower;
  const book = [position("0xa", "WETH", "USDC"), position("0xb", "cbBTC", "USDC"), position("0xc", "cbBTC", "WETH")];

  it("a WETH update judges the positions holding WETH as collateral or debt, not the cbBTC/USDC ones", () => {
    expect(positionsPricedBy(book, new Set(["WETH"])).map((b) => b.address)).to.deep.equal(["0xa", "0xc"]);
    expect(positionsPricedBy(book, new Set(["USDC"])).map((b) => b.address)).to.deep.equal(["0xa", "0xb"]);
    expect(positionsPricedBy(book, new Set([undefined]))).to.deep.equal([]);
  });
});
