/**
 * The keeper end to end on the sandbox (genuine Aave V3, Uniswap V3, Balancer V2, Morpho Blue bytecode;
 * the executor deployed through its Ignition module): the same pipeline `npx hardhat keeper` runs.
 *
 * What it proves, each checked against the chain rather than only against the keeper's own report:
 *  - every Aave position the price step pushes below HF 1 (all above the profit floor) is liquidated
 *    by the executor in the very next block;
 *  - the dust and the unroutable positions are skipped, with their reasons in the journal and in the
 *    run report, and nothing is sent for them;
 *  - the telemetry server answers /healthz, /readyz, /status and /metrics (with the operations
 *    issue's metric names) over real HTTP while the keeper runs;
 *  - a plan whose simulation fails (the pool moved against it between planning and simulation) is
 *    never sent: no transaction leaves the operator key.
 */
import fs from "node:fs";
import hre from "hardhat";
import { expect } from "chai";
import { ChimeraExecutor__factory } from "../../../../typechain-types";
import { buildSandbox } from "../../../../sandbox";
import type { Address } from "../../../../keeper/config/address-book";
import { Journal } from "../../../../keeper/journal/journal";
import { runSandboxKeeper } from "../../../../keeper/run/sandbox-run";
import { SandboxMarketHandle } from "../../../../keeper/scenarios/sandbox-market-handle";
import {
  deployKeeperExecutor,
  OPERATIONS_ISSUE_METRICS,
  openOneBorrowerSetup,
  openSandboxKeeperSession,
  openScratchRun,
  quietScenarioRun,
  type ScratchRun,
} from "../../../shared/keeper-harness";
import { requestMode, requestResume } from "../../../../tasks/keeper-control";
import { openWethUsdcBorrower } from "../../../shared/one-aave-borrower";

const WAD = 10n ** 18n;
const executorInterface = ChimeraExecutor__factory.createInterface();

/** A sample's value from Prometheus text: the first line of `name` carrying every given label. */
function metricValue(text: string, name: string, labels: readonly string[] = []): number {
  const line = text
    .split("\n")
    .find((l) => (l.startsWith(`${name} `) || l.startsWith(`${name}{`)) && labels.every((label) => l.includes(label)));
  return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(" ") + 1));
}

/** Borrowers the executor liquidated in `block`, from its own Liquidated events. */
async function liquidatedIn(executor: string, block: number): Promise<Set<string>> {
  const logs = await hre.ethers.provider.getLogs({
    address: executor,
    topics: [executorInterface.getEvent("Liquidated").topicHash],
    fromBlock: block,
    toBlock: block,
  });
  return new Set(logs.map((log) => executorInterface.parseLog(log)!.args.borrower.toLowerCase()));
}

