/**
 * How Hardhat compiles the genuine Aave v3.6 sources (npm @aave-dao/aave-v3-origin 3.6.0) that
 * contracts/test/AaveV36Imports.sol pulls in. Three things differ from the project's own contracts:
 *
 * 1. Imports: upstream is a Foundry repository and writes `openzeppelin-contracts/contracts/…`; that
 *    prefix is remapped to an npm copy of OpenZeppelin of its own. The remapped files keep their
 *    upstream source names, so they never mix with the executor's own `@openzeppelin/contracts/…`.
 * 2. Compiler: every file of that graph compiles with the settings hardhat.config.ts gives the
 *    imports file (upstream's foundry.toml at tag v3.6.0: solc 0.8.27, optimizer 200 runs, evm
 *    shanghai, no metadata hash). Left to Hardhat, each file would take the newest configured
 *    compiler its pragma allows (0.8.28, cancun), and Pool.sol & co. would be compiled twice.
 * 3. Artifacts: only the files the sandbox deploys (and the libraries they link) emit artifacts.
 *    The abstract Pool, AToken, PoolConfigurator… share their names with the v3.0.2 artifacts from
 *    @aave/core-v3, and TypeChain keeps one root-level binding per contract name: left out, those
 *    names keep meaning v3.0.2. The logic libraries must be emitted, so `LiquidationLogic__factory`
 *    & co. at typechain-types' root are v3.6's (compiled artifacts come before external ones) and
 *    the v3.0.2 sandbox imports its libraries by path. solc still generates code for every concrete
 *    contract of the graph (Hardhat's network decodes traces from the whole build output and
 *    panics on a narrowed output selection), and the silent files still enter Hardhat's compile
 *    cache, or every command would recompile them.
 */
import { subtask } from "hardhat/config";
import {
  TASK_COMPILE_GET_REMAPPINGS,
  TASK_COMPILE_SOLIDITY_EMIT_ARTIFACTS,
  TASK_COMPILE_SOLIDITY_GET_COMPILATION_JOB_FOR_FILE,
} from "hardhat/builtin-tasks/task-names";
import { CompilationJob } from "hardhat/internal/solidity/compilation-job";
import type { CompilationJob as CompilationJobType, DependencyGraph, HardhatConfig, ResolvedFile, SolcConfig } from "hardhat/types";

/** The file whose compiler override (hardhat.config.ts) applies to the whole Aave v3.6 graph. */
export const AAVE_ORIGIN_IMPORTS_FILE = "contracts/test/AaveV36Imports.sol";
const ORIGIN_PREFIX = "@aave-dao/aave-v3-origin/src/contracts/";
/**
 * Upstream's Foundry import prefix, pointed at its own npm copy of OpenZeppelin (package.json's
 * `aave-origin-openzeppelin` alias). Hardhat refuses two source names for one file (HH415), so the
 * copy the executor imports as `@openzeppelin/contracts/…` cannot serve both.
 */
export const AAVE_ORIGIN_REMAPPINGS: Readonly<Record<string, string>> = {
  "openzeppelin-contracts/contracts/": "aave-origin-openzeppelin/",
};

/**
 * Upstream files whose contracts the sandbox deploys: the pool, configurator and token instances,
 * the rate strategy, and the logic libraries the pool and configurator link against. (The four
 * contracts whose names collide with v3.0.2 are emitted through AaveV36Imports.sol's subclasses.)
 */
export const AAVE_ORIGIN_EMITTED_FILES: ReadonlySet<string> = new Set(
  [
    "instances/L2PoolInstance.sol",
    "instances/PoolConfiguratorInstance.sol",
    "instances/ATokenInstance.sol",
    "instances/VariableDebtTokenInstance.sol",
    "misc/DefaultReserveInterestRateStrategyV2.sol",
    ...["Borrow", "FlashLoan", "Liquidation", "Pool", "Supply", "Configurator"].map((name) => `protocol/libraries/logic/${name}Logic.sol`),
  ].map((file) => ORIGIN_PREFIX + file),
);

/** Whether a source belongs to the Aave v3.6 graph (upstream files, their remapped imports, the imports file). */
export function isAaveOriginSource(sourceName: string): boolean {
  return (
    sourceName === AAVE_ORIGIN_IMPORTS_FILE ||
    sourceName.startsWith(ORIGIN_PREFIX) ||
    Object.keys(AAVE_ORIGIN_REMAPPINGS).some((prefix) => sourceName.startsWith(prefix))
  );
}

function aaveOriginSolcConfig(config: HardhatConfig): SolcConfig {
  const solcConfig = config.solidity.overrides[AAVE_ORIGIN_IMPORTS_FILE];
  if (solcConfig === undefined) {
    throw new Error(`hardhat.config.ts: solidity.overrides["${AAVE_ORIGIN_IMPORTS_FILE}"] must set the Aave v3.6 compiler`);
  }
  return solcConfig;
}

function emitsArtifacts(sourceName: string): boolean {
  return sourceName === AAVE_ORIGIN_IMPORTS_FILE || AAVE_ORIGIN_EMITTED_FILES.has(sourceName);
}

subtask(TASK_COMPILE_GET_REMAPPINGS).setAction(async (_args, _hre, runSuper) => {
  const inherited = (await runSuper()) as Record<string, string>;
  return { ...inherited, ...AAVE_ORIGIN_REMAPPINGS };
});

subtask(TASK_COMPILE_SOLIDITY_GET_COMPILATION_JOB_FOR_FILE).setAction(
  async (args: { dependencyGraph: DependencyGraph; file: ResolvedFile }, { config }, runSuper) => {
    const { dependencyGraph, file } = args;
    if (!isAaveOriginSource(file.sourceName)) return runSuper(args);
    // One shared config object: Hardhat merges jobs whose config is the same object, so the whole
    // graph becomes a single solc run.
    const job = new CompilationJob(aaveOriginSolcConfig(config));
    job.addFileToCompile(file, emitsArtifacts(file.sourceName));
    for (const { dependency } of dependencyGraph.getTransitiveDependencies(file)) {
      if (!isAaveOriginSource(dependency.sourceName)) {
        throw new Error(`${file.sourceName} imports ${dependency.sourceName}, which is outside the Aave v3.6 sources`);
      }
      job.addFileToCompile(dependency, false);
    }
    return job;
  },
);

/**
 * Hardhat caches only the files that emitted artifacts; a file missing from the cache counts as
 * changed, so the Aave job would recompile on every command. Report the job's other files as having
 * emitted nothing: they enter the cache with their content hash, and a change to any of them (a new
 * package version) still triggers a rebuild.
 */
subtask(TASK_COMPILE_SOLIDITY_EMIT_ARTIFACTS).setAction(async (args: { compilationJob: CompilationJobType }, { config }, runSuper) => {
  const result = (await runSuper(args)) as { artifactsEmittedPerFile: { file: ResolvedFile; artifactsEmitted: string[] }[] };
  const job = args.compilationJob;
  if (job.getSolcConfig() !== aaveOriginSolcConfig(config)) return result;
  const silent = job
    .getResolvedFiles()
    .filter((file) => !job.emitsArtifacts(file))
    .map((file) => ({ file, artifactsEmitted: [] as string[] }));
  return { artifactsEmittedPerFile: [...result.artifactsEmittedPerFile, ...silent] };
});
