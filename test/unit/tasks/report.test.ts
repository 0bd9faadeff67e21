import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { executorFixture } from "../../shared/executor-fixture";
import { unhealthyAavePositions } from "../contracts/helpers/positions";
import { FlashSource, aaveLiquidation, flashLoan, packedPath, uniswapSwap } from "../contracts/helpers/plans";
import { Journal } from "../../../keeper/journal/journal";
import type { FetchTreasuryReceipts, TreasuryReceipt } from "../../../keeper/journal/treasury-reconciliation";
import { ReconcileFailedError, parseReportDay, runReport, type ReportResult } from "../../../tasks/report";
import { OPERATOR, USDC, WETH, attempt, makePlan, makeTempDir, removeDir, txHash } from "../keeper/journal/journal-fixtures";
import { rejection } from "./helpers/rejection";

const DAY1 = Date.UTC(2026, 2, 1, 10); // 2026-03-01
const DAY2 = Date.UTC(2026, 2, 2, 10); // 2026-03-02
const GWEI = 1_000_000_000n;

type Outcome = "included" | "failed-on-chain" | "dry-run" | "open";

interface Seed {
  readonly id: string;
  readonly at: number;
  readonly market: string;
  readonly outcome: Outcome;
  readonly expectedProfit?: bigint;
  readonly realisedProfit?: bigint;
  readonly realisedProfitUsd?: number;
  readonly gasUsed?: bigint;
  readonly gasCostUsd?: number;
  readonly hash?: number;
}

/** Journals one execution through the same calls the executor makes, at a pinned time. */
function seed(journalPath: string, s: Seed): void {
  const journal = Journal.open(journalPath, { clock: () => s.at });
  try {
    const plan = makePlan({
      id: s.id,
      market: s.market,
      expectedProfit: s.expectedProfit ?? 100n * 10n ** 6n,
      expectedProfitUsd: 100,
      flashFee: 5_000_000n,
    });
    journal.planExecution(plan, { mode: s.outcome === "dry-run" ? "DRY" : "LIVE", flashFeeUsd: 5 });
    journal.markSimulated(s.id);
    if (s.outcome === "dry-run") {
      journal.markDropped(s.id, "dry-run");
      return;
    }
    const tx = attempt(s.hash!, s.hash!);
    journal.recordIntent(s.id, {
      signer: OPERATOR,
      nonce: tx.nonce,
      maxFeePerGas: tx.maxFeePerGas,
      maxPriorityFeePerGas: tx.maxPriorityFeePerGas,
    });
    journal.markSigned(s.id, tx);
    journal.markSent(s.id);
    const receipt = {
      txHash: tx.txHash,
      blockNumber: 10,
      gasUsed: s.gasUsed ?? 1_000_000n,
      effectiveGasPrice: GWEI / 100n,
      gasCostUsd: s.gasCostUsd,
    };
    if (s.outcome === "included") {
      journal.markIncluded(s.id, { ...receipt, realisedProfit: s.realisedProfit!, realisedProfitUsd: s.realisedProfitUsd! });
    } else if (s.outcome === "failed-on-chain") {
      journal.markFailed(s.id, { error: "reverted: InsufficientProfit(1, 2)", receipt });
    }
  } finally {
    journal.close();
  }
}

/** Runs a task with console.log captured, returning what it printed and returned. */
async function runTask(args: Record<string, unknown>): Promise<{ printed: string; result: ReportResult }> {
  const printed: string[] = [];
  const original = console.log;
  console.log = (...parts: unknown[]) => printed.push(parts.join(" "));
  try {
    const result = (await hre.run("report", args)) as ReportResult;
    return { printed: printed.join("\n"), result };
  } finally {
    console.log = original;
  }
}

/** Runs `report --reconcile` expecting it to fail (non-zero exit): what it printed, its error and its result. */
async function runFailingReconcile(args: Record<string, unknown>): Promise<{ printed: string; message: string; result: ReportResult }> {
  const printed: string[] = [];
  const original = console.log;
  console.log = (...parts: unknown[]) => printed.push(parts.join(" "));
  try {
    await hre.run("report", { ...args, reconcile: true });
  } catch (error) {
    const parent = (error as { parent?: unknown }).parent;
    expect(parent, (error as Error).message).to.be.instanceOf(ReconcileFailedError);
    return { printed: printed.join("\n"), message: (error as Error).message, result: (parent as ReconcileFailedError).result };
  } finally {
    console.log = original;
  }
  return expect.fail("report --reconcile succeeded; expected it to fail");
}

