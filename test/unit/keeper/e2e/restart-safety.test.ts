/**
 * Crash safety and secrets, with the keeper as a real separate process: `npx hardhat keeper --network
 * localhost` against this test's in-process chain served over HTTP (test/shared/local-node.ts), signing
 * with a known private key and reading through an RPC URL that carries credentials.
 *
 * A test hook (CHIMERA_TEST_CRASH_AT, honoured on sandbox chains only) makes the keeper SIGKILL itself
 * right after broadcasting, or right after signing; the test then restarts it and checks what reached
 * the chain: every liquidation exactly once, no nonce used twice, the journal settled and consistent.
 * The same runs are searched for the key and the URL's credentials: in every log line, every run report,
 * every /status answer.
 */
import fs from "node:fs";
import path from "node:path";
import hre from "hardhat";
import { expect } from "chai";
import { Journal } from "../../../../keeper/journal/journal";
import { freePort, type KeeperProcess, type KeeperStatus } from "../../../shared/keeper-process";
import { KeeperTestbed } from "../../../shared/keeper-testbed";
import { requestResume } from "../../../../tasks/keeper-control";

const RPC_USER = "user";
const RPC_PASSWORD = "s3cret";
const RPC_PATH_KEY = "abcdef0123456789";

interface ChildRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly output: string;
  /** Bodies of /status fetched while it ran. */
  readonly statuses: string[];
}

