/**
 * Gives an account tokens on the Base fork by writing the token's balance mapping directly (hardhat_setStorageAt):
 * no whale to find, no whale whose balance moved since the pinned block. The mapping's slot is found by probing:
 * write a marker under each candidate key and keep the one `balanceOf` reads back (restoring every miss). Candidates
 * cover Solidity mappings in slots 0..63 (USDC's FiatToken keeps balances at 9, WETH9 at 3), Vyper's key order, and
 * OpenZeppelin 5's ERC-7201 namespaced ERC20 storage. Balances are written on the proxy's address, where the storage is.
 */
import hre from "hardhat";
import { AbiCoder, keccak256, toBeHex, zeroPadValue } from "ethers";
import { IERC20__factory } from "../../../typechain-types";
import type { Address } from "../../../keeper/config/address-book";

/** keccak256(abi.encode(uint256(keccak256("openzeppelin.storage.ERC20")) - 1)) & ~bytes32(uint256(0xff)): OZ 5 ERC20Storage. */
const OZ5_ERC20_STORAGE = "0x52c63247e1f47db19d5ce0460030c497f067ca4cebf71ba98eeadabe20bace00";
const MAX_SOLIDITY_SLOT = 64;
/** A value no real balance holds, below 2^255 (FiatToken v2.2 keeps a blacklist flag in the top bit). */
const PROBE = 0x5eed_cafe_f00d_5eed_cafe_f00dn;

const slotCache = new Map<string, (account: Address) => string>();

function candidateKeys(): ((account: Address) => string)[] {
  const coder = AbiCoder.defaultAbiCoder();
  const keys: ((account: Address) => string)[] = [];
  for (let slot = 0; slot < MAX_SOLIDITY_SLOT; slot++) {
    keys.push((account) => keccak256(coder.encode(["address", "uint256"], [account, slot])));
    keys.push((account) => keccak256(coder.encode(["uint256", "address"], [slot, account])));
  }
  keys.push((account) => keccak256(coder.encode(["address", "bytes32"], [account, OZ5_ERC20_STORAGE])));
  return keys;
}

async function readSlot(token: Address, key: string): Promise<string> {
  return (await hre.network.provider.send("eth_getStorageAt", [token, key, "latest"])) as string;
}

async function writeSlot(token: Address, key: string, value: bigint | string): Promise<void> {
  const word = typeof value === "string" ? zeroPadValue(value, 32) : zeroPadValue(toBeHex(value), 32);
  await hre.network.provider.send("hardhat_setStorageAt", [token, key, word]);
}

/** The storage key of `account`'s balance in `token`, found once per token. */
async function balanceKeyOf(token: Address, account: Address): Promise<string> {
  const cached = slotCache.get(token.toLowerCase());
  if (cached !== undefined) return cached(account);
  const erc20 = IERC20__factory.connect(token, hre.ethers.provider);
  for (const keyOf of candidateKeys()) {
    const key = keyOf(account);
    const original = await readSlot(token, key);
    await writeSlot(token, key, PROBE);
    const seen = await erc20.balanceOf(account);
    await writeSlot(token, key, original);
    if (seen === PROBE) {
      slotCache.set(token.toLowerCase(), keyOf);
      return key;
    }
  }
  throw new Error(
    `could not find the balance mapping of token ${token}: none of Solidity slots 0..${MAX_SOLIDITY_SLOT - 1}, Vyper order ` +
      "or OpenZeppelin 5 namespaced storage is what balanceOf reads; fund this token from a holder instead",
  );
}

/** Adds `amount` raw units to `account`'s balance of `token` (totalSupply is left alone; nothing here reads it). */
export async function addTokenBalance(token: Address, account: Address, amount: bigint): Promise<void> {
  const erc20 = IERC20__factory.connect(token, hre.ethers.provider);
  const before = await erc20.balanceOf(account);
  const key = await balanceKeyOf(token, account);
  await writeSlot(token, key, before + amount);
  const after = await erc20.balanceOf(account);
  if (after !== before + amount) {
    throw new Error(`writing ${token}'s balance slot for ${account} gave balanceOf ${after}, expected ${before + amount}`);
  }
}
