/**
 * The relay path as a SignedTxBroadcaster (Ethereum mainnet, or any relay speaking eth_callBundle /
 * eth_sendBundle): the signed liquidation is offered as a one-transaction bundle for the next block,
 * and only after the relay's own simulation (eth_callBundle) shows it neither reverts nor costs more
 * gas than the plan allows. A bundle that is not included leaves nothing in flight; the execution
 * stage's block budget then re-offers it (as a fee-bumped replacement) or gives up.
 */
import type { BundleCheck, BundleSubmitter } from "../submit/bundle-submitter";
import type { RawBroadcastReport, SignedTxBroadcaster } from "./broadcast";

export interface BundleBroadcasterOptions {
  readonly submitter: BundleSubmitter;
  /** Head reads, to target the next block. */
  readonly chain: { getBlockNumber(): Promise<number> };
  /** Refuses a bundle whose simulated gas fees exceed this many wei (a plan's gas budget). */
  readonly maxGasFeesWei: bigint;
}

export class BundleNotOfferedError extends Error {
  override readonly name = "BundleNotOfferedError";
}

export function bundleBroadcaster(options: BundleBroadcasterOptions): SignedTxBroadcaster {
  const check: BundleCheck = (simulation) =>
    simulation.gasFeesWei > options.maxGasFeesWei
      ? `simulated gas fees ${simulation.gasFeesWei} wei exceed the ${options.maxGasFeesWei} wei budget`
      : null;
  return {
    async broadcast(signed): Promise<RawBroadcastReport> {
      const target = (await options.chain.getBlockNumber()) + 1;
      const outcome = await options.submitter.simulateAndSend([signed.raw], target, check);
      if (!outcome.sent) throw new BundleNotOfferedError(`${outcome.reason}: ${outcome.detail}`);
      return { acceptedBy: [`${options.submitter.relay} (bundle ${outcome.bundleHash} for block ${target})`], alreadyIncluded: false };
    },
  };
}
