/**
 * The keeper as it runs on Base, end to end on the clock-driven sandbox: the chain mines every 500 ms on its own
 * (pairs of blocks share a whole-second timestamp, as five do on Base), price steps land at random moments inside a
 * block, a rival liquidator with its own key watches the same oracle logs, and the keeper is a separate process
 * reading heads and oracle logs by eth_subscribe over a WebSocket (through a TCP proxy the test can cut) and
 * everything else over HTTP. Every outcome is checked against the chain's own LiquidationCall events:
 *  - against a rival that waits 3 s, the keeper liquidates first (a won race);
 *  - with its WebSocket cut and refused while a price update lands, it reconnects, fills the gap over HTTP and
 *    still liquidates that update's position;
 *  - against an instant rival bidding more, the rival's liquidation goes first in the same block, the keeper's
 *    reverts, and the keeper records a LOST race — journal, run report, races_total — not a failure: the
 *    circuit breaker stays NORMAL.
 * No timing target is asserted: 500 ms blocks leave the keeper ample time, and the race outcomes follow from the
 * rival's delay and bid, not from the machine's speed.
 */
import fs from "node:fs";
import defaultRuntime from "hardhat";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { createClockedRuntime } from "../../../../sandbox/clock/clocked-runtime";
import { expect } from "chai";
import type { OpenedBorrower } from "../../../../sandbox";
import { openAaveBorrowers } from "../../../../sandbox/borrowers";
import { openClockedSandbox, type ClockedSandbox } from "../../../../keeper/run/clocked-sandbox";
import type { RunReport } from "../../../../keeper/run/run-report";
import { Journal } from "../../../../keeper/journal/journal";
import { LOST_RACE_PREFIX } from "../../../../keeper/execution/race-ledger";
import { makeScratchDirectory, type ScratchDirectory } from "../../../shared/keeper-harness";
import { freePort } from "../../../shared/keeper-process";
import { TcpProxy } from "../../../shared/tcp-proxy";

const BLOCK_TIME_MS = 500;

function metricValue(text: string, name: string, label: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(name) && l.includes(label));
  return line === undefined ? undefined : Number(line.split(" ").at(-1));
}

