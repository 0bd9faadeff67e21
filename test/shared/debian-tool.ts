/**
 * Tests that need a program from a Debian package (chromium, promtool, systemd-analyze): `.ci/run`
 * installs the package when it is missing, so under CI=true a missing program fails the test; on a
 * developer's machine the test skips with one line naming the package to install.
 */
import fs from "node:fs";
import path from "node:path";
import type { Context } from "mocha";

/** The program's absolute path: `candidate` when it is absolute, else the first match on PATH. */
export function findProgram(candidate: string): string | null {
  const executable = (file: string) => {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return fs.statSync(file).isFile();
    } catch {
      return false;
    }
  };
  if (path.isAbsolute(candidate)) return executable(candidate) ? candidate : null;
  for (const directory of (process.env.PATH ?? "").split(path.delimiter)) {
    if (directory !== "" && executable(path.join(directory, candidate))) return path.join(directory, candidate);
  }
  return null;
}

/**
 * For a mocha `before`: the program's path, or (locally) a skip of the suite with one line naming
 * the Debian package; under CI=true a missing program throws instead.
 */
export function requireDebianProgram(context: Context, program: string, debianPackage: string): string {
  const found = findProgram(program);
  if (found !== null) return found;
  const message = `${program} not found: install the Debian package "${debianPackage}" (apt-get install -y ${debianPackage})`;
  if (process.env.CI === "true") throw new Error(`${message}; .ci/run installs it, so under CI=true this is a failure`);
  console.log(`    skipped: ${message}`);
  context.skip();
}
