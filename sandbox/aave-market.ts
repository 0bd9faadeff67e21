/**
 * The sandbox's Aave V3 market, in either of the two versions it can stand up from genuine code:
 * - "v3.6": Aave v3.6 as Base runs it (POOL_REVISION 10, an L2Pool), compiled from npm @aave-dao/aave-v3-origin 3.6.0
 *   (aave-v36-market.ts). The default.
 * - "v3.0.2": the npm @aave/core-v3 1.19.3 artifacts (aave-v302-market.ts), kept for version-specific tests: the
 *   keeper must handle both rule sets (50% close factor only vs. v3.3+ close factor, dust and deficit rules).
 * Both list the same reserves, risk parameters, e-mode category and flash-loan premium (market-spec.ts).
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { AaveMarketListing, DeployedAaveMarket } from "./aave-listing";
import { deployAaveV302Market } from "./aave-v302-market";
import { deployAaveV36Market } from "./aave-v36-market";
import type { SandboxAaveVersion } from "./sandbox-types";

/** Names accepted by `buildSandbox({ aaveVersion })` and the sandbox task. */
export const SANDBOX_AAVE_VERSIONS: readonly SandboxAaveVersion[] = ["v3.6", "v3.0.2"];

/** Validates a version name coming from a caller (task argument, environment). */
export function parseAaveVersion(value: string): SandboxAaveVersion {
  const version = SANDBOX_AAVE_VERSIONS.find((v) => v === value);
  if (version === undefined) {
    throw new Error(`unknown Aave version "${value}": expected one of ${SANDBOX_AAVE_VERSIONS.map((v) => `"${v}"`).join(", ")}`);
  }
  return version;
}

/** Deploys the whole Aave V3 market in `version` and lists the reserves with the admin rights held by `deployer`. */
export async function deployAaveMarket(
  version: SandboxAaveVersion,
  deployer: HardhatEthersSigner,
  listing: AaveMarketListing,
): Promise<DeployedAaveMarket> {
  return version === "v3.6" ? deployAaveV36Market(deployer, listing) : deployAaveV302Market(deployer, listing);
}
