/**
 * The Aave versions the sandbox can stand up, by name. Kept free of contract bindings so the `sandbox` task can
 * check its argument before compiling anything.
 */
import type { SandboxAaveVersion } from "./sandbox-types";

/** Names accepted by `buildSandbox({ aaveVersion })` and `npx hardhat sandbox --aave-version`. */
export const SANDBOX_AAVE_VERSIONS: readonly SandboxAaveVersion[] = ["v3.6", "v3.0.2"];

/** Validates a version name coming from a caller (task argument, environment, options). */
export function parseAaveVersion(value: string): SandboxAaveVersion {
  const version = SANDBOX_AAVE_VERSIONS.find((v) => v === value);
  if (version === undefined) {
    throw new Error(`unknown Aave version "${value}": expected one of ${SANDBOX_AAVE_VERSIONS.map((v) => `"${v}"`).join(", ")}`);
  }
  return version;
}
