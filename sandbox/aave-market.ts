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

export { SANDBOX_AAVE_VERSIONS, parseAaveVersion } from "./aave-versions";

/** Deploys the whole Aave V3 market in `version` and lists the reserves with the admin rights held by `deployer`. */
export async function deployAaveMarket(
  version: SandboxAaveVersion,
  deployer: HardhatEthersSigner,
  listing: AaveMarketListing,
): Promise<DeployedAaveMarket> {
  return version === "v3.6" ? deployAaveV36Market(deployer, listing) : deployAaveV302Market(deployer, listing);
}
