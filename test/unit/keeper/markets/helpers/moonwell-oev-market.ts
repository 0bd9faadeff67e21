/**
 * The Moonwell OEV fixture (test/unit/contracts/helpers/oev.ts: the Moonwell test doubles with the WETH feed behind
 * MoonwellOevWrapperDouble) as the Moonwell plug-in's OEV tests drive it: the plug-in started on its two markets,
 * time moved past a round's delay, and positions supplied from tokens minted for the test.
 */
import hre from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { Address, MoonwellDeployment } from "../../../../../keeper/config/address-book";
import { createMarketDependencies } from "../../../../../keeper/markets/factory";
import type { MoonwellMarket } from "../../../../../keeper/markets/moonwell/moonwell-market";
import { TEST_ROUND_DELAY, type OevFixture } from "../../../contracts/helpers/oev";
import { startMoonwellMarket } from "./moonwell-world";

/** The plug-in on the fixture's mUSDC and mWETH, started at the current head. */
export async function startOevMarket(f: OevFixture): Promise<MoonwellMarket> {
  const deployment: MoonwellDeployment = {
    label: "moonwell-oev-double",
    comptroller: (await f.comptroller.getAddress()) as Address,
    oracle: (await f.oracle.getAddress()) as Address,
    markets: { USDC: (await f.mUSDC.getAddress()) as Address, WETH: (await f.mWETH.getAddress()) as Address },
    deployBlock: 0,
  };
  return startMoonwellMarket(deployment, createMarketDependencies(hre.ethers.provider, f.sandbox.book));
}

/** Moves the chain to the moment a round updated at `updatedAt` is public (the wrapper's delay has passed) and mines a block there. */
export async function passRoundDelay(updatedAt: bigint): Promise<void> {
  await time.increaseTo(updatedAt + TEST_ROUND_DELAY);
  await hre.network.provider.send("evm_mine");
}

/** `who` supplies `amount` of USDC (minted for it by the sandbox's deployer) to mUSDC. */
export async function supplyUsdc(f: OevFixture, who: HardhatEthersSigner, amount: bigint): Promise<void> {
  const { tokens, deployer } = f.sandbox;
  await (await tokens.USDC.connect(deployer)["mint(address,uint256)"](who.address, amount)).wait();
  await (await tokens.USDC.connect(who).approve(f.mUSDC, amount)).wait();
  await (await f.mUSDC.connect(who).mint(amount)).wait();
}

/** `who` wraps `amount` of its ETH and supplies it to mWETH. */
export async function supplyWeth(f: OevFixture, who: HardhatEthersSigner, amount: bigint): Promise<void> {
  const { tokens } = f.sandbox;
  await (await tokens.WETH.connect(who).deposit({ value: amount })).wait();
  await (await tokens.WETH.connect(who).approve(f.mWETH, amount)).wait();
  await (await f.mWETH.connect(who).mint(amount)).wait();
}