describe("keeper e2e: restart safety and secrets (a separate keeper process)", function () {
  this.timeout(600_000);
  let testbed: KeeperTestbed;
  const runs: ChildRun[] = [];
  const reports: string[] = [];
  let journalFile: string;
  let metricsPort: number;

  before(async () => {
    // A goes under with a 3% fall, B only with a 7% one: two separate liquidations, two crashes. C only goes under
    // after a further 8% fall: the operator-halt test's liquidation.
    testbed = await KeeperTestbed.open(hre, {
      label: "restart",
      borrowers: [
        { seed: 901, healthFactor: 1.02 },
        { seed: 902, healthFactor: 1.06 },
        { seed: 903, healthFactor: 1.12 },
      ],
      rpcUrl: (nodeUrl) => `http://${RPC_USER}:${RPC_PASSWORD}@${new URL(nodeUrl).host}/v2/${RPC_PATH_KEY}`,
    });
    journalFile = path.join(testbed.directory, "journal.sqlite");
    metricsPort = await freePort();
  });

  after(async () => {
    await testbed?.close();
    for (const report of reports) fs.rmSync(report, { force: true });
  });

  const handle = () => testbed.handle;
  const operator = () => testbed.operator;
  const borrower = (index: number) => testbed.borrowers[index]!.address;
  const liquidationsOf = (address: string) => testbed.liquidationsOf(address);

  function startKeeper(args: string[], env: Record<string, string>): Promise<KeeperProcess> {
    return testbed.startKeeper({ journal: journalFile, args, env, metricsPort });
  }

  /** Everything a run left to search for secrets: its output, the /status bodies it served, its run report. */
  function keepRecord(keeper: KeeperProcess, exit: { code: number | null; signal: NodeJS.Signals | null }): ChildRun {
    const run = { ...exit, output: keeper.output, statuses: keeper.statuses };
    runs.push(run);
    // Not a terminal: the summary is a JSON record naming the report (keeper/run/keeper-console.ts).
    const reportLine = /"reportPath":"([^"]+)"/.exec(keeper.output);
    if (reportLine) reports.push(reportLine[1]!);
    return run;
  }

  /** Runs the keeper to its exit; `whileRunning` may read /status and mine blocks meanwhile. */
  async function runKeeper(
    args: string[],
    env: Record<string, string>,
    whileRunning?: (keeper: KeeperProcess) => Promise<void>,
  ): Promise<ChildRun> {
    const keeper = await startKeeper(args, env);
    try {
      if (whileRunning) await Promise.race([whileRunning(keeper), keeper.exited]);
      return keepRecord(keeper, await keeper.exited);
    } finally {
      await keeper.kill();
    }
  }

  const inFlight = (s: Record<string, unknown>) => (s.inFlight as unknown[]).length;

  it("killed after broadcasting, then restarted: tracks the transaction already in flight and sends no duplicate", async () => {
    await handle().movePrices([{ symbol: "WETH", usd: (await handle().priceOf("WETH")) * 0.97 }]);

    const crashed = await runKeeper(["--once"], { CHIMERA_TEST_CRASH_AT: "broadcast" });
    expect(crashed.signal, crashed.output).to.equal("SIGKILL");
    // The transaction reached the node but no block yet: nonce 0 pending, nothing mined.
    expect(await hre.ethers.provider.getTransactionCount(operator().address, "latest")).to.equal(0);
    expect(await hre.ethers.provider.getTransactionCount(operator().address, "pending")).to.equal(1);
    const afterCrash = Journal.open(journalFile, { readonly: true });
    const open = afterCrash.openIntents();
    afterCrash.close();
    expect(open.map((i) => i.execution.state)).to.deep.equal(["sent"]);
    const hash = open[0]!.attempts[0]!.txHash;

    const restarted = await runKeeper(["--blocks", "1"], {}, async (keeper) => {
      await keeper.waitFor((s) => s.started === true && inFlight(s) === 1, "reconciled, tracking the in-flight transaction");
      await handle().mine();
    });
    expect(restarted.code, restarted.output).to.equal(0);

    expect(await hre.ethers.provider.getTransactionCount(operator().address, "latest"), "one transaction ever left the key").to.equal(1);
    expect(await liquidationsOf(borrower(0))).to.equal(1);
    expect((await hre.ethers.provider.getTransactionReceipt(hash))?.status).to.equal(1);
    const journal = Journal.open(journalFile, { readonly: true });
    try {
      expect(journal.openIntents()).to.have.length(0);
      const executions = journal.listExecutions();
      expect(executions.map((e) => [e.state, e.txHash])).to.deep.equal([["included", hash]]);
      const reconciliation = journal.listSystemEvents({ kinds: ["reconciliation"] });
      expect(reconciliation).to.have.length(1);
      expect(JSON.stringify(reconciliation[0]!.data)).to.contain("still-in-flight");
    } finally {
      journal.close();
    }
  });

  it("killed after signing (before broadcasting), then restarted: drops the unsent transaction and liquidates once, at the same nonce", async () => {
    await handle().movePrices([{ symbol: "WETH", usd: (await handle().priceOf("WETH")) * 0.96 }]);

    const crashed = await runKeeper(["--once"], { CHIMERA_TEST_CRASH_AT: "signed" });
    expect(crashed.signal, crashed.output).to.equal("SIGKILL");
    expect(await hre.ethers.provider.getTransactionCount(operator().address, "pending"), "nothing was broadcast").to.equal(1);
    const afterCrash = Journal.open(journalFile, { readonly: true });
    const unsent = afterCrash.openIntents();
    afterCrash.close();
    expect(unsent.map((i) => i.execution.state)).to.deep.equal(["signed"]);
    const unsentHash = unsent[0]!.attempts[0]!.txHash;

    const restarted = await runKeeper(["--blocks", "1"], {}, async (keeper) => {
      await keeper.waitFor((s) => s.started === true && inFlight(s) === 1, "reconciled and sent the liquidation again");
      await handle().mine();
    });
    expect(restarted.code, restarted.output).to.equal(0);

    expect(await hre.ethers.provider.getTransactionCount(operator().address, "latest")).to.equal(2);
    expect(await liquidationsOf(borrower(1)), "B liquidated exactly once").to.equal(1);
    expect(await hre.ethers.provider.getTransaction(unsentHash), "the signed-but-unsent transaction never reached the chain").to.equal(
      null,
    );
    const journal = Journal.open(journalFile, { readonly: true });
    try {
      expect(journal.openIntents()).to.have.length(0);
      const forB = journal.listExecutions().filter((e) => e.borrower.toLowerCase() === borrower(1).toLowerCase());
      expect(forB.map((e) => e.state)).to.deep.equal(["dropped", "included"]);
      expect(forB.map((e) => e.nonce)).to.deep.equal([1, 1]);
      // Every transaction the journal lists for a nonce is accounted for: one included per nonce.
      const included = journal.listExecutions().filter((e) => e.state === "included");
      expect(new Set(included.map((e) => e.nonce)).size).to.equal(included.length);
    } finally {
      journal.close();
    }
  });

  it("never lets the key or the RPC URL's credentials into a log line, a run report or /status", () => {
    expect(runs).to.have.length(4);
    expect(runs.flatMap((run) => run.statuses).length, "/status was read during the runs").to.be.greaterThan(1);
    expect(reports.length, "the clean runs wrote run reports").to.equal(2);
    const secrets = [operator().privateKey, operator().privateKey.slice(2), RPC_PASSWORD, RPC_PATH_KEY, testbed.rpcUrl];
    const texts: [string, string][] = [
      ...runs.map((run, i): [string, string] => [`run ${i + 1} output (logs, progress, summary)`, run.output]),
      ...runs.flatMap((run, i) => run.statuses.map((body, j): [string, string] => [`run ${i + 1} /status #${j + 1}`, body])),
      ...reports.map((file): [string, string] => [file, fs.readFileSync(file, "utf8")]),
    ];
    const logLines = runs.flatMap((run) => run.output.split("\n").filter((line) => line.startsWith("{")));
    expect(logLines.length, "JSON log lines were captured").to.be.greaterThan(10);
    for (const [where, text] of texts) {
      for (const secret of secrets) expect(text.includes(secret), `${where} contains a secret`).to.equal(false);
    }
    // The search covered the lines that handle the key and the endpoints: signing and sending were logged.
    expect(logLines.some((line) => line.includes('"msg":"liquidation sent"'))).to.equal(true);
  });

  it("an operator halt survives kill -9: the restarted keeper is still HALTED and sends nothing until keeper:resume", async () => {
    const breakerOf = (s: KeeperStatus) => s.breaker as { state: string; haltedBy: { trigger: string; detail: string } | null };
    const first = await startKeeper([], {});
    let second: KeeperProcess | null = null;
    try {
      await first.waitFor((s) => s.started === true, "started");
      const queue = Journal.open(journalFile);
      queue.enqueueControlRequest("halt", { reason: "e2e: investigating" }, "e2e-operator");
      queue.close();
      await first.waitFor((s) => breakerOf(s).state === "HALTED", "HALTED by the operator's request");
      expect((await first.kill()).signal).to.equal("SIGKILL");

      // C is liquidatable from the next block on; a keeper that forgot the halt would send at once.
      const nonceBefore = await hre.ethers.provider.getTransactionCount(operator().address, "pending");
      // 15% under the start: C (HF 1.12) goes under whichever tests ran before this one.
      const priceBlock = await handle().movePrices([{ symbol: "WETH", usd: testbed.initialWethUsd * 0.85 }]);
      second = await startKeeper([], {});
      const restored = await second.waitFor((s) => s.started === true, "restarted");
      expect(breakerOf(restored).state).to.equal("HALTED");
      expect(breakerOf(restored).haltedBy).to.deep.include({ trigger: "operator-halt", detail: "e2e-operator: e2e: investigating" });
      await handle().mine();
      await second.waitFor((s) => (s.head as number) >= priceBlock + 1, "saw the block after the price step");
      expect(await hre.ethers.provider.getTransactionCount(operator().address, "pending"), "nothing sent while HALTED").to.equal(
        nonceBefore,
      );
      expect(await liquidationsOf(borrower(2))).to.equal(0);

      const resumed = await requestResume(
        { journal: journalFile, reason: "e2e: understood", operator: "e2e-operator", wait: 60 },
        { network: "localhost", projectRoot: hre.config.paths.root, env: {}, print: () => undefined, pollIntervalMs: 100 },
      );
      expect(resumed.request.outcome, resumed.request.outcomeDetail ?? "").to.equal("applied");
      await second.waitFor((s) => breakerOf(s).state === "NORMAL", "NORMAL after the resume");
      // Block by block (the keeper reacts to each), until C's liquidation has landed.
      const inFlight = (s: KeeperStatus) => (s.inFlight as unknown[]).length;
      for (let block = 0; block < 8 && (await liquidationsOf(borrower(2))) === 0; block++) {
        const mined = await handle().mine();
        await second.waitFor((s) => (s.head as number) >= mined, `saw block ${mined}`);
        // A block in which it sends leaves a transaction in flight for the next one to include.
        await second.waitFor((s) => inFlight(s) > 0, "a liquidation in flight", 10_000).catch(() => undefined);
      }
      expect(await liquidationsOf(borrower(2)), "C liquidated exactly once after the resume").to.equal(1);
    } finally {
      await first.kill();
      await second?.kill();
    }
  });
});
