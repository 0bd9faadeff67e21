/**
 * Finds, on the fork, an account allowed to call AaveOracle.setAssetSources (`onlyAssetListingOrPoolAdmins`: the
 * ACLManager's POOL_ADMIN or ASSET_LISTING_ADMIN role) and impersonates it. Roles are read from the ACLManager the
 * PoolAddressesProvider names at the pinned block, never assumed:
 * 1. the provider's ACL admin and the known governance executor, if either holds one of the two roles;
 * 2. otherwise whichever of them holds the ACL's DEFAULT_ADMIN_ROLE grants ASSET_LISTING_ADMIN to a test account.
 */
import hre from "hardhat";
import type { Signer } from "ethers";
import { ACLManager__factory, PoolAddressesProvider__factory } from "../../../typechain-types";
import type { AaveV3Market, Address } from "../../../keeper/config/address-book";
import { impersonate } from "./fork-accounts";

/**
 * Aave governance's Level-1 executor on Base: POOL_ADMIN and ACL_ADMIN of Aave V3 Base (bgd-labs aave-address-book:
 * GovernanceV3Base.EXECUTOR_LVL_1 = AaveV3Base.POOL_ADMIN = AaveV3Base.ACL_ADMIN).
 */
export const AAVE_BASE_GOVERNANCE_EXECUTOR: Address = "0x9390B1735def18560c509E2d0bc090E9d6BA257a";

export interface AaveOracleAdmin {
  readonly signer: Signer;
  /** How the signer got the right, for the suite's log. */
  readonly how: string;
}

export async function resolveAaveOracleAdmin(
  config: AaveV3Market,
  knownAdmins: readonly Address[] = [AAVE_BASE_GOVERNANCE_EXECUTOR],
): Promise<AaveOracleAdmin> {
  const provider = PoolAddressesProvider__factory.connect(config.addressesProvider, hre.ethers.provider);
  const aclManagerAddress = await provider.getACLManager();
  const acl = ACLManager__factory.connect(aclManagerAddress, hre.ethers.provider);
  const candidates = [...new Set([(await provider.getACLAdmin()).toLowerCase(), ...knownAdmins.map((a) => a.toLowerCase())])].filter(
    (a) => a !== hre.ethers.ZeroAddress,
  ) as Address[];

  for (const candidate of candidates) {
    if ((await acl.isPoolAdmin(candidate)) || (await acl.isAssetListingAdmin(candidate))) {
      return { signer: await impersonate(candidate), how: `impersonating ${candidate} (POOL_ADMIN or ASSET_LISTING_ADMIN)` };
    }
  }
  const defaultAdminRole = await acl.DEFAULT_ADMIN_ROLE();
  for (const candidate of candidates) {
    if (await acl.hasRole(defaultAdminRole, candidate)) {
      const grantee = (await hre.ethers.getSigners())[9];
      const aclAdmin = await impersonate(candidate);
      await (await acl.connect(aclAdmin).addAssetListingAdmin(grantee.address)).wait();
      return { signer: grantee, how: `ACL admin ${candidate} granted ASSET_LISTING_ADMIN to test account ${grantee.address}` };
    }
  }
  throw new Error(
    `none of ${candidates.join(", ")} holds POOL_ADMIN, ASSET_LISTING_ADMIN or DEFAULT_ADMIN_ROLE in Aave's ACLManager ` +
      `${aclManagerAddress} at block ${await hre.ethers.provider.getBlockNumber()}: find the current admin (RoleGranted events) ` +
      "and add it to the known admins",
  );
}
