/**
 * The dashboard's bookkeeping with plain numbers: the funnel timeline, latency and inclusion
 * summaries, the health-factor histogram, the day's P&L, and the feed that ties them to the journal.
 * The feed's journal here is an in-memory stand-in for the three reads it makes (listOpportunities,
 * listExecutions, getExecution), returning records shaped as keeper/journal/records.ts defines them;
 * the real journal, engine and browser are exercised together in test/unit/ops/live-keeper.test.ts.
 */
import { expect } from "chai";
import type { ExecutionRecord, OpportunityRecord } from "../../../../keeper/journal/records";
import type { TrackedPosition } from "../../../../keeper/core/types";
import { ActivityTimeline, DAY_MS } from "../../../../keeper/telemetry/activity-timeline";
import { DayLedger } from "../../../../keeper/telemetry/day-ledger";
import { IntegerCounts, SampleWindow, percentile } from "../../../../keeper/telemetry/distribution";
import { KeeperMetrics } from "../../../../keeper/telemetry/metrics";
import { OperationsFeed, outcomeOf, type OperationsJournal } from "../../../../keeper/telemetry/operations-feed";
import { summarisePositions } from "../../../../keeper/telemetry/position-summary";
import { startTelemetryServer } from "../../../../keeper/telemetry/http-server";

const NOON = Date.UTC(2026, 11, 7, 12);

function execution(overrides: Partial<ExecutionRecord> & { planId: string }): ExecutionRecord {
  return {
    mode: "LIVE",
    state: "sent",
    protocol: "aaveV3",
    market: "aave-v3:main",
    borrower: "0x00000000000000000000000000000000000000b0",
    collateralToken: "0x00000000000000000000000000000000000000c0",
    debtToken: "0x00000000000000000000000000000000000000d0",
    profitToken: "0x00000000000000000000000000000000000000d0",
    debtToCover: 1n,
    flashKind: "balancer",
    flashSource: "0x00000000000000000000000000000000000000f0",
    flashAmount: 1n,
    flashFee: 0n,
    flashFeeUsd: 0,
    expectedProfit: 1n,
    expectedProfitUsd: 100,
    gasUnitsEstimate: 1n,
    detectedBlock: 99,
    deadlineBlock: null,
    signer: null,
    nonce: 0,
    txHash: "0xabc",
    maxFeePerGas: null,
    maxPriorityFeePerGas: null,
    includedBlock: null,
    gasUsed: null,
    effectiveGasPrice: null,
    gasCostWei: null,
    gasCostUsd: null,
    realisedProfit: null,
    realisedProfitUsd: null,
    error: null,
    createdAt: NOON,
    updatedAt: NOON,
    sentAt: NOON,
    settledAt: null,
    ...overrides,
  };
}

function position(borrower: string, hf: number, debtUsd = 1_000): TrackedPosition {
  return {
    key: { protocol: "aaveV3", market: "m", borrower: borrower as `0x${string}` },
    collaterals: [{ token: "0x01", amount: 1n, valueUsd: debtUsd * hf, liquidationThresholdBps: 8_000, liquidationBonusBps: 500 }],
    debts: debtUsd === 0 ? [] : [{ token: "0x02", amount: 1n, valueUsd: debtUsd }],
    healthFactor: debtUsd === 0 ? 2n ** 256n - 1n : BigInt(Math.round(hf * 1e6)) * 10n ** 12n,
    updatedAtBlock: 1,
  } as unknown as TrackedPosition;
}

/** The journal the feed reads, over rows a test writes directly: executions by plan id (oldest first), opportunities. */
function memoryJournal() {
  const rows = new Map<string, ExecutionRecord>();
  const opportunities: OpportunityRecord[] = [];
  const journal: OperationsJournal = {
    listOpportunities: ({ fromMs = 0 }) => opportunities.filter((o) => o.createdAt >= fromMs),
    listExecutions: ({ fromMs = 0 }) => [...rows.values()].filter((e) => e.createdAt >= fromMs).sort((a, b) => a.createdAt - b.createdAt),
    getExecution: (planId) => rows.get(planId),
  };
  return { rows, opportunities, journal };
}

