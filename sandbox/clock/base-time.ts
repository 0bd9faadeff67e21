/**
 * The sandbox's stand-in for Base's millisecond clock since Denim (docs.base.org, upgrades/denim): every block starts
 * with a BaseTime deposit carrying the sub-second part of its time, and RPC objects carry `timestampMs`
 * (blocks, headers) and `blockTimestampMs` (logs, receipts). Here the deposit is an ordinary transaction from the
 * depositor account to `BaseTimeStandIn` (contracts/test/), installed at the predeploy's address, sent first in each
 * block the clock mines (its priority fee is far above any bot's); `ClockedProvider` derives the RPC fields from it.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { Interface } from "ethers";
import { hexQuantity, type Eip1193Provider } from "./eip1193";

export const BASE_TIME_ADDRESS = "0x4200000000000000000000000000000000000030";
/** The OP Stack depositor account (system deposits come from it). */
export const DEPOSITOR_ADDRESS = "0xDeaDDEaDDeAdDeAdDEAdDEaddeAddEAdDEAd0001";
/** 1,000 gwei: ordering is by priority fee, and no bot in the sandbox bids this much, so the deposit goes first. */
export const DEPOSIT_PRIORITY_FEE_WEI = 1_000_000_000_000n;
const DEPOSIT_GAS = 60_000n;

const baseTime = new Interface(["function setMillisPart(uint256 millis)", "function timestampMs() view returns (uint256)"]);

/** Installs the stand-in's runtime code at the predeploy address and lets the clock send as the depositor. */
export async function installBaseTime(hre: HardhatRuntimeEnvironment, provider: Eip1193Provider = hre.network.provider): Promise<void> {
  const artifact = await hre.artifacts.readArtifact("BaseTimeStandIn");
  await provider.request({ method: "hardhat_setCode", params: [BASE_TIME_ADDRESS, artifact.deployedBytecode] });
  await provider.request({ method: "hardhat_impersonateAccount", params: [DEPOSITOR_ADDRESS] });
  // Deposits pay a priority fee here (real ones do not): give the depositor enough for years of blocks.
  await provider.request({ method: "hardhat_setBalance", params: [DEPOSITOR_ADDRESS, hexQuantity(10n ** 30n)] });
}

/** The deposit transaction recording `timestampMs`'s sub-second part, for eth_sendTransaction. */
export function baseTimeDeposit(timestampMs: number, baseFeePerGas: bigint): Record<string, string> {
  return {
    from: DEPOSITOR_ADDRESS,
    to: BASE_TIME_ADDRESS,
    data: baseTime.encodeFunctionData("setMillisPart", [timestampMs % 1_000]),
    gas: hexQuantity(DEPOSIT_GAS),
    maxPriorityFeePerGas: hexQuantity(DEPOSIT_PRIORITY_FEE_WEI),
    maxFeePerGas: hexQuantity(DEPOSIT_PRIORITY_FEE_WEI + baseFeePerGas * 4n),
  };
}

/** Calldata of `timestampMs()`: a contract's view of the block's full millisecond time. */
export const TIMESTAMP_MS_CALL = baseTime.encodeFunctionData("timestampMs");

/**
 * The block's full millisecond time as Denim defines it: 1000 × timestamp + the BaseTime part recorded in it. Reads
 * the stand-in's storage (slot 0 holds the part) at that block; a block before the clock ran has part 0.
 */
export async function blockTimestampMs(provider: Eip1193Provider, blockNumberHex: string, timestampSeconds: number): Promise<number> {
  const word = (await provider.request({ method: "eth_getStorageAt", params: [BASE_TIME_ADDRESS, "0x0", blockNumberHex] })) as string;
  // uint16 millisPart is packed in the low bytes of slot 0.
  const part = Number(BigInt(word) & 0xffffn);
  return timestampSeconds * 1_000 + part;
}
