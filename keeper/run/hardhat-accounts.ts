/**
 * The in-process network's accounts with their private keys. The sandbox keeper signs its own raw
 * transactions (exactly as on Base), so it needs the operator account's key, not just an unlocked
 * address; Hardhat derives them from its configured mnemonic (or lists them).
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { HDNodeWallet, Wallet } from "ethers";

export function hardhatAccountWallet(hre: HardhatRuntimeEnvironment, index: number): Wallet {
  const accounts = hre.config.networks.hardhat.accounts;
  if (Array.isArray(accounts)) {
    const account = accounts[index];
    if (account === undefined) throw new Error(`the hardhat network config lists no account #${index}`);
    return new Wallet(account.privateKey);
  }
  if (index >= accounts.count) throw new Error(`the hardhat network config derives ${accounts.count} accounts; #${index} does not exist`);
  const hd = HDNodeWallet.fromPhrase(accounts.mnemonic, accounts.passphrase, `${accounts.path}/${accounts.initialIndex + index}`);
  return new Wallet(hd.privateKey);
}
