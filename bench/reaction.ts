/**
 * Benchmark: how fast the keeper turns a price update into a liquidation that lands.
 *
 * The sandbox gets a ladder of Aave WETH/USDC borrowers between HF 1.003 and 1.08. Each trial lowers
 * the WETH price (feeds and pools, in one block) just below the next borrower's liquidation price,
 * so exactly one position crosses HF 1; the keeper (the same pipeline `npx hardhat keeper` runs)
 * ticks once, and the next mined block must contain its liquidation. Measured per trial:
 *   - decisionMs: from the moment the keeper sees the oracle answer to the signed transaction
 *     (in-memory recompute, planning with its quote, risk gate, simulation, journal intent, signing);
 *   - blocksToInclusion: the block of the liquidation minus the block of the price update.
 * One warm-up trial runs first and is not counted (a running keeper is warm). Writes the `reaction`
 * section of reports/bench.json:
 *   { aave: { version, revision }, trials, blocksToInclusion: { p50, max }, decisionMs: { p50, p99 } }
 * Targets (issue 5): decisionMs p99 ≤ 50 ms, blocksToInclusion p50 = 1.
 *
 * Run alone with `npx hardhat run bench/reaction.ts`; bench/index.ts calls `runReactionBenchmark`.
 */
import path from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { buildSandbox } from "../sandbox";
import { openAaveBorrowers } from "../sandbox/borrowers";
import { quantile } from "../keeper/run/run-recorder";
import { SandboxMarketHandle } from "../keeper/scenarios/sandbox-market-handle";
import { deployKeeperExecutor, makeScratchDirectory, openSandboxKeeperSession } from "../test/shared/keeper-harness";
import { mergeBenchSection } from "./lib/bench-report";

export interface ReactionBenchmarkResult {
  /** The sandbox's Aave market the figures were measured on (v3.6 by default, as Base runs it). */
  readonly aave: { readonly version: string; readonly revision: number };
  readonly trials: number;
  readonly blocksToInclusion: { readonly p50: number; readonly max: number };
  readonly decisionMs: { readonly p50: number; readonly p99: number };
}

export interface ReactionBenchmarkOptions {
  /** At least 20. Default 24. */
  readonly trials?: number;
  readonly log?: (message: string) => void;
}

const LOWEST_HF = 1.003;
const HIGHEST_HF = 1.08;
/** Each trial's price sits this far below the target borrower's liquidation price. */
const CROSSING_MARGIN = 0.0002;

export async function runReactionBenchmark(
  hre: HardhatRuntimeEnvironment,
  options: ReactionBenchmarkOptions = {},
): Promise<ReactionBenchmarkResult> {
  const trials = options.trials ?? 24;
  if (!Number.isInteger(trials) || trials < 20) throw new Error(`the reaction benchmark needs at least 20 trials, got ${trials}`);
  const log = options.log ?? (() => undefined);
  // A fresh chain: another benchmark section may have built its own sandbox in this process.
  if ((await hre.ethers.provider.getBlockNumber()) > 0) await hre.network.provider.send("hardhat_reset", []);

  const sandbox = await buildSandbox(hre, { seed: 5 });
  const { operator, executor } = await deployKeeperExecutor(hre, sandbox);
  // A few spare rungs: two borrowers a hair apart on the ladder cross together and use up one trial.
  const opened = await openAaveBorrowers(hre, sandbox, {
    count: trials + 13,
    seed: 77,
    collateral: "WETH",
    debt: "USDC",
    healthFactor: { min: LOWEST_HF, max: HIGHEST_HF },
    debtUsd: { min: 5_000, max: 20_000 },
  });
  // HF scales with the collateral price (one collateral, a $1 debt): borrower i crosses 1 below P0 / HF_i.
  const ladder = [...opened].sort((a, b) => a.targetHealthFactor - b.targetHealthFactor);
  const liquidated = new Set<string>();
  const handle = new SandboxMarketHandle(hre, sandbox);
  const startPrice = await handle.priceOf("WETH");
  await handle.prepare();

  const directory = makeScratchDirectory("chimera-reaction-");
  const session = await openSandboxKeeperSession(hre, {
    sandbox,
    executor,
    operator,
    journalPath: path.join(directory.path, "journal.sqlite"),
  });
  const decisionMs: number[] = [];
  const blocks: number[] = [];
  try {
    await session.engine.start();
    // Trial 0 is a warm-up (cold JIT and caches in the first simulation), measured but not counted,
    // as a running keeper is always warm.
    for (let trial = -1; trial < trials; trial++) {
      const next = ladder.find((borrower) => !liquidated.has(borrower.address.toLowerCase()));
      if (next === undefined) throw new Error(`trial ${trial}: the ladder has no borrower left to cross`);
      const price = (startPrice / next.targetHealthFactor) * (1 - CROSSING_MARGIN);
      const priceBlock = await handle.movePrices([{ symbol: "WETH", usd: price }]);
      const reaction = await session.engine.tick();
      // Two borrowers a hair apart on the ladder can cross together; the first one sent is the trial's sample.
      const sent = (reaction?.decisions ?? []).flatMap((d) => (d.execution?.status === "sent" ? [d.execution] : []));
      if (sent.length === 0) {
        const seen = reaction?.decisions.map((d) => `${d.decision.outcome}${d.decision.reason ? `:${d.decision.reason}` : ""}`).join(", ");
        throw new Error(
          `trial ${trial}: no liquidation was sent after the price update in block ${priceBlock} (decisions: ${seen || "none"})`,
        );
      }
      if (trial >= 0) decisionMs.push(sent[0]!.decisionMs);
      for (const record of reaction!.decisions) {
        if (record.execution?.status === "sent") liquidated.add(record.decision.candidate.key.borrower.toLowerCase());
      }
      let includedBlock: number | undefined;
      for (let waited = 0; waited < 3 && includedBlock === undefined; waited++) {
        await handle.mine();
        const settled = await session.engine.tick();
        includedBlock = settled?.settlement.included.find((i) => i.planId === sent[0]!.planId)?.blockNumber;
      }
      if (includedBlock === undefined)
        throw new Error(`trial ${trial}: the liquidation sent at block ${priceBlock} was not included within 3 blocks`);
      if (trial >= 0) blocks.push(includedBlock - priceBlock);
      log(
        `reaction: ${trial < 0 ? "warm-up" : `trial ${trial + 1}/${trials}`} decision ${sent[0].decisionMs.toFixed(1)} ms, included ${includedBlock - priceBlock} block(s) after the price update`,
      );
    }
  } finally {
    await session.close("reaction benchmark finished");
    await handle.release();
    directory.remove();
  }
  return {
    aave: { version: sandbox.aave.version, revision: sandbox.aave.revision },
    trials,
    blocksToInclusion: { p50: quantile(blocks, 0.5), max: Math.max(...blocks) },
    decisionMs: { p50: round1(quantile(decisionMs, 0.5)), p99: round1(quantile(decisionMs, 0.99)) },
  };
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/** Merges `{ reaction }` into reports/bench.json, keeping the other sections. */
export function writeReactionSection(result: ReactionBenchmarkResult): void {
  mergeBenchSection("reaction", result);
}

if (require.main === module) {
  // `npx hardhat run bench/reaction.ts`: the runtime environment is the one hardhat loaded.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const hre = require("hardhat") as HardhatRuntimeEnvironment;
  runReactionBenchmark(hre, { trials: process.env.REACTION_TRIALS ? Number(process.env.REACTION_TRIALS) : undefined, log: console.log })
    .then((result) => {
      writeReactionSection(result);
      console.log(`reaction: ${JSON.stringify(result)}`);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
