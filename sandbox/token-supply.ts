/**
 * Creates sandbox tokens out of thin air for the deployer or anyone: MintableERC20 is mintable by anyone, and WETH is
 * wrapped from ETH the deployer is given with hardhat_setBalance. Every other helper gets tokens through here.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { Address } from "../keeper/config/address-book";
import type { Sandbox, SandboxTokens } from "./sandbox-types";

/** ETH the deployer is kept topped up to: enough to wrap any WETH a scenario needs (10^12 ETH). */
const DEPLOYER_ETH = 10n ** 30n;

/** Makes sure `account` holds at least `wei` of ETH, setting the balance directly (sandbox only). */
export async function ensureEth(hre: HardhatRuntimeEnvironment, account: Address, wei: bigint): Promise<void> {
  const balance = await hre.ethers.provider.getBalance(account);
  if (balance >= wei) return;
  await hre.network.provider.send("hardhat_setBalance", [account, hre.ethers.toQuantity(wei)]);
}

/** The token contract for a symbol, or an error listing the symbols that exist. */
export function tokenBySymbol(tokens: SandboxTokens, symbol: string) {
  const token = tokens[symbol];
  if (token === undefined) {
    throw new Error(`unknown sandbox token "${symbol}"; expected one of ${Object.keys(tokens).join(", ")}`);
  }
  return token;
}

/** Gives `to` `amount` (raw units) of `symbol`, minted (or wrapped, for WETH) by the deployer. */
export async function mintTo(
  hre: HardhatRuntimeEnvironment,
  tokens: SandboxTokens,
  deployer: HardhatEthersSigner,
  symbol: string,
  to: Address,
  amount: bigint,
): Promise<void> {
  if (amount < 0n) throw new Error(`cannot mint a negative amount (${amount}) of ${symbol}`);
  if (amount === 0n) return;
  tokenBySymbol(tokens, symbol);
  if (symbol === "WETH") {
    await ensureEth(hre, deployer.address as Address, amount + DEPLOYER_ETH / 2n);
    await (await tokens.WETH.connect(deployer).deposit({ value: amount })).wait();
    if (to.toLowerCase() !== deployer.address.toLowerCase()) {
      await (await tokens.WETH.connect(deployer).transfer(to, amount)).wait();
    }
    return;
  }
  const mintable = tokens[symbol] as SandboxTokens["USDC"];
  await (await mintable.connect(deployer)["mint(address,uint256)"](to, amount)).wait();
}

/** Tops the deployer up to at least `amount` of `symbol`, minting only the shortfall. */
export async function ensureDeployerHolds(
  hre: HardhatRuntimeEnvironment,
  sandbox: Pick<Sandbox, "tokens" | "deployer">,
  symbol: string,
  amount: bigint,
): Promise<void> {
  const token = tokenBySymbol(sandbox.tokens, symbol);
  const balance = await token.balanceOf(sandbox.deployer.address);
  if (balance < amount) {
    await mintTo(hre, sandbox.tokens, sandbox.deployer, symbol, sandbox.deployer.address as Address, amount - balance);
  }
}

export { DEPLOYER_ETH };
