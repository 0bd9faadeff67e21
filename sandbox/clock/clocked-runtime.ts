/**
 * A second in-process chain, configured like the `hardhat` network (accounts, chain id, gas limits, hardfork) except
 * for one option: `allowBlocksWithSameTimestamp`, which the 200 ms clock needs (five blocks share one whole-second
 * timestamp on Base since Denim) and nothing else should have.
 *
 * Why not set that option on the `hardhat` network itself: with it, an automined block in the same wall-clock second
 * as the previous one gets the SAME timestamp, where Hardhat otherwise gives it previous + 1. Every test and script
 * that prices interest for "the next block" (previous + 1 second) is then off — by a wei of accrued interest, or
 * far enough to send a liquidation that reverts. Hardhat cannot switch the option at run time, so the clocked chain
 * gets its own provider and the rest of the suite keeps Hardhat's default chain untouched.
 *
 * The returned runtime is the given one with `network.provider`, `ethers` and `ignition` bound to the new chain;
 * everything else (config, artifacts, tasks) is shared. Code that takes a runtime (buildSandbox, the clocked node,
 * the rival) runs on it unchanged.
 */
import type { HardhatRuntimeEnvironment, HardhatNetworkConfig } from "hardhat/types";

/** Marks a runtime built here (startClockedNode refuses a chain that cannot mine blocks sharing a timestamp). */
export const CLOCKED_RUNTIME = Symbol.for("chimera.clockedRuntime");

export function isClockedRuntime(hre: HardhatRuntimeEnvironment): boolean {
  return (hre as unknown as Record<symbol, unknown>)[CLOCKED_RUNTIME] === true;
}

export async function createClockedRuntime(hre: HardhatRuntimeEnvironment): Promise<HardhatRuntimeEnvironment> {
  if (hre.network.name !== "hardhat") {
    throw new Error(`the clocked chain is an in-process "hardhat" chain; this run uses "${hre.network.name}" (drop --network)`);
  }
  // Internal module paths of Hardhat 2 and its ethers/Ignition plugins, loaded lazily: nothing here runs at config load.
  const { createProvider } = await import("hardhat/internal/core/providers/construction");
  const { lazyObject } = await import("hardhat/plugins");
  const networkConfig: HardhatNetworkConfig = { ...hre.config.networks.hardhat, allowBlocksWithSameTimestamp: true };
  const config = { ...hre.config, networks: { ...hre.config.networks, hardhat: networkConfig } };
  const provider = await createProvider(config, "hardhat", hre.artifacts);

  const clocked = Object.create(hre) as HardhatRuntimeEnvironment;
  Object.defineProperty(clocked, CLOCKED_RUNTIME, { value: true });
  Object.defineProperty(clocked, "network", { value: { ...hre.network, config: networkConfig, provider }, enumerable: true });
  Object.defineProperty(clocked, "ethers", { value: lazyObject(() => ethersFor(clocked)), enumerable: true });
  Object.defineProperty(clocked, "ignition", {
    value: lazyObject(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { EthersIgnitionHelper } = require("@nomicfoundation/hardhat-ignition-ethers/dist/src/ethers-ignition-helper");
      return new EthersIgnitionHelper(clocked);
    }),
    enumerable: true,
  });
  return clocked;
}

/** hre.ethers as the hardhat-ethers plugin builds it, bound to `runtime` (its provider, signers and factories). */
function ethersFor(runtime: HardhatRuntimeEnvironment): HardhatRuntimeEnvironment["ethers"] {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { ethers } = require("ethers");
  const { HardhatEthersProvider } = require("@nomicfoundation/hardhat-ethers/internal/hardhat-ethers-provider");
  const helpers = require("@nomicfoundation/hardhat-ethers/internal/helpers");
  /* eslint-enable @typescript-eslint/no-require-imports */
  return {
    ...ethers,
    provider: new HardhatEthersProvider(runtime.network.provider, runtime.network.name),
    getSigner: (address: string) => helpers.getSigner(runtime, address),
    getSigners: () => helpers.getSigners(runtime),
    getImpersonatedSigner: (address: string) => helpers.getImpersonatedSigner(runtime, address),
    getContractFactory: helpers.getContractFactory.bind(null, runtime),
    getContractFactoryFromArtifact: (...args: unknown[]) => helpers.getContractFactoryFromArtifact(runtime, ...args),
    getContractAt: (...args: unknown[]) => helpers.getContractAt(runtime, ...args),
    getContractAtFromArtifact: (...args: unknown[]) => helpers.getContractAtFromArtifact(runtime, ...args),
    deployContract: helpers.deployContract.bind(null, runtime),
  };
}
