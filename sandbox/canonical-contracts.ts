/**
 * Puts Multicall3 and WETH9 at the addresses they have on Base, so code that hard-codes them (viem, the keeper's
 * Multicall3 reader, Aave's WETH reserve) runs unchanged in the sandbox. Each is deployed normally once, then its
 * runtime code (and, for WETH9, the storage its constructor-less layout expects) is copied to the canonical address.
 */
import path from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { WETH9__factory, type WETH9 } from "../typechain-types";
import type { Address } from "../keeper/config/address-book";

export const MULTICALL3_ADDRESS: Address = "0xcA11bde05977b3631167028862bE2a173976CA11";
export const BASE_WETH_ADDRESS: Address = "0x4200000000000000000000000000000000000006";

/** Storage slots of WETH9 that hold name, symbol and decimals; balances and allowances start empty. */
const WETH9_METADATA_SLOTS = [0, 1, 2];

/**
 * Multicall3's creation code as viem ships it (constant `multicall3Bytecode`). viem does not export its constants
 * sub-path, so the file is loaded by absolute path from the installed package.
 */
function multicall3CreationCode(): string {
  const viemRoot = path.dirname(require.resolve("viem/package.json"));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const constants = require(path.join(viemRoot, "_cjs", "constants", "contracts.js")) as { multicall3Bytecode?: string };
  if (typeof constants.multicall3Bytecode !== "string") {
    throw new Error(`viem at ${viemRoot} no longer exports multicall3Bytecode from _cjs/constants/contracts.js`);
  }
  return constants.multicall3Bytecode;
}

async function copyCode(hre: HardhatRuntimeEnvironment, from: string, to: Address): Promise<void> {
  const code = await hre.ethers.provider.getCode(from);
  await hre.network.provider.send("hardhat_setCode", [to, code]);
}

/** Deploys Multicall3 and places its runtime code at 0xcA11bde0…CA11. */
export async function placeMulticall3(hre: HardhatRuntimeEnvironment, deployer: HardhatEthersSigner): Promise<Address> {
  const receipt = await (await deployer.sendTransaction({ data: multicall3CreationCode() })).wait();
  if (!receipt?.contractAddress) throw new Error("Multicall3 deployment produced no contract address");
  await copyCode(hre, receipt.contractAddress, MULTICALL3_ADDRESS);
  return MULTICALL3_ADDRESS;
}

/** Deploys WETH9 (Aave's copy of the canonical contract) and places it, with its metadata, at 0x4200…0006. */
export async function placeWeth9(hre: HardhatRuntimeEnvironment, deployer: HardhatEthersSigner): Promise<WETH9> {
  const template = await new WETH9__factory(deployer).deploy();
  await template.waitForDeployment();
  const templateAddress = await template.getAddress();
  await copyCode(hre, templateAddress, BASE_WETH_ADDRESS);
  for (const slot of WETH9_METADATA_SLOTS) {
    const value = await hre.ethers.provider.getStorage(templateAddress, slot);
    await hre.network.provider.send("hardhat_setStorageAt", [BASE_WETH_ADDRESS, hre.ethers.toQuantity(slot), value]);
  }
  return WETH9__factory.connect(BASE_WETH_ADDRESS, deployer);
}
