/**
 * Balancer V2's Vault from the genuine deployment artifacts (@balancer-labs/v2-deployments, task 20210418). Balancer
 * flash loans lend the Vault's own token balance, so the sandbox simply transfers tokens to it.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { Authorizer__factory, Vault__factory, type Vault } from "../typechain-types";
import type { Address } from "../keeper/config/address-book";
import type { SandboxTokens } from "./sandbox-types";
import { mintTo } from "./token-supply";

/** The mainnet deployment's windows: pausable for 90 days, then a 30-day buffer. Nothing pauses it here. */
const PAUSE_WINDOW_SECONDS = 90n * 24n * 3600n;
const BUFFER_PERIOD_SECONDS = 30n * 24n * 3600n;

export async function deployBalancerVault(deployer: HardhatEthersSigner, weth: Address): Promise<Vault> {
  const authorizer = await new Authorizer__factory(deployer).deploy(deployer.address);
  await authorizer.waitForDeployment();
  const vault = await new Vault__factory(deployer).deploy(await authorizer.getAddress(), weth, PAUSE_WINDOW_SECONDS, BUFFER_PERIOD_SECONDS);
  await vault.waitForDeployment();
  return vault;
}

/** Puts `amounts` (raw units, by symbol) into the Vault as flash-loan liquidity. */
export async function fundBalancerVault(
  hre: HardhatRuntimeEnvironment,
  deployer: HardhatEthersSigner,
  tokens: SandboxTokens,
  vault: Vault,
  amounts: Readonly<Record<string, bigint>>,
): Promise<void> {
  const vaultAddress = (await vault.getAddress()) as Address;
  for (const [symbol, amount] of Object.entries(amounts)) {
    await mintTo(hre, tokens, deployer, symbol, vaultAddress, amount);
  }
}
