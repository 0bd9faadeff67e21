/**
 * A Moonwell-style Morpho market behind the Morpho-market OEV wrapper, next to the executor: genuine Morpho Blue (the
 * sandbox's), with MoonwellOevMorphoWrapperDouble as the BASE_FEED_1 of the market's MorphoChainlinkOracleDouble
 * (TEST DOUBLES written from Moonwell's and Morpho's documented behaviour: neither ships bytecode on npm; see
 * sandbox/moonwell-morpho-oev-market.ts). The liquidator's share is 40% and the delay an hour, longer than any test on a
 * loaded machine. A borrower is opened at 95% of the 86% LLTV, then WETH drops 10% on its feed and in the pools: the
 * wrapper hides that round, so the borrower is liquidatable only through the wrapper. The executor's owner allowlists
 * the wrapper and the market id; HostileMorphoOevWrapper (also allowlisted) is a wrapper that does not behave as
 * documented, for the attacks.
 */
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { HostileMorphoOevWrapper__factory, type HostileMorphoOevWrapper } from "../../../../typechain-types";
import { addMoonwellMorphoOevMarket, openMorphoOevBorrower, type SandboxMorphoOevMarket } from "../../../../sandbox";
import { executorFixture, type ExecutorFixture } from "../../../shared/executor-fixture";
import { dropPrice } from "./positions";

export const MORPHO_OEV_LIQUIDATOR_FEE_BPS = 4_000n;
/** An hour: longer than any test; the production delay is exercised by the keeper's tests with time travel. */
export const MORPHO_OEV_TEST_ROUND_DELAY = 3_600n;

export interface MorphoOevFixture extends ExecutorFixture {
  readonly oev: SandboxMorphoOevMarket;
  readonly hostileWrapper: HostileMorphoOevWrapper;
  /** Liquidatable at the WETH round the wrapper hides, healthy at the round it shows. */
  readonly borrower: HardhatEthersSigner;
  readonly debt: bigint;
}

export async function morphoOevFixture(): Promise<MorphoOevFixture> {
  const base = await loadFixture(executorFixture);
  const { sandbox, executor, owner } = base;
  const signers = await hre.ethers.getSigners();
  const borrower = signers[8]!;
  const oev = await addMoonwellMorphoOevMarket(hre, sandbox, {
    roundDelaySeconds: MORPHO_OEV_TEST_ROUND_DELAY,
    liquidatorFeeBps: MORPHO_OEV_LIQUIDATOR_FEE_BPS,
    feeRecipient: signers[9]!.address as `0x${string}`,
  });
  const debt = await openMorphoOevBorrower(hre, sandbox, oev, borrower, { collateralEth: "10", ltvOfLltv: 0.95 });
  await dropPrice(sandbox, "WETH", 0.1);

  const morpho = await sandbox.morpho.morpho.getAddress();
  const hostileWrapper = await new HostileMorphoOevWrapper__factory(sandbox.deployer).deploy(morpho);
  await (await executor.connect(owner).setAllowedTargets([await oev.wrapper.getAddress(), await hostileWrapper.getAddress()], true)).wait();
  await (await executor.connect(owner).setAllowedMarkets([{ host: morpho, marketId: oev.marketId }], true)).wait();
  return { ...base, oev, hostileWrapper, borrower, debt };
}
