/**
 * Plans prepared ahead of the price, on the sandbox (genuine Aave V3 and Uniswap V3 bytecode; the step-locked driver,
 * so the outcome is deterministic). After a block the keeper prepares, for each position a small step from
 * liquidation, the plan for the answer that would cross it. When that feed's log arrives:
 *  - a plan still valid at the new answer is sent with no planning and no simulation (the report says `prepared`),
 *    and its calldata is the one a fresh plan at that answer carries (only the floor and deadline may differ: the
 *    prepared floor, from the crossing answer, is the lower one), and it lands;
 *  - a stale plan (prepared blocks before the answer) or one the new answer re-sizes (a deep drop: Aave's close factor
 *    goes to 100%) is discarded, and the position takes the normal path (planned and simulated afresh), and lands.
 * Behaviour only: which path was taken and what was sent, never how long it took (that is in the bench).
 */
import hre from "hardhat";
import { expect } from "chai";
import { ChimeraExecutor__factory } from "../../../../typechain-types";
import { buildSandbox, openAaveBorrowers, type OpenedBorrower, type Sandbox } from "../../../../sandbox";
import { SandboxMarketHandle } from "../../../../keeper/scenarios/sandbox-market-handle";
import type { KeeperSession } from "../../../../keeper/run/keeper-session";
import { encodePlanStruct } from "../../../../keeper/execution/plan-encoder";
import { deployKeeperExecutor, openSandboxKeeperSession, openScratchRun, type ScratchRun } from "../../../shared/keeper-harness";

const executorInterface = ChimeraExecutor__factory.createInterface();