describe("telemetry: the operations feed behind the dashboard", () => {
  it("counts the funnel per second for a short window and per round minutes for a long one, from midnight UTC", () => {
    const timeline = new ActivityTimeline(NOON);
    timeline.record("opportunities", NOON - 20_000, 3);
    timeline.record("sent", NOON - 19_500);
    timeline.record("won", NOON - 1_000);
    timeline.record("opportunities", NOON - DAY_MS); // yesterday: not today's
    const short = timeline.series(NOON);
    expect(short.bucketMs).to.equal(1_000);
    expect(short.today).to.deep.include({ opportunities: 3, sent: 1, won: 1, lost: 0 });
    expect(short.buckets.reduce((n, b) => n + b.opportunities, 0)).to.equal(3);
    expect(short.buckets.length).to.be.at.most(60);

    timeline.record("lost", NOON - 3 * 3_600_000);
    const long = timeline.series(NOON);
    expect(long.bucketMs).to.equal(5 * 60_000);
    expect(long.buckets.reduce((n, b) => n + b.lost, 0)).to.equal(1);
    expect(timeline.series(NOON + DAY_MS).today.opportunities, "a new UTC day starts at zero").to.equal(0);
  });

  it("summarises latency with nearest-rank percentiles over the last samples, and blocks to inclusion exactly", () => {
    expect(percentile([1, 2, 3, 4], 0.5)).to.equal(2);
    expect(percentile([1, 2, 3, 4], 0.99)).to.equal(4);
    const window = new SampleWindow(3);
    for (const ms of [100, 1, 2, 3]) window.add(ms);
    expect(window.summary()).to.deep.include({ count: 3, p50: 2, max: 3 });
    const blocks = new IntegerCounts();
    for (const n of [1, 1, 1, 2, 7, 40]) blocks.add(n);
    expect(blocks.summary()).to.deep.include({ count: 6, p50: 1, p90: 40, max: 40 });
    expect(blocks.histogram([1, 2], [[3, 10]], (low, high) => `${low}-${high}`)).to.deep.equal([
      { label: "1-1", count: 3 },
      { label: "2-2", count: 1 },
      { label: "3-10", count: 1 },
      { label: "11-null", count: 1 },
    ]);
  });

  it("bins health factors and keeps the nearest positions in order, leaving debt-free ones out", () => {
    const summary = summarisePositions(
      [
        {
          id: "m",
          positions: () => [
            position("0xa", 1.3),
            position("0xb", 0.97),
            position("0xc", 1.02),
            position("0xd", 5, 0),
            position("0xe", 0.9),
          ],
        },
      ],
      2,
    );
    expect(summary).to.deep.include({ tracked: 5, liquidatable: 2, withoutDebt: 1 });
    expect(summary.nearest.map((p) => [p.borrower, p.healthFactor])).to.deep.equal([
      ["0xe", 0.9],
      ["0xb", 0.97],
    ]);
    expect(summary.histogram.find((b) => b.label === "< 0.95")!.count).to.equal(1);
    expect(summary.histogram.find((b) => b.label === "1.25–1.5")!.count).to.equal(1);
  });

  it("accumulates the day's realised profit and gas in time order, ignoring yesterday", () => {
    const ledger = new DayLedger(NOON);
    ledger.add(
      execution({ planId: "b", state: "included", settledAt: NOON - 1_000, realisedProfitUsd: 50, gasCostUsd: 2, gasCostWei: 10n ** 15n }),
    );
    ledger.add(execution({ planId: "a", state: "failed", settledAt: NOON - 5_000, gasCostUsd: 1, gasCostWei: 10n ** 15n }));
    ledger.add(execution({ planId: "a", state: "failed", settledAt: NOON - 5_000, gasCostUsd: 1, gasCostWei: 10n ** 15n }));
    ledger.add(execution({ planId: "old", state: "included", settledAt: NOON - DAY_MS, realisedProfitUsd: 999 }));
    const day = ledger.snapshot(NOON);
    expect(day).to.deep.include({ day: "2026-12-07", settled: 2, realisedUsd: 50, gasUsd: 3, gasEth: 0.002, netUsd: 47 });
    expect(day.series.map((p) => p.netUsd)).to.deep.equal([-1, 47]);
  });

  it("follows executions from the journal: sent, won and lost, blocks from the head they were sent at, races and inclusion metrics", async () => {
    let now = NOON;
    const { rows, opportunities, journal } = memoryJournal();
    const metrics = new KeeperMetrics({ processMetrics: false });
    metrics.setOperatorBalanceWei("0xOp", 5n * 10n ** 16n);
    const feed = new OperationsFeed({
      journal,
      markets: [{ id: "m", positions: () => [position("0xa", 1.1)] }],
      metrics,
      alerts: null,
      operator: () => "0xop",
      operatorBalanceFloorEth: 0.1,
      dailyLoss: () => ({ lossUsd: 5, limitUsd: 100 }),
      clock: () => now,
    });
    // Yesterday's settled execution and today's earlier one are loaded at start, without metrics.
    rows.set(
      "early",
      execution({ planId: "early", state: "included", includedBlock: 101, settledAt: NOON - 60_000, createdAt: NOON - 70_000 }),
    );
    feed.start();
    opportunities.push(
      { id: 1, decision: "planned", createdAt: NOON } as OpportunityRecord,
      { id: 2, decision: "skipped", createdAt: NOON } as OpportunityRecord,
    );
    rows.set("p1", execution({ planId: "p1", detectedBlock: 99, createdAt: NOON }));
    rows.set("p2", execution({ planId: "p2", createdAt: NOON }));
    rows.set(
      "dry",
      execution({ planId: "dry", mode: "DRY", state: "dropped", sentAt: null, txHash: null, createdAt: NOON, settledAt: NOON }),
    );
    feed.observeHead({ block: 100, seenAtMs: NOON, blockTimestampMs: NOON - 150, decisionMs: [12, 30], sentPlanIds: ["p1", "p2"] });
    now += 1_000;
    rows.set(
      "p1",
      execution({ planId: "p1", state: "included", includedBlock: 101, settledAt: now, realisedProfitUsd: 80, gasCostUsd: 1 }),
    );
    rows.set(
      "p2",
      execution({
        planId: "p2",
        state: "failed",
        includedBlock: 101,
        settledAt: now,
        error: "lost the race: 0xb was liquidated by 0xrival in block 101 first; ours reverted in block 101",
        gasCostUsd: 1,
      }),
    );
    feed.observeHead({ block: 101, seenAtMs: now, blockTimestampMs: now - 100, decisionMs: [] });

    const snapshot = feed.snapshot();
    expect(snapshot.funnel.today).to.deep.equal({ opportunities: 2, planned: 1, sent: 3, included: 3, won: 2, lost: 1 });
    expect(snapshot.head).to.deep.include({ block: 101, lagMs: 100, ageMs: 0 });
    expect(snapshot.operator).to.deep.equal({ address: "0xop", balanceEth: 0.05, floorEth: 0.1, belowFloor: true });
    expect(snapshot.decisionLatencyMs).to.deep.include({ count: 2, p50: 12, max: 30 });
    const byPlan = Object.fromEntries(snapshot.executions.map((e) => [e.planId, e]));
    expect(byPlan.p1).to.deep.include({ outcome: "won", blocksToInclusion: 1 });
    expect(byPlan.p2).to.deep.include({ outcome: "lost", blocksToInclusion: 1 });
    expect(byPlan.early).to.deep.include({ outcome: "won", blocksToInclusion: 2 });
    expect(byPlan.dry!.outcome).to.equal("dry-run");
    expect(snapshot.pnl).to.deep.include({ realisedUsd: 80, gasUsd: 2 });
    const text = await metrics.metricsText();
    // races_total is the execution stage's to count (settlement.ts), not the feed's: one count per race.
    expect(text).to.include('races_total{result="won"} 0');
    expect(text).to.include("inclusion_blocks_count 2");
    expect(text).to.include("head_block_number 101");
    expect(text).to.include("daily_loss_limit_usd 100");
    expect(text).to.include("operator_balance_floor_eth 0.1");
    expect(text).to.match(/decision_latency_seconds_count 2/);
    expect(outcomeOf(execution({ planId: "x", state: "signed", sentAt: null }))).to.equal("preparing");
    // A revert nobody else caused is a failure, not a lost race.
    expect(outcomeOf(execution({ planId: "r", state: "failed", error: "reverted on chain" }))).to.equal("failed");
  });

  it("labels settled liquidations by path: an OEV-sized plan counts under path=oev with its profit, a plain one under open", async () => {
    let now = NOON;
    const { rows, opportunities, journal } = memoryJournal();
    const metrics = new KeeperMetrics({ processMetrics: false });
    const feed = new OperationsFeed({
      journal,
      markets: [],
      metrics,
      alerts: null,
      operator: () => null,
      operatorBalanceFloorEth: 0,
      dailyLoss: () => ({ lossUsd: 0, limitUsd: 0 }),
      clock: () => now,
    });
    feed.start();
    const before = await metrics.metricsText();
    expect(before).to.include('liquidations_total{path="oev",result="won"} 0');
    expect(before).to.include('liquidation_profit_usd_total{path="open"} 0');
    const planned = (id: number, planId: string, sizingRule: string) =>
      ({ id, decision: "planned", planId, sizingRule, createdAt: NOON }) as OpportunityRecord;
    opportunities.push(
      planned(1, "oev-won", "moonwell-oev(liquidator 40% of bonus)+moonwell-close-factor-50%"),
      planned(2, "oev-lost", "moonwell-oev(liquidator 40% of bonus)+moonwell-close-factor-50%"),
      planned(3, "open-won", "moonwell-close-factor-50%"),
    );
    for (const planId of ["oev-won", "oev-lost", "open-won"]) rows.set(planId, execution({ planId, createdAt: NOON }));
    feed.observeHead({ block: 100, seenAtMs: now, blockTimestampMs: now, decisionMs: [] });
    now += 1_000;
    const settle = (planId: string, state: "included" | "failed", realisedProfitUsd: number | null) =>
      rows.set(planId, execution({ planId, state, includedBlock: 101, settledAt: now, createdAt: NOON, realisedProfitUsd }));
    settle("oev-won", "included", 40);
    settle("oev-lost", "failed", null);
    settle("open-won", "included", 7);
    feed.observeHead({ block: 101, seenAtMs: now, blockTimestampMs: now, decisionMs: [] });

    const text = await metrics.metricsText();
    expect(text).to.include('liquidations_total{path="oev",result="won"} 1');
    expect(text).to.include('liquidations_total{path="oev",result="lost"} 1');
    expect(text).to.include('liquidations_total{path="open",result="won"} 1');
    expect(text).to.include('liquidations_total{path="open",result="lost"} 0');
    expect(text).to.include('liquidation_profit_usd_total{path="oev"} 40');
    expect(text).to.include('liquidation_profit_usd_total{path="open"} 7');
  });

  it("serves the page and its two files at /, with a Content-Security-Policy that allows nothing from elsewhere", async () => {
    const server = await startTelemetryServer({
      port: 0,
      metrics: new KeeperMetrics({ processMetrics: false }),
      readiness: () => ({ rpcHeadFresh: true, journalWritable: true, breakerState: "NORMAL" }),
      status: () => ({}),
    });
    try {
      const page = await fetch(`${server.url}/`);
      expect(page.headers.get("content-type")).to.match(/^text\/html/);
      expect(page.headers.get("content-security-policy")).to.include("default-src 'none'; script-src 'self'");
      const html = await page.text();
      expect(html).to.include('<script src="/dashboard.js" defer></script>');
      expect(html).to.not.match(/https?:\/\//);
      expect((await fetch(`${server.url}/dashboard.js`)).headers.get("content-type")).to.match(/^text\/javascript/);
      expect((await fetch(`${server.url}/dashboard.css`)).status).to.equal(200);
      expect(((await (await fetch(`${server.url}/nope`)).json()) as { routes: string[] }).routes).to.include("/");
    } finally {
      await server.close();
    }
  });
});
