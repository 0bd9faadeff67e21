/**
 * Accounts on the Base fork: impersonating protocol admins, and making the Hardhat test accounts plain EOAs again.
 */
import hre from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { Address } from "../../../keeper/config/address-book";

const GAS_MONEY = 10n ** 20n; // 100 ETH: admins on the fork pay for a handful of transactions

/**
 * A signer for `address` (an EOA or a contract such as a governance executor), funded for gas. Hardhat lets an
 * impersonated contract address send transactions, which is how the fork acts as Aave's or Moonwell's admin.
 */
export async function impersonate(address: Address): Promise<HardhatEthersSigner> {
  await hre.network.provider.send("hardhat_impersonateAccount", [address]);
  const balance = await hre.ethers.provider.getBalance(address);
  if (balance < GAS_MONEY) await hre.network.provider.send("hardhat_setBalance", [address, hre.ethers.toQuantity(GAS_MONEY)]);
  return hre.ethers.getSigner(address);
}

/**
 * Hardhat's default accounts come from a public mnemonic, and on Base some of them carry an EIP-7702 delegation to a
 * sweeper contract (code 0xef0100 || target). That code would run whenever something calls the account; the tests
 * want plain EOAs, so their code is cleared and their ETH topped up.
 */
export async function plainFundedAccounts(accounts: readonly HardhatEthersSigner[]): Promise<void> {
  for (const account of accounts) {
    if ((await hre.ethers.provider.getCode(account.address)) !== "0x") {
      await hre.network.provider.send("hardhat_setCode", [account.address, "0x"]);
    }
    await hre.network.provider.send("hardhat_setBalance", [account.address, hre.ethers.toQuantity(GAS_MONEY)]);
  }
}