describe("keeper: plans prepared ahead of the price", function () {
  this.timeout(600_000);
  let scratch: ScratchRun;
  let session: KeeperSession;
  let handle: SandboxMarketHandle;
  let sandbox: Sandbox;
  let near: OpenedBorrower;
  let further: OpenedBorrower;
  let furthest: OpenedBorrower;

  before(async () => {
    scratch = await openScratchRun(hre, "chimera-prepared-");
    sandbox = await buildSandbox(hre);
    const roles = await deployKeeperExecutor(hre, sandbox);
    const open = async (seed: number, hf: number) =>
      (
        await openAaveBorrowers(hre, sandbox, {
          count: 1,
          seed,
          collateral: "WETH",
          debt: "USDC",
          healthFactor: { min: hf, max: hf + 0.0005 },
          debtUsd: { min: 8_000, max: 9_000 },
        })
      )[0]!;
    near = await open(4_101, 1.006);
    further = await open(4_102, 1.012);
    furthest = await open(4_103, 1.018);
    handle = new SandboxMarketHandle(hre, sandbox);
    await handle.prepare();
    session = await openSandboxKeeperSession(hre, {
      sandbox,
      executor: roles.executor,
      operator: roles.operator,
      journalPath: scratch.journalPath,
    });
    await session.engine.start();
    await handle.mine();
    await session.engine.tick();
  });

  after(async () => {
    await session?.close("test finished");
    await handle?.release();
    await scratch?.close();
  });

  const preparedFor = (borrower: OpenedBorrower) =>
    session.assembled.prepared.get(session.assembled.markets[0]!.id, borrower.address as `0x${string}`);
  const wethUsdAt = (answer: bigint, below: number) => (Number(answer) / 1e8) * (1 - below);

  async function sentFor(borrower: OpenedBorrower, decisions: Awaited<ReturnType<KeeperSession["engine"]["tick"]>>) {
    const record = (decisions?.decisions ?? []).find(
      (d) => d.decision.candidate.key.borrower.toLowerCase() === borrower.address.toLowerCase() && d.execution?.status === "sent",
    );
    expect(record, `a liquidation of ${borrower.address} was sent`).to.not.equal(undefined);
    return record!.execution as Extract<NonNullable<typeof record>["execution"], { status: "sent" }>;
  }

  it("sends a plan still valid at the new answer with no planning or simulation; its calldata is a fresh plan's", async () => {
    const prepared = preparedFor(near);
    expect(prepared, "the nearest position has a prepared plan").to.not.equal(undefined);
    expect(preparedFor(further), "so has the next one").to.not.equal(undefined);

    const answerUsd = wethUsdAt(prepared!.crossingAnswer, 0.0005);
    await handle.movePrices([{ symbol: "WETH", usd: answerUsd }]);
    const before = session.assembled.prepared.counts.used;
    const reaction = await session.engine.tick();
    const sent = await sentFor(near, reaction);
    expect(sent.prepared).to.equal(true);
    expect(session.assembled.prepared.counts.used).to.equal(before + 1);

    // What a fresh plan would be at this answer (the market applied it in memory; the liquidation is not mined yet).
    const market = session.assembled.markets[0]!;
    const position = market.position(near.address as `0x${string}`)!;
    const head = await hre.ethers.provider.getBlock("latest");
    const [fresh] = await session.assembled.planner.plan([{ market, position }], {
      number: head!.number,
      baseFeePerGas: head!.baseFeePerGas ?? 0n,
    });
    expect(fresh!.plan, "a fresh plan exists at that answer").to.not.equal(null);
    const tx = (await hre.ethers.provider.getTransaction(sent.txHash))!;
    const [signed] = executorInterface.decodeFunctionData("liquidate", tx.data);
    const freshStruct = encodePlanStruct(fresh!.plan!, { minProfit: signed.minProfit, deadlineBlock: Number(signed.deadlineBlock) });
    const decodedFresh = executorInterface.decodeFunctionData(
      "liquidate",
      executorInterface.encodeFunctionData("liquidate", [freshStruct]),
    )[0];
    expect(signed.toObject(true)).to.deep.equal(decodedFresh.toObject(true));
    // The prepared floor is set at the crossing answer: never above the fresh expectation at the lower answer.
    expect(signed.minProfit <= fresh!.plan!.expectedProfit).to.equal(true);

    await handle.mine();
    await session.engine.tick();
    expect((await hre.ethers.provider.getTransactionReceipt(sent.txHash))!.status).to.equal(1);
  });

  it("discards a stale plan (prepared blocks before the answer) and takes the normal path", async () => {
    const prepared = preparedFor(further);
    expect(prepared).to.not.equal(undefined);
    // Two blocks the keeper does not process before the answer: its plan is older than maxAgeBlocks (1).
    await handle.mine();
    await handle.mine();
    const stale = session.assembled.prepared.counts.discarded.get("stale") ?? 0;
    await handle.movePrices([{ symbol: "WETH", usd: wethUsdAt(prepared!.crossingAnswer, 0.0005) }]);
    const reaction = await session.engine.tick();
    const sent = await sentFor(further, reaction);
    expect(sent.prepared).to.equal(undefined);
    expect(session.assembled.prepared.counts.discarded.get("stale")).to.equal(stale + 1);
    await handle.mine();
    await session.engine.tick();
    expect((await hre.ethers.provider.getTransactionReceipt(sent.txHash))!.status).to.equal(1);
  });

  it("discards a plan the new answer re-sizes (a deep drop: close factor 100%) and takes the normal path", async () => {
    const prepared = preparedFor(furthest);
    expect(prepared).to.not.equal(undefined);
    const resized = session.assembled.prepared.counts.discarded.get("resized") ?? 0;
    await handle.movePrices([{ symbol: "WETH", usd: wethUsdAt(prepared!.crossingAnswer, 0.15) }]);
    const reaction = await session.engine.tick();
    const sent = await sentFor(furthest, reaction);
    expect(sent.prepared).to.equal(undefined);
    expect(session.assembled.prepared.counts.discarded.get("resized")).to.equal(resized + 1);
    await handle.mine();
    await session.engine.tick();
    expect((await hre.ethers.provider.getTransactionReceipt(sent.txHash))!.status).to.equal(1);
  });
});
