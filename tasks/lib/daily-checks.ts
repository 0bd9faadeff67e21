/**
 * The facts and judgements behind `npx hardhat daily` (tasks/daily.ts), kept apart from the task so
 * each check reads as the runbook line it implements. Journal reads are read-only (safe while a
 * keeper runs); every "needs a person" item names what to do.
 */
import type { Provider } from "ethers";
import { formatUnits } from "ethers";
import { Multicall3Client } from "../../keeper/chain/multicall";
import type { Address, AddressBook } from "../../keeper/config/address-book";
import { createPluginContext } from "../../keeper/core/plugin-context";
import type { ChainReader } from "../../keeper/markets/market-dependencies";
import type { ExecutionRecord, SystemEventRecord } from "../../keeper/journal/records";

export const DAY_MS = 86_400_000;
/** Same thresholds as the Prometheus rules (ops/prometheus/rules): a person looks above them. */
export const FAILED_SHARE_LIMIT = 0.25;
export const FAILED_SHARE_MIN_SENT = 4;
export const LOSS_SHARE_OF_LIMIT = 0.8;
/** A realised profit this far from the simulation's expectation is worth a look. */
export const PROFIT_DEVIATION_LIMIT = 0.2;
/** An intent still open after this long is stuck (the keeper reconciles on restart). */
export const STUCK_INTENT_MS = 10 * 60_000;

export interface ExecutionSummary {
  readonly total: number;
  readonly byState: Readonly<Record<string, number>>;
  readonly sent: number;
  readonly won: number;
  readonly lost: number;
  readonly realisedUsd: number;
  readonly gasUsd: number;
  readonly failures: readonly ExecutionRecord[];
}

export function summariseExecutions(executions: readonly ExecutionRecord[]): ExecutionSummary {
  const byState: Record<string, number> = {};
  for (const execution of executions) byState[execution.state] = (byState[execution.state] ?? 0) + 1;
  const sent = executions.filter((e) => e.sentAt !== null);
  const terminalSent = sent.filter((e) => ["included", "failed", "replaced", "dropped"].includes(e.state));
  return {
    total: executions.length,
    byState,
    sent: sent.length,
    won: terminalSent.filter((e) => e.state === "included").length,
    lost: terminalSent.filter((e) => e.state !== "included").length,
    realisedUsd: executions.reduce((sum, e) => sum + (e.realisedProfitUsd ?? 0), 0),
    gasUsd: executions.reduce((sum, e) => sum + (e.gasCostUsd ?? 0), 0),
    failures: executions.filter((e) => e.state === "failed" && e.error !== null),
  };
}

/** More than a quarter of at least four sent executions lost: the ChimeraRevertRateHigh rule, per day. */
export function failedShareProblem(summary: ExecutionSummary): string | null {
  const settled = summary.won + summary.lost;
  if (settled < FAILED_SHARE_MIN_SENT || summary.lost / settled <= FAILED_SHARE_LIMIT) return null;
  return `${summary.lost} of ${settled} sent executions were lost (${((100 * summary.lost) / settled).toFixed(0)}%, limit ${FAILED_SHARE_LIMIT * 100}%): review the failures below and the breaker`;
}

/** Alerts raised and not resolved, from the journal's `alert` events (oldest first). */
export function openAlerts(events: readonly SystemEventRecord[]): { key: string; severity: string; detail: string; at: number }[] {
  const open = new Map<string, { key: string; severity: string; detail: string; at: number }>();
  for (const event of events) {
    const data = event.data as { key?: string; severity?: string; action?: string } | null;
    if (typeof data?.key !== "string") continue;
    if (data.action === "resolve") open.delete(data.key);
    else open.set(data.key, { key: data.key, severity: data.severity ?? "unknown", detail: event.detail, at: event.createdAt });
  }
  return [...open.values()];
}

/** Included executions whose realised profit is more than 20% off what the simulation expected. */
export function profitDeviations(executions: readonly ExecutionRecord[]): string[] {
  return executions
    .filter((e) => e.state === "included" && e.realisedProfitUsd !== null && e.expectedProfitUsd > 0)
    .filter((e) => Math.abs(e.realisedProfitUsd! - e.expectedProfitUsd) / e.expectedProfitUsd > PROFIT_DEVIATION_LIMIT)
    .map(
      (e) =>
        `${e.txHash ?? e.planId}: realised $${e.realisedProfitUsd!.toFixed(2)} vs expected $${e.expectedProfitUsd.toFixed(2)} (${e.market}); the simulation and the chain disagree`,
    );
}

export function stuckIntents(executions: readonly ExecutionRecord[], nowMs: number): string[] {
  return executions
    .filter((e) => ["intent_recorded", "signed", "sent"].includes(e.state) && nowMs - e.updatedAt > STUCK_INTENT_MS)
    .map(
      (e) =>
        `${e.planId} has been ${e.state} for ${Math.round((nowMs - e.updatedAt) / 60_000)} min (nonce ${e.nonce ?? "?"}): restart the keeper so it reconciles, or check the key's nonce`,
    );
}

export interface LenderLiquidity {
  readonly lender: string;
  readonly address: Address;
  readonly token: string;
  readonly available: string;
  readonly feeBps: number;
}

/** What each flash lender can lend of each token in the address book, read now. */
export async function flashLiquidityByLender(book: AddressBook, provider: Provider, block: number): Promise<LenderLiquidity[]> {
  const reader = provider as unknown as ChainReader;
  const multicall = new Multicall3Client(reader, book.multicall3);
  // Loaded on use: the lenders' code needs the TypeChain bindings, which a fresh clone has only after
  // the first compile, and hardhat loads this file (through the task table) before any compile.
  const { FlashLiquidity } = await import("../../keeper/engine/flash-liquidity");
  const liquidity = await FlashLiquidity.create(createPluginContext(book, multicall));
  const symbols = Object.entries(book.tokens);
  const options = await liquidity.optionsFor(
    symbols.map(([, token]) => token.address),
    block,
  );
  const rows: LenderLiquidity[] = [];
  for (const [symbol, token] of symbols) {
    for (const option of options.get(token.address.toLowerCase()) ?? []) {
      // Uniswap pools lend their reserves too, but they are the fallback, not a lender to watch.
      if (option.kind === "uniswapV3") continue;
      rows.push({
        lender: option.kind,
        address: option.address,
        token: symbol,
        available: formatUnits(option.availableLiquidity, token.decimals),
        feeBps: option.feeBps,
      });
    }
  }
  return rows;
}

/** A table in fixed-width columns, left-aligned except numbers. */
export function columns(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i]!.length))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, i) => (/^[\d$.,%−-]+$/.test(cell) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd(),
  );
}
