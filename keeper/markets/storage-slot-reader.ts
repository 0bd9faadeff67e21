/**
 * Reads many storage slots of one contract in a single eth_call, by running the call against a
 * state override that swaps the contract's code for a slot reader (straight-line code, 8 bytes per
 * slot). The contract's storage is
 * untouched (an override only lives for the call), so the reader sees exactly what the contract's own
 * getters would read — without one CALL frame (two behind a proxy) per value, which is what bounds a
 * Multicall3 rescan of tens of thousands of positions.
 *
 * Needs `eth_call` state overrides (geth/op-geth, reth, erigon, Hardhat's EDR, Anvil all have them);
 * callers detect support, calibrate slot positions against the ABI getters, and fall back to
 * Multicall3 when either is missing. The slot positions themselves are protocol knowledge and live
 * with each market (e.g. aave-v3/storage-layout.ts).
 */
import { keccak256 } from "ethers";

/**
 * The looping reader (written by hand; kept as the reference the straight-line reader is tested
 * against, and for the node-floor probe): for each 32-byte word of calldata, treated as a slot key,
 * return SLOAD(key) at the same offset.
 *
 *   00 PUSH1 0        i = 0
 *   02 JUMPDEST       loop:
 *   03 CALLDATASIZE
 *   04 DUP2
 *   05 LT             i < calldatasize ?
 *   06 PUSH1 0x0d
 *   08 JUMPI          → body
 *   09 CALLDATASIZE
 *   0a PUSH1 0
 *   0c RETURN         return memory[0, calldatasize)
 *   0d JUMPDEST       body:
 *   0e DUP1
 *   0f CALLDATALOAD   slot = calldata[i]
 *   10 SLOAD
 *   11 DUP2
 *   12 MSTORE         memory[i] = sload(slot)
 *   13 PUSH1 0x20
 *   15 ADD            i += 32
 *   16 PUSH1 0x02
 *   18 JUMP           → loop
 */
export const SLOT_READER_RUNTIME_CODE = "0x60005b368110600d57366000f35b8035548152602001600256";

/** Slots a straight-line reader can address: PUSH2 offsets reach 65,535 bytes of memory. */
export const MAX_STRAIGHT_LINE_SLOTS = 2_047;
const straightLineCodes = new Map<number, string>();

/**
 * Runtime code for exactly `slots` reads without a loop: per slot `PUSH2 off CALLDATALOAD SLOAD PUSH2
 * off MSTORE` (5 instructions where the loop above takes 15), then `RETURN(0, slots·32)`. Same answer
 * as the loop for `slots` keys. A node spends time per executed instruction as well as per state
 * access: on Hardhat's EDR, which records every instruction of every eth_call in a trace, this
 * halved the time per slot (bench/rescan-node-floor.ts); any node executes a third of the
 * instructions. Memoised per length.
 */
export function straightLineReaderCode(slots: number): string {
  if (!Number.isInteger(slots) || slots < 1 || slots > MAX_STRAIGHT_LINE_SLOTS) {
    throw new Error(`straight-line reader: slots must be an integer in 1..${MAX_STRAIGHT_LINE_SLOTS}, got ${slots}`);
  }
  let code = straightLineCodes.get(slots);
  if (code === undefined) {
    const push2 = (n: number) => "61" + n.toString(16).padStart(4, "0");
    const parts: string[] = ["0x"];
    for (let i = 0; i < slots; i++) parts.push(push2(i * 32), "3554", push2(i * 32), "52");
    parts.push(push2(slots * 32), "6000f3");
    code = parts.join("");
    straightLineCodes.set(slots, code);
  }
  return code;
}

/**
 * Slots per eth_call. Measured on Hardhat's EDR (bench/rescan-node-floor.ts, load 14): smaller calls
 * are cheaper per slot (straight-line reader: 250 slots 21 µs, 1,000 slots 55 µs), and a real node
 * (geth, reth) serves concurrent eth_calls on several threads, so more, smaller calls spread over
 * its cores; ethers batches concurrent requests into few HTTP requests. 250 slots are ~0.7M gas per
 * call, far under every public eth_call gas cap; 100,000 positions (~4 slots) are ~1,600 calls.
 */
export const MAX_SLOTS_PER_CALL = 250;
/**
 * Gas per slot read by the straight-line reader: a cold SLOAD (2,100), 4 more instructions and
 * memory growth (~15), and the 32 calldata bytes carrying the key (up to 512 at 16 per byte).
 */
const GAS_PER_SLOT = 2_100 + 15 + 512;
const CALL_GAS_BUDGET = 100_000 + MAX_SLOTS_PER_CALL * GAS_PER_SLOT;

/** A provider that can send raw JSON-RPC (ethers' JsonRpcProvider and HardhatEthersProvider can). */
export interface RawRpcProvider {
  send(method: string, params: unknown[]): Promise<unknown>;
}

export function supportsRawRpc(provider: object): provider is RawRpcProvider {
  return typeof (provider as Partial<RawRpcProvider>).send === "function";
}

/** Storage key of `mapping(address => T)` declared at slot `index`: keccak256(abi.encode(key, index)). */
export function addressMappingSlot(key: string, index: number): string {
  const hex = key.toLowerCase().replace(/^0x/, "").padStart(64, "0") + index.toString(16).padStart(64, "0");
  return keccak256("0x" + hex);
}

export interface SlotReadStats {
  rpcCalls: number;
}

function toQuantityTag(blockTag: number | string | undefined): string {
  if (blockTag === undefined) return "latest";
  return typeof blockTag === "number" ? "0x" + blockTag.toString(16) : blockTag;
}

/** Reads `slots` of `contract` at `blockTag`, MAX_SLOTS_PER_CALL per eth_call, the calls sent concurrently. */
export async function readStorageSlots(
  provider: RawRpcProvider,
  contract: string,
  slots: readonly string[],
  blockTag: number | string | undefined,
  stats?: SlotReadStats,
): Promise<bigint[]> {
  if (slots.length === 0) return [];
  const chunks: (readonly string[])[] = [];
  for (let start = 0; start < slots.length; start += MAX_SLOTS_PER_CALL) chunks.push(slots.slice(start, start + MAX_SLOTS_PER_CALL));
  const tag = toQuantityTag(blockTag);
  const results = await Promise.all(
    chunks.map(async (chunk) => {
      if (stats) stats.rpcCalls += 1;
      const data = "0x" + chunk.map((slot) => slot.replace(/^0x/, "").padStart(64, "0")).join("");
      const raw = (await provider.send("eth_call", [
        { to: contract, data, gas: "0x" + CALL_GAS_BUDGET.toString(16) },
        tag,
        { [contract]: { code: straightLineReaderCode(chunk.length) } },
      ])) as string;
      const hex = raw.replace(/^0x/, "");
      if (hex.length !== chunk.length * 64) {
        throw new Error(
          `storage reader: ${contract} answered ${hex.length / 2} bytes for ${chunk.length} slots (state overrides unsupported?)`,
        );
      }
      const values: bigint[] = new Array(chunk.length);
      for (let i = 0; i < chunk.length; i++) values[i] = BigInt("0x" + hex.slice(i * 64, i * 64 + 64));
      return values;
    }),
  );
  return results.flat();
}