describe("keeper e2e: the sandbox scenario", function () {
  this.timeout(300_000);
  let scratch: ScratchRun;

  beforeEach(async () => {
    scratch = await openScratchRun(hre, "chimera-e2e-");
  });

  afterEach(() => scratch.close());

  it("liquidates every position that goes under in the next block, skips dust and unroutable with their reason, and serves its endpoints while running", async () => {
    const scraped: { step: number; metrics: string; healthz: number; readyz: number; status: Record<string, unknown> }[] = [];
    const result = await runSandboxKeeper({
      ...quietScenarioRun(hre, scratch),
      afterStep: async ({ session, step }) => {
        const get = (route: string) => fetch(`${session.server.url}${route}`);
        scraped.push({
          step,
          metrics: await (await get("/metrics")).text(),
          healthz: (await get("/healthz")).status,
          readyz: (await get("/readyz")).status,
          status: (await (await get("/status")).json()) as Record<string, unknown>,
        });
      },
    });

    // The keeper's own verdicts first (they read the journal through the run report)...
    for (const verdict of result.verdicts) expect(verdict.ok, `${verdict.tag}: ${verdict.detail}`).to.equal(true);

    // ...then the chain: every Aave borrower of the liquidated groups below HF 1 at a price block was
    // liquidated by the executor in the block right after it.
    const steps = result.report.scenario!.steps;
    expect(steps).to.have.length(2);
    let underwater = 0;
    for (const step of steps) {
      const liquidated = await liquidatedIn(result.executor, step.priceBlock + 1);
      for (const tag of ["aave-weth", "aave-cbbtc"]) {
        for (const borrower of result.population.byTag.get(tag) ?? []) {
          const data = await result.sandbox.aave.pool.getUserAccountData(borrower.address, { blockTag: step.priceBlock });
          if (data.healthFactor >= WAD) continue;
          underwater += 1;
          expect(
            liquidated.has(borrower.address.toLowerCase()),
            `${tag} ${borrower.address} (HF ${data.healthFactor}) at block ${step.priceBlock}`,
          ).to.equal(true);
        }
      }
    }
    expect(underwater, "the steps must push some Aave borrowers under").to.be.greaterThan(5);
    const morphoLiquidations = result.report.executions.filter((e) => e.group === "morpho-weth" && e.state === "included");
    expect(morphoLiquidations.length, "Morpho liquidations").to.be.greaterThan(0);
    for (const execution of morphoLiquidations) {
      expect(
        (await liquidatedIn(result.executor, execution.includedBlock as number)).has(String(execution.borrower).toLowerCase()),
      ).to.equal(true);
      expect(execution.blocksToInclusion).to.equal(1);
    }

    // Moonwell behind the OEV wrapper: liquidated through the wrapper in the block after the step, while the round was
    // still hidden (the comptroller, reading through the wrapper, reported no shortfall at that block's parent).
    const oev = result.report.executions.filter((e) => e.group === "moonwell-oev" && e.state === "included");
    expect(oev.length, "Moonwell OEV liquidations").to.be.greaterThan(0);
    expect(result.report.summary.byPath.oev.included).to.equal(oev.length);
    const moonwell = result.sandbox.moonwell!;
    for (const execution of oev) {
      expect(execution.path).to.equal("oev");
      const [, , shortfall] = await moonwell.comptroller.getAccountLiquidity(String(execution.borrower), {
        blockTag: (execution.includedBlock as number) - 1,
      });
      expect(shortfall, "the public price did not yet show the position under water").to.equal(0n);
    }

    // Dust and unroutable: skipped with their reasons in the journal and the run report, never sent.
    const journal = Journal.open(result.journalPath, { readonly: true });
    try {
      for (const [tag, reason] of [
        ["dust", "dust"],
        ["no-route", "no-route"],
      ] as const) {
        const borrower = result.population.byTag.get(tag)![0]!.address.toLowerCase();
        const journaled = journal.listOpportunities().filter((o) => o.borrower.toLowerCase() === borrower);
        expect(journaled.length, `${tag} decisions in the journal`).to.be.greaterThan(0);
        expect(journaled.map((o) => o.skipReason)).to.satisfy((reasons: string[]) => reasons.every((r) => r === reason));
        expect(journal.listExecutions().filter((e) => e.borrower.toLowerCase() === borrower)).to.have.length(0);
        const reported = result.report.opportunities.filter((o) => o.group === tag);
        expect(reported.length).to.equal(journaled.length);
        expect(reported.every((o) => o.skipReason === reason && String(o.detail).length > 0)).to.equal(true);
      }
    } finally {
      journal.close();
    }
    const onDisk = JSON.parse(fs.readFileSync(result.reportPath, "utf8")) as { summary: { skipReasons: Record<string, number> } };
    expect(onDisk.summary.skipReasons).to.include.keys("dust", "no-route");

    // The endpoints answered during the run, with every required metric.
    expect(scraped).to.have.length(2);
    for (const sample of scraped) {
      expect(sample.healthz).to.equal(200);
      expect(sample.readyz).to.equal(200);
      expect(sample.status.mode).to.equal("LIVE");
      for (const name of OPERATIONS_ISSUE_METRICS) expect(sample.metrics, name).to.match(new RegExp(`^${name}(\\{|_bucket| )`, "m"));
    }
    expect(metricValue(scraped[0]!.metrics, "transactions_sent_total")).to.be.greaterThan(0);
    expect(metricValue(scraped[1]!.metrics, "transactions_sent_total")).to.be.greaterThan(
      metricValue(scraped[0]!.metrics, "transactions_sent_total"),
    );
  });

  it("never sends a plan whose simulation fails: the pool moves against it between planning and simulation", async () => {
    const sandbox = await buildSandbox(hre);
    const { operator, executor, borrower, handle } = await openOneBorrowerSetup(hre, sandbox, { seed: 31, debtUsd: 20_000 });
    let dumped = false;
    const session = await openSandboxKeeperSession(
      hre,
      { sandbox, executor, operator, journalPath: scratch.journalPath },
      {
        hooks: {
          // Between the plan (quoted at the old pool price) and its simulation, someone dumps WETH into
          // both WETH/USDC pools and it is mined: the liquidation can no longer repay its flash loan.
          beforeSimulate: async () => {
            if (dumped) return;
            dumped = true;
            await handle.movePoolsOnly([{ symbol: "WETH", usd: (await handle.priceOf("WETH")) * 0.6 }]);
          },
        },
      },
    );
    try {
      await session.engine.start();
      const priceBlock = await handle.movePrices([{ symbol: "WETH", usd: (await handle.priceOf("WETH")) * 0.97 }]);
      const tick = await session.engine.tick();
      expect(dumped, "the plan reached simulation").to.equal(true);
      const decision = tick!.decisions.find((d) => d.decision.candidate.key.borrower.toLowerCase() === borrower!.address.toLowerCase());
      expect(decision?.decision.reason).to.equal("simulation-failed");
      expect(decision?.execution?.status).to.equal("simulation-failed");

      await handle.mine();
      // Nothing left the operator key: no nonce used, none pending, no liquidation in the block after.
      expect(await hre.ethers.provider.getTransactionCount(operator.address, "latest")).to.equal(0);
      expect(await hre.ethers.provider.getTransactionCount(operator.address, "pending")).to.equal(0);
      expect((await liquidatedIn(executor, priceBlock + 1)).size).to.equal(0);
      const execution = session.journal.listExecutions()[0]!;
      expect(execution.state).to.equal("failed");
      expect(execution.error).to.match(/^simulation failed/);
      expect(session.journal.txAttempts(execution.planId)).to.have.length(0);
      const metrics = await session.metrics.metricsText();
      expect(metricValue(metrics, "transactions_sent_total")).to.equal(0);
      expect(metricValue(metrics, "simulations_total", ['result="revert"'])).to.equal(1);
    } finally {
      await session.close("test finished");
      await handle.release();
    }
  });

  it("applies keeper:mode and keeper:resume from the journal while running: DRY sends nothing, a HALT holds until resumed", async () => {
    const sandbox = await buildSandbox(hre);
    const { signers, operator, executor } = await deployKeeperExecutor(hre, sandbox);
    const early = await openWethUsdcBorrower(hre, sandbox, { seed: 41, healthFactor: 1.02, debtUsd: 10_000 });
    const late = await openWethUsdcBorrower(hre, sandbox, { seed: 42, healthFactor: 1.06, debtUsd: 10_000 });
    const handle = new SandboxMarketHandle(hre, sandbox);
    await handle.prepare();
    const { journalPath } = scratch;
    const session = await openSandboxKeeperSession(hre, { sandbox, executor, operator, journalPath });
    // The operator's commands, exactly as the tasks write them into the running keeper's journal.
    const control = { network: "hardhat", projectRoot: hre.config.paths.root, env: {}, print: () => undefined };
    // The test ticks the keeper itself, after each task returns: the tasks must not wait for it.
    const queueOnly = { wait: 0 };
    const readyz = async () => (await fetch(`${session.server.url}/readyz`)).status;
    const sentNonces = () => hre.ethers.provider.getTransactionCount(operator.address, "pending");
    try {
      const { engine } = session;
      await engine.start();

      await requestMode({ ...queueOnly, mode: "dry", reason: "watch first", journal: journalPath }, control);
      await engine.tick();
      expect(engine.currentMode).to.equal("DRY");
      expect(((await (await fetch(`${session.server.url}/status`)).json()) as { mode: string }).mode).to.equal("DRY");
      await handle.movePrices([{ symbol: "WETH", usd: (await handle.priceOf("WETH")) * 0.97 }]);
      const dry = await engine.tick();
      expect(dry!.decisions.map((d) => d.execution?.status)).to.deep.equal(["dry-run"]);
      expect(await sentNonces(), "DRY sends nothing").to.equal(0);

      await requestMode({ ...queueOnly, mode: "live", journal: journalPath }, control);
      // Three reverted executions in a row: the breaker halts (HALTED latches until a resume).
      for (let i = 0; i < 3; i++) {
        session.assembled.risk.record({
          kind: "failed",
          planId: `revert-${i}`,
          borrower: signers[5]!.address as Address,
          failure: "reverted",
          lossUsd: 0.5,
          at: { timeMs: Date.now(), block: engine.head },
        });
      }
      expect(session.assembled.risk.breaker.state).to.equal("HALTED");
      expect(await readyz()).to.equal(503);
      await handle.movePrices([{ symbol: "WETH", usd: (await handle.priceOf("WETH")) * 0.96 }]);
      const halted = await engine.tick();
      expect(engine.currentMode).to.equal("LIVE");
      expect(halted!.decisions.map((d) => d.decision.reason)).to.include("breaker-halted");
      expect(await sentNonces(), "nothing is sent while HALTED").to.equal(0);

      await requestResume({ ...queueOnly, reason: "the reverts were a test", journal: journalPath }, control);
      const liquidated = new Set<string>();
      for (let block = 0; block < 6 && liquidated.size < 2; block++) {
        await handle.mine();
        const tick = await engine.tick();
        for (const included of tick?.settlement.included ?? [])
          liquidated.add(session.journal.getExecution(included.planId)!.borrower.toLowerCase());
      }
      expect(session.assembled.risk.breaker.state).to.equal("NORMAL");
      expect(await readyz()).to.equal(200);
      expect([...liquidated].sort()).to.deep.equal([early!.address, late!.address].map((a) => a.toLowerCase()).sort());
      const kinds = session.journal.listSystemEvents({ kinds: ["mode_change", "breaker_transition", "resume"] }).map((e) => e.kind);
      // DRY, the halt (booked as the reverts arrive), LIVE (applied at the next tick), the resume and its transition.
      expect(kinds).to.deep.equal(["mode_change", "breaker_transition", "mode_change", "resume", "breaker_transition"]);

      // The owner pauses the executor on chain: the breaker sees it on the next block and halts, and a
      // resume is refused while the pause is still true.
      await ChimeraExecutor__factory.connect(executor, signers[1]!).pause();
      await handle.mine();
      await engine.tick();
      expect(session.assembled.risk.breaker.describe().haltedBy?.trigger).to.equal("executor-paused");
      expect(await readyz()).to.equal(503);
      const refused = await requestResume({ ...queueOnly, reason: "try anyway", journal: journalPath }, control);
      await handle.mine();
      await engine.tick();
      const outcome = session.journal.getControlRequest(refused.request.id)!;
      expect(outcome.outcome).to.equal("rejected");
      expect(outcome.outcomeDetail).to.contain("executor-paused");
    } finally {
      await session.close("test finished");
      await handle.release();
    }
  });
});