describe("keeper e2e: racing on a chain with its own clock (a separate keeper process over WebSocket)", function () {
  this.timeout(900_000);
  /** The clocked chain: its own in-process chain, which may mine several blocks to a second. */
  let hre: HardhatRuntimeEnvironment;
  let scratch: ScratchDirectory;
  let proxy: TcpProxy | undefined;
  let track: ClockedSandbox;
  let a: OpenedBorrower;
  let b: OpenedBorrower;
  let c: OpenedBorrower;
  let startPrices: { WETH: number; cbBTC: number };
  const lines: string[] = [];

  before(async () => {
    hre = await createClockedRuntime(defaultRuntime);
    scratch = makeScratchDirectory("chimera-clock-race-");
    track = await openClockedSandbox({
      hre,
      directory: scratch.path,
      metricsPort: await freePort(),
      seed: 11,
      blockTimeMs: BLOCK_TIME_MS,
      rival: null,
      keeperConfig: {
        blockTimeMs: BLOCK_TIME_MS,
        markets: { morphoBlue: { enabled: false, batchSize: 250 } },
        // Generous times: this machine may be shared and slow, and this test is about races, not speed.
        execution: { planDeadlineMs: 5_000, inclusionTimeoutMs: 2_000, retryBackoff: { initialMs: 500, maxMs: 5_000 } },
      },
      onKeeperLine: (line) => lines.push(line),
      subscriptionUrl: async (wsUrl) => {
        const url = new URL(wsUrl);
        proxy = await TcpProxy.start({ host: url.hostname, port: Number(url.port) });
        return proxy.wsUrl;
      },
      populate: async (sandbox) => {
        const open = (seed: number, collateral: string, healthFactor: number) =>
          openAaveBorrowers(hre, sandbox, {
            count: 1,
            seed,
            collateral,
            debt: "USDC",
            healthFactor: { min: healthFactor, max: healthFactor },
            debtUsd: { min: 10_000, max: 10_000 },
          });
        // A and C on WETH (C crosses only after a fall that A's liquidation has made safe for A); B on cbBTC.
        [a] = await open(7_001, "WETH", 1.03);
        [b] = await open(7_002, "cbBTC", 1.05);
        [c] = await open(7_003, "WETH", 1.12);
        startPrices = {
          WETH: Number((await sandbox.priceFeeds.WETH!.latestRoundData()).answer) / 1e8,
          cbBTC: Number((await sandbox.priceFeeds.cbBTC!.latestRoundData()).answer) / 1e8,
        };
        return [a!, b!, c!];
      },
    });
  });

  after(async () => {
    const exit = await track?.close().catch(() => null);
    if (exit?.reportPath) fs.rmSync(exit.reportPath, { force: true });
    await proxy?.close();
    scratch?.remove();
  });

  /** Moves `symbol` just below `borrower`'s liquidation price; waits until someone liquidates them; who did. */
  async function crossAndAwait(borrower: OpenedBorrower, symbol: "WETH" | "cbBTC") {
    const step = await track.handle.movePricesReport([{ symbol, usd: (startPrices[symbol] / borrower.targetHealthFactor) * 0.995 }]);
    for (let waited = 0; waited < 40; waited++) {
      const first = (await track.liquidations(step.block.number)).find((l) => l.borrower === borrower.address.toLowerCase());
      if (first !== undefined) return { step, first };
      await track.handle.mine();
    }
    throw new Error(
      `nobody liquidated ${borrower.address} within 40 blocks of block ${step.block.number}:\n${lines.slice(-30).join("\n")}`,
    );
  }

  it("wins against a rival that waits 3 s", async () => {
    track.rival.setReaction({ delayMs: 3_000, priorityFeeGwei: 2 });
    const { step, first } = await crossAndAwait(a, "WETH");
    expect(first.by).to.equal("keeper");
    expect(first.blockNumber).to.be.greaterThan(step.block.number);
    // Blocks on this chain share whole seconds (500 ms apart): the keeper's heads come with Denim's timestampMs.
    const [n, n1] = await Promise.all([step.block.number, step.block.number + 1].map((x) => hre.ethers.provider.getBlock(x)));
    expect(Math.floor(step.block.timestampMs / 1_000)).to.equal(n!.timestamp);
    expect(n1 === null || n1.timestamp - n!.timestamp <= 1).to.equal(true);
  });

  it("reconnects a WebSocket cut while a price update lands, and still liquidates that update's position", async () => {
    track.rival.setReaction(null);
    proxy!.refuse(1_500);
    proxy!.drop();
    const { first } = await crossAndAwait(b, "cbBTC");
    expect(first.by).to.equal("keeper");
    // The keeper told the outage once and its end once, and the subscription is back.
    const deadline = Date.now() + 30_000;
    while (!lines.some((line) => line.includes("subscription endpoint node-ws recovered")) && Date.now() < deadline) {
      await track.handle.mine();
    }
    expect(lines.filter((line) => line.includes("subscription endpoint node-ws down"))).to.have.length(1);
    expect(lines.some((line) => line.includes("subscription endpoint node-ws recovered"))).to.equal(true);
    expect(proxy!.accepted, "a second WebSocket connection").to.be.at.least(2);
  });

  it("loses to an instant rival bidding more, and records the race as lost, not as a failure", async () => {
    track.rival.setReaction({ delayMs: 0, priorityFeeGwei: 50 });
    const { step, first } = await crossAndAwait(c, "WETH");
    expect(first.by).to.equal("rival");
    // Let the keeper settle its reverted attempt.
    let lost: number | undefined;
    for (let waited = 0; waited < 20 && !(lost! >= 1); waited++) {
      await track.handle.mine();
      lost = metricValue((await track.keeper.metrics()) ?? "", "races_total", 'result="lost"');
    }
    expect(lost, `races_total{result=lost}; the keeper said:\n${lines.slice(-25).join("\n")}`).to.equal(1);
    const status = (await track.keeper.status())!;
    expect((status.breaker as { state: string }).state).to.equal("NORMAL");
    const liquidatedAfter = (await track.liquidations(step.block.number)).filter((l) => l.borrower === c.address.toLowerCase());
    expect(
      liquidatedAfter.every((l) => l.by === "rival"),
      "the keeper's attempt on C reverted",
    ).to.equal(true);

    const exit = await track.close();
    expect(exit.code, exit.output.split("\n").slice(-20).join("\n")).to.equal(0);
    const report = JSON.parse(fs.readFileSync(exit.reportPath!, "utf8")) as RunReport;
    fs.rmSync(exit.reportPath!, { force: true });
    expect(report.summary.races).to.deep.equal({ won: 2, lost: 1 });
    const lostExecution = report.executions.find((e) => e.lostRace === true)!;
    expect(String(lostExecution.borrower).toLowerCase()).to.equal(c.address.toLowerCase());
    expect(report.summary.priceToInclusion.samples).to.equal(2);
    // Chain time from the update's block to the liquidation's, where both blocks' timestampMs were seen.
    const latencies = report.executions
      .filter((x) => x.state === "included")
      .map((e) => e.priceToInclusion as { blocks: number; ms?: number });
    for (const latency of latencies) {
      expect(latency.blocks).to.be.at.least(1);
      if (latency.ms !== undefined) expect(latency.ms).to.equal(latency.blocks * BLOCK_TIME_MS);
    }
    expect(latencies.some((latency) => latency.ms !== undefined)).to.equal(true);
    const journal = Journal.open(track.journalPath);
    try {
      const races = journal.listSystemEvents({ kinds: ["race_lost"] });
      expect(races).to.have.length(1);
      expect(races[0]!.detail.startsWith(LOST_RACE_PREFIX)).to.equal(true);
      expect(String((races[0]!.data as { borrower: string }).borrower).toLowerCase()).to.equal(c.address.toLowerCase());
      // Whether its transaction reverted behind the rival's or its simulation found the position taken, the
      // attempt is the only execution that did not land, and nothing else failed.
      const failed = journal.listExecutions({ fromMs: 0 }).filter((e) => e.state === "failed");
      expect(failed.map((e) => e.borrower.toLowerCase())).to.deep.equal([c.address.toLowerCase()]);
    } finally {
      journal.close();
    }
  });
});
