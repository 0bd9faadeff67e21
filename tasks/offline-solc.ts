/**
 * Compile offline: Hardhat normally downloads solc builds from a host these machines (and CI)
 * cannot reach. The npm `solc` packages ship the same compilers as WebAssembly, so for every
 * version we ship we point Hardhat at that soljson.js instead, and defer to Hardhat otherwise.
 */
import path from "node:path";
import { subtask } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";

/** solc version -> npm package that ships it (see package.json; aliases for extra versions). */
export const OFFLINE_SOLC_PACKAGES: Readonly<Record<string, string>> = {
  "0.8.28": "solc",
  "0.8.19": "solc-0.8.19",
  "0.8.27": "solc-0.8.27",
};

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD).setAction(async (args: { solcVersion: string }, _hre, runSuper) => {
  const packageName = OFFLINE_SOLC_PACKAGES[args.solcVersion];
  if (packageName === undefined) return runSuper();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const solcjs = require(packageName) as { version(): string };
  const packageDir = path.dirname(require.resolve(`${packageName}/package.json`));
  return {
    compilerPath: path.join(packageDir, "soljson.js"),
    isSolcJs: true,
    version: args.solcVersion,
    longVersion: solcjs.version(),
  };
});