describe("task: report", () => {
  let dir: string;
  let journalPath: string;

  beforeEach(() => {
    dir = makeTempDir("report");
    journalPath = path.join(dir, "keeper-test.sqlite");
    // Day 1, market A: two included (one exact, one 10% short of its simulation), one reverted on chain.
    seed(journalPath, {
      id: "a1",
      at: DAY1,
      market: "aave-base",
      outcome: "included",
      realisedProfit: 100n * 10n ** 6n,
      realisedProfitUsd: 100,
      gasCostUsd: 0.03,
      hash: 1,
    });
    seed(journalPath, {
      id: "a2",
      at: DAY1 + 1,
      market: "aave-base",
      outcome: "included",
      realisedProfit: 90n * 10n ** 6n,
      realisedProfitUsd: 90,
      gasCostUsd: 0.03,
      hash: 2,
    });
    seed(journalPath, {
      id: "a3",
      at: DAY1 + 2,
      market: "aave-base",
      outcome: "failed-on-chain",
      gasUsed: 400_000n,
      gasCostUsd: 0.01,
      hash: 3,
    });
    // Day 1, market B: a DRY-mode simulation that was never sent.
    seed(journalPath, { id: "b1", at: DAY1 + 3, market: "morpho-base", outcome: "dry-run" });
    // Day 2, market B: one included without a USD gas price, one still in flight.
    seed(journalPath, {
      id: "b2",
      at: DAY2,
      market: "morpho-base",
      outcome: "included",
      realisedProfit: 50n * 10n ** 6n,
      realisedProfitUsd: 50,
      hash: 4,
    });
    seed(journalPath, { id: "b3", at: DAY2 + 1, market: "morpho-base", outcome: "open", hash: 5 });
  });

  afterEach(() => removeDir(dir));

  it("prints daily and per-market P&L, inclusion rate and simulation accuracy from a journal", async () => {
    const { printed, result } = await runTask({ journal: journalPath });
    const { total, byDay, byMarket } = result.report;

    expect(total).to.include({ executions: 6, dryRuns: 1, broadcast: 5, included: 3, failed: 1, dropped: 1, open: 1, gasUnpriced: 1 });
    // Inclusion counts settled broadcasts only: 3 included of 4 settled (the open one waits).
    expect(total.inclusionRate).to.equal(3 / 4);
    expect(total.realisedProfitUsd).to.equal(240);
    expect(total.gasUsd).to.be.closeTo(0.07, 1e-12);
    expect(total.netUsd).to.be.closeTo(240 - 0.07, 1e-9);
    expect(total.flashFeesUsd).to.equal(15);
    // Gas ETH: (1M + 1M + 0.4M + 1M) gas × 0.01 gwei.
    expect(total.gasEth).to.be.closeTo(Number(3_400_000n * (GWEI / 100n)) / 1e18, 1e-18);
    expect(total.simulation).to.deep.equal({
      samples: 3,
      meanRatio: (1 + 0.9 + 0.5) / 3,
      meanAbsErrorPct: (0 + 10 + 50) / 3,
      within10Pct: 2,
    });

    expect(byDay.map((l) => [l.day, l.executions, l.included, l.realisedProfitUsd])).to.deep.equal([
      ["2026-03-01", 4, 2, 190],
      ["2026-03-02", 2, 1, 50],
    ]);
    expect(byMarket.map((l) => [l.market, l.included, l.inclusionRate])).to.deep.equal([
      ["aave-base", 2, 2 / 3],
      ["morpho-base", 1, 1],
    ]);
    expect(printed).to.include("By day");
    expect(printed).to.match(/^2026-03-01 .* 190\.00 /m);
    expect(printed).to.include("paid gas journaled without a USD price");
  });

  it("limits the report to --since … --until, inclusive, and writes the CSV", async () => {
    const csv = path.join(dir, "out", "pnl.csv");
    const { result } = await runTask({ journal: journalPath, since: "2026-03-02", until: "2026-03-02", csv });
    expect(result.report.total.executions).to.equal(2);
    expect(result.csvPath).to.equal(csv);

    const rows = fs
      .readFileSync(csv, "utf8")
      .trim()
      .split("\n")
      .map((r) => r.split(","));
    const header = rows[0];
    expect(header.slice(0, 3)).to.deep.equal(["day", "market", "executions"]);
    const cell = (row: string[], column: string) => row[header.indexOf(column)];
    const dayMarket = rows.find((r) => r[0] === "2026-03-02" && r[1] === "morpho-base")!;
    expect(cell(dayMarket, "included")).to.equal("1");
    expect(cell(dayMarket, "realised_profit_usd")).to.equal("50.00");
    expect(cell(dayMarket, "inclusion_rate")).to.equal("1.0000");
    expect(rows.at(-1)!.slice(0, 3)).to.deep.equal(["ALL", "ALL", "2"]);

    const dayOne = await runTask({ journal: journalPath, until: "2026-03-01" });
    expect(dayOne.result.report.total.executions).to.equal(4);
  });

  it("names the flag and the expected format for a bad date, and a reversed range", async () => {
    await rejection(
      runTask({ journal: journalPath, since: "2026-13-01" }),
      /--since "2026-13-01" is not a valid date; expected YYYY-MM-DD/,
    );
    await rejection(runTask({ journal: journalPath, until: "2026-02-30" }), /--until "2026-02-30" is not a valid date/);
    await rejection(runTask({ journal: journalPath, since: "03/01/2026" }), /--since "03\/01\/2026"/);
    await rejection(
      runTask({ journal: journalPath, since: "2026-03-02", until: "2026-03-01" }),
      /--since 2026-03-02 is after --until 2026-03-01/,
    );
    expect(parseReportDay("--since", "2024-02-29")).to.equal(Date.UTC(2024, 1, 29));
  });

  it("names a missing journal", async () => {
    await rejection(runTask({ journal: path.join(dir, "none.sqlite") }), /no journal at .*none\.sqlite/);
  });

  it("--reconcile names each included tx whose treasury receipt differs, with journal and chain figures", async () => {
    const receipts: Record<string, TreasuryReceipt> = {
      [txHash(1)]: {
        txHash: txHash(1),
        status: "success",
        payments: [{ executor: OPERATOR, profitToken: USDC, treasury: OPERATOR, profit: 100n * 10n ** 6n }],
      },
      [txHash(2)]: {
        txHash: txHash(2),
        status: "success",
        payments: [{ executor: OPERATOR, profitToken: USDC, treasury: OPERATOR, profit: 89n * 10n ** 6n }],
      },
      [txHash(4)]: {
        txHash: txHash(4),
        status: "success",
        payments: [{ executor: OPERATOR, profitToken: WETH, treasury: OPERATOR, profit: 1n }],
      },
    };
    const requested: string[][] = [];
    // Test double for the RPC side only; the comparison under test is the real one.
    const fetcher: FetchTreasuryReceipts = async (hashes) => {
      requested.push([...hashes]);
      return new Map(hashes.map((h) => [h, receipts[h] ?? { txHash: h, status: "not-found", payments: [] }]));
    };
    const printed: string[] = [];
    const result = await runReport(
      { journal: journalPath, reconcile: true },
      { projectRoot: dir, network: "test", treasuryReceipts: async () => fetcher, print: (t) => printed.push(t) },
    );

    expect(requested).to.deep.equal([[txHash(1), txHash(2), txHash(4)]]);
    const r = result.reconciliation!;
    expect(r).to.include({ checked: 3, matched: 1 });
    expect(r.differences.map((d) => [d.planId, d.kind, d.journalProfit, d.chainProfit])).to.deep.equal([
      ["a2", "amount-differs", 90_000_000n, 89_000_000n],
      ["b2", "profit-token-differs", 50_000_000n, 0n],
    ]);
    const text = printed.join("\n");
    expect(text).to.include(`txHash=${txHash(2)} plan a2 (aave-base): amount-differs, journal 90000000 vs chain 89000000`);
    expect(text).to.include(`txHash=${txHash(4)}`);
  });

  it("--reconcile against the in-process chain: a receipt without PlanExecuted and an unknown tx are differences", async function () {
    const [sender, recipient] = await hre.ethers.getSigners();
    const sent = await sender.sendTransaction({ to: recipient.address, value: 1n });
    const mined = (await sent.wait())!;
    const onChain = path.join(dir, "on-chain.sqlite");
    const journal = Journal.open(onChain);
    try {
      for (const [id, hash] of [
        ["real", mined.hash],
        ["ghost", txHash(77)],
      ] as const) {
        journal.planExecution(makePlan({ id }), { mode: "LIVE" });
        journal.markSimulated(id);
        journal.recordIntent(id, { signer: OPERATOR, nonce: 1, maxFeePerGas: 1n, maxPriorityFeePerGas: 1n });
        journal.markSigned(id, attempt(1, 1, { txHash: hash }));
        journal.markSent(id);
        journal.markIncluded(id, {
          txHash: hash,
          blockNumber: mined.blockNumber,
          gasUsed: 21_000n,
          effectiveGasPrice: 1n,
          realisedProfit: 7n,
          realisedProfitUsd: 0,
        });
      }
    } finally {
      journal.close();
    }

    const { printed, result, message } = await runFailingReconcile({ journal: onChain });
    expect(message).to.contain("2 difference(s)");
    expect(result.reconciliation!.differences.map((d) => [d.txHash, d.kind])).to.deep.equal([
      [mined.hash, "no-profit-event"],
      [txHash(77), "not-found-on-chain"],
    ]);
    expect(printed).to.include(`txHash=${mined.hash}`);
  });

  it("--reconcile a genuine executor liquidation: the treasury's PlanExecuted receipt matches, a wrong journal figure is named", async function () {
    // The real executor, deployed by its Ignition module, liquidating a real Aave V3 position in the sandbox.
    const f = await loadFixture(executorFixture);
    const [position] = await unhealthyAavePositions(f.sandbox);
    const { book, tokens } = f.sandbox;
    const treasuryBefore = await tokens.USDC.balanceOf(f.treasury.address);
    const tx = await f.executor.liquidate({
      flash: flashLoan(FlashSource.BalancerV2, book.flash.balancerVault!, position.debtToken, position.debtToCover),
      liquidation: aaveLiquidation({
        pool: book.aaveV3!.pool,
        borrower: position.borrower,
        collateralToken: position.collateralToken,
        debtToken: position.debtToken,
        debtToCover: position.debtToCover,
        swap: uniswapSwap(book.uniswapV3!.swapRouter02, packedPath([book.tokens.WETH.address, book.tokens.USDC.address], [500]), 0n),
      }),
      profitToken: position.debtToken,
      minProfit: 1n,
      deadlineBlock: (await hre.ethers.provider.getBlockNumber()) + 10,
    });
    const mined = (await tx.wait())!;
    // What the keeper journals as realised: the treasury's balance growth, measured independently of the event.
    const received = (await tokens.USDC.balanceOf(f.treasury.address)) - treasuryBefore;
    expect(received).to.be.greaterThan(0n);

    const journalWith = (file: string, realisedProfit: bigint) => {
      const journal = Journal.open(path.join(dir, file));
      try {
        const id = "genuine";
        journal.planExecution({ ...makePlan({ id }), profitToken: position.debtToken as `0x${string}` }, { mode: "LIVE" });
        journal.markSimulated(id);
        journal.recordIntent(id, { signer: OPERATOR, nonce: tx.nonce, maxFeePerGas: 1n, maxPriorityFeePerGas: 1n });
        journal.markSigned(id, attempt(1, tx.nonce, { txHash: mined.hash }));
        journal.markSent(id);
        journal.markIncluded(id, {
          txHash: mined.hash,
          blockNumber: mined.blockNumber,
          gasUsed: mined.gasUsed,
          effectiveGasPrice: mined.gasPrice,
          realisedProfit,
          realisedProfitUsd: 1,
        });
      } finally {
        journal.close();
      }
      return path.join(dir, file);
    };
    const executor = await f.executor.getAddress();

    const right = await runTask({ journal: journalWith("right.sqlite", received), reconcile: true, executor });
    expect(right.result.reconciliation).to.deep.include({ checked: 1, matched: 1, differences: [] });
    expect(right.printed).to.include("No differences.");

    const wrong = await runFailingReconcile({ journal: journalWith("wrong.sqlite", received + 1n), executor });
    expect(wrong.result.reconciliation!.differences.map((d) => [d.txHash, d.kind, d.journalProfit, d.chainProfit])).to.deep.equal([
      [mined.hash, "amount-differs", received + 1n, received],
    ]);
    expect(wrong.printed).to.include(`txHash=${mined.hash}`);

    // Events from another executor address are not the treasury's receipts for this one.
    const elsewhere = await runFailingReconcile({ journal: path.join(dir, "right.sqlite"), executor: OPERATOR });
    expect(elsewhere.result.reconciliation!.differences.map((d) => d.kind)).to.deep.equal(["no-profit-event"]);
  });

  it("--reconcile on a journal whose chain is gone says so and fails (a sandbox run's journal, read after its chain ended)", async () => {
    // journalPath's transactions (txHash(1)…) never existed on this chain: the journal belongs to another one.
    const { printed, message, result } = await runFailingReconcile({ journal: journalPath });
    expect(result.reconciliation!.checked).to.be.greaterThan(0);
    expect(message).to.contain("is on the chain of --network hardhat").and.contain("belongs to another chain");
    expect(printed).to.contain("Nothing could be reconciled");
  });

  it("the day flags are --since/--until; --from and --to (a signer everywhere else) are refused naming them", async () => {
    await rejection(runTask({ journal: journalPath, from: "2026-03-02" }), /--since 2026-03-02/);
    await rejection(runTask({ journal: journalPath, to: "2026-03-02" }), /--until 2026-03-02/);
    const params = Object.keys(hre.tasks.report.paramDefinitions);
    expect(params).to.include.members(["since", "until"]);
    expect(hre.tasks.report.paramDefinitions.from.description).to.contain("--since");
  });

  it("rejects a malformed --executor", async () => {
    await rejection(runTask({ journal: journalPath, reconcile: true, executor: "0x123" }), /--executor "0x123" is not an address/);
  });
});
