/**
 * Skip TypeChain when its bindings are already current. @typechain/hardhat regenerates the bindings of every
 * external artifact (the genuine protocol bytecode from npm, hardhat.config.ts) on every `compile`, even when
 * nothing was compiled: about 14 s of CPU on a 2-core machine before each `npx hardhat keeper` and `npx hardhat
 * test`. Here a compile that emitted no artifact skips generation when the output folder holds a stamp of the
 * inputs it was generated from (every artifact's path, size and modification time, and the TypeChain
 * versions). Anything else regenerates as before: a changed contract, an npm update of a protocol package, a
 * deleted or cleaned typechain-types/, and `npx hardhat typechain` (a full rebuild, which removes the stamp).
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { subtask, task } from "hardhat/config";
import { TASK_COMPILE } from "hardhat/builtin-tasks/task-names";
import type { HardhatConfig } from "hardhat/types";

/** @typechain/hardhat's task names (its constants module). */
const TASK_TYPECHAIN = "typechain";
const TASK_TYPECHAIN_GENERATE_TYPES = "typechain:generate-types";
/** Kept inside the output folder, so deleting or cleaning the bindings also drops the stamp. */
export const TYPECHAIN_STAMP_FILE = ".chimera-inputs-stamp";

interface CompileOutput {
  artifactsEmittedPerJob: { artifactsEmittedPerFile: { artifactsEmitted: string[] }[] }[];
}

/** Number of artifacts the compile just wrote (0 when Hardhat found nothing to compile). */
export function emittedArtifactCount(output: CompileOutput): number {
  let count = 0;
  for (const job of output.artifactsEmittedPerJob) for (const file of job.artifactsEmittedPerFile) count += file.artifactsEmitted.length;
  return count;
}

function listArtifactFiles(directory: string): string[] {
  if (!fs.existsSync(directory)) return [];
  const files: string[] = [];
  for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "build-info") files.push(...listArtifactFiles(full));
    } else if (entry.name.endsWith(".json") && !entry.name.endsWith(".dbg.json")) files.push(full);
  }
  return files;
}

function packageVersion(name: string, root: string): string {
  try {
    const file = require.resolve(`${name}/package.json`, { paths: [root] });
    return (JSON.parse(fs.readFileSync(file, "utf8")) as { version: string }).version;
  } catch {
    return "absent";
  }
}

/** A digest of everything the bindings are generated from; a missing input is part of it, not an error. */
export function typechainInputsStamp(config: Pick<HardhatConfig, "paths" | "typechain">): string {
  const root = config.paths.root;
  const inputs = [...listArtifactFiles(config.paths.artifacts), ...(config.typechain.externalArtifacts ?? [])];
  const hash = crypto.createHash("sha256");
  hash.update(`${config.typechain.target}\n`);
  for (const name of ["typechain", "@typechain/hardhat", "@typechain/ethers-v6"]) hash.update(`${name}@${packageVersion(name, root)}\n`);
  for (const input of inputs.sort()) {
    const file = path.resolve(root, input);
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    hash.update(`${path.relative(root, file)} ${stat ? `${stat.size} ${stat.mtimeMs}` : "missing"}\n`);
  }
  return hash.digest("hex");
}

function stampPath(config: Pick<HardhatConfig, "paths" | "typechain">): string {
  return path.resolve(config.paths.root, config.typechain.outDir, TYPECHAIN_STAMP_FILE);
}

/** Set when this process generated bindings; the stamp is written once the whole compile is done. */
let generatedDuringCompile = false;

subtask(TASK_TYPECHAIN_GENERATE_TYPES).setAction(async (args: { compileSolOutput: CompileOutput }, { config }, runSuper) => {
  if (config.typechain.dontOverrideCompile) return runSuper(args);
  const file = stampPath(config);
  const current = fs.existsSync(file) && fs.readFileSync(file, "utf8") === typechainInputsStamp(config);
  if (current && emittedArtifactCount(args.compileSolOutput) === 0) return args.compileSolOutput;
  fs.rmSync(file, { force: true });
  const result: unknown = await runSuper(args);
  generatedDuringCompile = true;
  return result;
});

// The stamp is taken after the compile task ends, not right after generation: Hardhat still rewrites
// artifacts after the compile jobs (obsolete ones removed, the rest finalised), and a stamp taken before
// that never matched the next run's. A failed compile or generation throws before this and leaves no stamp.
task(TASK_COMPILE).setAction(async (args, { config }, runSuper) => {
  const result: unknown = await runSuper(args);
  if (generatedDuringCompile) {
    generatedDuringCompile = false;
    const file = stampPath(config);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, typechainInputsStamp(config));
  }
  return result;
});

task(TASK_TYPECHAIN).setAction(async (args, { config }, runSuper) => {
  fs.rmSync(stampPath(config), { force: true });
  return runSuper(args);
});
