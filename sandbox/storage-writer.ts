/**
 * Writes many storage words into a contract of the local chain quickly, for benchmarks that are about
 * READING positions (bench/rescan.ts copies 400 genuinely opened Aave borrowers to 100,000 addresses).
 *
 * The contract's code is swapped for a storage writer (straight-line code, `straightLineWriterCode`), transactions carry (slot, value) word pairs
 * in their calldata, and the code is restored. One `hardhat_setStorageAt` per word would be simpler,
 * but each one costs the in-process node ~15 KB that it keeps (400,000 words grew it to 16 GB).
 * Transactions are sent with the node's own `eth_sendTransaction` (the account is unlocked on the
 * local chain), all in flight at once: the node mines them one by one (automine), and no round trip
 * of the client's (nonce, fee, receipt polling) sits between them.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";

const straightLineWriters = new Map<number, string>();

/**
 * Runtime code storing exactly `words` (slot, value) pairs of calldata without a loop: per word
 * `PUSH2 off+32 CALLDATALOAD PUSH2 off CALLDATALOAD SSTORE` (5 instructions; the loop takes 17, and
 * the in-process node's time goes per instruction as much as per write). Memoised per length.
 */
export function straightLineWriterCode(words: number): string {
  if (!Number.isInteger(words) || words < 1 || words * 64 > 0xffff) throw new Error(`storage writer: bad word count ${words}`);
  let code = straightLineWriters.get(words);
  if (code === undefined) {
    const push2 = (n: number) => "61" + n.toString(16).padStart(4, "0");
    const parts = ["0x"];
    for (let i = 0; i < words; i++) parts.push(push2(i * 64 + 32), "35", push2(i * 64), "3555");
    parts.push("00");
    code = parts.join("");
    straightLineWriters.set(words, code);
  }
  return code;
}

/** Word pairs per transaction: 22,100 gas per fresh slot keeps it under the 2^24 transaction gas cap (EIP-7825). */
export const WORDS_PER_WRITE = 600;
const WRITE_GAS = 16_000_000;

/** Writes `words` (slot → value, hex quantities or 32-byte words) into `contract`'s storage, then restores its code. */
export async function writeStorageWords(
  hre: HardhatRuntimeEnvironment,
  contract: string,
  words: readonly (readonly [string, string])[],
): Promise<void> {
  if (words.length === 0) return;
  const send = (method: string, params: unknown[]) => hre.network.provider.send(method, params);
  const [from] = (await send("eth_accounts", [])) as string[];
  const code = (await send("eth_getCode", [contract, "latest"])) as string;
  const perWrite = Math.min(WORDS_PER_WRITE, words.length);
  await send("hardhat_setCode", [contract, straightLineWriterCode(perWrite)]);
  try {
    const sends: Promise<unknown>[] = [];
    for (let start = 0; start < words.length; start += perWrite) {
      const chunk = words.slice(start, start + perWrite);
      // The code stores exactly perWrite pairs: a short last chunk repeats its last pair (same slot, same value).
      while (chunk.length < perWrite) chunk.push(chunk[chunk.length - 1]);
      const data = "0x" + chunk.map(([slot, value]) => slot.slice(2).padStart(64, "0") + value.slice(2).padStart(64, "0")).join("");
      sends.push(send("eth_sendTransaction", [{ from, to: contract, data, gas: "0x" + WRITE_GAS.toString(16) }]));
    }
    const hashes = (await Promise.all(sends)) as string[];
    // Automine mined each on arrival; one receipt per batch says none of them reverted.
    const receipts = (await Promise.all(hashes.map((hash) => send("eth_getTransactionReceipt", [hash])))) as ({ status: string } | null)[];
    const failed = receipts.findIndex((receipt) => receipt?.status !== "0x1");
    if (failed !== -1) throw new Error(`storage writer: transaction ${hashes[failed]} to ${contract} did not succeed`);
  } finally {
    await send("hardhat_setCode", [contract, code]);
  }
}
