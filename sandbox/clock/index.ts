/** The sandbox on its own clock: a 200 ms chain (Base since Denim), its millisecond time, and a node serving both. */
export { ChainClock, type ChainClockOptions, type ChainClockStats, type MinedBlock } from "./chain-clock";
export { ClockedProvider, type SubscribableProvider } from "./clocked-provider";
export { startClockedNode, type ClockedNode, type ClockedNodeOptions } from "./clocked-node";
export { createClockedRuntime, isClockedRuntime } from "./clocked-runtime";
export {
  BASE_TIME_ADDRESS,
  DEPOSITOR_ADDRESS,
  DEPOSIT_PRIORITY_FEE_WEI,
  TIMESTAMP_MS_CALL,
  installBaseTime,
  baseTimeDeposit,
  blockTimestampMs,
} from "./base-time";
export { hexQuantity, type Eip1193Provider } from "./eip1193";
