/**
 * The network keeper run (`npx hardhat keeper --network …`) as an operator watches it, on the sandbox:
 *  - its console: JSON lines only when it is not a terminal, human lines only when it is (never both);
 *  - `--blocks N` on a chain that makes no block says it is waiting for blocks;
 *  - DRY progress counts simulations and what they would earn, instead of a flat "executed 0";
 *  - a run that adopts a crashed run's transaction in flight reports it (included, adopted, profit), its
 *    /status `run` figures agree with `today` and are labelled, and the transaction hash stays visible.
 * The crash is a first keeper session that sent its liquidation into the mempool (automine off) and closed
 * without settling it: the journal holds the open intent exactly as a killed keeper leaves it
 * (test/unit/keeper/e2e/restart-safety.test.ts kills a real process for the same state).
 */
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import hre from "hardhat";
import { expect } from "chai";
import { buildSandbox, type Sandbox } from "../../../../sandbox";
import { writeSandboxAddressBook } from "../../../../sandbox/address-book-file";
import { openAaveBorrowers } from "../../../../sandbox/borrowers";
import { setPrice } from "../../../../sandbox/market-moves";
import { loadKeeperConfig } from "../../../../keeper/config/load";
import type { KeeperMode } from "../../../../keeper/core/types";
import { runNetworkKeeper, type NetworkRunResult } from "../../../../keeper/run/network-run";
import type { RunReport } from "../../../../keeper/run/run-report";
import { SandboxMarketHandle } from "../../../../keeper/scenarios/sandbox-market-handle";
import {
  deployKeeperExecutor,
  openSandboxKeeperSession,
  openScratchRun,
  type SandboxKeeperRoles,
  type ScratchRun,
} from "../../../shared/keeper-harness";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("keeper network run: console, waiting, DRY progress, adopted transactions", function () {
  this.timeout(600_000);
  let scratch: ScratchRun;
  let sandbox: Sandbox;
  let roles: SandboxKeeperRoles;
  let bookFile: string;
  const reports: string[] = [];
  let runs = 0;

  before(async () => {
    scratch = await openScratchRun(hre, "chimera-network-run-");
    sandbox = await buildSandbox(hre);
    roles = await deployKeeperExecutor(hre, sandbox);
    await openAaveBorrowers(hre, sandbox, {
      count: 2,
      seed: 31,
      collateral: "WETH",
      debt: "USDC",
      healthFactor: { min: 1.03, max: 1.03 },
      debtUsd: { min: 8_000, max: 8_000 },
    });
    bookFile = path.join(scratch.directory, "book.json");
    writeSandboxAddressBook(bookFile, sandbox.book);
  });

  after(async () => {
    for (const report of reports) fs.rmSync(report, { force: true });
    await scratch?.close();
  });

  interface Run {
    readonly done: Promise<NetworkRunResult>;
    readonly text: () => string;
    readonly stop: (reason: string) => void;
    readonly port: number;
    readonly journal: string;
  }

  async function start(options: {
    mode: KeeperMode;
    tty: boolean;
    maxBlocks?: number;
    idleNoticeMs?: number;
    journal?: string;
  }): Promise<Run> {
    runs += 1;
    const port = await freePort();
    const file = path.join(scratch.directory, `keeper-${runs}.json`);
    fs.writeFileSync(
      file,
      JSON.stringify({ mode: options.mode, executor: roles.executor, markets: { morphoBlue: { enabled: false, batchSize: 250 } } }),
    );
    const env: Record<string, string> = { KEEPER_PRIVATE_KEY: roles.operator.privateKey, KEEPER_METRICS_PORT: String(port) };
    let output = "";
    let stop: (reason: string) => void = () => undefined;
    const stopSignal = new Promise<string>((resolve) => (stop = resolve));
    const journal = options.journal ?? path.join(scratch.directory, `journal-${runs}.sqlite`);
    const done = runNetworkKeeper({
      hre,
      config: loadKeeperConfig({ network: "hardhat", file, env }),
      setting: (name) => env[name],
      addressBookFile: bookFile,
      maxBlocks: options.maxBlocks,
      journalPath: journal,
      idleIterationMs: 20,
      idleNoticeMs: options.idleNoticeMs,
      output: { isTTY: options.tty, write: (text: string) => (output += text) },
      stopSignal,
    }).then((result) => {
      reports.push(result.reportPath);
      return result;
    });
    done.catch(() => undefined);
    return { done, text: () => output, stop, port, journal };
  }

  const mine = () => hre.network.provider.send("evm_mine", []);

  it("not a terminal: every console line is JSON, and an idle chain is reported as waiting for blocks", async () => {
    const run = await start({ mode: "LIVE", tty: false, maxBlocks: 1, idleNoticeMs: 200 });
    await until(() => run.text().includes("Waiting for blocks"), "the idle notice");
    await mine();
    await run.done;
    const lines = run
      .text()
      .split("\n")
      .filter((line) => line !== "");
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const waiting = records.find((r) => String(r.msg).startsWith("Waiting for blocks"))!;
    expect(waiting.console).to.equal(true);
    expect(String(waiting.msg)).to.contain("0 of the 1 blocks --blocks waits for");
    expect(
      records.some((r) => r.summary !== undefined),
      "the summary is a record",
    ).to.equal(true);
    expect(
      records.some((r) => r.progress !== undefined),
      "progress is a record",
    ).to.equal(true);
  });

  it("a terminal: human lines only, the progress line redrawn in place, the summary as a table; DRY progress counts simulations", async () => {
    const run = await start({ mode: "DRY", tty: true, maxBlocks: 1 });
    await until(() => run.text().includes("Watching from block"), "the keeper to start watching");
    // WETH falls 6%: both borrowers (health factor 1.03) go under; the block carries the price update.
    await setPrice(hre, sandbox, "WETH", 3_000 * 0.94);
    const result = await run.done;
    const text = run.text();
    const clearLine = `${String.fromCharCode(27)}[2K`;
    expect(text.split(/[\n\r]/).filter((line) => line.split(clearLine).join("").trim().startsWith("{"))).to.deep.equal([]);
    expect(text).to.contain(`\r${clearLine}block `);
    expect(text).to.match(/simulated [1-9]\d* \(DRY, not sent\) │ skipped \d+ │ would earn \$[1-9]/);
    expect(text).to.contain("┌").and.contain("simulated, not sent (DRY)");
    const report = JSON.parse(fs.readFileSync(result.reportPath, "utf8")) as RunReport;
    expect(report.summary.simulatedNotSent).to.be.greaterThan(0);
    expect(report.summary.executions).to.not.have.property("dropped");
    await setPrice(hre, sandbox, "WETH", 3_000);
  });

  it("adopts a crashed run's transaction in flight: counted as included and adopted, /status agrees with today, the hash stays visible", async () => {
    await setPrice(hre, sandbox, "WETH", 3_000); // whatever an earlier test left: healthy again
    const journal = path.join(scratch.directory, "crashed.sqlite");
    const handle = new SandboxMarketHandle(hre, sandbox);
    await handle.prepare(); // automine off: the first run's transaction waits in the mempool
    let hash: string;
    let openAtCrash = 0;
    try {
      const crashed = await openSandboxKeeperSession(hre, {
        sandbox,
        executor: roles.executor,
        operator: roles.operator,
        journalPath: journal,
      });
      try {
        await crashed.engine.start();
        await handle.movePrices([{ symbol: "WETH", usd: (await handle.priceOf("WETH")) * 0.94 }]);
        const tick = await crashed.engine.tick();
        const sent = tick!.decisions.filter((d) => d.execution?.status === "sent");
        expect(
          sent.length,
          `the first run sent its liquidations: ${JSON.stringify(tick!.decisions.map((d) => [d.decision.outcome, d.decision.reason, d.decision.detail, d.execution?.status]))}`,
        ).to.be.greaterThan(0);
        hash = crashed.journal.openIntents()[0]!.attempts[0]!.txHash;
        openAtCrash = crashed.journal.openIntents().length;
      } finally {
        await crashed.close("simulated crash: nothing settled");
      }

      const run = await start({ mode: "LIVE", tty: false, maxBlocks: 2, journal });
      await until(() => run.text().includes("Watching from block"), "the restarted keeper to reconcile");
      expect(run.text()).to.contain("they count as adopted");
      expect(run.text()).to.contain("reconciled an open intent");
      await handle.mine();
      type Status = {
        run: { included: number; adoptedFromEarlierRun: number; realisedProfitUsd: number; netProfitUsd: number };
        today: { realisedProfitUsd: number };
        notes: { today: string };
        reconciliation: unknown;
      };
      const status = async () => (await (await fetch(`http://127.0.0.1:${run.port}/status`)).json()) as Status;
      // Every adopted transaction settled, not just the first: a settle books them one by one, and /status read between
      // two of them (a loaded machine) showed 1 of 2 while the run report, written after, said 2.
      await until(async () => (await status()).run.included >= openAtCrash, "/status to show the adopted liquidations settled");
      const live = await status();
      expect(live.run.adoptedFromEarlierRun).to.be.greaterThan(0);
      // `today` is the risk gate's, net of gas: this run is the day's only one on this journal, so they agree.
      expect(live.run.netProfitUsd).to.be.closeTo(live.today.realisedProfitUsd, 0.01);
      expect(live.run.realisedProfitUsd).to.be.greaterThan(live.run.netProfitUsd);
      expect(live.notes.today).to.contain("UTC day");
      expect(JSON.stringify(live.reconciliation)).to.not.contain("[REDACTED]");
      await handle.mine();
      const result = await run.done;
      // Nothing in this run is secret (the key never reaches the console), so nothing public was taken for a key.
      expect(run.text()).to.not.contain("[REDACTED]");

      const report = JSON.parse(fs.readFileSync(result.reportPath, "utf8")) as RunReport;
      expect(report.summary.included).to.equal(live.run.included);
      expect(report.summary.adopted.included).to.equal(report.summary.included);
      expect(report.summary.realisedProfitUsd).to.be.greaterThan(0);
      expect(report.summary.netProfitUsd).to.be.closeTo(report.summary.today!.realisedProfitUsd, 0.01);
      expect(report.executions.every((e) => e.adopted === true)).to.equal(true);
      const text = fs.readFileSync(result.reportPath, "utf8");
      expect(text).to.contain(`tx ${hash!} in block`);
      expect(text).to.not.contain("[REDACTED]");
    } finally {
      await handle.release();
    }
  });
});
