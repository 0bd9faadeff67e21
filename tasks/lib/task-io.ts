/**
 * Where an operator task prints and which folders it reads and writes. Tasks run through `hre.run`
 * take no extra arguments for this, so tests swap the defaults here instead of patching console.log
 * or writing into the repository: `overrideTaskIo({ print, reportsDir, ignitionDir })` for the
 * duration of a test, then call the function it returns to restore.
 */
import path from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

export interface TaskIo {
  /** One block of human-readable output (may span lines). */
  readonly print: (text: string) => void;
  /** reports/: Safe batches go to reports/safe/, the sandbox address book is reports/sandbox-<network>.json. */
  readonly reportsDir: string;
  /** ignition/: deployments are read from ignition/deployments/<deployment id>/. */
  readonly ignitionDir: string;
  /** The project root (the keeper journal's default location is relative to it). */
  readonly projectRoot: string;
  /** Milliseconds since the epoch; Safe batches record it as createdAt and in their file name. */
  readonly now: () => number;
}

let override: Partial<TaskIo> | undefined;

/** The task I/O for `hre`: the project's folders and console.log, unless a test overrode some of them. */
export function taskIo(hre: HardhatRuntimeEnvironment): TaskIo {
  const root = hre.config.paths.root;
  return {
    print: (text) => console.log(text),
    reportsDir: path.join(root, "reports"),
    ignitionDir: hre.config.paths.ignition,
    projectRoot: root,
    now: Date.now,
    ...override,
  };
}

/** Replaces parts of the task I/O until the returned function is called. Overrides do not stack. */
export function overrideTaskIo(partial: Partial<TaskIo>): () => void {
  const previous = override;
  override = { ...partial };
  return () => {
    override = previous;
  };
}
